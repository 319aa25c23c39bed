import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { UsageError } from './command.js';

/**
 * One flag of a command's table: whether it takes a value, and how that value is checked and
 * turned into what the command uses. Every command declares one table; `parseFlags` checks all
 * of it before the command loads data or starts work.
 */
export interface FlagSpec {
  type: 'string' | 'boolean';
  /** Checks the text and returns the value the command uses; throws a UsageError naming the flag. Absent: any text. */
  parse?: (text: string, flag: string) => unknown;
  /** The command cannot run without it. */
  required?: boolean;
}

/** A combination of flags that cannot work: `flag` needs `requires`, or cannot go with `excludes`. */
export type FlagConflict = { flag: string; why: string } & ({ requires: string } | { excludes: string });

export type FlagTable = Record<string, FlagSpec>;

/** A table entry whose value parses to a T. */
export interface ParsedFlag<T> extends FlagSpec {
  type: 'string';
  parse: (text: string, flag: string) => T;
}

/** What `parseFlags` returns for a table: each flag's parsed value, or undefined when not given. */
export type FlagValues<T extends FlagTable> = {
  [K in keyof T]?: T[K] extends { parse: (text: string, flag: string) => infer P } ? P : T[K]['type'] extends 'boolean' ? boolean : string;
} & { help?: boolean };

/** `--name = "value"`, the start of every message about a flag's value. */
export function flagValue(flag: string, text: string): string {
  return `--${flag} = ${JSON.stringify(text)}`;
}

/** Edit distance, to suggest the flag a typo meant. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

function unknownFlag(name: string, table: FlagTable): UsageError {
  const near = Object.keys(table).filter((f) => distance(f, name) <= 2).sort((a, b) => distance(a, name) - distance(b, name));
  return new UsageError(`--${name}: no such flag${near.length ? ` (did you mean --${near[0]}?)` : ''}`);
}

/**
 * Reads `--flag value`, `--flag=value`, boolean `--flag` and `-h`/`--help` strictly against the
 * command's table, then checks every value (its `parse`), the required flags and the conflicts,
 * all before the command does anything. A value may start with a dash (`--lr -1` reads -1 as the
 * value, to be refused as a learning rate, not as an unknown flag). A flag given twice keeps the
 * last value (so `train --resume` can override a checkpoint's flags). Any problem is a UsageError
 * naming the flag, the value and what was expected (main prefixes `slimtrain <command>:`).
 *
 * @example
 * const v = parseFlags(argv, { epochs: { type: 'string', parse: integer(1, 10_000) }, json: { type: 'boolean' } });
 * v.epochs; // a number, or undefined when not given
 */
export function parseFlags<T extends FlagTable>(argv: string[], table: T, conflicts: readonly FlagConflict[] = []): FlagValues<T> {
  const texts: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-h' || arg === '--help') {
      texts.help = true;
      continue;
    }
    if (!arg.startsWith('--') || arg === '--') {
      throw new UsageError(`unexpected argument ${JSON.stringify(arg)} (flags take the form --name value)`);
    }
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    const spec = Object.hasOwn(table, name) ? table[name] : undefined;
    if (!spec) throw unknownFlag(name, table);
    if (spec.type === 'boolean') {
      if (eq >= 0) throw new UsageError(`${flagValue(name, arg.slice(eq + 1))}: expected no value (--${name} is a switch)`);
      texts[name] = true;
      continue;
    }
    const text = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (text === undefined || (eq < 0 && text.startsWith('--'))) throw new UsageError(`--${name}: expected a value after it`);
    texts[name] = text;
  }
  const values: Record<string, unknown> = {};
  if (texts.help) return { help: true } as FlagValues<T>;
  for (const [name, spec] of Object.entries(table)) {
    const text = texts[name];
    if (text === undefined) {
      if (spec.required) throw new UsageError(`--${name} is required`);
      continue;
    }
    if (text === true) values[name] = true;
    else if (text === '') throw new UsageError(`${flagValue(name, text)}: expected a value`);
    else values[name] = spec.parse ? spec.parse(text, name) : text;
  }
  for (const c of conflicts) {
    if (texts[c.flag] === undefined) continue;
    const given = texts[c.flag] === true ? `--${c.flag}` : flagValue(c.flag, texts[c.flag] as string);
    if ('requires' in c && texts[c.requires] === undefined) throw new UsageError(`${given}: it needs --${c.requires} (${c.why})`);
    if ('excludes' in c && texts[c.excludes] !== undefined) throw new UsageError(`${given}: it cannot go with --${c.excludes} (${c.why})`);
  }
  return values as FlagValues<T>;
}

/** A number in a range; `why` says why the bounds are where they are (it ends the message). */
export interface NumberRange {
  integer?: boolean;
  min: number;
  max?: number;
  exclusiveMin?: boolean;
  exclusiveMax?: boolean;
  why?: string;
}

/** Parses a flag's text as a number in a range, or throws a UsageError naming the flag, its value and the range. */
export function numberFlag(flag: string, text: string, range: NumberRange): number {
  const v = Number(text);
  const { integer = false, min, max, exclusiveMin = false, exclusiveMax = false } = range;
  const ok = text.trim() !== '' && Number.isFinite(v) && (!integer || Number.isInteger(v)) &&
    (exclusiveMin ? v > min : v >= min) && (max === undefined || (exclusiveMax ? v < max : v <= max));
  if (ok) return v;
  const kind = integer ? 'an integer' : 'a number';
  const bounds = max === undefined
    ? `${kind} ${exclusiveMin ? '>' : '>='} ${min}`
    : !exclusiveMin && !exclusiveMax ? `${kind} from ${min} to ${max}` : `${kind} in ${exclusiveMin ? '(' : '['}${min}, ${max}${exclusiveMax ? ')' : ']'}`;
  throw new UsageError(`${flagValue(flag, text)}: expected ${bounds}${range.why ? ` (${range.why})` : ''}`);
}

/** A table entry for a number flag. */
export function numberIn(range: NumberRange): ParsedFlag<number> {
  return { type: 'string', parse: (text, flag) => numberFlag(flag, text, range) };
}

/** A table entry for an integer flag from min to max (why: the reason for the upper bound). */
export function integerIn(min: number, max: number, why: string): ParsedFlag<number> {
  return numberIn({ integer: true, min, max, why });
}

/** A table entry for a string flag restricted to some values. */
export function oneOf<C extends string>(choices: readonly C[]): ParsedFlag<C> {
  return {
    type: 'string',
    parse: (text, flag) => {
      if (!choices.includes(text as C)) throw new UsageError(`${flagValue(flag, text)}: expected one of ${choices.join(', ')}`);
      return text as C;
    },
  };
}

/** What a path is on disk: a file, a folder, or nothing (or unreadable). */
function kindOf(path: string): 'file' | 'folder' | 'none' | 'other' {
  try {
    const s = statSync(path);
    return s.isFile() ? 'file' : s.isDirectory() ? 'folder' : 'other';
  } catch {
    return 'none';
  }
}

/** A table entry for a file the command reads: it must exist and be a file (not a folder). */
export function inputFile(what = 'a file'): ParsedFlag<string> {
  return {
    type: 'string',
    parse: (path, flag) => {
      const kind = kindOf(path);
      if (kind === 'file') return path;
      throw new UsageError(`${flagValue(flag, path)}: expected ${what}${kind === 'none' ? ', and there is no such file' : kind === 'folder' ? ', not a folder' : ''}`);
    },
  };
}

/** A table entry for a folder the command reads: it must exist. */
export function inputFolder(): ParsedFlag<string> {
  return {
    type: 'string',
    parse: (path, flag) => {
      if (kindOf(path) === 'folder') return path;
      throw new UsageError(`${flagValue(flag, path)}: expected a folder that exists`);
    },
  };
}

/**
 * A table entry for a file the command writes: its folder must exist and it must not be a folder,
 * checked before the work starts so a long run never ends unable to save. `suffix`: a required ending.
 */
export function outputFile(suffix?: string): ParsedFlag<string> {
  return {
    type: 'string',
    parse: (path, flag) => {
      if (suffix && !path.endsWith(suffix)) throw new UsageError(`${flagValue(flag, path)}: expected a file name ending in ${suffix}`);
      if (kindOf(path) === 'folder') throw new UsageError(`${flagValue(flag, path)}: expected a file name, not a folder`);
      if (kindOf(dirname(path)) !== 'folder') throw new UsageError(`${flagValue(flag, path)}: expected a file in a folder that exists (${dirname(path)} does not)`);
      return path;
    },
  };
}

/** A table entry for a folder the command writes into (created if missing): it must not be a file. */
export function outputFolder(): ParsedFlag<string> {
  return {
    type: 'string',
    parse: (path, flag) => {
      const kind = kindOf(path);
      if (kind !== 'folder' && kind !== 'none') throw new UsageError(`${flagValue(flag, path)}: expected a folder, not a file`);
      return path;
    },
  };
}

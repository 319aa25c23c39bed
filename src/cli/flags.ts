import { parseArgs } from 'node:util';
import { UsageError } from './command.js';

export interface FlagSpec {
  type: 'string' | 'boolean';
  short?: string;
  default?: string | boolean;
}

/**
 * Parses `--flag value` arguments strictly: an unknown flag, a missing value or a stray positional
 * argument is a UsageError naming it, never ignored.
 */
export function parseFlags(command: string, argv: string[], flags: Record<string, FlagSpec>): Record<string, string | boolean | undefined> {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: { ...flags, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: true });
    if (positionals.length) throw new UsageError(`slimtrain ${command}: unexpected argument ${JSON.stringify(positionals[0])} (flags take the form --name value)`);
    return values as Record<string, string | boolean | undefined>;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const message = (e as Error).message.replace(/\. To specify a positional argument.*$/, '');
    throw new UsageError(`slimtrain ${command}: ${message}`);
  }
}

/** A numeric flag: parsed and checked, or a UsageError naming the flag, its value and what was expected. */
export function numberFlag(
  name: string,
  value: string | boolean | undefined,
  fallback: number,
  check: { integer?: boolean; min?: number; max?: number; exclusiveMin?: boolean } = {},
): number {
  if (value === undefined) return fallback;
  const v = Number(value);
  const ok =
    typeof value === 'string' && value.trim() !== '' && Number.isFinite(v) &&
    (!check.integer || Number.isInteger(v)) &&
    (check.min === undefined || (check.exclusiveMin ? v > check.min : v >= check.min)) &&
    (check.max === undefined || v <= check.max);
  if (!ok) {
    const parts = [check.integer ? 'an integer' : 'a number'];
    if (check.min !== undefined) parts.push(`${check.exclusiveMin ? '>' : '>='} ${check.min}`);
    if (check.max !== undefined) parts.push(`<= ${check.max}`);
    throw new UsageError(`--${name} = ${JSON.stringify(value)}: expected ${parts.join(' ')}`);
  }
  return v;
}

/** A string flag restricted to some values. */
export function choiceFlag<T extends string>(name: string, value: string | boolean | undefined, fallback: T, choices: readonly T[]): T {
  if (value === undefined) return fallback;
  if (!choices.includes(value as T)) throw new UsageError(`--${name} = ${JSON.stringify(value)}: expected one of ${choices.join(', ')}`);
  return value as T;
}

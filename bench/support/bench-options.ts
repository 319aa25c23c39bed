// Command-line options shared by the bench scripts:
//   --json       print only JSON to stdout (progress still goes to stderr)
//   --quick      fewer shapes and shorter timing: a smoke run, not a measurement
//   --relaxed    also measure relaxed SIMD; bench/run.mjs restarts Node with the V8 flag it needs
//   --models a,b only these cases (benches that declare `models` in BenchOptionSpec: bench:train)

/** Parsed bench options. Every flag defaults to false; `models` to null (every case). */
export interface BenchOptions {
  json: boolean;
  quick: boolean;
  relaxed: boolean;
  /** The cases named by --models, in the order given; null when --models was not given. */
  models: string[] | null;
}

/** What a bench accepts beyond the common flags. */
export interface BenchOptionSpec {
  /** The names --models may list; a bench without this list rejects --models. */
  models?: readonly string[];
}

/** An argument the bench scripts do not know, or a bad value of one they do. */
export class BenchArgumentError extends Error {
  constructor(
    readonly argument: string,
    expected = 'any of --json, --quick, --relaxed',
    problem = 'unknown bench argument',
  ) {
    super(`${problem} ${JSON.stringify(argument)}: expected ${expected}`);
    this.name = 'BenchArgumentError';
  }
}

function parseModels(value: string | undefined, known: readonly string[]): string[] {
  const names = (value ?? '').split(',').filter((n) => n.length > 0);
  const expected = `--models followed by a comma-separated list of ${known.join(', ')}`;
  const bad = names.length === 0 ? '' : names.find((n) => !known.includes(n));
  if (bad !== undefined) throw new BenchArgumentError(`--models ${value ?? ''}`.trim(), expected, 'bad bench argument');
  return [...new Set(names)];
}

/**
 * @example
 * parseBenchOptions(['--json', '--quick']) // { json: true, quick: true, relaxed: false, models: null }
 * parseBenchOptions(['--models', 'mlp,lenet5'], { models: ['mlp', 'lenet5', 'cifar'] }) // models: ['mlp', 'lenet5']
 */
export function parseBenchOptions(args: readonly string[], spec: BenchOptionSpec = {}): BenchOptions {
  const options: BenchOptions = { json: false, quick: false, relaxed: false, models: null };
  const flags = spec.models ? 'any of --json, --quick, --relaxed, --models <list>' : undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--json') options.json = true;
    else if (arg === '--quick') options.quick = true;
    else if (arg === '--relaxed') options.relaxed = true;
    else if (spec.models && arg === '--models') options.models = parseModels(args[++i], spec.models);
    else if (spec.models && arg.startsWith('--models=')) options.models = parseModels(arg.slice('--models='.length), spec.models);
    else throw new BenchArgumentError(arg, flags);
  }
  return options;
}

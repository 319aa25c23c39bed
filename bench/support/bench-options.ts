// Command-line options shared by the bench scripts:
//   --json        print only JSON to stdout (progress still goes to stderr)
//   --quick       fewer shapes and shorter timing: a smoke run, not a measurement
//   --relaxed     also measure relaxed SIMD; bench/run.mjs restarts Node with the V8 flag it needs
//   --threads a,b slimtrain's kernel thread counts to measure (default 1: the single-thread figures);
//                 every bench that runs kernels accepts it (not bench:sizes)
//   --models a,b  only these cases (benches that declare `models` in BenchOptionSpec: bench:train)
//   --profile     where a step's time goes instead of the comparison (benches that declare
//                 `profile`: bench:train)
//   --files a,b   saved model files or folders of them to measure as well (benches that declare
//                 `files`: bench:sparse)

/** Parsed bench options. Every flag defaults to false; `threads` to [1]; `models` to null (every case). */
export interface BenchOptions {
  json: boolean;
  quick: boolean;
  relaxed: boolean;
  /** slimtrain's kernel thread counts from --threads, ascending, without repeats; [1] by default. */
  threads: number[];
  /** The cases named by --models, in the order given; null when --models was not given. */
  models: string[] | null;
  /** --profile (benches that declare it). */
  profile: boolean;
  /** The paths --files lists, in order ([] without it; benches that declare `files`). */
  files: string[];
}

/** What a bench accepts beyond the common flags. */
export interface BenchOptionSpec {
  /** The names --models may list; a bench without this list rejects --models. */
  models?: readonly string[];
  /** false for a bench that runs no kernels (bench:sizes): it rejects --threads. Default true. */
  threads?: boolean;
  /** true for a bench that has a --profile mode (bench:train). Default false. */
  profile?: boolean;
  /** true for a bench that also measures saved model files (bench:sparse). Default false. */
  files?: boolean;
}

/** The largest count --threads takes (init's own limit). */
export const MAX_BENCH_THREADS = 256;

/** An argument the bench scripts do not know, or a bad value of one they do. */
export class BenchArgumentError extends Error {
  constructor(
    readonly argument: string,
    expected = 'any of --json, --quick, --relaxed, --threads <list>',
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

function parseFiles(value: string | undefined): string[] {
  const paths = (value ?? '').split(',').filter((p) => p.length > 0);
  if (paths.length === 0) throw new BenchArgumentError(`--files ${value ?? ''}`.trim(), '--files followed by a comma-separated list of model files or folders', 'bad bench argument');
  return paths;
}

/** '1,2' -> [1, 2]: integers from 1 to MAX_BENCH_THREADS, sorted, repeats dropped. */
function parseThreads(value: string | undefined): number[] {
  const parts = (value ?? '').split(',').filter((p) => p.length > 0);
  const expected = `--threads followed by a comma-separated list of thread counts, integers from 1 to ${MAX_BENCH_THREADS} (e.g. 1,2)`;
  const counts = parts.map((p) => (/^[0-9]+$/.test(p) ? Number(p) : NaN));
  if (counts.length === 0 || !counts.every((n) => Number.isInteger(n) && n >= 1 && n <= MAX_BENCH_THREADS)) {
    throw new BenchArgumentError(`--threads ${value ?? ''}`.trim(), expected, 'bad bench argument');
  }
  return [...new Set(counts)].sort((a, b) => a - b);
}

/**
 * @example
 * parseBenchOptions(['--json', '--quick']) // { json: true, quick: true, relaxed: false, threads: [1], models: null, profile: false, files: [] }
 * parseBenchOptions(['--threads', '2,1']) // threads: [1, 2]
 * parseBenchOptions(['--models', 'mlp,lenet5'], { models: ['mlp', 'lenet5', 'cifar'] }) // models: ['mlp', 'lenet5']
 * parseBenchOptions(['--files', 'a.slimtrain,runs/'], { files: true }) // files: ['a.slimtrain', 'runs/']
 */
export function parseBenchOptions(args: readonly string[], spec: BenchOptionSpec = {}): BenchOptions {
  const options: BenchOptions = { json: false, quick: false, relaxed: false, threads: [1], models: null, profile: false, files: [] };
  const threads = spec.threads ?? true;
  const flags = `any of ${['--json', '--quick', '--relaxed', ...(threads ? ['--threads <list>'] : []), ...(spec.models ? ['--models <list>'] : []), ...(spec.profile ? ['--profile'] : []), ...(spec.files ? ['--files <list>'] : [])].join(', ')}`;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--json') options.json = true;
    else if (arg === '--quick') options.quick = true;
    else if (arg === '--relaxed') options.relaxed = true;
    else if (spec.profile && arg === '--profile') options.profile = true;
    else if (threads && arg === '--threads') options.threads = parseThreads(args[++i]);
    else if (threads && arg.startsWith('--threads=')) options.threads = parseThreads(arg.slice('--threads='.length));
    else if (spec.models && arg === '--models') options.models = parseModels(args[++i], spec.models);
    else if (spec.models && arg.startsWith('--models=')) options.models = parseModels(arg.slice('--models='.length), spec.models);
    else if (spec.files && arg === '--files') options.files.push(...parseFiles(args[++i]));
    else if (spec.files && arg.startsWith('--files=')) options.files.push(...parseFiles(arg.slice('--files='.length)));
    else throw new BenchArgumentError(arg, flags);
  }
  return options;
}

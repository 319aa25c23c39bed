// Command-line options shared by the bench scripts:
//   --json     print only JSON to stdout (progress still goes to stderr)
//   --quick    fewer shapes and shorter timing: a smoke run, not a measurement
//   --relaxed  also measure relaxed SIMD; bench/run.mjs restarts Node with the V8 flag it needs

/** Parsed bench options. Every flag defaults to false. */
export interface BenchOptions {
  json: boolean;
  quick: boolean;
  relaxed: boolean;
}

/** An argument the bench scripts do not know. */
export class BenchArgumentError extends Error {
  constructor(readonly argument: string) {
    super(`unknown bench argument ${JSON.stringify(argument)}: expected any of --json, --quick, --relaxed`);
    this.name = 'BenchArgumentError';
  }
}

/**
 * @example
 * parseBenchOptions(['--json', '--quick']) // { json: true, quick: true, relaxed: false }
 */
export function parseBenchOptions(args: readonly string[]): BenchOptions {
  const options: BenchOptions = { json: false, quick: false, relaxed: false };
  for (const arg of args) {
    if (arg === '--json') options.json = true;
    else if (arg === '--quick') options.quick = true;
    else if (arg === '--relaxed') options.relaxed = true;
    else throw new BenchArgumentError(arg);
  }
  return options;
}

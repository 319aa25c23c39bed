import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SlimtrainError } from '../../errors.js';
import { UsageError, type Command, type CommandIo } from '../command.js';
import { flagValue, numberFlag, parseFlags } from '../flags.js';
import { MAX_THREADS, MAX_THREADS_WHY } from '../limits.js';

const SUITES = ['gemm', 'conv', 'train', 'inference', 'sizes'];
/** The suites that time kernels and take --threads (sizes only reads files). */
const THREADED = ['gemm', 'conv', 'train'];

const BENCH_FLAGS = {
  suite: {
    type: 'string' as const,
    parse: (text: string, flag: string): string[] => {
      const suites = text.split(',');
      if (suites.some((s) => !SUITES.includes(s))) throw new UsageError(`${flagValue(flag, text)}: expected a comma-separated list of ${SUITES.join(', ')}`);
      return suites;
    },
  },
  threads: {
    type: 'string' as const,
    parse: (text: string, flag: string): string => {
      for (const n of text.split(',')) numberFlag(`${flag} (${JSON.stringify(n)} of ${JSON.stringify(text)})`, n, { integer: true, min: 1, max: MAX_THREADS, why: MAX_THREADS_WHY });
      return text;
    },
  },
  json: { type: 'boolean' as const },
  quick: { type: 'boolean' as const },
};

const HELP = `usage: slimtrain bench [--suite gemm,conv,train,inference,sizes] [--threads 1,2] [--json] [--quick]

Runs the benchmark suite against TensorFlow.js in the same process (needs a clone of the
repository with its devDependencies: the benches live in bench/). --threads lists the kernel
thread counts gemm, conv and train measure (default 1).
`;

export const bench: Command = {
  name: 'bench',
  summary: 'run the benchmark suite (in a clone of the repository)',
  help: HELP,
  flags: BENCH_FLAGS,
  async run(argv: string[], io: CommandIo): Promise<number> {
    const v = parseFlags(argv, BENCH_FLAGS);
    if (v.help) {
      io.out(HELP);
      return 0;
    }
    const suites = v.suite ?? SUITES;
    const runner = fileURLToPath(new URL('../bench/run.mjs', import.meta.url));
    if (!existsSync(runner)) throw new SlimtrainError(`${runner} is missing: the benches ship with the repository, not the npm package`);
    for (const suite of suites) {
      const args = [runner, suite, ...(v.json ? ['--json'] : []), ...(v.quick ? ['--quick'] : []), ...(v.threads !== undefined && THREADED.includes(suite) ? ['--threads', String(v.threads)] : [])];
      const result = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
      io.out(result.stdout ?? '');
      if (result.status !== 0) return result.status ?? 1;
    }
    return 0;
  },
};

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UsageError, type Command, type CommandIo } from '../command.js';
import { parseFlags } from '../flags.js';

const SUITES = ['gemm', 'conv', 'train', 'inference', 'sizes'];
/** The suites that time kernels and take --threads (sizes only reads files). */
const THREADED = ['gemm', 'conv', 'train'];

const HELP = `usage: slimtrain bench [--suite gemm,conv,train,inference,sizes] [--threads 1,2] [--json] [--quick]

Runs the benchmark suite against TensorFlow.js in the same process (needs a clone of the
repository with its devDependencies: the benches live in bench/). --threads lists the kernel
thread counts gemm, conv and train measure (default 1).
`;

export const bench: Command = {
  name: 'bench',
  summary: 'run the benchmark suite (in a clone of the repository)',
  help: HELP,
  async run(argv: string[], io: CommandIo): Promise<number> {
    const v = parseFlags('bench', argv, { suite: { type: 'string' }, threads: { type: 'string' }, json: { type: 'boolean' }, quick: { type: 'boolean' } });
    if (v.help) {
      io.out(HELP);
      return 0;
    }
    const suites = String(v.suite ?? SUITES.join(',')).split(',');
    for (const s of suites) if (!SUITES.includes(s)) throw new UsageError(`--suite = ${JSON.stringify(v.suite)}: expected a comma-separated list of ${SUITES.join(', ')}`);
    const runner = fileURLToPath(new URL('../bench/run.mjs', import.meta.url));
    if (!existsSync(runner)) throw new UsageError(`slimtrain bench: ${runner} is missing: the benches ship with the repository, not the npm package`);
    for (const suite of suites) {
      const args = [runner, suite, ...(v.json ? ['--json'] : []), ...(v.quick ? ['--quick'] : []), ...(v.threads !== undefined && THREADED.includes(suite) ? ['--threads', String(v.threads)] : [])];
      const result = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
      io.out(result.stdout ?? '');
      if (result.status !== 0) return result.status ?? 1;
    }
    return 0;
  },
};

import { init } from '../../backend/engine.js';
import { supportsBuild } from '../../backend/load.js';
import type { Command, CommandIo } from '../command.js';
import { parseFlags } from '../flags.js';

const HELP = `usage: slimtrain info

Shows which kernel build this runtime runs and what it supports.
`;

export const info: Command = {
  name: 'info',
  summary: 'show the kernel build this runtime uses',
  help: HELP,
  flags: {},
  async run(argv: string[], io: CommandIo): Promise<number> {
    const v = parseFlags(argv, {});
    if (v.help) {
      io.out(HELP);
      return 0;
    }
    const engine = await init();
    io.out(`kernels: ${engine.kernels}\nthreads: ${engine.threads}\nsimd: ${supportsBuild('simd')}\nrelaxed simd: ${supportsBuild('relaxed')}\nnode: ${process.versions.node}\n`);
    engine.dispose();
    return 0;
  },
};

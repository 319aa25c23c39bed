#!/usr/bin/env node
// The `slimtrain` command. Commands are added one file each under src/cli/ as they land.
import { init } from '../backend/engine.js';

const USAGE = `usage: slimtrain <command> [options]

commands:
  info        show the kernel build this runtime uses and the engine's memory

options:
  --help      show this help
`;

async function main(argv: string[]): Promise<number> {
  const [command] = argv;
  if (command === undefined || command === '--help' || command === '-h') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (command === 'info') {
    const engine = await init();
    process.stdout.write(`kernels: ${engine.kernels}\nmemory: ${engine.arena.byteLength} bytes\n`);
    return 0;
  }
  process.stderr.write(`slimtrain: unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
  return 2;
}

process.exitCode = await main(process.argv.slice(2));

#!/usr/bin/env node
// The `slimtrain` command line: `slimtrain <command> [--flags]`; every command has --help.
import { isMainThread, workerData } from 'node:worker_threads';
import { SlimtrainError } from '../errors.js';
import { VERSION } from '../version.js';
import { SWEEP_WORKER_ROLE } from '../sweep/pool.js';
import { sweepWorkerMain } from '../sweep/worker.js';
import { UsageError, type CommandIo } from './command.js';
import { COMMANDS } from './commands/index.js';

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `usage: slimtrain <command> [options]

commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Run slimtrain <command> --help for a command's options; slimtrain --version prints the version.
`;
}

/** Runs the CLI; resolves to the exit code. Errors of ours print their message; bugs print a stack. */
export async function main(argv: string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(usage());
    return 0;
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    io.out(`${VERSION}\n`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.err(`slimtrain: unknown command ${JSON.stringify(name)}\n\n${usage()}`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`${e.message}\n(slimtrain ${name} --help lists the options)\n`);
      return 2;
    }
    if (e instanceof SlimtrainError) {
      io.err(`slimtrain ${name}: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

// The same bundle serves `slimtrain sweep`'s worker threads.
if (!isMainThread && (workerData as { role?: string } | null)?.role === SWEEP_WORKER_ROLE) {
  await sweepWorkerMain();
} else {
  process.exitCode = await main(process.argv.slice(2), {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    isTTY: process.stdout.isTTY === true,
    env: process.env,
  });
}

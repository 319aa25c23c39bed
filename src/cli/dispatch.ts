import { SlimtrainError } from '../errors.js';
import { UsageError, type CommandIo } from './command.js';
import { COMMANDS } from './commands/index.js';

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `usage: slimtrain <command> [options]

commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Run slimtrain <command> --help for a command's options.
`;
}

/**
 * Runs `slimtrain <command> [flags]`; resolves to the exit code: 0 done, 2 a usage error (a bad
 * flag, refused before any work), 1 any other error of ours (a runtime failure). Messages start
 * `slimtrain <command>: `; bugs (errors not of ours) propagate with their stack.
 *
 * @example
 * const code = await main(['train', '--epochs', '0'], { out, err, isTTY: false, env: process.env }); // 2
 */
export async function main(argv: string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(usage());
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
      io.err(`slimtrain ${name}: ${e.message}\n(slimtrain ${name} --help lists the options)\n`);
      return 2;
    }
    if (e instanceof SlimtrainError) {
      io.err(`slimtrain ${name}: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

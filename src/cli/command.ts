import { SlimtrainError } from '../errors.js';
import type { FlagTable } from './flags.js';

/** One `slimtrain <name>` command: a file in src/cli/commands/ and a line in src/cli/commands/index.ts. */
export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** The full `--help` text. */
  help: string;
  /** Every flag it takes, with how each value is checked (parseFlags checks them all before any work). */
  flags: FlagTable;
  /** Runs with the arguments after the command name; resolves to the exit code. */
  run(argv: string[], io: CommandIo): Promise<number>;
}

/** Where a command writes: the process's streams, or buffers in tests. */
export interface CommandIo {
  out: (text: string) => void;
  err: (text: string) => void;
  /** True when `out` is a terminal (progress redraws one line); false for pipes and files. */
  isTTY: boolean;
  env: Record<string, string | undefined>;
}

/**
 * A usage error: exits with code 2. The message names the flag, its value and what was expected
 * (`--epochs = "0": expected ...`); main puts `slimtrain <command>: ` before it.
 */
export class UsageError extends SlimtrainError {}

import { SlimtrainError } from '../errors.js';
import type { CommandIo } from './command.js';

export type StopSignal = 'SIGINT' | 'SIGTERM';

/** The conventional exit codes of a process stopped by a signal: 128 + its number. */
export const SIGNAL_EXIT_CODES: Record<StopSignal, number> = { SIGINT: 130, SIGTERM: 143 };

/** The reason an interrupted run's AbortSignal carries. */
export class InterruptedError extends SlimtrainError {
  constructor(readonly signal: StopSignal) {
    super(`interrupted by ${signal}`);
  }
}

/**
 * While a long run works: the first SIGINT or SIGTERM aborts `signal` (the run stops at its next
 * batch, writes its checkpoint if it has one, and exits with SIGNAL_EXIT_CODES); a second one
 * exits at once. `dispose` puts the default handlers back.
 *
 * @example
 * const stop = stopOnSignals(io);
 * try { await model.fit(x, y, { epochs, signal: stop.signal }); } finally { stop.dispose(); }
 */
export function stopOnSignals(io: CommandIo): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const handler = (signal: StopSignal) => {
    if (controller.signal.aborted) {
      io.err(`\n${signal} again: exiting now\n`);
      process.exit(SIGNAL_EXIT_CODES[signal]);
      return;
    }
    io.err(`\n${signal}: stopping after this batch (send it again to exit at once)\n`);
    controller.abort(new InterruptedError(signal));
  };
  const handlers = (['SIGINT', 'SIGTERM'] as const).map((s) => [s, () => handler(s)] as const);
  for (const [s, h] of handlers) process.on(s, h);
  return { signal: controller.signal, dispose: () => handlers.forEach(([s, h]) => process.off(s, h)) };
}

import { Worker } from 'node:worker_threads';
import { init } from '../backend/engine.js';
import type { SweepConfig, SweepRun } from './config.js';
import { executeSweepRun, type RunProgress, type SweepResult } from './run.js';
import { sweepDataLoader, type SweepReply, type SweepRequest } from './worker.js';

export interface PoolEvents {
  onStart(slot: number, run: SweepRun): void;
  onProgress(slot: number, run: SweepRun, progress: RunProgress): void;
  onResult(slot: number, result: SweepResult): void;
  onError(slot: number, run: SweepRun, error: Error): void;
}

/** The marker a worker thread's workerData carries, so the CLI entry knows to serve runs. */
export const SWEEP_WORKER_ROLE = 'slimtrain-sweep-worker';

/**
 * Runs the given runs on `jobs` worker threads started from `entry` (the CLI bundle), each taking
 * the next run when it finishes one; without an entry the runs go one after another in this thread.
 */
export async function runSweepPool(config: SweepConfig, runs: SweepRun[], jobs: number, entry: URL | null, events: PoolEvents): Promise<void> {
  if (!entry) {
    const engine = await init();
    const load = sweepDataLoader();
    for (const run of runs) {
      events.onStart(0, run);
      try {
        events.onResult(0, await executeSweepRun(engine, config, run, await load(config), (p) => events.onProgress(0, run, p)));
      } catch (e) {
        events.onError(0, run, e as Error);
      }
    }
    return;
  }
  const queue = [...runs];
  const slots = Array.from({ length: Math.min(jobs, runs.length) }, (_, slot) =>
    new Promise<void>((resolve) => {
      const worker = new Worker(entry, { workerData: { role: SWEEP_WORKER_ROLE } });
      let current: SweepRun | undefined;
      const next = () => {
        current = queue.shift();
        if (!current) {
          worker.postMessage({ type: 'exit' } satisfies SweepRequest);
          return;
        }
        events.onStart(slot, current);
        worker.postMessage({ type: 'run', config, run: current } satisfies SweepRequest);
      };
      worker.on('message', (reply: SweepReply) => {
        if (!current || reply.id !== current.id) return;
        if (reply.type === 'progress') events.onProgress(slot, current, reply.progress);
        else {
          if (reply.type === 'result') events.onResult(slot, reply.result);
          else events.onError(slot, current, Object.assign(new Error(reply.message), { name: reply.name, stack: reply.stack }));
          next();
        }
      });
      worker.on('error', (e) => {
        if (current) events.onError(slot, current, e);
        current = undefined;
      });
      worker.on('exit', (code) => {
        if (current) events.onError(slot, current, new Error(`the worker thread exited (code ${code}) during the run`));
        resolve();
      });
      next();
    }),
  );
  await Promise.all(slots);
}

import { Worker } from 'node:worker_threads';
import { init, MAX_KERNEL_THREADS } from '../backend/engine.js';
import { availableThreads } from '../backend/thread_pool.js';
import type { SweepConfig, SweepRun } from './config.js';
import { executeSweepRun, type RunProgress, type SweepResult } from './run.js';
import { runCheckpointPath } from './run_checkpoint_file.js';
import { runFileOptions, sweepDataLoader, type RunFiles, type RunStartFile, type SweepReply, type SweepRequest } from './worker.js';

export interface PoolEvents {
  onStart(slot: number, run: SweepRun): void;
  onProgress(slot: number, run: SweepRun, progress: RunProgress): void;
  /** A line about the run worth showing (resumed from its checkpoint, ...). */
  onNote(slot: number, run: SweepRun, text: string): void;
  onResult(slot: number, result: SweepResult): void;
  onError(slot: number, run: SweepRun, error: Error): void;
}

/** The marker a worker thread's workerData carries, so the CLI entry knows to serve runs. */
export const SWEEP_WORKER_ROLE = 'slimtrain-sweep-worker';

/** What a sweep worker thread is started with: its role and the kernel threads its engine runs. */
export interface SweepWorkerData {
  role: typeof SWEEP_WORKER_ROLE;
  kernelThreads: number;
}

/**
 * Where the runs checkpoint: DIR/<run>.ckpt every `everySteps` steps and at epoch ends (null: no
 * checkpoints); and `models`, the folder their final models are saved to (saveModels), if any.
 */
export type PoolCheckpoints = { dir: string; everySteps: number; models?: string | null } | null;

/**
 * The kernel threads each of `workers` sweep workers runs on: the cores shared out among them, so
 * a sweep with fewer runs left than cores still uses them all (any count gives the same bits).
 */
export function kernelThreadsPerWorker(workers: number): number {
  return Math.min(MAX_KERNEL_THREADS, Math.max(1, Math.floor(availableThreads().threads / workers)));
}

/** How a sweep pool runs: its workers, their kernel threads, where runs checkpoint, when to stop. */
export interface PoolOptions {
  /** Worker threads (at most one per run). */
  jobs: number;
  /** Kernel threads of each worker's engine (default: kernelThreadsPerWorker). */
  kernelThreads?: number;
  /** The CLI bundle the workers start from; null runs the runs one after another in this thread. */
  entry: URL | null;
  checkpoints?: PoolCheckpoints;
  /** The model file a run starts from (its method's start), or null; the sweep command resolves it from the source's row. */
  startOf?: (run: SweepRun) => RunStartFile | null;
  signal?: AbortSignal;
}

/**
 * Runs the given runs on `jobs` worker threads started from `entry` (the CLI bundle), each taking
 * the next run when it finishes one; without an entry the runs go one after another in this thread.
 * When `signal` aborts, no run starts any more and the running ones stop at their next batch, after
 * writing their checkpoints; each reports an error (RunStoppedError from a worker, the signal's
 * reason in this thread).
 */
export async function runSweepPool(config: SweepConfig, runs: SweepRun[], options: PoolOptions, events: PoolEvents): Promise<void> {
  const { jobs, entry, checkpoints = null, signal } = options;
  const filesOf = (run: SweepRun): RunFiles => ({
    checkpoint: checkpoints && { path: runCheckpointPath(checkpoints.dir, run.id), everySteps: checkpoints.everySteps },
    models: checkpoints?.models ?? null,
    start: options.startOf?.(run) ?? null,
  });
  if (!entry) {
    const engine = await init(options.kernelThreads === undefined ? {} : { threads: options.kernelThreads });
    const load = sweepDataLoader();
    for (const run of runs) {
      if (signal?.aborted) break;
      events.onStart(0, run);
      try {
        const options = { ...runFileOptions(run, filesOf(run)), ...(signal ? { signal } : {}), onNote: (text: string) => events.onNote(0, run, text) };
        events.onResult(0, await executeSweepRun(engine, config, run, await load(config), (p) => events.onProgress(0, run, p), options));
      } catch (e) {
        events.onError(0, run, e as Error);
      }
    }
    return;
  }
  const queue = [...runs];
  const workers: Worker[] = [];
  signal?.addEventListener('abort', () => {
    queue.length = 0;
    for (const w of workers) w.postMessage({ type: 'stop', reason: String(signal.reason?.message ?? signal.reason) } satisfies SweepRequest);
  }, { once: true });
  const workerCount = Math.min(jobs, runs.length);
  const kernelThreads = options.kernelThreads ?? kernelThreadsPerWorker(workerCount);
  const slots = Array.from({ length: workerCount }, (_, slot) =>
    new Promise<void>((resolve) => {
      const worker = new Worker(entry, { workerData: { role: SWEEP_WORKER_ROLE, kernelThreads } satisfies SweepWorkerData });
      workers.push(worker);
      let current: SweepRun | undefined;
      const next = () => {
        current = queue.shift();
        if (!current) {
          worker.postMessage({ type: 'exit' } satisfies SweepRequest);
          return;
        }
        events.onStart(slot, current);
        worker.postMessage({ type: 'run', config, run: current, files: filesOf(current) } satisfies SweepRequest);
      };
      worker.on('message', (reply: SweepReply) => {
        if (!current || reply.id !== current.id) return;
        if (reply.type === 'progress') events.onProgress(slot, current, reply.progress);
        else if (reply.type === 'note') events.onNote(slot, current, reply.text);
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

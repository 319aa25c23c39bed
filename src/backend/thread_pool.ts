import { SlimtrainError, UnsupportedError } from '../errors.js';
import type { WasmMemory, WasmModule } from './wasm_types.js';

/**
 * Worker threads that share the engine's WebAssembly memory and run kernel calls on it. The
 * calling thread hands each worker a task (a kernel export and its arguments) through a small
 * SharedArrayBuffer, runs its own share, and waits on Atomics until every worker is done. Tasks
 * split kernels by output elements (rows of a GEMM, images of an im2col, ranges of an optimizer
 * update), never by a reduction, so every thread count gives the same bits.
 *
 * Node: worker_threads (unref'd: an idle pool never keeps a process alive). Browsers and workers:
 * Web Workers from a Blob URL, used only where Atomics.wait is allowed (not on a page's main
 * thread) and the context is cross-origin isolated.
 */

/** Ints per worker slot in the control block: [seq, done, op, argc, error]. */
const SLOT_INTS = 16;
/** Doubles of arguments per worker slot: the longest pool kernel signature (sparseConvolution's 17) fits. */
const SLOT_ARGS = 20;

// The worker's side, as source text (it runs in a fresh Worker, without this module).
const WORKER_SOURCE = `
const start = (data, post) => {
  const { module, memory, control, slot, workers, ops } = data;
  const ctl = new Int32Array(control, slot * ${SLOT_INTS * 4}, ${SLOT_INTS});
  const args = new Float64Array(control, workers * ${SLOT_INTS * 4} + slot * ${SLOT_ARGS * 8}, ${SLOT_ARGS});
  WebAssembly.instantiate(module, { env: { memory } }).then((instance) => {
    const fns = ops.map((name) => instance.exports[name]);
    post('ready');
    let seen = 0;
    for (;;) {
      // Only a new sequence number is a task: a notify can arrive late (the caller preempted
      // between its add and its notify, while this thread already ran the task and came back to
      // wait), and must not run the same task again.
      let now;
      while ((now = Atomics.load(ctl, 0)) === seen) Atomics.wait(ctl, 0, seen);
      seen = now;
      const op = ctl[2];
      if (op < 0) break;
      try {
        fns[op](...args.subarray(0, ctl[3]));
        ctl[4] = 0;
      } catch (e) {
        ctl[4] = 1;
      }
      Atomics.store(ctl, 1, seen);
      Atomics.notify(ctl, 1);
    }
  }, (e) => post('failed: ' + e.message));
};
const nodeThreads = typeof process === 'object' && process.getBuiltinModule ? process.getBuiltinModule('node:worker_threads') : null;
if (nodeThreads && nodeThreads.parentPort) {
  start(nodeThreads.workerData, (m) => nodeThreads.parentPort.postMessage(m));
} else {
  self.onmessage = (e) => start(e.data, (m) => self.postMessage(m));
}
`;

type NodeWorker = { on(e: string, h: (v: never) => void): void; once(e: string, h: (v: never) => void): void; unref(): void; terminate(): Promise<number> };
type NodeProcess = { getBuiltinModule?(id: string): unknown };

/** The kernel exports a task may name. */
export const POOL_OPS = [
  'gemmRows', 'convGemmRows', 'convFilterGemmRows', 'convInputGemm', 'sparseMatmulRows', 'sparseConvolution', 'im2col', 'col2im',
  'sgdUpdate', 'momentumUpdate', 'adamUpdate', 'biasAdd', 'maxPoolForwardImages', 'maxPoolBackwardRange',
  'reluForward', 'reluBackward', 'leakyReluForward', 'leakyReluBackward', 'eluForward', 'eluBackward',
  'tanhForward', 'tanhBackward', 'sigmoidForward', 'sigmoidBackward', 'flushSubnormals',
  'fill', 'copy', 'scale', 'axpy', 'maskMultiply',
] as const;
export type PoolOp = (typeof POOL_OPS)[number];

export interface PoolTask {
  op: PoolOp;
  args: number[];
}

/** Threads the runtime allows for a pool here: 1 where blocking waits or shared memory are unavailable. */
export function availableThreads(): { threads: number; reason?: string } {
  const g = globalThis as { process?: NodeProcess; crossOriginIsolated?: boolean; navigator?: { hardwareConcurrency?: number }; WorkerGlobalScope?: unknown; document?: unknown };
  if (typeof SharedArrayBuffer === 'undefined') return { threads: 1, reason: 'SharedArrayBuffer is not available (the page is not cross-origin isolated: serve it with COOP/COEP headers)' };
  const os = g.process?.getBuiltinModule?.('node:os') as { availableParallelism?(): number; cpus(): unknown[] } | undefined;
  if (os) return { threads: os.availableParallelism?.() ?? os.cpus().length };
  if (g.crossOriginIsolated !== true) return { threads: 1, reason: 'the page is not cross-origin isolated (serve it with COOP/COEP headers)' };
  if (g.document !== undefined) return { threads: 1, reason: "a page's main thread cannot block on Atomics.wait: train in a worker (createTrainer) for threads" };
  return { threads: Math.max(1, g.navigator?.hardwareConcurrency ?? 1) };
}

export class ThreadPool {
  private readonly ctl: Int32Array;
  private readonly args: Float64Array;
  private disposed = false;

  private constructor(
    /** Threads in all, the calling one included. */
    readonly threads: number,
    private readonly workers: { terminate(): unknown }[],
    control: SharedArrayBuffer,
  ) {
    const n = threads - 1;
    this.ctl = new Int32Array(control, 0, n * SLOT_INTS);
    this.args = new Float64Array(control, n * SLOT_INTS * 4, n * SLOT_ARGS);
  }

  /** Starts threads - 1 workers on the module and shared memory; resolves when all are ready. */
  static async create(module: WasmModule, memory: WasmMemory, threads: number): Promise<ThreadPool> {
    const n = threads - 1;
    const control = new SharedArrayBuffer(n * (SLOT_INTS * 4 + SLOT_ARGS * 8));
    const workers: { terminate(): unknown }[] = [];
    const ready: Promise<void>[] = [];
    const g = globalThis as { process?: NodeProcess; Worker?: typeof Worker; Blob?: typeof Blob; URL?: typeof URL };
    const threadsModule = g.process?.getBuiltinModule?.('node:worker_threads') as
      | { Worker: new (code: string, options: { eval: true; workerData: unknown; execArgv: string[] }) => NodeWorker }
      | undefined;
    // None of the main script's flags (--input-type=module would change how the source runs; V8
    // flags are process-wide and apply to workers anyway).
    const execArgv: string[] = [];
    for (let slot = 0; slot < n; slot++) {
      const data = { module, memory, control, slot, workers: n, ops: [...POOL_OPS] };
      if (threadsModule) {
        const worker = new threadsModule.Worker(WORKER_SOURCE, { eval: true, workerData: data, execArgv });
        worker.unref();
        workers.push(worker);
        ready.push(new Promise((resolve, reject) => {
          worker.once('message', (m: string) => (m === 'ready' ? resolve() : reject(new SlimtrainError(`a kernel thread did not start: ${m}`))));
          worker.once('error', (e: Error) => reject(new SlimtrainError(`a kernel thread did not start: ${e.message}`)));
        }));
      } else if (g.Worker && g.Blob) {
        const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
        const worker = new g.Worker(url, { name: `slimtrain-kernels-${slot}` });
        URL.revokeObjectURL(url);
        workers.push(worker);
        ready.push(new Promise((resolve, reject) => {
          worker.onmessage = (e) => (e.data === 'ready' ? resolve() : reject(new SlimtrainError(`a kernel thread did not start: ${e.data}`)));
          worker.onerror = (e) => reject(new SlimtrainError(`a kernel thread did not start: ${e.message}`));
          worker.postMessage(data);
        }));
      } else {
        throw new UnsupportedError('threads: this runtime has neither node:worker_threads nor Web Workers');
      }
    }
    try {
      await Promise.all(ready);
    } catch (e) {
      for (const w of workers) void w.terminate();
      throw e;
    }
    return new ThreadPool(threads, workers, control);
  }

  /**
   * Runs tasks[0] with `local` on this thread and tasks[1..] on the workers (at most threads
   * tasks), and returns when all are done.
   */
  run(tasks: PoolTask[], local: (task: PoolTask) => void): void {
    if (this.disposed) throw new SlimtrainError('the engine\'s thread pool was disposed');
    const ctl = this.ctl;
    const started: number[] = [];
    for (let i = 1; i < tasks.length; i++) {
      const base = (i - 1) * SLOT_INTS;
      const a = (i - 1) * SLOT_ARGS;
      const { op, args } = tasks[i];
      // A longer list would run into the next worker's slot.
      if (args.length > SLOT_ARGS) throw new SlimtrainError(`thread pool: ${op} got ${args.length} arguments, more than the ${SLOT_ARGS} a slot holds`);
      for (let j = 0; j < args.length; j++) this.args[a + j] = args[j];
      ctl[base + 2] = POOL_OPS.indexOf(op);
      ctl[base + 3] = args.length;
      const seq = Atomics.add(ctl, base, 1) + 1;
      Atomics.notify(ctl, base);
      started.push(seq);
    }
    if (tasks.length) local(tasks[0]);
    for (let i = 1; i < tasks.length; i++) {
      const base = (i - 1) * SLOT_INTS;
      for (;;) {
        const done = Atomics.load(ctl, base + 1);
        if (done === started[i - 1]) break;
        if (Atomics.wait(ctl, base + 1, done, 60_000) === 'timed-out') {
          throw new SlimtrainError(`kernel thread ${i} did not finish ${tasks[i].op} within 60 s`);
        }
      }
      if (ctl[base + 4]) throw new SlimtrainError(`kernel thread ${i} failed in ${tasks[i].op} (a trap in the kernel)`);
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (let i = 0; i < this.threads - 1; i++) {
      const base = i * SLOT_INTS;
      this.ctl[base + 2] = -1;
      Atomics.add(this.ctl, base, 1);
      Atomics.notify(this.ctl, base);
    }
    for (const w of this.workers) void w.terminate();
  }
}

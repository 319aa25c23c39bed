import { knownKeys } from '../validate.js';
import { chooseBuild, compileKernels, type SimdOption, type WasmSource } from '../backend/load.js';
import { ArgumentError, SlimtrainError } from '../errors.js';
import type { LossName } from '../losses/loss.js';
import type { ModelSpec, NamedWeight, Targets } from '../model/sequential.js';
import type { OptimizerSpec } from '../optim/spec.js';
import type { ReduceOptions } from '../reduce/reduce.js';
import type { MeasureOptions } from '../sparsity/measure.js';
import type { History } from '../train/fit.js';
import { buffersOf, type Endpoint, type FitProgress, type ModelInfo, type Operation, type RemoteFitOptions, type ReplyMessage, type Requests, type SerializedError } from './protocol.js';
import { serveTrainer } from './server.js';

/** An error thrown inside the trainer, rebuilt on the calling side with its name, message and stack. */
export class TrainerError extends SlimtrainError {
  constructor(remote: SerializedError) {
    super(remote.message);
    this.name = remote.name;
    if (remote.stack) this.stack = remote.stack;
  }
}

/** The trainer's worker stopped (terminated, crashed or failed to load) while calls were pending. */
export class TrainerGoneError extends SlimtrainError {}

export interface CreateTrainerOptions {
  /**
   * Where the trainer runs: true (default) starts the package's worker script (a Web Worker in
   * browsers, a worker thread in Node); a URL or string names another worker script; a Worker
   * you created is used as it is; false runs it in this thread (same API, over a MessageChannel).
   */
  worker?: boolean | URL | string | Worker | { postMessage(m: unknown, t?: unknown[]): void };
  /** Kernel build, as init(). Default 'auto'. */
  simd?: SimdOption;
  /** Kernels from elsewhere, as init(): compiled here once and handed to the trainer as a module. */
  wasm?: WasmSource;
  /** Kernel threads inside the trainer, as init(). Default 'auto' (in browsers: when cross-origin isolated). */
  threads?: 'auto' | number;
}

/** fit's options on the client: the ones that cross to the trainer, and the callbacks that stay here. */
export interface FitCallOptions extends RemoteFitOptions {
  onProgress?: (p: FitProgress) => void;
  /** Aborting stops the fit between two batches; the call rejects with an AbortError. */
  signal?: AbortSignal;
  /** Move x and y to the trainer instead of copying them (they become unusable here). Default false. */
  transfer?: boolean;
}

/** The trainer as seen from the calling thread: the engine's operations, all asynchronous. */
export interface TrainerClient {
  /** The kernel build the trainer runs ('simd', 'relaxed', 'scalar'). */
  readonly kernels: string;
  /** Kernel threads the trainer runs. */
  readonly threads: number;
  build(spec: ModelSpec): Promise<ModelInfo>;
  compile(options: { optimizer: OptimizerSpec; loss?: LossName }): Promise<void>;
  fit(x: Float32Array, y: Targets, options: FitCallOptions): Promise<History>;
  evaluate(x: Float32Array, y: Targets, options?: { batchSize?: number }): Promise<{ loss: number; accuracy: number }>;
  predict(x: Float32Array, options?: { batchSize?: number }): Promise<Float32Array>;
  measureSparsity(options?: MeasureOptions): Promise<Requests['measureSparsity']['result']>;
  /** Replaces the trainer's model by its reduction; with `sample`, also compares the two (latency, logits). */
  reduce(options?: ReduceOptions & { sample?: Float32Array }): Promise<Requests['reduce']['result']>;
  getWeights(): Promise<NamedWeight[]>;
  setWeights(weights: NamedWeight[]): Promise<void>;
  /** The model as a slimtrain model file (bytes), to save or download. */
  exportModel(metadata?: Record<string, unknown>): Promise<Uint8Array>;
  importModel(bytes: Uint8Array): Promise<ModelInfo>;
  /** Test hook: makes the trainer throw (uncaught: crash the worker). */
  fail(message: string, options?: { uncaught?: boolean }): Promise<void>;
  /** Frees the trainer's model and engine and stops its worker; pending calls reject. */
  terminate(): Promise<void>;
}

type NodeWorker = {
  postMessage(m: unknown, t?: readonly unknown[]): void;
  on(event: string, handler: (value: never) => void): void;
  terminate(): Promise<number>;
};
type NodeProcess = { getBuiltinModule?(id: string): unknown };

/** A Web Worker or a Node worker thread as an Endpoint, with its failure and exit events. */
function workerEndpoint(worker: Worker | NodeWorker, onGone: (message: string) => void): Endpoint & { terminate(): void } {
  if ('on' in worker) {
    worker.on('error', (e: Error) => onGone(`the trainer's worker crashed: ${e.name}: ${e.message}`));
    worker.on('exit', (code: number) => onGone(`the trainer's worker exited (code ${code})`));
    return {
      post: (m, t) => worker.postMessage(m, t),
      listen: (h) => worker.on('message', (m: unknown) => h(m)),
      terminate: () => void worker.terminate(),
    };
  }
  worker.addEventListener('error', (e) => {
    e.preventDefault?.();
    onGone(`the trainer's worker crashed: ${(e as ErrorEvent).message || 'a script error (the worker could not load or threw)'}`);
  });
  worker.addEventListener('messageerror', () => onGone("the trainer's worker sent a message that could not be read"));
  return {
    post: (m, t) => worker.postMessage(m, (t ?? []) as Transferable[]),
    listen: (h) => worker.addEventListener('message', (e) => h((e as MessageEvent).data)),
    terminate: () => worker.terminate(),
  };
}

function startWorker(url: URL | string): Worker | NodeWorker {
  if (typeof Worker === 'function') return new Worker(url, { type: 'module', name: 'slimtrain-trainer' });
  const process = (globalThis as { process?: NodeProcess & { execArgv?: string[] } }).process;
  const threads = process?.getBuiltinModule?.('node:worker_threads') as
    | { Worker: new (url: URL | string, options: { execArgv: string[] }) => NodeWorker }
    | undefined;
  if (!threads) throw new SlimtrainError('createTrainer: this runtime has neither Web Workers nor node:worker_threads; pass worker: false');
  // Not the main script's flags (--input-type=module would change how the worker script runs; V8
  // flags are process-wide and reach the worker anyway).
  const execArgv: string[] = [];
  return new threads.Worker(typeof url === 'string' && !url.includes('://') ? url : new URL(url), { execArgv });
}

/**
 * Starts a trainer and returns its client. The kernels are compiled once here and the compiled
 * WebAssembly.Module is handed to the trainer, which instantiates it on its own memory.
 *
 * @example
 * const trainer = await createTrainer();              // a worker: the page stays responsive
 * await trainer.build(presetSpec('lenet-300-100', [784], 10, 1));
 * await trainer.compile({ optimizer: { type: 'adam', transforms: [{ type: 'l2', lambda: 1e-4 }] } });
 * await trainer.fit(x, y, { epochs: 2, onProgress: (p) => console.log(p.step, p.loss) });
 */
export async function createTrainer(options: CreateTrainerOptions = {}): Promise<TrainerClient> {
  if (options === null || typeof options !== 'object') throw new ArgumentError('createTrainer options', options, '{ worker?, simd?, wasm?, threads? }');
  knownKeys('createTrainer options', options, ['worker', 'simd', 'wasm', 'threads']);
  const choice = options.worker ?? true;
  const simd = options.simd ?? 'auto';
  const build = options.wasm === undefined ? chooseBuild(simd) : simd === 'relaxed' || simd === 'fastest' ? 'relaxed' : simd === 'none' ? 'scalar' : 'simd';
  const module = await compileKernels(build, options.wasm);

  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void; progress?: (p: FitProgress) => void }>();
  let gone: string | null = null;
  const onGone = (message: string) => {
    if (gone) return;
    gone = message;
    for (const p of pending.values()) p.reject(new TrainerGoneError(message));
    pending.clear();
  };

  let endpoint: Endpoint & { terminate(): void };
  if (choice === false) {
    const channel = new MessageChannel();
    const server = serveTrainer({ post: (m, t) => channel.port2.postMessage(m, (t ?? []) as Transferable[]), listen: (h) => (channel.port2.onmessage = (e) => h(e.data)) });
    endpoint = {
      post: (m, t) => channel.port1.postMessage(m, (t ?? []) as Transferable[]),
      listen: (h) => (channel.port1.onmessage = (e) => h(e.data)),
      terminate: () => {
        server.close();
        channel.port1.close();
      },
    };
  } else if (choice === true || typeof choice === 'string' || choice instanceof URL) {
    const url = choice === true ? new URL('./worker.js', import.meta.url) : choice;
    endpoint = workerEndpoint(startWorker(url), onGone);
  } else if (choice && typeof choice === 'object' && typeof (choice as { postMessage?: unknown }).postMessage === 'function') {
    endpoint = workerEndpoint(choice as Worker | NodeWorker, onGone);
  } else {
    throw new ArgumentError('createTrainer.worker', choice, 'true, false, a worker script URL or a Worker');
  }

  endpoint.listen((data) => {
    const message = data as ReplyMessage;
    const call = pending.get(message?.id);
    if (!call) return;
    if (message.kind === 'progress') call.progress?.(message.progress);
    else {
      pending.delete(message.id);
      if (message.kind === 'result') call.resolve(message.result);
      else call.reject(new TrainerError(message.error));
    }
  });

  let nextId = 1;
  function request<K extends Operation>(op: K, args: Requests[K]['args'], transfer: Transferable[] = [], progress?: (p: FitProgress) => void): Promise<Requests[K]['result']> & { id: number } {
    const id = nextId++;
    const promise = new Promise<Requests[K]['result']>((resolve, reject) => {
      if (gone) return reject(new TrainerGoneError(gone));
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject, progress });
      try {
        endpoint.post({ kind: 'request', id, op, args }, transfer);
      } catch (e) {
        pending.delete(id);
        reject(e as Error);
      }
    });
    return Object.assign(promise, { id });
  }

  const started = await request('init', { module, simd, ...(options.threads !== undefined ? { threads: options.threads } : {}) });
  const move = (transfer: boolean | undefined, ...values: unknown[]) => (transfer ? values.flatMap((v) => buffersOf(v)) : []);

  return {
    kernels: started.kernels,
    threads: started.threads,
    build: (spec) => request('build', { spec }),
    compile: (options) => request('compile', options),
    fit(x, y, fitOptions) {
      if (fitOptions === null || typeof fitOptions !== 'object') return Promise.reject(new ArgumentError('fit options', fitOptions, '{ epochs, ... }'));
      const { onProgress, signal, transfer, ...rest } = fitOptions;
      if (signal?.aborted) return Promise.reject(signal.reason ?? new DOMException('fit was aborted', 'AbortError'));
      const call = request('fit', { x, y, options: rest }, move(transfer, x, y), onProgress);
      if (signal) {
        const abort = () => void request('abort', { target: call.id, reason: String(signal.reason?.message ?? signal.reason ?? 'fit was aborted') }).catch(() => {});
        signal.addEventListener('abort', abort, { once: true });
        void call.finally(() => signal.removeEventListener('abort', abort)).catch(() => {});
      }
      return call;
    },
    // Checked here: the request carries batchSize beside the data, not the options object.
    evaluate: async (x, y, o = {}) => (knownKeys('evaluate options', o, ['batchSize']), request('evaluate', { x, y, ...(o.batchSize !== undefined ? { batchSize: o.batchSize } : {}) })),
    predict: async (x, o = {}) => (knownKeys('predict options', o, ['batchSize']), request('predict', { x, ...(o.batchSize !== undefined ? { batchSize: o.batchSize } : {}) })),
    measureSparsity: (o) => request('measureSparsity', { ...(o ? { options: o } : {}) }),
    reduce(o = {}) {
      const { sample, ...reduceOptions } = o;
      return request('reduce', { options: reduceOptions, ...(sample ? { sample } : {}) });
    },
    getWeights: () => request('getWeights', {}),
    setWeights: (weights) => request('setWeights', { weights }),
    exportModel: (metadata) => request('exportModel', { ...(metadata ? { metadata } : {}) }),
    importModel: (bytes) => request('importModel', { bytes }),
    fail: (message, o = {}) => request('fail', { message, ...(o.uncaught ? { uncaught: true } : {}) }),
    async terminate() {
      // Pending calls reject at once; a worker is stopped (its memory goes with it), an in-thread
      // trainer stops its fit at the next batch and frees its engine.
      onGone('the trainer was terminated');
      endpoint.terminate();
    },
  };
}

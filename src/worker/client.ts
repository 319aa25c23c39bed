import { knownKeys } from '../validate.js';
import { chooseBuild, compileKernels, type SimdOption, type WasmSource } from '../backend/load.js';
import { ArgumentError, SlimtrainError } from '../errors.js';
import type { SparseMode } from '../layers/sparse_kernel.js';
import type { LossAlias, LossName } from '../losses/loss.js';
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

/**
 * What createTrainer needs of a Web Worker. Structural, so that the declarations need no DOM lib:
 * a DOM `Worker` is one.
 */
export interface WebWorkerLike {
  postMessage(message: unknown, transfer: unknown[]): void;
  addEventListener(type: string, listener: (event: never) => void): void;
  terminate(): void;
}

/** What createTrainer needs of a Node worker thread (`new Worker(...)` of node:worker_threads is one). */
export interface NodeWorkerLike {
  postMessage(message: unknown, transfer?: readonly unknown[]): void;
  on(event: string, handler: (value: never) => void): unknown;
  terminate(): unknown;
}

/** A worker createTrainer can talk to: a Web Worker or a Node worker thread. */
export type WorkerLike = WebWorkerLike | NodeWorkerLike;

/**
 * Where the trainer runs, as createTrainer's `worker` option:
 * - `true` (default): the package's worker script, `new URL('./worker.js', import.meta.url)` beside
 *   the package's code: right without a bundler and with Vite and webpack, which copy it; not
 *   after esbuild, which leaves the URL pointing at a file it did not emit;
 * - a URL or string: the worker script at that address (your build of `slimtrain/worker`);
 * - a Worker (or Node worker thread) you started on such a script, used as it is;
 * - a function returning one: called once, by createTrainer (the form bundlers recognise:
 *   `() => new Worker(new URL('./trainer.worker.js', import.meta.url), { type: 'module' })`);
 * - `false`: in this thread (same API, over a MessageChannel).
 */
export type TrainerWorkerOption = boolean | URL | string | WorkerLike | (() => WorkerLike);

/** Options of createTrainer. Every field is optional. */
export interface CreateTrainerOptions {
  /** Where the trainer runs: see TrainerWorkerOption. Default true (the package's worker script). */
  worker?: TrainerWorkerOption;
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
  /** Why 'auto' gave the trainer one thread (as Engine.threadsReason); undefined otherwise. */
  readonly threadsReason?: string;
  build(spec: ModelSpec): Promise<ModelInfo>;
  /** As Sequential.compile, with the optimizer as JSON (an OptimizerSpec, or a type such as 'adam'). */
  compile(options: { optimizer: OptimizerSpec | string; loss?: LossName | LossAlias }): Promise<void>;
  fit(x: Float32Array, y: Targets, options?: FitCallOptions): Promise<History>;
  evaluate(x: Float32Array, y: Targets, options?: { batchSize?: number }): Promise<{ loss: number; accuracy: number }>;
  /**
   * Logits, or with `probabilities: true` a classifier's softmax of them, as Sequential.predict,
   * run by an inference copy of the model that picks per layer the dense or the sparse kernel
   * (`sparse`, default 'auto', as toInference): a pruned model predicts at its sparse speed. The
   * copy is made once per change of the weights (fit, setWeights, reduce, a new model). With
   * 'never' the predictions are the training model's, bit for bit; otherwise they agree with them
   * to about 1e-6 relative (the sparse kernels sum in another order).
   */
  predict(x: Float32Array, options?: { batchSize?: number; probabilities?: boolean; sparse?: SparseMode }): Promise<Float32Array>;
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

type NodeProcess = { getBuiltinModule?(id: string): unknown };

/** The fix a failed worker load calls for, named in the error. */
const WORKER_FIX =
  "pass createTrainer({ worker }) the URL where slimtrain/worker's script is served, a Worker started on it, or a function " +
  "that starts one (esbuild does not follow new URL(..., import.meta.url): build slimtrain/worker as an entry of its own; " +
  'see the README, "Browsers, with a bundler")';

/**
 * A Web Worker or a Node worker thread as an Endpoint, with its failure and exit events; `source`
 * says what was started (the script's URL), for the error when it cannot load.
 */
function workerEndpoint(worker: WorkerLike, source: string, onGone: (message: string) => void): Endpoint & { terminate(): void } {
  if ('on' in worker) {
    worker.on('error', (e: Error) => onGone(`the trainer's worker (${source}) crashed: ${e.name}: ${e.message}${/not found|cannot find/i.test(e.message) ? `; ${WORKER_FIX}` : ''}`));
    worker.on('exit', (code: number) => onGone(`the trainer's worker (${source}) exited (code ${code})`));
    return {
      post: (m, t) => worker.postMessage(m, t),
      listen: (h) => void worker.on('message', (m: unknown) => h(m)),
      terminate: () => void worker.terminate(),
    };
  }
  worker.addEventListener('error', (e: { message?: string; preventDefault?(): void }) => {
    e.preventDefault?.();
    // A script that failed to load (404, not JavaScript, a bundler's missing file) gives an error
    // event with no message; one that threw gives its message.
    onGone(e.message ? `the trainer's worker (${source}) crashed: ${e.message}` : `the trainer's worker could not load from ${source}: ${WORKER_FIX}`);
  });
  worker.addEventListener('messageerror', () => onGone(`the trainer's worker (${source}) sent a message that could not be read`));
  return {
    post: (m, t) => worker.postMessage(m, (t ?? []) as unknown[]),
    listen: (h) => worker.addEventListener('message', (e: { data: unknown }) => h(e.data)),
    terminate: () => worker.terminate(),
  };
}

function startWorker(url: URL | string): WorkerLike {
  const g = globalThis as { Worker?: new (url: URL | string, options: { type: 'module'; name: string }) => WebWorkerLike; process?: NodeProcess };
  if (typeof g.Worker === 'function') return new g.Worker(url, { type: 'module', name: 'slimtrain-trainer' });
  const threads = g.process?.getBuiltinModule?.('node:worker_threads') as
    | { Worker: new (url: URL | string, options: { execArgv: string[] }) => NodeWorkerLike }
    | undefined;
  if (!threads) throw new SlimtrainError('createTrainer: this runtime has neither Web Workers nor node:worker_threads; pass worker: false');
  // Not the main script's flags (--input-type=module would change how the worker script runs; V8
  // flags are process-wide and reach the worker anyway).
  const execArgv: string[] = [];
  return new threads.Worker(typeof url === 'string' && !url.includes('://') ? url : new URL(url), { execArgv });
}

function isWorkerLike(value: unknown): value is WorkerLike {
  return typeof value === 'object' && value !== null && typeof (value as { postMessage?: unknown }).postMessage === 'function';
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
    endpoint = workerEndpoint(startWorker(url), String(url), onGone);
  } else if (isWorkerLike(choice)) {
    endpoint = workerEndpoint(choice, 'the Worker passed as createTrainer({ worker })', onGone);
  } else if (typeof choice === 'function') {
    const made: unknown = choice();
    if (!isWorkerLike(made)) throw new ArgumentError('createTrainer.worker()', made, 'a Worker (the function must return the worker it starts)');
    endpoint = workerEndpoint(made, 'the Worker from createTrainer({ worker })', onGone);
  } else {
    throw new ArgumentError('createTrainer.worker', choice, 'true, false, a worker script URL, a Worker or a function that returns one');
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
    ...(started.threadsReason ? { threadsReason: started.threadsReason } : {}),
    build: (spec) => request('build', { spec }),
    compile: (options) => request('compile', options),
    fit(x, y, fitOptions = {}) {
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
    predict: async (x, o = {}) => (
      knownKeys('predict options', o, ['batchSize', 'probabilities', 'sparse']),
      request('predict', {
        x, ...(o.batchSize !== undefined ? { batchSize: o.batchSize } : {}), ...(o.probabilities !== undefined ? { probabilities: o.probabilities } : {}),
        ...(o.sparse !== undefined ? { sparse: o.sparse } : {}),
      })
    ),
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

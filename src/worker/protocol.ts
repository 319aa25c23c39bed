// The message protocol between a TrainerClient and the trainer it drives (in a Web Worker, a Node
// worker thread, or the same thread over a MessageChannel). Every request carries an id; the
// trainer answers it once with a result or an error, and may send progress events under the same
// id before that (fit). Large arrays travel as transferable buffers.
import type { LossAlias, LossName } from '../losses/loss.js';
import type { ModelSpec, NamedWeight, Targets } from '../model/sequential.js';
import type { OptimizerSpec } from '../optim/spec.js';
import type { ReduceOptions, ReductionRecord } from '../reduce/reduce.js';
import type { ReductionReport } from '../reduce/report.js';
import type { MeasureOptions, SparsityReport } from '../sparsity/measure.js';
import type { EpochLog, History } from '../train/fit.js';
import type { LiveCut, LiveReductionOptions } from '../reduce/live.js';
import type { SimdOption } from '../backend/load.js';
import type { WasmModule } from '../backend/wasm_types.js';
import type { SparseMode } from '../layers/sparse_kernel.js';

/** The fit options that cross the boundary (callbacks and the signal stay on the client). */
export interface RemoteFitOptions {
  /** Default 1. */
  epochs?: number;
  batchSize?: number;
  shuffle?: boolean;
  seed?: number;
  validationSplit?: number;
  validationData?: { x: Float32Array; y: Targets };
  earlyStopping?: { monitor?: 'loss' | 'accuracy' | 'valLoss' | 'valAccuracy'; patience: number; minDelta?: number; restoreBestWeights?: boolean };
  yieldEveryMs?: number;
  /** Minimum milliseconds between progress events. Default 100; 0 sends one per batch. */
  progressEveryMs?: number;
  /** Live reduction (fit's `reduce` option): each cut is sent at once as a progress event with `reduction`. */
  reduce?: LiveReductionOptions;
  /**
   * Measure group sparsity (measureSparsity, default options) after every epoch, on that epoch's
   * weights, and send it with the epoch's last progress event. Default false.
   */
  measureSparsity?: boolean;
}

/** A fit's progress, at most every progressEveryMs and at the end of every epoch. */
export interface FitProgress {
  epoch: number;
  epochs: number;
  /** Batch within the epoch, and batches per epoch. */
  batch: number;
  batches: number;
  /** Optimizer steps so far (the model's step counter). */
  step: number;
  /** The last batch's loss: dataLoss (the loss function) + penalty (the regularisers'). */
  loss: number;
  dataLoss: number;
  penalty: number;
  accuracy: number;
  samplesPerSecond: number;
  /** Estimated seconds left in the fit. */
  eta: number;
  /** The network's size now: parameters and forward FLOPs per sample (both fall at a live-reduction cut). */
  parameters: number;
  flops: number;
  /** On the event a live-reduction cut sends, right after it: what the cut removed. */
  reduction?: LiveCut;
  /** Present on the event that ends an epoch. */
  epochLog?: EpochLog;
  /** On the event that ends an epoch, when the fit asked for measureSparsity. */
  sparsity?: SparsityReport;
}

/** What `build` and `importModel` answer: the model as the trainer holds it. */
export interface ModelInfo {
  parameterCount: number;
  flops: number;
  inputShape: number[];
  outputShape: number[];
  summary: string;
  spec: ModelSpec;
}

export interface Requests {
  init: { args: { module?: WasmModule; simd?: SimdOption; threads?: 'auto' | number }; result: { kernels: string; threads: number; threadsReason?: string } };
  build: { args: { spec: ModelSpec }; result: ModelInfo };
  compile: { args: { optimizer: OptimizerSpec | string; loss?: LossName | LossAlias }; result: void };
  fit: { args: { x: Float32Array; y: Targets; options: RemoteFitOptions }; result: History };
  abort: { args: { target: number; reason: string }; result: void };
  evaluate: { args: { x: Float32Array; y: Targets; batchSize?: number }; result: { loss: number; accuracy: number } };
  predict: { args: { x: Float32Array; batchSize?: number; probabilities?: boolean; sparse?: SparseMode }; result: Float32Array };
  measureSparsity: { args: { options?: MeasureOptions }; result: SparsityReport };
  reduce: { args: { options?: ReduceOptions; sample?: Float32Array }; result: { record: ReductionRecord; report: ReductionReport | null; model: ModelInfo } };
  getWeights: { args: Record<string, never>; result: NamedWeight[] };
  setWeights: { args: { weights: NamedWeight[] }; result: void };
  exportModel: { args: { metadata?: Record<string, unknown> }; result: Uint8Array };
  importModel: { args: { bytes: Uint8Array }; result: ModelInfo };
  /** Test hook: throws inside the trainer (an uncaught error when `uncaught`), to exercise crash handling. */
  fail: { args: { message: string; uncaught?: boolean }; result: void };
  dispose: { args: Record<string, never>; result: void };
}

export type Operation = keyof Requests;

export interface RequestMessage<K extends Operation = Operation> {
  kind: 'request';
  id: number;
  op: K;
  args: Requests[K]['args'];
}

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
}

export type ReplyMessage =
  | { kind: 'result'; id: number; result: unknown }
  | { kind: 'error'; id: number; error: SerializedError }
  | { kind: 'progress'; id: number; progress: FitProgress };

/** The two ends' common ground: a Web Worker, `self` in a worker, a MessagePort, a Node worker or its parentPort. */
export interface Endpoint {
  post(message: unknown, transfer?: unknown[]): void;
  listen(handler: (message: unknown) => void): void;
}

/** The buffers of typed arrays in a value (one level into arrays and objects), deduplicated, for transfer. */
export function buffersOf(value: unknown, out = new Set<ArrayBuffer>(), depth = 0): ArrayBuffer[] {
  if (ArrayBuffer.isView(value)) {
    if (value.buffer instanceof ArrayBuffer && value.byteLength === value.buffer.byteLength) out.add(value.buffer);
  } else if (depth < 3 && value !== null && typeof value === 'object') {
    for (const v of Array.isArray(value) ? value : Object.values(value)) buffersOf(v, out, depth + 1);
  }
  return [...out];
}

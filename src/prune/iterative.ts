import { ArgumentError } from '../errors.js';
import { checkSelector, type Selector } from '../model/param_set.js';
import type { NamedWeight, Sequential, Targets } from '../model/sequential.js';
import { decodeCheckpoint } from '../io/checkpoint.js';
import type { BatchLog, FitOptions } from '../train/fit.js';
import { knownKeys, nonNegativeInt, numberIn, oneOf, positiveInt } from '../validate.js';
import { magnitudePrune, maskOf } from './magnitude.js';

/** Options of iterativePruning (method 2: prune while the accuracy holds). */
export interface IterativePruningOptions {
  /** Validation rows scored every `interval` batches (one of validationData / validationSplit is required). */
  validationData?: { x: Float32Array; y: Targets };
  /** Holds out this fraction of the rows (the last ones) for validation. */
  validationSplit?: number;
  /** Batches between evaluations (and prunes). */
  interval: number;
  /** Fraction of the remaining weights removed at each prune, smallest |w| first. Default 0.04. */
  fraction?: number;
  /** Validation accuracy (0..1) at or above which the model is pruned further. */
  floor: number;
  /** Stop after this many evaluations without a sparser model at or above the floor, counted from the first time it is met (0: never). Default 10. */
  patience?: number;
  /** Upper bound on training: epochs (the warm-up's included). */
  epochs: number;
  /** Plain training before the first evaluation: no evaluation and no prune in the first this many epochs. Default 0. */
  warmupEpochs?: number;
  batchSize?: number;
  seed?: number;
  /** 'global' (default, as the paper): one ranking over all selected tensors; 'layer': per tensor. */
  scope?: 'global' | 'layer';
  /** Which tensors to prune. Default: kernels. */
  selector?: Selector;
  /** Put the best checkpoint back into the model at the end. Default true. */
  restoreBest?: boolean;
  onEvaluation?: (e: PruningEvaluation) => void;
  onBatchEnd?: (log: BatchLog) => void;
  signal?: AbortSignal;
  yieldEveryMs?: number;
  /**
   * Checkpoints as fit's option does; the loop's own state (its evaluations, patience count and
   * best model so far) rides in the checkpoint's metadata under `iterativePruning`.
   */
  checkpoint?: FitOptions['checkpoint'];
  /** A checkpoint taken by this option's `checkpoint`: the loop continues bit-identically. */
  resume?: Uint8Array;
}

/** The loop's state in a checkpoint's metadata: JSON, with floats as their uint32 bit patterns (exact, -0 included). */
interface LoopState {
  evaluations: PruningEvaluation[];
  sinceBest: number;
  best: {
    step: number; valAccuracy: number; remaining: number; kept: number; total: number;
    weights: { name: string; shape: number[]; bits: number[] }[];
    /** Per tensor with a pruned weight: its 0/1 mask packed 32 to a number, lowest bit first. */
    masks: Record<string, { size: number; packed: number[] }>;
  } | null;
}

const floatBits = (v: Float32Array): number[] => Array.from(new Uint32Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength) as ArrayBuffer));
const bitsFloat = (bits: number[]): Float32Array => new Float32Array(Uint32Array.from(bits).buffer);

function packMask(mask: Float32Array): { size: number; packed: number[] } {
  const packed = new Array<number>(Math.ceil(mask.length / 32)).fill(0);
  for (let i = 0; i < mask.length; i++) if (mask[i] !== 0) packed[i >>> 5] = (packed[i >>> 5] | (1 << (i & 31))) >>> 0;
  return { size: mask.length, packed };
}

function unpackMask({ size, packed }: { size: number; packed: number[] }): Float32Array {
  const mask = new Float32Array(size);
  for (let i = 0; i < size; i++) mask[i] = (packed[i >>> 5] >>> (i & 31)) & 1;
  return mask;
}

/** One evaluation of iterativePruning: sparsity and accuracy after a pruning round. */
export interface PruningEvaluation {
  /** Optimizer steps so far. */
  step: number;
  epoch: number;
  valAccuracy: number;
  /** Fraction of the selected weights kept when evaluated (before any prune at this evaluation). */
  remaining: number;
  /** True when this evaluation met the floor, so the model was then pruned. */
  pruned: boolean;
}

/** What iterativePruning resolves to: the sparsest evaluation above the floor (with restoreBest, restored into the model), every evaluation, and what stopped the loop. */
export interface IterativePruningResult {
  /** The sparsest evaluated model whose validation accuracy met the floor (null if none did). */
  best: { step: number; valAccuracy: number; remaining: number; kept: number; total: number } | null;
  evaluations: PruningEvaluation[];
  stoppedBy: 'patience' | 'epochs';
}

/**
 * The iterative prune-while-accuracy-holds loop of method 2 (Bonetta et al. 2022): train, and every
 * `interval` batches score the validation rows; when accuracy is at or above `floor`, remember the
 * model as a checkpoint if it is the sparsest so far to meet the floor, then remove `fraction` of the
 * remaining weights with the smallest |w| (held at zero from then on by the chain's weightMask).
 * Training stops when `patience` evaluations pass without a new best checkpoint (counted once the
 * floor has been met), or after `epochs`. With `warmupEpochs` the first epochs train plainly (the
 * authors start the loop from a dense model trained first).
 * The best checkpoint (weights and masks) is restored at the end. With `checkpoint` the run is
 * saved as fit saves it, the loop's state included, and `resume` continues it bit-identically.
 *
 * The model must be compiled with a weightMask in its chain, e.g.
 * chain(selectiveDecay({ gamma: 1e-3, decaySteps: interval }), adam({ lr: 1e-3 }), weightMask()).
 *
 * @example
 * const result = await iterativePruning(model, train.x, train.y, {
 *   validationSplit: 1 / 12, interval: 500, fraction: 0.04, floor: 0.98, patience: 10, epochs: 30, batchSize: 100 });
 * console.log(result.best?.remaining);
 */
export async function iterativePruning(model: Sequential, x: Float32Array, y: Targets, options: IterativePruningOptions): Promise<IterativePruningResult> {
  if (options === null || typeof options !== 'object') throw new ArgumentError('options', options, '{ interval, floor, epochs, validationData | validationSplit, ... }');
  knownKeys('iterativePruning', options, [
    'validationData', 'validationSplit', 'interval', 'fraction', 'floor', 'patience', 'epochs', 'warmupEpochs', 'batchSize', 'seed', 'scope', 'selector', 'restoreBest',
    'onEvaluation', 'onBatchEnd', 'signal', 'yieldEveryMs', 'checkpoint', 'resume',
  ]);
  const interval = positiveInt('iterativePruning.interval', options.interval);
  const fraction = numberIn('iterativePruning.fraction', options.fraction ?? 0.04, 0, 1, { openLow: true, openHigh: true });
  const floor = numberIn('iterativePruning.floor', options.floor, 0, 1);
  const patience = nonNegativeInt('iterativePruning.patience', options.patience ?? 10);
  const warmupEpochs = nonNegativeInt('iterativePruning.warmupEpochs', options.warmupEpochs ?? 0);
  if (warmupEpochs >= options.epochs) throw new ArgumentError('iterativePruning.warmupEpochs', warmupEpochs, `fewer than the ${options.epochs} epochs, else the loop never evaluates`);
  const scope = oneOf('iterativePruning.scope', options.scope ?? 'global', ['global', 'layer'] as const);
  const selector = checkSelector('iterativePruning.selector', options.selector);
  const mask = maskOf(model);
  if (!mask) {
    throw new ArgumentError('model optimizer', model.optimizer?.transforms.map((t) => t.name) ?? null, 'a chain with a weightMask(), e.g. chain(adam(), weightMask())');
  }

  let trainX = x;
  let trainY = y;
  let validation = options.validationData;
  if (options.validationSplit !== undefined) {
    if (validation) throw new ArgumentError('iterativePruning.validationSplit', options.validationSplit, 'not both validationSplit and validationData');
    const split = numberIn('iterativePruning.validationSplit', options.validationSplit, 0, 1, { openLow: true, openHigh: true });
    const total = x.length / model.inputSize;
    const held = Math.floor(total * split);
    if (held < 1 || held >= total) throw new ArgumentError('iterativePruning.validationSplit', split, `a fraction that leaves both parts non-empty (${total} samples)`);
    const perTarget = y.length / total;
    trainX = x.subarray(0, (total - held) * model.inputSize);
    validation = { x: x.subarray((total - held) * model.inputSize), y: y.slice((total - held) * perTarget) as Targets };
    trainY = y.slice(0, (total - held) * perTarget) as Targets;
  }
  if (!validation) throw new ArgumentError('iterativePruning.validationData', undefined, 'validation rows: validationData or validationSplit');

  type Checkpoint = NonNullable<IterativePruningResult['best']> & { weights: NamedWeight[]; masks: Record<string, Float32Array> };
  const evaluations: PruningEvaluation[] = [];
  const saved: { best: Checkpoint | null } = { best: null };
  let sinceBest = 0;
  const batchSize = options.batchSize ?? 32;
  let stoppedBy: IterativePruningResult['stoppedBy'] = 'epochs';

  if (options.resume !== undefined) {
    if (!(options.resume instanceof Uint8Array)) throw new ArgumentError('iterativePruning.resume', options.resume, "a checkpoint's bytes (Uint8Array)");
    const state = decodeCheckpoint(options.resume, 'resume').manifest.metadata.iterativePruning as LoopState | undefined;
    if (!state) throw new ArgumentError('iterativePruning.resume', 'a checkpoint without the loop\'s state', 'a checkpoint taken by iterativePruning');
    evaluations.push(...state.evaluations);
    sinceBest = state.sinceBest;
    const b = state.best;
    saved.best = b && {
      step: b.step, valAccuracy: b.valAccuracy, remaining: b.remaining, kept: b.kept, total: b.total,
      weights: b.weights.map((w) => ({ name: w.name, shape: w.shape, values: bitsFloat(w.bits) })),
      masks: Object.fromEntries(Object.entries(b.masks).map(([name, m]) => [name, unpackMask(m)])),
    };
  }
  const loopState = (): LoopState => {
    const b = saved.best;
    return {
      evaluations: [...evaluations],
      sinceBest,
      best: b && {
        step: b.step, valAccuracy: b.valAccuracy, remaining: b.remaining, kept: b.kept, total: b.total,
        weights: b.weights.map((w) => ({ name: w.name, shape: w.shape, bits: floatBits(w.values) })),
        masks: Object.fromEntries(Object.entries(b.masks).map(([name, m]) => [name, packMask(m)])),
      },
    };
  };
  const given = options.checkpoint;
  if (given !== undefined) {
    if (given === null || typeof given !== 'object' || typeof given.save !== 'function') throw new ArgumentError('iterativePruning.checkpoint', given, '{ everySteps?, everyEpochs?, save(bytes), metadata? }');
    knownKeys('iterativePruning.checkpoint', given, ['everySteps', 'everyEpochs', 'save', 'metadata']);
  }
  const checkpoint: FitOptions['checkpoint'] = given && {
    ...(given.everySteps !== undefined ? { everySteps: given.everySteps } : {}),
    ...(given.everyEpochs !== undefined ? { everyEpochs: given.everyEpochs } : {}),
    save: given.save,
    // Read at each save: the caller's metadata (itself possibly computed) and the loop's state then.
    get metadata() {
      return { ...(given.metadata ?? {}), iterativePruning: loopState() };
    },
  };

  const fitOptions: FitOptions = {
    epochs: options.epochs,
    batchSize,
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.yieldEveryMs !== undefined ? { yieldEveryMs: options.yieldEveryMs } : {}),
    ...(checkpoint ? { checkpoint } : {}),
    ...(options.resume ? { resume: options.resume } : {}),
    onBatchEnd: (log) => {
      options.onBatchEnd?.(log);
      if (model.step % interval !== 0 || log.epoch < warmupEpochs) return;
      const valAccuracy = model.evaluate(validation.x, validation.y, { batchSize: Math.max(batchSize, 256) }).accuracy;
      const { kept, total } = mask.count(selector);
      const evaluation: PruningEvaluation = { step: model.step, epoch: log.epoch, valAccuracy, remaining: kept / total, pruned: valAccuracy >= floor };
      evaluations.push(evaluation);
      if (evaluation.pruned) {
        const best = saved.best;
        if (!best || kept < best.kept || (kept === best.kept && valAccuracy > best.valAccuracy)) {
          saved.best = { step: model.step, valAccuracy, remaining: kept / total, kept, total, weights: model.getWeights(), masks: mask.masks() };
          sinceBest = 0;
        } else {
          sinceBest++;
        }
        magnitudePrune(model, { fraction, scope, selector });
      } else if (saved.best) {
        // Patience counts from the first time the floor is met: before that the model is still learning.
        sinceBest++;
      }
      options.onEvaluation?.(evaluation);
      if (sinceBest >= patience && patience > 0) {
        stoppedBy = 'patience';
        return 'stop';
      }
    },
  };
  await model.fit(trainX, trainY, fitOptions);

  const b = saved.best;
  if (b && (options.restoreBest ?? true)) {
    model.setWeights(b.weights);
    // Tensors with no zero in the checkpoint's masks are fully kept again.
    const all: Record<string, Float32Array> = {};
    for (const t of model.params.tensors) all[t.name] = b.masks[t.name] ?? new Float32Array(t.size).fill(1);
    mask.set(all);
  }
  return {
    best: b && { step: b.step, valAccuracy: b.valAccuracy, remaining: b.remaining, kept: b.kept, total: b.total },
    evaluations,
    stoppedBy,
  };
}

import { ArgumentError } from '../errors.js';
import type { BatchAugmentation } from '../data/augment.js';
import type { Sequential, Targets } from '../model/sequential.js';
import { samplesArray, targetsArray, type NestedNumbers } from '../model/nested_arrays.js';
import { encodeCheckpoint, restoreCheckpoint, type FitCursor } from '../io/checkpoint.js';
import { checkLiveReduction, reduceInPlace, type LiveCut, type LiveReductionOptions } from '../reduce/live.js';
import { Random } from '../random.js';
import { checkFinite, knownKeys, numberIn, nonNegativeInt, nonNegativeNumber, oneOf, positiveInt } from '../validate.js';

/** What `onBatchEnd` receives after every batch. */
export interface BatchLog {
  epoch: number;
  /** Batch index within the epoch. */
  batch: number;
  batches: number;
  /** This batch's loss (dataLoss + penalty) and accuracy. */
  loss: number;
  /** The loss function's mean over the batch: what validation and evaluate report. */
  dataLoss: number;
  /** The regularisers' penalty added to the loss (0 without a penalising transform). */
  penalty: number;
  accuracy: number;
  /** Training samples per second since the epoch started (or since the resume, in a resumed epoch). */
  samplesPerSecond: number;
  /** Estimated seconds left in the whole fit, at the rate of this call's steps so far. */
  eta: number;
  /** The model's parameter count now (it falls when live reduction cuts units). */
  parameters: number;
}

/** One epoch of a fit, as `onEpochEnd` receives it and History.epochs keeps it. */
export interface EpochLog {
  epoch: number;
  /** Mean over the epoch's batches (weighted by batch size): the data term plus the penalty. */
  loss: number;
  /**
   * The two parts of `loss`: the loss function's mean (comparable with valLoss, which has no
   * penalty) and the regularisers' mean penalty. Absent in logs of checkpoints older than them.
   */
  dataLoss?: number;
  penalty?: number;
  accuracy: number;
  valLoss?: number;
  valAccuracy?: number;
  /** Wall time of the epoch in this fit call (an epoch resumed from a checkpoint: since the resume). */
  seconds: number;
  /** Rows trained per second over `seconds`. */
  samplesPerSecond: number;
  /** Learning rate of the epoch's last step. */
  lr: number;
  /**
   * The model's parameter count at the epoch's end, after a live reduction at that point (so
   * validation scores the model training goes on with). Absent in logs of older checkpoints.
   */
  parameters?: number;
}

/** What fit resolves to: one EpochLog per epoch, and whether the fit stopped early. */
export interface History {
  epochs: EpochLog[];
  /** True when early stopping, a callback's 'stop' or model.stopTraining ended the fit. */
  stoppedEarly: boolean;
  /** The cuts of live reduction (the `reduce` option), in order; empty without it. */
  reductions: LiveCut[];
  /**
   * The same figures per metric, as TensorFlow.js and Keras keep them (`history.history.loss[e]`
   * is `epochs[e].loss`): acc/accuracy for classifiers (loss crossEntropy), the val_ ones with
   * validation data.
   */
  history: KerasHistory;
}

/** History.history: one array per metric, one entry per logged epoch. */
export interface KerasHistory {
  loss: number[];
  acc?: number[];
  accuracy?: number[];
  val_loss?: number[];
  val_acc?: number[];
  val_accuracy?: number[];
}

/** The logs TensorFlow.js and Keras callbacks receive: loss, acc (also as accuracy) and their val_ forms. */
export type CallbackLogs = { loss: number } & Partial<Record<'acc' | 'accuracy' | 'val_loss' | 'val_acc' | 'val_accuracy', number>>;

/**
 * Callbacks in TensorFlow.js / Keras form (`fit(x, y, { callbacks: { onEpochEnd(epoch, logs) {} } })`),
 * one object or an array of them; each may be async (fit waits). Set `model.stopTraining = true`
 * in one to end the fit after the current batch.
 */
export interface FitCallbacks {
  onTrainBegin?(logs?: Record<string, never>): unknown;
  onTrainEnd?(logs?: Record<string, never>): unknown;
  onEpochBegin?(epoch: number, logs?: Record<string, never>): unknown;
  onEpochEnd?(epoch: number, logs: CallbackLogs): unknown;
  onBatchBegin?(batch: number, logs: { batch: number; size: number }): unknown;
  onBatchEnd?(batch: number, logs: CallbackLogs & { batch: number; size: number }): unknown;
}

const CALLBACK_NAMES = ['onTrainBegin', 'onTrainEnd', 'onEpochBegin', 'onEpochEnd', 'onBatchBegin', 'onBatchEnd'] as const;

/** The EpochLog figure early stopping watches. */
export type Monitor = 'loss' | 'accuracy' | 'valLoss' | 'valAccuracy';

/**
 * Options of fit (and Sequential.fit). Every field is optional.
 *
 * @example
 * await model.fit(x, y, { epochs: 5, batchSize: 64, validationSplit: 0.1, earlyStopping: { patience: 2 } });
 */
export interface FitOptions {
  /** Default 1, as TensorFlow.js and Keras. */
  epochs?: number;
  /** Default 32. A batch size above the training rows trains on one batch of them all per epoch (the CLI refuses it instead). */
  batchSize?: number;
  /** Reshuffle the training rows every epoch. Default true. */
  shuffle?: boolean;
  /** Seeds the shuffling. Default: the model's seed. */
  seed?: number;
  /** Scored after every epoch. */
  validationData?: { x: Float32Array; y: Targets };
  /** Holds out this fraction of the rows (the last ones, before shuffling, as Keras) for validation. */
  validationSplit?: number;
  /**
   * Runs after every batch; returning 'stop' ends the fit there (History.stoppedEarly is then true,
   * and the unfinished epoch is not logged). Any other return value is ignored.
   */
  onBatchEnd?: (log: BatchLog) => unknown;
  onEpochEnd?: (log: EpochLog) => void;
  /** TensorFlow.js / Keras style callbacks (see FitCallbacks), beside onBatchEnd and onEpochEnd. */
  callbacks?: FitCallbacks | readonly FitCallbacks[];
  /**
   * Aborting stops the fit between batches: with `checkpoint`, the position reached is saved
   * first (so the run can resume there); then the promise rejects with the signal's reason.
   */
  signal?: AbortSignal;
  /** Stop when `monitor` has not improved by minDelta for `patience` epochs. */
  earlyStopping?: { monitor?: Monitor; patience: number; minDelta?: number; restoreBestWeights?: boolean };
  /**
   * Live reduction: every `everyEpochs` epochs (at the epoch's end, before validation) or every
   * `everySteps` steps, the model removes its dead and unused units in place, as `reduce` would,
   * and trains on as the smaller network (see docs/live-reduction.md). The predictions at a cut
   * are those of the unreduced model with the removed groups zeroed; afterwards a removed unit's
   * weights are gone for good (its constant output is folded into the next layer's bias, which
   * keeps training). Early stopping's best weights restore the architecture they were taken in.
   */
  reduce?: LiveReductionOptions;
  /** Called after every cut of live reduction, with what it removed. */
  onReduce?: (cut: LiveCut) => void;
  /** Let the event loop run at least this often (ms), so a page stays responsive. Default 16; 0 never yields. */
  yieldEveryMs?: number;
  /**
   * Transforms each training batch in place after it is gathered (e.g. imageAugmentation's random
   * crops and flips), from its own generator seeded like the shuffle. Never applied to validation.
   */
  augment?: BatchAugmentation;
  /**
   * Checkpoints every `everySteps` optimizer steps and/or every `everyEpochs` epochs, and after
   * the last epoch (resuming that one finishes at once with the same weights): `save` receives
   * the bytes (encodeCheckpoint: model, optimizer state, generators, position) and may be async;
   * the fit waits for it. Write them with writeFileAtomic in Node.
   */
  checkpoint?: {
    everySteps?: number;
    everyEpochs?: number;
    save: (bytes: Uint8Array, at: { epoch: number; step: number }) => void | Promise<void>;
    metadata?: Record<string, unknown>;
  };
  /**
   * A checkpoint to continue from (taken by this option's `checkpoint` on the same data and batch
   * size): the model, compiled with the same chain, gets its state back and the fit continues at
   * the recorded epoch and batch, giving weights bit-identical to an uninterrupted run.
   */
  resume?: Uint8Array;
}

const yieldToEventLoop = (): Promise<void> =>
  new Promise((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));

/**
 * Trains a compiled model for a number of epochs. Memory is flat: the model's workspace is sized
 * once for the batch size and each batch is gathered straight into it.
 *
 * @example
 * const history = await fit(model, x, labels, { epochs: 2, batchSize: 64, validationSplit: 0.1,
 *   onEpochEnd: (e) => console.log(e.epoch, e.loss, e.valAccuracy) });
 */
export async function fit(model: Sequential, xIn: Float32Array | NestedNumbers, yIn: Targets | NestedNumbers, options: FitOptions = {}): Promise<History> {
  if (options === null || typeof options !== 'object') throw new ArgumentError('options', options, '{ epochs?, batchSize?, ... }');
  knownKeys('fit options', options, [
    'epochs', 'batchSize', 'shuffle', 'seed', 'validationData', 'validationSplit', 'onBatchEnd', 'onEpochEnd', 'signal', 'earlyStopping', 'yieldEveryMs', 'augment',
    'checkpoint', 'resume', 'callbacks', 'reduce', 'onReduce',
  ]);
  const live = options.reduce === undefined ? null : checkLiveReduction(options.reduce);
  if (options.onReduce !== undefined && typeof options.onReduce !== 'function') throw new ArgumentError('onReduce', options.onReduce, 'a function (cut) => void');
  const liveOptions = live ? { ...(live.xi === undefined ? {} : { xi: live.xi }), ...(live.allowPaddingDeviation ? { allowPaddingDeviation: true } : {}) } : {};
  const x = samplesArray('x', xIn, model.inputShape);
  const y = targetsArray<Targets>('y', yIn, model.outputShape);
  const callbacks = checkCallbacks(options.callbacks);
  const checkpoint = options.checkpoint;
  if (checkpoint !== undefined) {
    if (checkpoint === null || typeof checkpoint !== 'object' || typeof checkpoint.save !== 'function') {
      throw new ArgumentError('checkpoint', checkpoint, '{ everySteps?, everyEpochs?, save(bytes) }');
    }
    knownKeys('checkpoint', checkpoint, ['everySteps', 'everyEpochs', 'save', 'metadata']);
    if (checkpoint.everySteps !== undefined) positiveInt('checkpoint.everySteps', checkpoint.everySteps);
    if (checkpoint.everyEpochs !== undefined) positiveInt('checkpoint.everyEpochs', checkpoint.everyEpochs);
    if (checkpoint.everySteps === undefined && checkpoint.everyEpochs === undefined) throw new ArgumentError('checkpoint', checkpoint, 'everySteps or everyEpochs');
  }
  if (options.resume !== undefined && !(options.resume instanceof Uint8Array)) throw new ArgumentError('resume', options.resume, "a checkpoint's bytes (Uint8Array)");
  const epochs = positiveInt('epochs', options.epochs ?? 1);
  const batchSize = positiveInt('batchSize', options.batchSize ?? 32);
  const yieldEvery = nonNegativeNumber('yieldEveryMs', options.yieldEveryMs ?? 16);
  if (!(x instanceof Float32Array)) throw new ArgumentError('x', x, 'a Float32Array');
  checkFinite('x', x);
  const total = x.length / model.inputSize;
  if (!Number.isInteger(total) || total < 1) throw new ArgumentError('x.length', x.length, `a positive multiple of the input size ${model.inputSize}`);
  if (!y || (y.length !== total && y.length !== total * model.outputSize)) {
    throw new ArgumentError('y.length', y?.length, `${total} labels or ${total * model.outputSize} targets, one per sample of x`);
  }

  // Validation rows: given, or split off the end.
  let validation = options.validationData;
  if (validation !== undefined) {
    if (validation !== null && typeof validation === 'object' && (Array.isArray(validation.x) || Array.isArray(validation.y))) {
      validation = { x: samplesArray('validationData.x', validation.x, model.inputShape), y: targetsArray<Targets>('validationData.y', validation.y, model.outputShape) };
    }
    if (validation === null || typeof validation !== 'object' || !(validation.x instanceof Float32Array)) throw new ArgumentError('validationData', validation, '{ x: Float32Array, y }');
    checkFinite('validationData.x', validation.x);
  }
  let trainRows = total;
  if (options.validationSplit !== undefined) {
    if (validation) throw new ArgumentError('validationSplit', options.validationSplit, 'not both validationSplit and validationData');
    const split = numberIn('validationSplit', options.validationSplit, 0, 1, { openLow: true, openHigh: true });
    const held = Math.floor(total * split);
    if (held < 1 || held >= total) throw new ArgumentError('validationSplit', split, `a fraction that leaves both parts non-empty (${total} samples)`);
    trainRows = total - held;
    const perTarget = y.length / total;
    validation = { x: x.subarray(trainRows * model.inputSize), y: sliceTargets(y, trainRows * perTarget) };
  }

  const stopping = options.earlyStopping;
  let monitor: Monitor | null = null;
  if (stopping) {
    knownKeys('earlyStopping', stopping, ['monitor', 'patience', 'minDelta', 'restoreBestWeights']);
    monitor = oneOf('earlyStopping.monitor', stopping.monitor ?? (validation ? 'valLoss' : 'loss'), ['loss', 'accuracy', 'valLoss', 'valAccuracy'] as const);
    nonNegativeInt('earlyStopping.patience', stopping.patience);
    nonNegativeNumber('earlyStopping.minDelta', stopping.minDelta ?? 0);
    if (monitor.startsWith('val') && !validation) throw new ArgumentError('earlyStopping.monitor', monitor, 'a training metric, or validation data to monitor');
  }

  const random = Random.derive(options.seed ?? model.seed, 'shuffle');
  if (options.augment !== undefined && typeof options.augment !== 'function') throw new ArgumentError('augment', options.augment, 'a function (batch, n, random) => void');
  const augmentRandom = Random.derive(options.seed ?? model.seed, 'augment');
  const augment = options.augment && ((batch: Float32Array, n: number) => options.augment!(batch, n, augmentRandom));
  const indices = Int32Array.from({ length: trainRows }, (_, i) => i);
  const batches = Math.ceil(trainRows / batchSize);
  const history: History = { epochs: [], stoppedEarly: false, reductions: [], history: { loss: [] } };
  const classifier = model.loss === 'crossEntropy';
  model.stopTraining = false;
  await each(callbacks, (c) => c.onTrainBegin?.({}));
  const started = performance.now();
  let lastYield = started;
  let best = Infinity;
  let bestWeights: ReturnType<Sequential['getWeights']> | null = null;
  // The architecture the best weights belong to, when a live reduction has changed it since.
  let bestSpec: ReturnType<Sequential['toSpec']> | null = null;
  let sinceBest = 0;

  // Resuming: the model's state from the checkpoint, and where the fit stood.
  let startEpoch = 0;
  let startBatch = 0;
  let resumed: FitCursor | null = null;
  if (options.resume) {
    const { cursor } = restoreCheckpoint(model, options.resume, 'resume');
    if (!cursor) throw new ArgumentError('resume', 'a checkpoint without a fit position', 'a checkpoint taken by fit');
    if (cursor.rows !== trainRows || cursor.batchSize !== batchSize) {
      throw new ArgumentError('resume', `a checkpoint of ${cursor.rows} rows in batches of ${cursor.batchSize}`, `the same data and batch size (${trainRows} rows, batch ${batchSize})`);
    }
    resumed = cursor;
    startEpoch = cursor.epoch;
    startBatch = cursor.batch;
    indices.set(cursor.indices);
    random.setState(cursor.shuffleRandom);
    augmentRandom.setState(cursor.augmentRandom);
    history.epochs.push(...cursor.history);
    if (cursor.earlyStopping) {
      best = cursor.earlyStopping.best;
      sinceBest = cursor.earlyStopping.sinceBest;
      bestWeights = cursor.earlyStopping.bestWeights ?? null;
      bestSpec = cursor.earlyStopping.bestSpec ?? null;
    }
    history.reductions.push(...(cursor.reductions ?? []));
  }
  const save = async (epoch: number, batch: number, shuffled: boolean, lossSum: number, penaltySum: number, correct: number) => {
    const cursor: FitCursor = {
      epoch, batch, epochs, batchSize, rows: trainRows, shuffled, indices,
      shuffleRandom: random.getState(), augmentRandom: augmentRandom.getState(), lossSum, penaltySum, correct, history: [...history.epochs],
      ...(stopping ? { earlyStopping: { best, sinceBest, ...(bestWeights ? { bestWeights } : {}), ...(bestSpec ? { bestSpec } : {}) } } : {}),
      ...(history.reductions.length ? { reductions: [...history.reductions] } : {}),
    };
    await checkpoint!.save(encodeCheckpoint(model, cursor, checkpoint!.metadata ?? {}), { epoch, step: model.step });
  };

  /** A live-reduction cut at `at` epochs; the best weights remember the architecture they belong to. */
  const cut = (at: number) => {
    const specBefore = bestWeights && !bestSpec ? model.toSpec() : null;
    const done = reduceInPlace(model, liveOptions, { epoch: at });
    if (!done) return;
    if (specBefore) bestSpec = specBefore;
    history.reductions.push(done);
    options.onReduce?.(done);
  };

  for (let epoch = startEpoch; epoch < epochs; epoch++) {
    await each(callbacks, (c) => c.onEpochBegin?.(epoch, {}));
    const continuing = resumed !== null && epoch === startEpoch;
    if ((options.shuffle ?? true) && !(continuing && resumed!.shuffled)) random.shuffle(indices);
    const epochStart = performance.now();
    let lossSum = continuing ? resumed!.lossSum : 0;
    // A checkpoint from before penaltySum existed: the penalty of its batches is unknown (NaN).
    let penaltySum = continuing ? resumed!.penaltySum ?? NaN : 0;
    let correct = continuing ? resumed!.correct : 0;
    // The rate of the epoch's last step; a fit resumed after that step runs no batch of this epoch.
    let lr = model.step > 0 ? (model.optimizer?.optimizer.learningRate(model.step - 1, batches) ?? 0) : 0;
    for (let b = continuing ? startBatch : 0; b < batches; b++) {
      if (options.signal?.aborted) {
        if (checkpoint) await save(epoch, b, true, lossSum, penaltySum, correct);
        throw options.signal.reason ?? new DOMException('fit was aborted', 'AbortError');
      }
      const start = b * batchSize;
      const n = Math.min(batchSize, trainRows - start);
      lr = model.optimizer?.optimizer.learningRate(model.step, batches) ?? 0;
      await each(callbacks, (c) => c.onBatchBegin?.(b, { batch: b, size: n }));
      const { loss, dataLoss, penalty, accuracy } = model.trainOn(x, y, indices, start, n, lr, augment);
      lossSum += loss * n;
      penaltySum += penalty * n;
      correct += accuracy * n;
      const now = performance.now();
      if (options.onBatchEnd) {
        // Rate and ETA count only the steps of this call: a resumed fit's earlier steps took no
        // time here.
        const elapsed = (now - started) / 1000;
        const position = epoch * batches + b + 1;
        const done = position - (startEpoch * batches + startBatch);
        const epochSamples = start + n - (continuing ? startBatch * batchSize : 0);
        const verdict = options.onBatchEnd({
          epoch, batch: b, batches, loss, dataLoss, penalty, accuracy,
          samplesPerSecond: epochSamples / ((now - epochStart) / 1000),
          eta: (elapsed / done) * (epochs * batches - position),
          parameters: model.parameterCount,
        });
        if (verdict === 'stop') {
          history.stoppedEarly = true;
          break;
        }
      }
      if (callbacks.length) {
        const logs = { batch: b, size: n, loss, ...(classifier ? { acc: accuracy, accuracy } : {}) };
        await each(callbacks, (c) => c.onBatchEnd?.(b, logs));
      }
      if (model.stopTraining) {
        history.stoppedEarly = true;
        break;
      }
      if (live?.everySteps && model.step % live.everySteps === 0) cut(epoch + (b + 1) / batches);
      if (checkpoint?.everySteps && model.step % checkpoint.everySteps === 0) await save(epoch, b + 1, true, lossSum, penaltySum, correct);
      if (yieldEvery > 0 && now - lastYield >= yieldEvery) {
        await yieldToEventLoop();
        lastYield = performance.now();
      }
    }
    if (history.stoppedEarly) break;
    const seconds = (performance.now() - epochStart) / 1000;
    if (live?.everyEpochs && (epoch + 1) % live.everyEpochs === 0) cut(epoch + 1);
    // A resumed epoch was timed from the resume: its rate counts the rows trained since.
    const rowsHere = trainRows - (continuing ? Math.min(trainRows, startBatch * batchSize) : 0);
    const log: EpochLog = { epoch, loss: lossSum / trainRows, accuracy: correct / trainRows, seconds, samplesPerSecond: rowsHere === 0 ? 0 : rowsHere / seconds, lr, parameters: model.parameterCount };
    if (Number.isFinite(penaltySum)) {
      log.penalty = penaltySum / trainRows;
      log.dataLoss = log.loss - log.penalty;
    }
    if (validation) {
      const v = model.evaluate(validation.x, validation.y, { batchSize: Math.max(batchSize, 256) });
      log.valLoss = v.loss;
      log.valAccuracy = v.accuracy;
    }
    history.epochs.push(log);
    options.onEpochEnd?.(log);
    await each(callbacks, (c) => c.onEpochEnd?.(epoch, kerasLogs(log, classifier)));
    if (model.stopTraining) {
      history.stoppedEarly = true;
      break;
    }
    if (stopping && monitor) {
      const value = log[monitor] as number;
      const score = monitor.endsWith('ccuracy') ? -value : value;
      if (score < best - (stopping.minDelta ?? 0)) {
        best = score;
        sinceBest = 0;
        if (stopping.restoreBestWeights) {
          bestWeights = model.getWeights();
          bestSpec = null;
        }
      } else if (++sinceBest > stopping.patience) {
        history.stoppedEarly = true;
        break;
      }
    }
    if (checkpoint?.everyEpochs && ((epoch + 1) % checkpoint.everyEpochs === 0 || epoch + 1 === epochs)) await save(epoch + 1, 0, false, 0, 0, 0);
  }
  if (bestWeights) {
    // Weights from before a later cut: the model gets their architecture back (with a fresh optimizer state, as the fit ends here).
    if (bestSpec) model.adoptArchitecture(model.derive(bestSpec), new Map());
    model.setWeights(bestWeights);
  }
  history.history = kerasHistory(history.epochs, classifier);
  await each(callbacks, (c) => c.onTrainEnd?.({}));
  return history;
}

function checkCallbacks(value: FitOptions['callbacks']): readonly FitCallbacks[] {
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  list.forEach((c, i) => {
    const argument = Array.isArray(value) ? `callbacks[${i}]` : 'callbacks';
    if (c === null || typeof c !== 'object') throw new ArgumentError(argument, c, `an object of callbacks (${CALLBACK_NAMES.join(', ')})`);
    knownKeys(argument, c, CALLBACK_NAMES);
    for (const name of Object.keys(c)) {
      if (typeof (c as Record<string, unknown>)[name] !== 'function') throw new ArgumentError(`${argument}.${name}`, (c as Record<string, unknown>)[name], 'a function');
    }
  });
  return list as readonly FitCallbacks[];
}

/** Runs one hook of every callbacks object in order, waiting for the ones that return a promise. */
async function each(callbacks: readonly FitCallbacks[], call: (c: FitCallbacks) => unknown): Promise<void> {
  for (const c of callbacks) {
    const result = call(c);
    if (result && typeof (result as PromiseLike<unknown>).then === 'function') await result;
  }
}

function kerasLogs(log: EpochLog, classifier: boolean): CallbackLogs {
  return {
    loss: log.loss,
    ...(classifier ? { acc: log.accuracy, accuracy: log.accuracy } : {}),
    ...(log.valLoss !== undefined ? { val_loss: log.valLoss } : {}),
    ...(classifier && log.valAccuracy !== undefined ? { val_acc: log.valAccuracy, val_accuracy: log.valAccuracy } : {}),
  };
}

function kerasHistory(epochs: readonly EpochLog[], classifier: boolean): KerasHistory {
  const out: KerasHistory = { loss: epochs.map((e) => e.loss) };
  if (classifier) {
    out.acc = epochs.map((e) => e.accuracy);
    out.accuracy = [...out.acc];
  }
  if (epochs.length && epochs.every((e) => e.valLoss !== undefined)) {
    out.val_loss = epochs.map((e) => e.valLoss!);
    if (classifier) {
      out.val_acc = epochs.map((e) => e.valAccuracy!);
      out.val_accuracy = [...out.val_acc];
    }
  }
  return out;
}

function sliceTargets(y: Targets, from: number): Targets {
  if (Array.isArray(y)) return y.slice(from);
  return (y as Int32Array | Uint8Array | Float32Array).subarray(from);
}

import type { Engine } from '../backend/engine.js';
import { checkImageTransforms, imageAugmentation, type BatchAugmentation, type ImageTransforms } from '../data/augment.js';
import { datasetSize, sliceDataset, type Dataset } from '../data/dataset.js';
import { ArgumentError } from '../errors.js';
import { decodeCheckpoint, encodeCheckpoint, restoreCheckpoint, type CheckpointManifest } from '../io/checkpoint.js';
import { ModelFileError } from '../io/container.js';
import type { LayerSpec } from '../layers/layer.js';
import { presetSpec, type ModelPreset } from '../model/presets.js';
import { Sequential, type NamedWeight } from '../model/sequential.js';
import { optimizerFromSpec, type OptimizerSpec } from '../optim/spec.js';
import { Chain } from '../optim/transform.js';
import { pruneAndFineTune } from '../prune/fine_tune.js';
import { iterativePruning, type PruningEvaluation } from '../prune/iterative.js';
import type { Selector } from '../model/param_set.js';
import { magnitudePrune, type MagnitudePruneOptions } from '../prune/magnitude.js';
import { weightMask } from '../prune/mask.js';
import { reduce, type ReductionRecord } from '../reduce/reduce.js';
import { measureSparsity, type SparsityReport } from '../sparsity/measure.js';
import type { BatchLog, EpochLog, FitOptions } from '../train/fit.js';
import { knownKeys, nonNegativeInt, nonNegativeNumber, oneOf, positiveInt } from '../validate.js';
import { epochRecord, type EpochRecord } from './epoch_record.js';
import { checkLiveReduction, type LiveCut, type LiveReductionOptions } from '../reduce/live.js';

/**
 * One training run described as data: the model, the optimizer chain, the schedule, pruning and
 * fine-tuning, and the seed. `slimtrain train` and every sweep run are such a description; each
 * goes through runExperiment, the one recipe that trains, prunes, evaluates, measures and reduces.
 */
export interface ExperimentSpec {
  /** A preset name, or layers (with the input shape, else the data's). */
  model: ModelPreset | { inputShape?: number[]; layers: LayerSpec[] };
  optimizer: OptimizerSpec;
  /** Epochs of the main training; 0 trains nothing (a run that only prunes and fine-tunes initialWeights, say). */
  epochs: number;
  /**
   * Start from these weights instead of the seeded initialisation: every tensor of the model,
   * by name (getWeights() of a model of the same architecture, or decodeModel(bytes).weights).
   * The optimizer starts fresh, as when a pretrained model is loaded.
   */
  initialWeights?: readonly NamedWeight[];
  /** Default 64. */
  batchSize?: number;
  /** Seeds initialisation, shuffling and dropout; the fine-tune shuffles with seed + 1. */
  seed: number;
  /** Hold out the last this many training samples: validation loss and accuracy every epoch. */
  validationSamples?: number;
  /**
   * Augment the main training's batches (imageAugmentation over the training images' shape):
   * rotations, translations, crops, flips. Validation and test images are never augmented.
   */
  augment?: ImageTransforms;
  /** Stop when the validation (else the training) loss has not improved for `patience` epochs; the best weights come back. */
  earlyStopping?: { patience: number };
  /** After training: magnitude-prune; with fineTune, then train more with the pruned weights masked. */
  prune?: MagnitudePruneOptions;
  /** The fine-tune after the prune (see FineTuneSpec). */
  fineTune?: FineTuneSpec;
  /** Train with the iterative prune-while-accuracy-holds loop instead of plain epochs (IterativeSpec). */
  iterative?: IterativeSpec;
  /** Dead-group threshold; default: measureSparsity's choice from the gap. */
  xi?: number;
  /** Live reduction during the main training (fit's `reduce` option): dead units leave the network as it trains. */
  liveReduction?: LiveReductionOptions;
  /** Reduce the trained model (default true); allowPaddingDeviation as in ReduceOptions. */
  reduce?: boolean | { allowPaddingDeviation: boolean };
}

/**
 * The iterative prune-while-accuracy-holds loop (iterativePruning) as data: every `interval` steps
 * the validation rows (the last `validationSplit` of the training rows) are scored and, at or above
 * `floor`, `fraction` of the remaining weights go; `selector` picks the tensors (default kernels;
 * the selective-decay authors prune biases too), `warmupEpochs` train plainly first.
 */
export interface IterativeSpec {
  interval: number;
  fraction?: number;
  floor: number;
  patience?: number;
  validationSplit: number;
  selector?: Selector;
  warmupEpochs?: number;
}

/**
 * Training after the prune with the pruned weights held at zero. With `rounds` > 1 the prune and
 * the fine-tune repeat (iterative magnitude pruning, as Han et al. 2015: prune, retrain, prune
 * again), each round pruning what `prune` says of the weights still kept: with `fraction` f,
 * (1 - f)^rounds of them are left. `keep: 'best'` keeps, in every round, the weights of the epoch
 * with the best validation accuracy (it needs validationSamples) instead of the last epoch's.
 */
export interface FineTuneSpec {
  /** Epochs of each round. */
  epochs: number;
  /** Default: Adam at lr 1e-4, fresh in every round. */
  optimizer?: OptimizerSpec;
  /** Seed of the first round's shuffling (round r uses seed + r). Default: the run's seed + 1. */
  seed?: number;
  /** Prune-and-fine-tune rounds. Default 1. */
  rounds?: number;
  /** 'last' (default) or 'best' (validation accuracy). */
  keep?: 'last' | 'best';
}

/** Which part of a run a checkpoint was taken in: 'train' inside the main fit; 'trained' after it, before pruning; 'fine-tune' inside the fine-tune. */
export type ExperimentPhase = 'train' | 'trained' | 'fine-tune';

/** What a run's checkpoint records beside the model, under metadata.experiment. */
export interface ExperimentCheckpointInfo {
  /** The run's name and the hash of what its result depends on: a checkpoint of another run or config is not used. */
  run: string;
  hash: string;
  phase: ExperimentPhase;
  /** Seconds the run had taken when the checkpoint was written. */
  seconds: number;
  /** After an iterative-pruning training: the best validation accuracy, the evaluations made, and each of them. */
  iterative?: IterativeOutcome;
  /** The epoch records so far. */
  history?: EpochRecord[];
  /** In the fine-tune phase: the round (from 0) the checkpoint was taken in. Absent: round 0. */
  round?: number;
}

/** Where a run keeps its latest checkpoint (the format of src/io/checkpoint.ts). */
export interface CheckpointStore {
  /** The checkpoint's bytes, or null when there is none. */
  load(): Uint8Array | null;
  /** Replaces the checkpoint, atomically; `at` is where the run stood (the epoch next and the steps taken). */
  save(bytes: Uint8Array, at: { epoch: number; step: number }): void | Promise<void>;
}

/** How runExperiment reports and keeps its progress; every field is optional. */
export interface ExperimentOptions {
  /** The model, built and compiled, before it trains (to print its summary, say). */
  onStart?: (model: Sequential) => void;
  /** Every batch of the main training and of the fine-tune. */
  onBatchEnd?: (phase: EpochRecord['phase'], log: BatchLog) => void;
  /** Every cut of live reduction (spec.liveReduction). */
  onReduce?: (cut: LiveCut) => void;
  /** Every epoch, with its record (the model's sparsity then). */
  onEpochEnd?: (record: EpochRecord, log: EpochLog) => void;
  /** Any batch augmentation of the main training's batches, as a function (spec.augment names the built-in ones as data; not both). */
  augment?: BatchAugmentation;
  /**
   * Checkpoint into `store` every `everySteps` optimizer steps (0: only at epoch ends) and at every
   * epoch end, and resume from what it holds when it belongs to `run` and `hash`. The main
   * training (plain or the iterative loop, whose state rides along) and the fine-tune resume
   * inside their fits; between the two a 'trained' checkpoint holds the end of training.
   * `metadata` rides along in every checkpoint (the command line that made it, say). With
   * `required`, a checkpoint that cannot be used is an error instead of a fresh start; one written
   * before checkpoints named their run (slimtrain 0.1's `train --checkpoint`) resumes its training.
   */
  checkpoint?: { store: CheckpointStore; everySteps: number; run: string; hash: string; metadata?: Record<string, unknown>; required?: boolean };
  /** A line worth showing the user (resumed from a checkpoint, a checkpoint not used). */
  onNote?: (text: string) => void;
  /** Stops at the next batch, after writing the checkpoint there when the run has one. */
  signal?: AbortSignal;
}

/** What runExperiment returns: the models (the caller disposes them), the scores and the sparsity. */
export interface ExperimentResult {
  /** The trained (pruned, fine-tuned) model, and its reduction unless `reduce: false`. The caller disposes both. */
  model: Sequential;
  reduced: { model: Sequential; record: ReductionRecord } | null;
  /** Test loss and accuracy of the model and of the reduced model (each scored once). */
  test: { loss: number; accuracy: number };
  reducedTest: { loss: number; accuracy: number } | null;
  sparsity: SparsityReport;
  /** Every epoch of the main training and of the fine-tune. */
  history: EpochRecord[];
  /** The cuts of live reduction during the main training (empty without liveReduction, or after a resume past the training). */
  reductions: LiveCut[];
  /** True when early stopping ended the main training. */
  stoppedEarly: boolean;
  /** With prune: the kernel weights kept, of all, and the test accuracy before pruning (reported, never used to choose anything). */
  pruned: { kept: number; total: number; accuracyBefore: number } | null;
  /** Iterative pruning: the best checkpoint's validation accuracy and the evaluations made. */
  iterative: IterativeOutcome | null;
  /** Wall time, over every attempt when the run resumed from a checkpoint. */
  seconds: number;
}

/** What an iterative-pruning run found: the kept checkpoint's validation accuracy, and every evaluation (step, validation accuracy, weights left, pruned or not). */
export interface IterativeOutcome {
  valAccuracy?: number;
  evaluations: number;
  log?: PruningEvaluation[];
}

const SPEC_KEYS = ['model', 'optimizer', 'epochs', 'initialWeights', 'batchSize', 'seed', 'validationSamples', 'augment', 'earlyStopping', 'prune', 'fineTune', 'iterative', 'xi', 'liveReduction', 'reduce'];

/** Checks an experiment's own fields, naming the first bad one (the model, optimizer and pruning options check themselves when built). */
function checkExperimentSpec(spec: ExperimentSpec): void {
  if (spec === null || typeof spec !== 'object') throw new ArgumentError('experiment', spec, `an ExperimentSpec { ${SPEC_KEYS.join(', ')} }`);
  knownKeys('experiment', spec, SPEC_KEYS);
  nonNegativeInt('experiment.epochs', spec.epochs);
  if (spec.initialWeights !== undefined && !Array.isArray(spec.initialWeights)) {
    throw new ArgumentError('experiment.initialWeights', spec.initialWeights, 'an array of { name, shape, values } (getWeights() or decodeModel(bytes).weights)');
  }
  if (spec.batchSize !== undefined) positiveInt('experiment.batchSize', spec.batchSize);
  nonNegativeInt('experiment.seed', spec.seed);
  if (spec.validationSamples !== undefined) positiveInt('experiment.validationSamples', spec.validationSamples);
  if (spec.liveReduction !== undefined) checkLiveReduction(spec.liveReduction);
  if (spec.earlyStopping !== undefined) {
    knownKeys('experiment.earlyStopping', spec.earlyStopping, ['patience']);
    nonNegativeInt('experiment.earlyStopping.patience', spec.earlyStopping.patience);
  }
  if (spec.fineTune !== undefined) {
    if (!spec.prune) throw new ArgumentError('experiment.fineTune', spec.fineTune, 'a prune step to fine-tune after');
    knownKeys('experiment.fineTune', spec.fineTune, ['epochs', 'optimizer', 'seed', 'rounds', 'keep']);
    positiveInt('experiment.fineTune.epochs', spec.fineTune.epochs);
    if (spec.fineTune.rounds !== undefined) positiveInt('experiment.fineTune.rounds', spec.fineTune.rounds);
    if (oneOf('experiment.fineTune.keep', spec.fineTune.keep ?? 'last', ['last', 'best'] as const) === 'best' && spec.validationSamples === undefined) {
      throw new ArgumentError('experiment.fineTune.keep', spec.fineTune.keep, "'last', or validationSamples to choose the best epoch on");
    }
  }
  if (spec.iterative !== undefined && (spec.validationSamples !== undefined || spec.prune !== undefined)) {
    throw new ArgumentError('experiment.iterative', spec.iterative, 'no iterative loop beside validationSamples or prune (the loop holds out its own validation and prunes itself)');
  }
  if (spec.iterative !== undefined && spec.epochs === 0) throw new ArgumentError('experiment.epochs', spec.epochs, 'at least 1 for the iterative loop (it prunes as it trains)');
  if (spec.augment !== undefined) {
    checkImageTransforms('experiment.augment', spec.augment);
    if (spec.iterative !== undefined) throw new ArgumentError('experiment.augment', spec.augment, 'no augmentation beside iterative (the loop trains with its own fits)');
  }
  if (spec.xi !== undefined) nonNegativeNumber('experiment.xi', spec.xi);
  if (spec.reduce !== undefined && typeof spec.reduce !== 'boolean') knownKeys('experiment.reduce', spec.reduce, ['allowPaddingDeviation']);
}

/** The model spec an experiment's `model` describes, for data of this shape. */
export function experimentModelSpec(model: ExperimentSpec['model'], data: Dataset, seed: number) {
  return typeof model === 'string'
    ? presetSpec(model, data.shape, data.classes, seed)
    : { inputShape: model.inputShape ?? [...data.shape], layers: model.layers, seed };
}

/**
 * Runs one experiment: builds the model, trains it (or runs the iterative pruning loop),
 * optionally prunes and fine-tunes, scores the test set once, measures the group sparsity and
 * reduces the model. Checkpoints and resumes bit-identically when given a store.
 *
 * @example
 * const { train, test } = loadMnist({ limit: 10000 });
 * const r = await runExperiment(engine, {
 *   model: 'lenet-300-100', epochs: 3, seed: 1,
 *   optimizer: { type: 'adam', lr: 3e-3, transforms: [{ type: 'l2', lambda: 1e-2 }] },
 * }, { train, test });
 * console.log(r.test.accuracy, r.model.parameterCount, '->', r.reduced!.model.parameterCount);
 */
export async function runExperiment(engine: Engine, spec: ExperimentSpec, data: { train: Dataset; test: Dataset }, options: ExperimentOptions = {}): Promise<ExperimentResult> {
  checkExperimentSpec(spec);
  knownKeys('runExperiment options', options, ['onStart', 'onBatchEnd', 'onReduce', 'onEpochEnd', 'augment', 'checkpoint', 'onNote', 'signal']);
  if (options.checkpoint) knownKeys('runExperiment options.checkpoint', options.checkpoint, ['store', 'everySteps', 'run', 'hash', 'metadata', 'required']);
  let started = performance.now();
  const checkpoint = options.checkpoint;
  const resume = checkpoint ? usableCheckpoint(checkpoint, options.onNote) : null;
  if (resume) {
    started -= resume.info.seconds * 1000;
    options.onNote?.(`resuming from its checkpoint (${resume.where})`);
  }
  const seconds = () => (performance.now() - started) / 1000;
  let iterative: ExperimentCheckpointInfo['iterative'] = resume?.info.iterative;
  let round = resume?.info.phase === 'fine-tune' ? (resume.info.round ?? 0) : 0;
  const history: EpochRecord[] = [...(resume?.info.history ?? [])];
  const info = (phase: ExperimentPhase) => ({
    ...checkpoint?.metadata,
    experiment: {
      run: checkpoint!.run, hash: checkpoint!.hash, phase, seconds: seconds(), ...(iterative ? { iterative } : {}), history: [...history],
      ...(phase === 'fine-tune' && round > 0 ? { round } : {}),
    } satisfies ExperimentCheckpointInfo,
  });
  const fitCheckpoint = (phase: ExperimentPhase): Pick<FitOptions, 'checkpoint'> =>
    checkpoint
      ? {
          checkpoint: {
            everyEpochs: 1,
            ...(checkpoint.everySteps > 0 ? { everySteps: checkpoint.everySteps } : {}),
            // Read at each save, so the elapsed time and the history are current.
            get metadata() {
              return info(phase);
            },
            save: (bytes, at) => checkpoint.store.save(bytes, at),
          },
        }
      : {};
  const resumeIn = (phase: ExperimentPhase): Pick<FitOptions, 'resume'> => (resume?.info.phase === phase ? { resume: resume.bytes } : {});
  const batchSize = spec.batchSize ?? 64;
  const { test } = data;
  // The validation set is the last validationSamples training rows; the run trains on the rest.
  const rows = datasetSize(data.train);
  const held = spec.validationSamples ?? 0;
  if (held >= rows) throw new ArgumentError('validationSamples', held, `fewer than the ${rows} training samples`);
  const train = held ? sliceDataset(data.train, 0, rows - held) : data.train;
  const validation = held ? sliceDataset(data.train, rows - held) : null;
  const validationData: Pick<FitOptions, 'validationData'> = validation ? { validationData: { x: validation.x, y: validation.y } } : {};
  if (spec.augment && options.augment) throw new ArgumentError('runExperiment options.augment', 'a function', 'no augmentation function beside experiment.augment (one or the other)');
  if (spec.augment && train.shape.length !== 3) throw new ArgumentError('experiment.augment', spec.augment, `images [height, width, channels]; the training samples have shape [${train.shape.join(', ')}]`);
  const augment = spec.augment ? imageAugmentation({ ...spec.augment, shape: train.shape }) : options.augment;

  const model = Sequential.build(engine, experimentModelSpec(spec.model, train, spec.seed));
  try {
    if (spec.initialWeights) setInitialWeights(model, spec.initialWeights);
    let optimizer = optimizerFromSpec(spec.optimizer);
    if (spec.iterative && !optimizer.transforms.some((t) => t.name === 'weightMask')) optimizer = new Chain([optimizer, weightMask()]);
    model.compile({ optimizer, loss: 'crossEntropy' });
    options.onStart?.(model);
    const stop = options.signal ? { signal: options.signal } : {};
    const hooks = (phase: EpochRecord['phase']): Pick<FitOptions, 'onBatchEnd' | 'onEpochEnd'> => ({
      onBatchEnd: (b) => options.onBatchEnd?.(phase, b),
      onEpochEnd: (log) => {
        const record = epochRecord(model, phase, log, spec.xi);
        history.push(record);
        options.onEpochEnd?.(record, log);
      },
    });

    let stoppedEarly = false;
    const reductions: LiveCut[] = [];
    if (resume?.info.phase === 'trained') {
      restoreCheckpoint(model, resume.bytes, resume.where);
    } else if (resume?.info.phase !== 'fine-tune') {
      if (spec.iterative) {
        const it = spec.iterative;
        const result = await iterativePruning(model, train.x, train.y, {
          validationSplit: it.validationSplit, interval: it.interval, floor: it.floor,
          ...(it.fraction !== undefined ? { fraction: it.fraction } : {}),
          ...(it.selector !== undefined ? { selector: it.selector } : {}),
          ...(it.warmupEpochs !== undefined ? { warmupEpochs: it.warmupEpochs } : {}),
          ...(it.patience !== undefined ? { patience: it.patience } : {}),
          epochs: spec.epochs, batchSize, seed: spec.seed, onBatchEnd: (b) => options.onBatchEnd?.('train', b), ...stop, ...fitCheckpoint('train'), ...resumeIn('train'),
        });
        const valAccuracy = result.best?.valAccuracy;
        iterative = { ...(valAccuracy !== undefined ? { valAccuracy } : {}), evaluations: result.evaluations.length, log: result.evaluations };
      } else if (spec.epochs > 0) {
        const fitted = await model.fit(train.x, train.y, {
          epochs: spec.epochs, batchSize, seed: spec.seed, ...hooks('train'), ...validationData, ...stop,
          ...(augment ? { augment } : {}),
          ...(spec.liveReduction ? { reduce: spec.liveReduction, onReduce: (cut: LiveCut) => {
            reductions.push(cut);
            options.onReduce?.(cut);
          } } : {}),
          ...(spec.earlyStopping ? { earlyStopping: { patience: spec.earlyStopping.patience, restoreBestWeights: true } } : {}),
          ...fitCheckpoint('train'), ...resumeIn('train'),
        });
        stoppedEarly = fitted.stoppedEarly;
        // A resumed fit reports the cuts made before its checkpoint too.
        reductions.splice(0, reductions.length, ...fitted.reductions);
      }
      // The end of training, so that an interrupted fine-tune never trains again.
      if (checkpoint && spec.fineTune && spec.prune) await checkpoint.store.save(encodeCheckpoint(model, null, info('trained')), { epoch: spec.epochs, step: model.step });
    }
    let pruned: ExperimentResult['pruned'] = null;
    if (spec.prune) {
      const accuracyBefore = model.evaluate(test.x, test.y, { batchSize: 256 }).accuracy;
      if (spec.fineTune) {
        const tune = spec.fineTune;
        const epochs = tune.epochs;
        // Resuming the fine-tune: the rounds before the checkpoint's are done; in its round the prune
        // here sees the model as it was rebuilt, but the fit's resume then puts back the
        // checkpoint's weights, optimizer state and masks (the weightMask's state).
        for (; round < (tune.rounds ?? 1); round++) {
          const tuned = await pruneAndFineTune(model, train.x, train.y, {
            prune: spec.prune,
            optimizer: optimizerFromSpec(tune.optimizer ?? { type: 'adam', lr: 1e-4 }),
            fit: {
              epochs, batchSize, seed: (tune.seed ?? spec.seed + 1) + round, ...hooks('fine-tune'), ...validationData, ...stop,
              // patience = epochs: it never stops early, and the best epoch's weights come back at the end.
              ...(tune.keep === 'best' ? { earlyStopping: { monitor: 'valAccuracy', patience: epochs, restoreBestWeights: true } } : {}),
              ...fitCheckpoint('fine-tune'), ...(resume?.info.phase === 'fine-tune' && round === (resume.info.round ?? 0) ? { resume: resume.bytes } : {}),
            },
          });
          pruned = { kept: tuned.pruned.kept, total: tuned.pruned.total, accuracyBefore };
        }
      } else {
        const p = magnitudePrune(model, spec.prune);
        pruned = { kept: p.kept, total: p.total, accuracyBefore };
      }
    }

    const testScore = model.evaluate(test.x, test.y, { batchSize: 256 });
    const sparsity = measureSparsity(model, spec.xi !== undefined ? { xi: spec.xi } : {});
    const reduced = spec.reduce === false
      ? null
      : reduce(model, { ...(spec.xi !== undefined ? { xi: spec.xi } : {}), ...(typeof spec.reduce === 'object' ? { allowPaddingDeviation: spec.reduce.allowPaddingDeviation } : {}) });
    return {
      model, reduced, test: testScore, reducedTest: reduced ? reduced.model.evaluate(test.x, test.y, { batchSize: 256 }) : null,
      sparsity, history, reductions, stoppedEarly, pruned, iterative: iterative ?? null, seconds: seconds(),
    };
  } catch (e) {
    model.dispose();
    throw e;
  }
}

/** Writes initialWeights into the freshly built model: each of its tensors named exactly once, with its shape. */
function setInitialWeights(model: Sequential, weights: readonly NamedWeight[]): void {
  const own = model.getWeights();
  const given = new Map<string, NamedWeight>();
  weights.forEach((w, i) => {
    if (w === null || typeof w !== 'object' || typeof w.name !== 'string') throw new ArgumentError(`experiment.initialWeights[${i}]`, w, '{ name, shape, values }');
    if (given.has(w.name)) throw new ArgumentError(`experiment.initialWeights[${i}].name`, w.name, 'a tensor named once');
    given.set(w.name, w);
  });
  const names = own.map((w) => w.name);
  const foreign = [...given.keys()].filter((n) => !names.includes(n));
  const missing = names.filter((n) => !given.has(n));
  if (foreign.length || missing.length) {
    throw new ArgumentError('experiment.initialWeights', [...given.keys()].join(', '),
      `the model's tensors ${names.join(', ')}${missing.length ? ` (missing: ${missing.join(', ')})` : ''}${foreign.length ? ` (not in the model: ${foreign.join(', ')})` : ''}`);
  }
  for (const w of own) {
    const g = given.get(w.name)!;
    if (g.shape && g.shape.join() !== w.shape.join()) throw new ArgumentError(`experiment.initialWeights["${w.name}"].shape`, `[${g.shape.join(', ')}]`, `[${w.shape.join(', ')}], the model's`);
  }
  model.setWeights(own.map((w) => given.get(w.name)!.values));
}

/**
 * The store's checkpoint when it belongs to this run and hash, else null (with a note saying why
 * it is not used: the run then starts from the beginning and overwrites it).
 */
function usableCheckpoint(
  checkpoint: NonNullable<ExperimentOptions['checkpoint']>,
  onNote: ExperimentOptions['onNote'],
): { bytes: Uint8Array; info: ExperimentCheckpointInfo; where: string } | null {
  const bytes = checkpoint.store.load();
  if (!bytes) return null;
  let manifest: CheckpointManifest;
  try {
    manifest = decodeCheckpoint(bytes, `the checkpoint of ${checkpoint.run}`).manifest;
  } catch (e) {
    if (checkpoint.required) throw e;
    onNote?.(`its checkpoint is unreadable (${(e as Error).message}): starting from the beginning`);
    return null;
  }
  const info = manifest.metadata.experiment as ExperimentCheckpointInfo | undefined;
  const step = manifest.training.step;
  const position = manifest.fit ? `, next epoch ${manifest.fit.epoch + 1} batch ${manifest.fit.batch + 1}` : '';
  if (!info && checkpoint.required && manifest.fit) return { bytes, info: { run: checkpoint.run, hash: checkpoint.hash, phase: 'train', seconds: 0 }, where: `train${position}, step ${step}` };
  if (!info || info.run !== checkpoint.run || info.hash !== checkpoint.hash) {
    if (checkpoint.required) throw new ModelFileError(`the checkpoint of ${checkpoint.run} was taken for ${info ? `${info.run} (hash ${info.hash})` : 'something else'}: it cannot continue this run`);
    onNote?.(`its checkpoint was taken ${info?.run === checkpoint.run ? 'with another config (its hash differs)' : 'for another run'}: starting from the beginning`);
    return null;
  }
  return { bytes, info, where: `${info.phase}${position}, step ${step}` };
}

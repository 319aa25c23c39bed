import type { Engine } from '../backend/engine.js';
import { datasetSize, sliceDataset, type Dataset } from '../data/dataset.js';
import { ArgumentError } from '../errors.js';
import { decodeCheckpoint, encodeCheckpoint, restoreCheckpoint } from '../io/checkpoint.js';
import { presetSpec, type ModelPreset } from '../model/presets.js';
import { Sequential } from '../model/sequential.js';
import { optimizerFromSpec } from '../optim/spec.js';
import { Chain } from '../optim/transform.js';
import { pruneAndFineTune } from '../prune/fine_tune.js';
import { iterativePruning } from '../prune/iterative.js';
import { magnitudePrune } from '../prune/magnitude.js';
import { weightMask } from '../prune/mask.js';
import { reduce } from '../reduce/reduce.js';
import { groupDependency } from '../sparsity/dependency.js';
import { measureSparsity } from '../sparsity/measure.js';
import type { BatchLog, EpochLog, FitOptions } from '../train/fit.js';
import { withStrength, type SweepConfig, type SweepRun } from './config.js';
import { sweepRunHash, weightsHash } from './fingerprint.js';
import type { RunCheckpointStore } from './run_checkpoint_file.js';

/** What one finished run appends to the sweep's JSONL file. */
export interface SweepResult extends SweepRun {
  /** sweepRunHash: what in the config this row's result depends on. Absent in rows of older versions. */
  configHash: string;
  epochs: number;
  /** Test accuracy of the trained (and pruned, fine-tuned) model. */
  testAccuracy: number;
  /** Parameters of the model as built. */
  params: number;
  /** Nonzero parameters of the trained model (every tensor). */
  nonzeroParams: number;
  /** Kernel weights, those exactly zero and those with |w| < 1e-13 (pWD's sparsity measure). */
  kernelWeights: number;
  kernelZeros: number;
  kernelBelowEps: number;
  /** Hidden units (neurons and channels) and those removable (group norm < xi). */
  hiddenUnits: number;
  deadUnits: number;
  xi: number;
  /** The physically reduced model: parameters, nonzero parameters, FLOPs per sample, test accuracy. */
  reducedParams: number;
  reducedNonzeroParams: number;
  flops: number;
  reducedFlops: number;
  reducedAccuracy: number;
  /** Iterative pruning only: the best checkpoint's validation accuracy and the evaluations made. */
  valAccuracy?: number;
  evaluations?: number;
  /** With validationSamples: the last epoch's validation loss (the accuracy is valAccuracy). */
  valLoss?: number;
  /** Every epoch of the main training and of the fine-tune, with its sparsity (see EpochRecord). */
  history?: EpochRecord[];
  /** weightsHash of the final model (trained, pruned, fine-tuned; before reduction). */
  weightsHash: string;
  /** Wall time of the run, over all its attempts when it resumed from a checkpoint. */
  seconds: number;
}

/** One layer's groups at the end of an epoch. */
export interface EpochLayerRecord {
  layer: string;
  units: number;
  /** Units with group norm below the epoch's xi. */
  dead: number;
  /** log10 group-norm histogram: counts of [lo + i/4, lo + (i+1)/4) decades, and exact zeros. */
  histogram: { lo: number; counts: number[]; zeros: number };
  /** When a batch norm follows: the mean beta of the dead and of the live units, and how many dead ones have beta < 0. */
  beta?: { deadMean: number | null; liveMean: number | null; deadNegative: number };
}

/** One epoch of a run: fit's log (losses, accuracies, lr) and the sparsity the model had then. */
export interface EpochRecord {
  phase: 'train' | 'fine-tune';
  epoch: number;
  loss: number;
  accuracy: number;
  valLoss?: number;
  valAccuracy?: number;
  lr: number;
  /** The dead-group threshold of this epoch (the config's xi, else the gap rule's). */
  xi: number;
  hiddenUnits: number;
  deadUnits: number;
  /** Kernel weights exactly zero and below 1e-13. */
  kernelZeros: number;
  kernelBelowEps: number;
  layers: EpochLayerRecord[];
}

/** Which part of a run a checkpoint was taken in. */
export type SweepRunPhase = 'train' | 'trained' | 'fine-tune';

/** What a sweep run's checkpoint records beside the model, under metadata.sweepRun. */
export interface SweepRunCheckpointInfo {
  run: string;
  configHash: string;
  /** 'train': inside the main fit; 'trained': the main fit done, before pruning; 'fine-tune': inside the fine-tune fit. */
  phase: SweepRunPhase;
  /** Seconds the run had taken when the checkpoint was written. */
  seconds: number;
  /** After an iterative-pruning training: the row's valAccuracy and evaluations. */
  iterative?: { valAccuracy?: number; evaluations: number };
  /** The epoch records so far. */
  history?: EpochRecord[];
}

export interface SweepRunOptions {
  /**
   * Checkpoint into `store` every `everySteps` optimizer steps (0: only at epoch ends) and at
   * every epoch end, and resume from what it holds. The main training (plain or the iterative
   * pruning loop, whose state rides along) and the fine-tune resume inside their fits; between
   * the two a 'trained' checkpoint holds the end of training.
   */
  checkpoint?: { store: RunCheckpointStore; everySteps: number };
  /** A line worth showing the user (resumed from a checkpoint, a checkpoint not used). */
  onNote?: (text: string) => void;
  /**
   * Stops the run at its next batch (the fit rejects with the signal's reason), after writing the
   * checkpoint there when the run has one, so that the next start resumes where it stood.
   */
  signal?: AbortSignal;
}

export interface RunProgress {
  phase: 'train' | 'fine-tune';
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  loss: number;
  samplesPerSecond: number;
  /** Seconds left in this phase. */
  eta: number;
}

function countNonzero(model: Sequential): number {
  let n = 0;
  for (const t of model.params.tensors) for (const v of model.params.values(t)) if (v !== 0) n++;
  return n;
}

/**
 * Trains, optionally prunes and fine-tunes, then measures and reduces one run of a sweep. Pure
 * library code: the sweep command calls it in worker threads, tests call it directly.
 */
export async function executeSweepRun(
  engine: Engine,
  config: SweepConfig,
  run: SweepRun,
  data: { train: Dataset; test: Dataset },
  onProgress: (p: RunProgress) => void = () => {},
  options: SweepRunOptions = {},
): Promise<SweepResult> {
  let started = performance.now();
  // "$strength" may stand anywhere in the method: optimizer, prune, fine-tune or iterative options.
  const method = withStrength(config.methods.find((m) => m.name === run.method)!, run.strength);
  const configHash = await sweepRunHash(config, run);
  const checkpoint = options.checkpoint;
  const resume = checkpoint ? usableCheckpoint(checkpoint.store, run, configHash, options.onNote) : null;
  if (resume) {
    started -= resume.info.seconds * 1000;
    options.onNote?.(`resuming from its checkpoint (${resume.where})`);
  }
  const seconds = () => (performance.now() - started) / 1000;
  let iterative: SweepRunCheckpointInfo['iterative'] = resume?.info.iterative;
  const records: EpochRecord[] = [...(resume?.info.history ?? [])];
  const info = (phase: SweepRunPhase): { sweepRun: SweepRunCheckpointInfo } => ({
    sweepRun: { run: run.id, configHash, phase, seconds: seconds(), ...(iterative ? { iterative } : {}), history: [...records] },
  });
  const fitCheckpoint = (phase: SweepRunPhase): Pick<FitOptions, 'checkpoint'> =>
    checkpoint
      ? {
          checkpoint: {
            everyEpochs: 1,
            ...(checkpoint.everySteps > 0 ? { everySteps: checkpoint.everySteps } : {}),
            // Read at each save, so the elapsed time is current.
            get metadata() {
              return info(phase);
            },
            save: (bytes) => checkpoint.store.save(bytes),
          },
        }
      : {};
  const resumeIn = (phase: SweepRunPhase): Pick<FitOptions, 'resume'> => (resume?.info.phase === phase ? { resume: resume.bytes } : {});
  const epochs = method.epochs ?? config.epochs;
  const batchSize = config.batchSize ?? 64;
  const { test } = data;
  // The validation set is the last validationSamples training rows; the runs train on the rest.
  const rows = datasetSize(data.train);
  const held = config.validationSamples ?? 0;
  if (held >= rows) throw new ArgumentError('validationSamples', held, `fewer than the ${rows} training samples`);
  const train = held ? sliceDataset(data.train, 0, rows - held) : data.train;
  const validation = held ? sliceDataset(data.train, rows - held) : null;
  const validationData: Pick<FitOptions, 'validationData'> = validation ? { validationData: { x: validation.x, y: validation.y } } : {};
  const modelOf = method.model ?? config.model;
  const spec =
    typeof modelOf === 'string'
      ? presetSpec(modelOf as ModelPreset, train.shape, train.classes, run.seed)
      : { inputShape: modelOf.inputShape ?? train.shape, layers: modelOf.layers, seed: run.seed };
  const model = Sequential.build(engine, spec);
  try {
    let optimizer = optimizerFromSpec(method.optimizer);
    if (method.iterative && !optimizer.transforms.some((t) => t.name === 'weightMask')) optimizer = new Chain([optimizer, weightMask()]);
    model.compile({ optimizer, loss: 'crossEntropy' });
    const stop = options.signal ? { signal: options.signal } : {};
    const record = (phase: EpochRecord['phase']) => ({ onEpochEnd: (log: EpochLog) => records.push(epochRecord(model, phase, log, config.xi)) });
    const progress = (phase: RunProgress['phase'], total: number) => (b: BatchLog) =>
      onProgress({ phase, epoch: b.epoch, epochs: total, batch: b.batch, batches: b.batches, loss: b.loss, samplesPerSecond: b.samplesPerSecond, eta: b.eta });

    // Iterative pruning's figures, kept in later checkpoints so that a resumed run still reports them.
    let valAccuracy: number | undefined = resume?.info.iterative?.valAccuracy;
    let evaluations: number | undefined = resume?.info.iterative?.evaluations;
    if (resume?.info.phase === 'trained') {
      restoreCheckpoint(model, resume.bytes, resume.where);
    } else if (resume?.info.phase !== 'fine-tune') {
      if (method.iterative) {
        const it = method.iterative;
        const result = await iterativePruning(model, train.x, train.y, {
          validationSplit: it.validationSplit, interval: it.interval, floor: it.floor,
          ...(it.fraction !== undefined ? { fraction: it.fraction } : {}),
          ...(it.patience !== undefined ? { patience: it.patience } : {}),
          epochs, batchSize, seed: run.seed, onBatchEnd: progress('train', epochs), ...stop, ...fitCheckpoint('train'), ...resumeIn('train'),
        });
        valAccuracy = result.best?.valAccuracy;
        evaluations = result.evaluations.length;
        iterative = { ...(valAccuracy !== undefined ? { valAccuracy } : {}), evaluations };
      } else {
        await model.fit(train.x, train.y, { epochs, batchSize, seed: run.seed, onBatchEnd: progress('train', epochs), ...record('train'), ...validationData, ...stop, ...fitCheckpoint('train'), ...resumeIn('train') });
      }
      // The end of training, so that an interrupted fine-tune never trains again.
      if (checkpoint && method.fineTune && method.prune) await checkpoint.store.save(encodeCheckpoint(model, null, info('trained')));
    }
    if (method.prune) {
      if (method.fineTune) {
        // Resuming the fine-tune: the prune here sees the fresh model, but the fit's resume then puts
        // back the checkpoint's weights, optimizer state and masks (the weightMask's state).
        await pruneAndFineTune(model, train.x, train.y, {
          prune: method.prune,
          ...(method.fineTune.optimizer ? { optimizer: optimizerFromSpec(method.fineTune.optimizer) } : {}),
          fit: {
            epochs: method.fineTune.epochs, batchSize, seed: run.seed + 1, onBatchEnd: progress('fine-tune', method.fineTune.epochs), ...record('fine-tune'), ...validationData, ...stop,
            ...fitCheckpoint('fine-tune'), ...resumeIn('fine-tune'),
          },
        });
      } else {
        magnitudePrune(model, method.prune);
      }
    }

    const testAccuracy = model.evaluate(test.x, test.y, { batchSize: 256 }).accuracy;
    const sparsity = measureSparsity(model, config.xi !== undefined ? { xi: config.xi } : {});
    let kernelWeights = 0, kernelZeros = 0;
    for (const t of model.params.tensors) {
      if (t.kind !== 'kernel') continue;
      kernelWeights += t.size;
      for (const v of model.params.values(t)) if (v === 0) kernelZeros++;
    }
    const finalWeights = await weightsHash(model.getWeights());
    const { model: reduced } = reduce(model, { xi: sparsity.threshold.xi });
    try {
      return {
        ...run,
        configHash,
        epochs,
        testAccuracy,
        params: model.parameterCount,
        nonzeroParams: countNonzero(model),
        kernelWeights,
        kernelZeros,
        kernelBelowEps: sparsity.zeroWeights,
        hiddenUnits: sparsity.hiddenUnits,
        deadUnits: sparsity.deadHiddenUnits,
        xi: sparsity.threshold.xi,
        reducedParams: reduced.parameterCount,
        reducedNonzeroParams: countNonzero(reduced),
        flops: model.flops,
        reducedFlops: reduced.flops,
        reducedAccuracy: reduced.evaluate(test.x, test.y, { batchSize: 256 }).accuracy,
        ...(valAccuracy !== undefined ? { valAccuracy } : {}),
        ...(evaluations !== undefined ? { evaluations } : {}),
        ...(validation ? lastValidation(records) : {}),
        ...(records.length ? { history: records } : {}),
        weightsHash: finalWeights,
        seconds: seconds(),
      };
    } finally {
      reduced.dispose();
    }
  } finally {
    model.dispose();
  }
}

/**
 * The store's checkpoint when it belongs to this run and config, else null (with a note saying why
 * it is not used: the run then starts from the beginning and overwrites it).
 */
function usableCheckpoint(
  store: RunCheckpointStore,
  run: SweepRun,
  configHash: string,
  onNote: SweepRunOptions['onNote'],
): { bytes: Uint8Array; info: SweepRunCheckpointInfo; where: string } | null {
  const bytes = store.load();
  if (!bytes) return null;
  let info: SweepRunCheckpointInfo | undefined;
  let step = 0;
  let position = '';
  try {
    const { manifest } = decodeCheckpoint(bytes, `the checkpoint of ${run.id}`);
    info = manifest.metadata.sweepRun as SweepRunCheckpointInfo | undefined;
    step = manifest.training.step;
    if (manifest.fit) position = `, next epoch ${manifest.fit.epoch + 1} batch ${manifest.fit.batch + 1}`;
  } catch (e) {
    onNote?.(`its checkpoint is unreadable (${(e as Error).message}): starting from the beginning`);
    return null;
  }
  if (!info || info.run !== run.id || info.configHash !== configHash) {
    onNote?.(`its checkpoint was taken ${info?.run === run.id ? 'with another config (configHash differs)' : 'for another run'}: starting from the beginning`);
    return null;
  }
  return { bytes, info, where: `${info.phase}${position}, step ${step}` };
}

/** The last epoch's validation loss and accuracy, for the row. */
function lastValidation(records: readonly EpochRecord[]): Pick<SweepResult, 'valLoss' | 'valAccuracy'> {
  const last = records[records.length - 1];
  return last?.valAccuracy === undefined ? {} : { valLoss: last.valLoss!, valAccuracy: last.valAccuracy };
}

function mean(values: number[]): number | null {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : null;
}

/**
 * An epoch's record: fit's log and the model's sparsity at that moment (group norms against the
 * epoch's xi, exact and below-1e-13 kernel zeros, and where a batch norm follows a layer, the beta
 * of its dead and live units: the hypothesis that units die once beta drifts negative).
 */
export function epochRecord(model: Sequential, phase: EpochRecord['phase'], log: EpochLog, xi?: number): EpochRecord {
  const sparsity = measureSparsity(model, xi === undefined ? {} : { xi });
  let kernelZeros = 0;
  for (const t of model.params.tensors) if (t.kind === 'kernel') for (const v of model.params.values(t)) if (v === 0) kernelZeros++;
  const segments = new Map(groupDependency(model).segments.map((s) => [s.layer.name, s]));
  const layers = sparsity.layers.slice(0, -1).map((l): EpochLayerRecord => {
    const norm = segments.get(l.layer)?.between.find((b) => b.type === 'batchNorm');
    const h = l.histogram;
    const out: EpochLayerRecord = { layer: l.layer, units: l.units, dead: l.dead.length, histogram: { lo: h.edges[0] ?? 0, counts: h.counts, zeros: h.zeros } };
    if (norm) {
      const beta = model.params.values(model.params.tensor(`${norm.name}/beta`));
      const dead = new Set(l.dead);
      const deadBeta = l.dead.map((k) => beta[k]);
      const liveBeta = Array.from(beta).filter((_, k) => !dead.has(k));
      out.beta = { deadMean: mean(deadBeta), liveMean: mean(liveBeta), deadNegative: deadBeta.filter((b) => b < 0).length };
    }
    return out;
  });
  return {
    phase, epoch: log.epoch, loss: log.loss, accuracy: log.accuracy,
    ...(log.valLoss !== undefined ? { valLoss: log.valLoss, valAccuracy: log.valAccuracy } : {}),
    lr: log.lr, xi: sparsity.threshold.xi, hiddenUnits: sparsity.hiddenUnits, deadUnits: sparsity.deadHiddenUnits,
    kernelZeros, kernelBelowEps: Math.round(sparsity.zeroWeights), layers,
  };
}

import type { Engine } from '../backend/engine.js';
import type { Dataset } from '../data/dataset.js';
import { kernelZeroCount, keptValidation, type EpochRecord } from '../experiment/epoch_record.js';
import type { PruningEvaluation } from '../prune/iterative.js';
import { runExperiment, type ExperimentSpec } from '../experiment/run_experiment.js';
import type { NamedWeight, Sequential } from '../model/sequential.js';
import { SlimtrainError } from '../errors.js';
import { startRun, withStrength, type SweepConfig, type SweepRun } from './config.js';
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
  /**
   * The final model's validation accuracy: with iterative pruning the kept checkpoint's; with
   * validationSamples the last epoch's, or the fine-tuning epoch kept (keptValidation). Iterative
   * pruning only: the evaluations made.
   */
  valAccuracy?: number;
  evaluations?: number;
  /** Iterative pruning only: each evaluation (step, epoch, validation accuracy, share of the weights left, pruned or not). */
  evaluationLog?: PruningEvaluation[];
  /** With liveReduction: each cut (epochs done, steps, units removed, parameters after it). */
  liveCuts?: { epoch: number; step: number; removed: number; parameters: number }[];
  /** With validationSamples: the final model's validation loss and accuracy (keptValidation: the last epoch's, or the fine-tuning epoch kept). */
  valLoss?: number;
  /** Every epoch of the main training and of the fine-tune, with its sparsity (see EpochRecord). */
  history?: EpochRecord[];
  /** With the method's start: the run whose final model this run started from. */
  startedFrom?: string;
  /** weightsHash of the final model (trained, pruned, fine-tuned; before reduction). */
  weightsHash: string;
  /** Wall time of the run, over all its attempts when it resumed from a checkpoint. */
  seconds: number;
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
  /**
   * With the method's start: the source run's final weights, and the weightsHash its row records
   * (checked here, so a model file that is not that run's is never trained on).
   */
  start?: RunStartWeights;
  /** Called with the final and the reduced model before they are disposed (the sweep saves them with saveModels). */
  onModels?: (model: Sequential, reduced: Sequential, result: SweepResult) => void;
}

/** The weights a run starts from: those of the run `from`, whose row says they hash to `weightsHash`. */
export interface RunStartWeights {
  from: string;
  weights: NamedWeight[];
  weightsHash: string;
  /** Where they were read, for the error when they do not match. */
  source: string;
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
 * One run of a sweep: its method at its strength and seed as an ExperimentSpec, through
 * runExperiment, and the row it appends. Pure library code: the sweep command calls it in worker
 * threads, tests call it directly.
 */
export async function executeSweepRun(
  engine: Engine,
  config: SweepConfig,
  run: SweepRun,
  data: { train: Dataset; test: Dataset },
  onProgress: (p: RunProgress) => void = () => {},
  options: SweepRunOptions = {},
): Promise<SweepResult> {
  const configHash = await sweepRunHash(config, run);
  const source = startRun(config, run);
  if (source && options.start?.from !== source.id) {
    throw new SlimtrainError(`${run.id} starts from ${source.id}'s final model: pass it as options.start (${options.start ? `given ${options.start.from}'s` : 'none given'})`);
  }
  if (!source && options.start) throw new SlimtrainError(`${run.id}: its method has no start, yet options.start gives ${options.start.from}'s weights`);
  const spec = sweepRunSpec(config, run);
  if (source) {
    const start = options.start!;
    const hash = await weightsHash(start.weights);
    if (hash !== start.weightsHash) {
      throw new SlimtrainError(`${start.source} holds weights with hash ${hash}, but ${source.id}'s row records ${start.weightsHash}: the file is not that run's final model (run ${source.id} again to remake it)`);
    }
    spec.initialWeights = start.weights;
  }
  const totals = { train: spec.epochs, 'fine-tune': spec.fineTune?.epochs ?? 0 };
  const r = await runExperiment(engine, spec, data, {
    onBatchEnd: (phase, b) =>
      onProgress({ phase, epoch: b.epoch, epochs: totals[phase], batch: b.batch, batches: b.batches, loss: b.loss, samplesPerSecond: b.samplesPerSecond, eta: b.eta }),
    ...(options.checkpoint ? { checkpoint: { ...options.checkpoint, run: run.id, hash: configHash } } : {}),
    ...(options.onNote ? { onNote: options.onNote } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const { model, sparsity } = r;
  const reduced = r.reduced!.model;
  try {
    const { weights: kernelWeights, zeros: kernelZeros } = kernelZeroCount(model);
    const result: SweepResult = {
      ...run,
      configHash,
      epochs: spec.epochs,
      testAccuracy: r.test.accuracy,
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
      reducedAccuracy: r.reducedTest!.accuracy,
      ...(r.iterative?.valAccuracy !== undefined ? { valAccuracy: r.iterative.valAccuracy } : {}),
      ...(r.iterative ? { evaluations: r.iterative.evaluations } : {}),
      ...(r.iterative?.log ? { evaluationLog: r.iterative.log } : {}),
      ...(spec.liveReduction ? { liveCuts: r.reductions.map((c) => ({ epoch: c.epoch, step: c.step, removed: c.removed, parameters: c.parameters.after })) } : {}),
      ...(spec.validationSamples ? keptValidation(r.history, spec.fineTune) : {}),
      ...(r.history.length ? { history: r.history } : {}),
      ...(source ? { startedFrom: source.id } : {}),
      weightsHash: await weightsHash(model.getWeights()),
      seconds: r.seconds,
    };
    options.onModels?.(model, reduced, result);
    return result;
  } finally {
    reduced.dispose();
    model.dispose();
  }
}

/** A sweep run as an experiment: its method at its strength ("$strength" substituted anywhere) and seed. */
export function sweepRunSpec(config: SweepConfig, run: SweepRun): ExperimentSpec {
  const method = withStrength(config.methods.find((m) => m.name === run.method)!, run.strength);
  return {
    model: method.model ?? config.model,
    optimizer: method.optimizer,
    epochs: method.epochs ?? config.epochs,
    batchSize: config.batchSize ?? 64,
    seed: run.seed,
    ...(config.validationSamples !== undefined ? { validationSamples: config.validationSamples } : {}),
    ...(config.augment ? { augment: config.augment } : {}),
    ...(method.prune ? { prune: method.prune } : {}),
    ...(method.fineTune ? { fineTune: method.fineTune } : {}),
    ...(method.iterative ? { iterative: method.iterative } : {}),
    ...(method.liveReduction ? { liveReduction: method.liveReduction } : {}),
    ...(config.xi !== undefined ? { xi: config.xi } : {}),
  };
}

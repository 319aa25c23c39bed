import type { Engine } from '../backend/engine.js';
import type { Dataset } from '../data/dataset.js';
import { presetSpec, type ModelPreset } from '../model/presets.js';
import { Sequential } from '../model/sequential.js';
import { optimizerFromSpec } from '../optim/spec.js';
import { Chain } from '../optim/transform.js';
import { pruneAndFineTune } from '../prune/fine_tune.js';
import { iterativePruning } from '../prune/iterative.js';
import { magnitudePrune } from '../prune/magnitude.js';
import { weightMask } from '../prune/mask.js';
import { reduce } from '../reduce/reduce.js';
import { measureSparsity } from '../sparsity/measure.js';
import type { BatchLog } from '../train/fit.js';
import { withStrength, type SweepConfig, type SweepRun } from './config.js';

/** What one finished run appends to the sweep's JSONL file. */
export interface SweepResult extends SweepRun {
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
  seconds: number;
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
): Promise<SweepResult> {
  const started = performance.now();
  // "$strength" may stand anywhere in the method: optimizer, prune, fine-tune or iterative options.
  const method = withStrength(config.methods.find((m) => m.name === run.method)!, run.strength);
  const epochs = method.epochs ?? config.epochs;
  const batchSize = config.batchSize ?? 64;
  const { train, test } = data;
  const spec =
    typeof config.model === 'string'
      ? presetSpec(config.model as ModelPreset, train.shape, train.classes, run.seed)
      : { inputShape: config.model.inputShape ?? train.shape, layers: config.model.layers, seed: run.seed };
  const model = Sequential.build(engine, spec);
  try {
    let optimizer = optimizerFromSpec(method.optimizer);
    if (method.iterative && !optimizer.transforms.some((t) => t.name === 'weightMask')) optimizer = new Chain([optimizer, weightMask()]);
    model.compile({ optimizer, loss: 'crossEntropy' });
    const progress = (phase: RunProgress['phase'], total: number) => (b: BatchLog) =>
      onProgress({ phase, epoch: b.epoch, epochs: total, batch: b.batch, batches: b.batches, loss: b.loss, samplesPerSecond: b.samplesPerSecond, eta: b.eta });

    let valAccuracy: number | undefined;
    let evaluations: number | undefined;
    if (method.iterative) {
      const it = method.iterative;
      const result = await iterativePruning(model, train.x, train.y, {
        validationSplit: it.validationSplit, interval: it.interval, floor: it.floor,
        ...(it.fraction !== undefined ? { fraction: it.fraction } : {}),
        ...(it.patience !== undefined ? { patience: it.patience } : {}),
        epochs, batchSize, seed: run.seed, onBatchEnd: progress('train', epochs),
      });
      valAccuracy = result.best?.valAccuracy;
      evaluations = result.evaluations.length;
    } else {
      await model.fit(train.x, train.y, { epochs, batchSize, seed: run.seed, onBatchEnd: progress('train', epochs) });
    }
    if (method.prune) {
      if (method.fineTune) {
        await pruneAndFineTune(model, train.x, train.y, {
          prune: method.prune,
          ...(method.fineTune.optimizer ? { optimizer: optimizerFromSpec(method.fineTune.optimizer) } : {}),
          fit: { epochs: method.fineTune.epochs, batchSize, seed: run.seed + 1, onBatchEnd: progress('fine-tune', method.fineTune.epochs) },
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
    const { model: reduced } = reduce(model, { xi: sparsity.threshold.xi });
    try {
      return {
        ...run,
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
        seconds: (performance.now() - started) / 1000,
      };
    } finally {
      reduced.dispose();
    }
  } finally {
    model.dispose();
  }
}

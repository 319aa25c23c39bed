import { groupDependency } from '../sparsity/dependency.js';
import { measureSparsity } from '../sparsity/measure.js';
import type { Sequential } from '../model/sequential.js';
import type { EpochLog } from '../train/fit.js';

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
  /** Parameters of the model at the epoch's end (falls with live reduction). Absent in older rows. */
  parameters?: number;
  /** The dead-group threshold of this epoch (the config's xi, else the gap rule's). */
  xi: number;
  hiddenUnits: number;
  deadUnits: number;
  /** Kernel weights exactly zero and below 1e-13. */
  kernelZeros: number;
  kernelBelowEps: number;
  layers: EpochLayerRecord[];
}

/** Kernel weights, and those exactly 0 (pruned, or driven to 0 by a decay), over every kernel. */
export function kernelZeroCount(model: Sequential): { weights: number; zeros: number } {
  let weights = 0;
  let zeros = 0;
  for (const t of model.params.tensors) {
    if (t.kind !== 'kernel') continue;
    weights += t.size;
    for (const v of model.params.values(t)) if (v === 0) zeros++;
  }
  return { weights, zeros };
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
  const { zeros: kernelZeros } = kernelZeroCount(model);
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
    lr: log.lr, parameters: model.parameterCount, xi: sparsity.threshold.xi, hiddenUnits: sparsity.hiddenUnits, deadUnits: sparsity.deadHiddenUnits,
    kernelZeros, kernelBelowEps: Math.round(sparsity.zeroWeights), layers,
  };
}

/**
 * The validation loss and accuracy of the model a run ends with: the last epoch's, or with
 * `fineTune.keep: 'best'` the epoch the last fine-tuning round kept (its first best validation
 * accuracy, as fit's early stopping keeps it). Also for rows written before rows recorded the kept
 * epoch (their history has every epoch).
 */
export function keptValidation(records: readonly EpochRecord[], fineTune: { epochs: number; keep?: 'last' | 'best' } | undefined): { valLoss?: number; valAccuracy?: number } {
  const last = records[records.length - 1];
  if (last?.valAccuracy === undefined) return {};
  if (fineTune?.keep !== 'best') return { valLoss: last.valLoss!, valAccuracy: last.valAccuracy };
  const round = records.filter((r) => r.phase === 'fine-tune').slice(-fineTune.epochs);
  let kept = round[0] ?? last;
  for (const r of round) if (r.valAccuracy! > kept.valAccuracy!) kept = r;
  return { valLoss: kept.valLoss!, valAccuracy: kept.valAccuracy! };
}

import type { EpochRecord } from '../experiment/epoch_record.js';
import { lineChartSvg, type LineChart } from './line_chart.js';
import type { SweepResult } from './run.js';

/** One run's value of some measure after each epoch of its main training. */
export interface EpochCurve {
  id: string;
  method: string;
  /** The method and strength ("adam+l2 0.0005"): the seeds of one grid point share it, and a colour. */
  group: string;
  /** Epochs completed (1, 2, ...) and the measure then. */
  epochs: number[];
  values: number[];
}

/** One run's removable units (hidden units below the epoch's xi) after each epoch of its main training. */
export interface RemovableUnitsCurve {
  id: string;
  method: string;
  group: string;
  epochs: number[];
  units: number[];
  hiddenUnits: number;
}

/** Main-training epochs of a row, when it recorded two or more. */
function trainingEpochs(r: SweepResult): EpochRecord[] {
  const train = (r.history ?? []).filter((h) => h.phase === 'train');
  return train.length < 2 ? [] : train;
}

/**
 * The curve of `measure` for every row with two or more training epochs in which the measure is
 * known at every epoch (it returns undefined where not), in row order.
 */
export function epochCurves(results: readonly SweepResult[], measure: (h: EpochRecord, r: SweepResult) => number | undefined): EpochCurve[] {
  return results.flatMap((r) => {
    const train = trainingEpochs(r);
    const values = train.map((h) => measure(h, r));
    if (train.length === 0 || values.some((v) => v === undefined)) return [];
    return [{ id: r.id, method: r.method, group: `${r.method} ${r.strength}`, epochs: train.map((h) => h.epoch + 1), values: values as number[] }];
  });
}

/** The curves of the rows that recorded a history of two or more training epochs, in row order. */
export function removableUnitsCurves(results: readonly SweepResult[]): RemovableUnitsCurve[] {
  const byId = new Map(results.map((r) => [r.id, r]));
  return epochCurves(results, (h) => h.deadUnits).map(({ values, ...c }) => ({ ...c, units: values, hiddenUnits: trainingEpochs(byId.get(c.id)!)[0].hiddenUnits }));
}

function epochTicks(curves: readonly { epochs: number[] }[]): { maxEpoch: number; xTicks: LineChart['xTicks'] } {
  const maxEpoch = Math.max(...curves.flatMap((c) => c.epochs));
  const step = Math.max(1, Math.ceil(maxEpoch / 10));
  const xTicks: LineChart['xTicks'] = [];
  for (let e = 1; e <= maxEpoch; e += e === 1 && step > 1 ? step - 1 : step) xTicks.push({ at: e, label: String(e) });
  return { maxEpoch, xTicks };
}

/**
 * Removable units against epochs, one line per run, one colour per method and strength (its seeds
 * share it): when do units die, and does the count settle? Null when no row has such a history.
 */
export function removableUnitsSvg(results: readonly SweepResult[], title: string): string | null {
  const curves = removableUnitsCurves(results);
  if (curves.length === 0) return null;
  const { maxEpoch, xTicks } = epochTicks(curves);
  const maxUnits = Math.max(1, ...curves.map((c) => c.hiddenUnits));
  return lineChartSvg({
    title, xLabel: 'epoch', yLabel: `removable hidden units (of ${maxUnits})`,
    xRange: [1, Math.max(2, maxEpoch)], yRange: [0, maxUnits], xTicks,
    yTicks: [0, 1, 2, 3, 4].map((k) => Math.round((k * maxUnits) / 4)).map((u) => ({ at: u, label: String(u) })),
    lines: curves.map((c) => ({ group: c.group, x: c.epochs, y: c.units, title: `${c.id}: ${c.units[c.units.length - 1]} removable after epoch ${c.epochs[c.epochs.length - 1]}` })),
  });
}

/**
 * The share of kernel weights exactly 0 after an epoch, in %: its zeros over the row's kernel
 * weights, which is the epoch's count too unless units were removed during training (live
 * reduction); such a row has no curve, and neither has a row whose epochs do not record their
 * parameter count (rows written before it was recorded).
 */
function zeroShare(h: EpochRecord, r: SweepResult): number | undefined {
  const first = r.history?.[0]?.parameters;
  if (h.parameters === undefined || first === undefined || h.parameters !== first || !(r.kernelWeights > 0)) return undefined;
  return (100 * h.kernelZeros) / r.kernelWeights;
}

/**
 * Kernel weights exactly zero (%) against epochs, one line per run: how far the share still climbs
 * when training stops. Null when no run has such a history or no run has a zero at any epoch.
 */
export function zeroShareSvg(results: readonly SweepResult[], title: string): string | null {
  const curves = epochCurves(results, zeroShare);
  if (curves.length === 0 || curves.every((c) => c.values.every((v) => v === 0))) return null;
  const { maxEpoch, xTicks } = epochTicks(curves);
  return lineChartSvg({
    title, xLabel: 'epoch', yLabel: 'kernel weights exactly 0 (%)',
    xRange: [1, Math.max(2, maxEpoch)], yRange: [0, 100], xTicks,
    yTicks: [0, 25, 50, 75, 100].map((v) => ({ at: v, label: `${v}%` })),
    lines: curves.map((c) => ({ group: c.group, x: c.epochs, y: c.values, title: `${c.id}: ${c.values[c.values.length - 1].toFixed(1)}% exactly 0 after epoch ${c.epochs[c.epochs.length - 1]}` })),
  });
}

/**
 * Validation accuracy (%) against epochs, one line per run; the y axis spans the curves' range in
 * steps of 5 points. Null when no run recorded a validation accuracy at every training epoch.
 */
export function validationCurvesSvg(results: readonly SweepResult[], title: string): string | null {
  const curves = epochCurves(results, (h) => (h.valAccuracy === undefined ? undefined : 100 * h.valAccuracy));
  if (curves.length === 0) return null;
  const { maxEpoch, xTicks } = epochTicks(curves);
  const all = curves.flatMap((c) => c.values);
  const hi = Math.min(100, Math.max(5, Math.ceil(Math.max(...all) / 5) * 5));
  // At least 5 points tall, even when every value is 100%.
  const lo = Math.min(hi - 5, Math.max(0, Math.floor(Math.min(...all) / 5) * 5));
  const yTicks: LineChart['yTicks'] = [];
  const tick = hi - lo > 40 ? 10 : 5;
  for (let v = hi; v >= lo; v -= tick) yTicks.unshift({ at: v, label: `${v}%` });
  return lineChartSvg({
    title, xLabel: 'epoch', yLabel: 'validation accuracy (%)',
    xRange: [1, Math.max(2, maxEpoch)], yRange: [lo, hi], xTicks, yTicks,
    lines: curves.map((c) => ({ group: c.group, x: c.epochs, y: c.values, title: `${c.id}: ${c.values[c.values.length - 1].toFixed(2)}% after epoch ${c.epochs[c.epochs.length - 1]}` })),
  });
}

import { lineChartSvg, type LineChart } from './line_chart.js';
import type { SweepResult } from './run.js';

/** One run's removable units (hidden units below the epoch's xi) after each epoch of its main training. */
export interface RemovableUnitsCurve {
  id: string;
  method: string;
  /** The method and strength ("adam+l2 0.0005"): the seeds of one grid point share it, and a colour. */
  group: string;
  /** Epochs completed (1, 2, ...) and the removable units then. */
  epochs: number[];
  units: number[];
  hiddenUnits: number;
}

/** The curves of the rows that recorded a history of two or more training epochs, in row order. */
export function removableUnitsCurves(results: readonly SweepResult[]): RemovableUnitsCurve[] {
  return results.flatMap((r) => {
    const train = (r.history ?? []).filter((h) => h.phase === 'train');
    if (train.length < 2) return [];
    return [{ id: r.id, method: r.method, group: `${r.method} ${r.strength}`, epochs: train.map((h) => h.epoch + 1), units: train.map((h) => h.deadUnits), hiddenUnits: train[0].hiddenUnits }];
  });
}

/**
 * Removable units against epochs, one line per run, one colour per method and strength (its seeds
 * share it): when do units die, and does the count settle? Null when no row has such a history.
 */
export function removableUnitsSvg(results: readonly SweepResult[], title: string): string | null {
  const curves = removableUnitsCurves(results);
  if (curves.length === 0) return null;
  const maxEpoch = Math.max(...curves.flatMap((c) => c.epochs));
  const maxUnits = Math.max(1, ...curves.map((c) => c.hiddenUnits));
  const step = Math.max(1, Math.ceil(maxEpoch / 10));
  const xTicks: LineChart['xTicks'] = [];
  for (let e = 1; e <= maxEpoch; e += e === 1 && step > 1 ? step - 1 : step) xTicks.push({ at: e, label: String(e) });
  return lineChartSvg({
    title, xLabel: 'epoch', yLabel: `removable hidden units (of ${maxUnits})`,
    xRange: [1, Math.max(2, maxEpoch)], yRange: [0, maxUnits], xTicks,
    yTicks: [0, 1, 2, 3, 4].map((k) => Math.round((k * maxUnits) / 4)).map((u) => ({ at: u, label: String(u) })),
    lines: curves.map((c) => ({ group: c.group, x: c.epochs, y: c.units, title: `${c.id}: ${c.units[c.units.length - 1]} removable after epoch ${c.epochs[c.epochs.length - 1]}` })),
  });
}

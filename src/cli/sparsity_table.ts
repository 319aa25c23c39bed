import type { LayerGroupNorms } from '../sparsity/group_norms.js';
import type { SparsityReport } from '../sparsity/measure.js';

/** Group norms of every weighted layer after one epoch (counted against the final xi in reports). */
export interface SparsitySnapshot {
  epoch: number;
  /** Epochs elapsed, for a snapshot inside an epoch (default epoch + 1). */
  at?: number;
  layers: LayerGroupNorms[];
}

/** The "sparsity" object of the --json result. */
export function sparsityJson(report: SparsityReport): Record<string, unknown> {
  return {
    xi: report.threshold.xi,
    xi_rule: report.threshold.rule,
    xi_reason: report.threshold.reason,
    hidden_units: report.hiddenUnits,
    dead_hidden_units: report.deadHiddenUnits,
    zero_weights: report.zeroWeights,
    weights: report.weights,
    layers: report.layers.map((l) => {
      const sorted = l.norms.slice().sort();
      return {
        name: l.layer, units: l.units, dead: l.dead.length, element_sparsity: l.elementSparsity,
        min_norm: sorted[0], median_norm: sorted[sorted.length >> 1], max_norm: sorted[sorted.length - 1],
      };
    }),
  };
}

/** Per layer: units, dead units (||w_k|| < xi), and the smallest, median and largest group norm. */
export function sparsityTable(report: SparsityReport): string {
  const json = sparsityJson(report) as { layers: { name: string; units: number; dead: number; min_norm: number; median_norm: number; max_norm: number }[] };
  const rows = [['layer', 'units', 'dead', 'min ||w_k||', 'median', 'max']];
  for (const l of json.layers) {
    rows.push([l.name, String(l.units), `${l.dead} (${((100 * l.dead) / l.units).toFixed(1)}%)`, l.min_norm.toExponential(2), l.median_norm.toExponential(2), l.max_norm.toExponential(2)]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const lines = rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '));
  return `group sparsity: a unit is dead when its incoming weights have L2 norm below xi = ${report.threshold.xi.toExponential(2)}\n(${report.threshold.reason})\n${lines.join('\n')}\n` +
    '(reduction also removes unused units, whose outgoing weights are all below xi; it counts them apart)';
}

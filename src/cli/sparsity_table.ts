import { normRange } from './json_output.js';
import type { LayerGroupNorms } from '../sparsity/group_norms.js';
import type { SparsityReport } from '../sparsity/measure.js';

/** Group norms of every weighted layer after one epoch (counted against the final xi in reports). */
export interface SparsitySnapshot {
  epoch: number;
  /** Epochs elapsed, for a snapshot inside an epoch (default epoch + 1). */
  at?: number;
  layers: LayerGroupNorms[];
}

/** Per layer: units, dead units (||w_k|| < xi), and the smallest, median and largest group norm. */
export function sparsityTable(report: SparsityReport): string {
  const rows = [['layer', 'units', 'dead', 'min ||w_k||', 'median', 'max']];
  for (const l of report.layers) {
    const { min, median, max } = normRange(l.norms);
    const dead = l.dead.length;
    rows.push([l.layer, String(l.units), `${dead} (${((100 * dead) / l.units).toFixed(1)}%)`, min.toExponential(2), median.toExponential(2), max.toExponential(2)]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const lines = rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '));
  return `group sparsity: a unit is dead when its incoming weights have L2 norm below xi = ${report.threshold.xi.toExponential(2)}\n(${report.threshold.reason})\n${lines.join('\n')}\n` +
    '(reduction also removes unused units, whose outgoing weights are all below xi; it counts them apart)';
}

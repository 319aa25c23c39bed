import type { LayerGroupNorms } from '../sparsity/group_norms.js';

/** Group norms of every weighted layer after one epoch, with the dead-unit threshold in use. */
export interface SparsitySnapshot {
  epoch: number;
  layers: LayerGroupNorms[];
  xi: number;
}

function quantile(sorted: Float32Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** Per layer: units, units with ||w_k|| < xi, and the smallest, median and largest group norm. */
export function sparsitySummary(snapshot: SparsitySnapshot): {
  xi: number;
  layers: { name: string; units: number; dead: number; min_norm: number; median_norm: number; max_norm: number }[];
  dead_units: number;
  units: number;
} {
  const layers = snapshot.layers.map((l) => {
    const sorted = l.norms.slice().sort();
    return {
      name: l.layer,
      units: l.units,
      dead: l.norms.filter((n) => n < snapshot.xi).length,
      min_norm: sorted[0],
      median_norm: quantile(sorted, 0.5),
      max_norm: sorted[sorted.length - 1],
    };
  });
  return { xi: snapshot.xi, layers, dead_units: layers.reduce((s, l) => s + l.dead, 0), units: layers.reduce((s, l) => s + l.units, 0) };
}

/** The summary as an aligned text table. */
export function sparsityTable(snapshot: SparsitySnapshot): string {
  const s = sparsitySummary(snapshot);
  const rows = [['layer', 'units', `||w_k|| < ${snapshot.xi}`, 'min norm', 'median norm', 'max norm']];
  for (const l of s.layers) {
    rows.push([l.name, String(l.units), `${l.dead} (${((100 * l.dead) / l.units).toFixed(1)}%)`, l.min_norm.toExponential(2), l.median_norm.toExponential(2), l.max_norm.toExponential(2)]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const lines = rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '));
  return `group sparsity (units whose incoming weights have L2 norm below xi):\n${lines.join('\n')}`;
}

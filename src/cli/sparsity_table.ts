import { normRange } from './json_output.js';
import type { LayerGroupNorms } from '../sparsity/group_norms.js';
import type { SparsityReport } from '../sparsity/measure.js';
import type { ModelManifest } from '../io/model_file.js';
import type { NamedWeight } from '../model/sequential.js';

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


/** How one tensor of a model file is stored: its density and form, and its bytes in the file. */
export interface TensorStorageRow {
  name: string;
  shape: number[];
  /** Nonzero values over values (a value is zero when its bits are +0). */
  density: number;
  /** 'dense', or the sparse form and index coding: 'csc delta8' / 'csc delta16'. */
  stored: string;
  bytes: number;
}

/** Per tensor of a decoded model file: density, stored form and bytes (what `sparsity` prints); `weights` by name. */
export function tensorStorage(manifest: ModelManifest, weights: readonly NamedWeight[]): TensorStorageRow[] {
  const byName = new Map(weights.map((w) => [w.name, w.values]));
  return manifest.tensors.map((t) => {
    const values = byName.get(t.name) ?? new Float32Array(0);
    const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
    let nonzeros = 0;
    for (const b of bits) if (b !== 0) nonzeros++;
    return {
      name: t.name, shape: [...t.shape], density: bits.length ? nonzeros / bits.length : 0,
      stored: t.storage ? `${t.storage.form} ${t.storage.indexCoding}` : 'dense', bytes: t.storage ? t.storage.bytes : 4 * t.length,
    };
  });
}

/** The table of tensorStorage rows, with the file's total. */
export function tensorStorageTable(rows: readonly TensorStorageRow[], fileBytes: number): string {
  const cells = [['tensor', 'shape', 'density', 'stored', 'bytes']];
  for (const r of rows) cells.push([r.name, `[${r.shape.join(', ')}]`, `${(100 * r.density).toFixed(2)}%`, r.stored, r.bytes.toLocaleString('en-US')]);
  const widths = cells[0].map((_, c) => Math.max(...cells.map((r) => r[c].length)));
  const lines = cells.map((r) => r.map((cell, c) => (c === 0 || c === 3 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '));
  return `storage: each tensor dense (4 bytes a value) or sparse (csc: compressed columns, delta-coded rows), whichever is smaller\n${lines.join('\n')}\nfile: ${fileBytes.toLocaleString('en-US')} bytes`;
}

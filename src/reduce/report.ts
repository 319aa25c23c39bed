import { encodeModel } from '../io/model_file.js';
import { layerSizes } from '../model/layer_sizes.js';
import type { Sequential } from '../model/sequential.js';
import { countNoun } from '../report/report_numbers.js';
import type { ReductionRecord } from './reduce.js';
import { zeroRemovedGroups } from './reduce.js';

/** What a reduction changed, measured: the JSON of `slimtrain train --json` under "reduced". */
export interface ReductionReport {
  params_before: number;
  params_after: number;
  flops_before: number;
  flops_after: number;
  /** Model file sizes (encodeModel). */
  bytes_before: number;
  bytes_after: number;
  /** Inference time per sample, in ms, at batch 1 and batch 64. */
  latency_ms_before: { batch1: number; batch64: number };
  latency_ms_after: { batch1: number; batch64: number };
  /** max |reduced logits - original-with-removed-groups-zeroed logits| on the sample, and that relative to max |logit|. */
  max_logit_diff: number;
  max_logit_diff_relative: number;
  xi: number;
  xi_rule: string;
  /**
   * Per layer: units removed as dead (incoming weights below xi; dead and unused ones included)
   * and as unused only (outgoing weights below xi); removed = dead + unused.
   */
  layers: {
    name: string; units: number; kept: number; removed: number; dead: number; unused: number; kept_for_padding: number;
    /** The layer's own parameters and FLOPs per sample, before and after. */
    params_before: number; params_after: number; flops_before: number; flops_after: number;
  }[];
}

/** ms per sample of model.predict on `rows` samples: the best of several short windows. */
function latencyWindow(model: Sequential, input: Float32Array, rows: number): number {
  let calls = 0;
  const start = performance.now();
  while (performance.now() - start < 50 || calls < 2) {
    model.predict(input, { batchSize: rows });
    calls++;
  }
  return (performance.now() - start) / calls / rows;
}

/**
 * Latency of two models at one batch size, measured in alternating windows (best of five each),
 * so that JIT warm-up and a noisy machine affect both alike.
 */
function latencyPair(a: Sequential, b: Sequential, x: Float32Array, batch: number): [number, number] {
  const rows = Math.min(batch, x.length / a.inputSize);
  const input = x.subarray(0, rows * a.inputSize);
  a.predict(input, { batchSize: rows });
  b.predict(input, { batchSize: rows });
  let best: [number, number] = [Infinity, Infinity];
  for (let round = 0; round < 5; round++) {
    best = [Math.min(best[0], latencyWindow(a, input, rows)), Math.min(best[1], latencyWindow(b, input, rows))];
  }
  return best;
}

/**
 * Measures a reduction on a data sample: sizes, FLOPs, latency, and how far the reduced model's
 * logits are from the original's with the removed groups zeroed (the invariant; ~1e-6 expected).
 */
export function reductionReport(original: Sequential, reduced: Sequential, record: ReductionRecord, sample: Float32Array): ReductionReport {
  const reference = zeroRemovedGroups(original, record);
  const want = reference.predict(sample);
  const got = reduced.predict(sample);
  reference.dispose();
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  const before = new Map(layerSizes(original).map((l) => [l.name, l]));
  const after = new Map(layerSizes(reduced).map((l) => [l.name, l]));
  const batch1 = latencyPair(original, reduced, sample, 1);
  const batch64 = latencyPair(original, reduced, sample, 64);
  return {
    params_before: original.parameterCount,
    params_after: reduced.parameterCount,
    flops_before: original.flops,
    flops_after: reduced.flops,
    bytes_before: encodeModel(original).length,
    bytes_after: encodeModel(reduced).length,
    latency_ms_before: { batch1: batch1[0], batch64: batch64[0] },
    latency_ms_after: { batch1: batch1[1], batch64: batch64[1] },
    max_logit_diff: diff,
    max_logit_diff_relative: scale > 0 ? diff / scale : 0,
    xi: record.threshold.xi,
    xi_rule: record.threshold.rule,
    layers: record.layers.map((l) => ({
      name: l.layer, units: l.units, kept: l.kept.length, removed: l.removed.length,
      dead: l.removed.filter((x) => x.reason !== 'unused').length, unused: l.removed.filter((x) => x.reason === 'unused').length,
      kept_for_padding: l.keptForPadding.length,
      params_before: before.get(l.layer)?.parameters ?? 0, params_after: after.get(l.layer)?.parameters ?? 0,
      flops_before: before.get(l.layer)?.flops ?? 0, flops_after: after.get(l.layer)?.flops ?? 0,
    })),
  };
}

/** The report as a before/after table. */
export function reductionTable(r: ReductionReport): string {
  const pct = (a: number, b: number) => `${b >= a ? '+' : ''}${((100 * (b - a)) / a).toFixed(1)}%`;
  const rows = [
    ['', 'before', 'after', 'change'],
    ['parameters', String(r.params_before), String(r.params_after), pct(r.params_before, r.params_after)],
    ['FLOPs/sample', String(r.flops_before), String(r.flops_after), pct(r.flops_before, r.flops_after)],
    ['file bytes', String(r.bytes_before), String(r.bytes_after), pct(r.bytes_before, r.bytes_after)],
    ['ms/sample, batch 1', r.latency_ms_before.batch1.toFixed(4), r.latency_ms_after.batch1.toFixed(4), pct(r.latency_ms_before.batch1, r.latency_ms_after.batch1)],
    ['ms/sample, batch 64', r.latency_ms_before.batch64.toFixed(4), r.latency_ms_after.batch64.toFixed(4), pct(r.latency_ms_before.batch64, r.latency_ms_after.batch64)],
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  const table = rows.map((row) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')).join('\n');
  const layers = r.layers.map((l) => {
    const why = l.removed ? `; removed ${l.dead} dead, ${l.unused} unused` : '; none removed';
    const size = l.params_after !== l.params_before ? `; parameters ${l.params_before} -> ${l.params_after}` : '';
    return `  ${l.name}: ${l.kept} of ${countNoun(l.units, 'unit')} kept${why}${size}${l.kept_for_padding ? ` (${l.kept_for_padding} dead kept: they feed zero padding)` : ''}`;
  }).join('\n');
  return `reduction (xi = ${r.xi.toExponential(2)}, ${r.xi_rule}):\n${table}\n` +
    `units removed: dead = incoming weights' norm below xi (constant output, folded into the next layer); ` +
    `unused = outgoing weights all below xi (nothing reads the unit; not counted as dead above)\n${layers}\nmax |logit difference| vs the original with the removed groups zeroed: ${r.max_logit_diff.toExponential(2)} (${r.max_logit_diff_relative.toExponential(2)} relative)`;
}

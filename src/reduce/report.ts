import { encodeModel } from '../io/model_file.js';
import { layerSizes } from '../model/layer_sizes.js';
import type { Sequential } from '../model/sequential.js';
import { countNoun } from '../report/report_numbers.js';
import type { ReductionRecord } from './reduce.js';
import { zeroRemovedGroups } from './reduce.js';

/** A quantity before and after reduction. */
export interface BeforeAfter {
  before: number;
  after: number;
}

/** What reduction did to one layer's units, and to its own size. */
export interface LayerReductionReport {
  name: string;
  /** Units before reduction; kept + removed. */
  units: number;
  kept: number;
  /** removed = dead + unused. */
  removed: number;
  /** Removed as dead: incoming weights' norm below xi (dead units that are also unused count here). */
  dead: number;
  /** Removed as unused only: outgoing weights all below xi. */
  unused: number;
  /** Dead units kept because they feed zero padding (see ReduceOptions.allowPaddingDeviation). */
  keptForPadding: number;
  /** The layer's own parameters, nonzero parameters and FLOPs per sample (layerSizes). */
  parameters: BeforeAfter;
  nonzeros: BeforeAfter;
  flops: BeforeAfter;
  /** Bytes of the layer's tensors as a model file stores them (each dense or sparse, whichever is smaller). */
  bytes: BeforeAfter;
  /** The layer's own forward pass, ms per sample (Sequential.layerLatencies), measured as the whole model's latency is. */
  latencyMs: { batch1: BeforeAfter; batch64: BeforeAfter };
}

/**
 * What a reduction changed, measured. The HTML report reads it as it is (it is a ReductionSummary);
 * `slimtrain train --json` and `slimtrain reduce --json` write it in snake_case (cli/json_output).
 */
export interface ReductionReport {
  parameters: BeforeAfter;
  /** Forward FLOPs per sample. */
  flops: BeforeAfter;
  /** Nonzero parameters. */
  nonzeros: BeforeAfter;
  /** Model file sizes in bytes (encodeModel: each tensor dense or sparse, whichever is smaller). */
  bytes: BeforeAfter;
  /**
   * Inference milliseconds per sample at batch 1 and batch 64: before, the original on the dense
   * kernels; after, the reduced model as an inference model choosing dense or sparse kernels per
   * layer (`sparse: 'auto'`): the smallest and fastest form of the result.
   */
  latencyMs: { batch1: BeforeAfter; batch64: BeforeAfter };
  /** max |reduced logits - original-with-removed-groups-zeroed logits| on the sample, relative to max |logit| (~1e-6 expected). */
  maxLogitDifference: number;
  /** The same difference, absolute. */
  maxLogitDifferenceAbsolute: number;
  /** The dead-unit threshold the reduction used, and how it was chosen. */
  xi: number;
  xiRule: string;
  layers: LayerReductionReport[];
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
  const nonzeros = (sizes: Map<string, { nonzeros: number }>) => [...sizes.values()].reduce((sum, l) => sum + l.nonzeros, 0);
  const dense = original.toInference({ sparse: 'never' });
  const fast = reduced.toInference({ sparse: 'auto' });
  const batch1 = latencyPair(dense, fast, sample, 1);
  const batch64 = latencyPair(dense, fast, sample, 64);
  // Per layer, by name (a reduced layer keeps its name), at the same two batch sizes.
  const perLayer = (model: Sequential, batch: number) => {
    const times = model.layerLatencies(sample, Math.min(batch, sample.length / model.inputSize));
    return new Map(model.layers.map((l, i) => [l.name, times[i]]));
  };
  const layerTimes = { batch1: [perLayer(dense, 1), perLayer(fast, 1)], batch64: [perLayer(dense, 64), perLayer(fast, 64)] };
  dense.dispose();
  fast.dispose();
  return {
    parameters: { before: original.parameterCount, after: reduced.parameterCount },
    flops: { before: original.flops, after: reduced.flops },
    nonzeros: { before: nonzeros(before), after: nonzeros(after) },
    bytes: { before: encodeModel(original).length, after: encodeModel(reduced).length },
    latencyMs: {
      batch1: { before: batch1[0], after: batch1[1] },
      batch64: { before: batch64[0], after: batch64[1] },
    },
    maxLogitDifference: scale > 0 ? diff / scale : 0,
    maxLogitDifferenceAbsolute: diff,
    xi: record.threshold.xi,
    xiRule: record.threshold.rule,
    layers: record.layers.map((l) => {
      const [b, a] = [before.get(l.layer), after.get(l.layer)];
      const pair = (key: 'parameters' | 'nonzeros' | 'flops' | 'bytes') => ({ before: b?.[key] ?? 0, after: a?.[key] ?? 0 });
      const time = ([before, after]: Map<string, number>[]) => ({ before: before.get(l.layer) ?? 0, after: after.get(l.layer) ?? 0 });
      const unused = l.removed.filter((x) => x.reason === 'unused').length;
      return {
        name: l.layer, units: l.units, kept: l.kept.length, removed: l.removed.length,
        dead: l.removed.length - unused, unused, keptForPadding: l.keptForPadding.length,
        parameters: pair('parameters'), nonzeros: pair('nonzeros'), flops: pair('flops'), bytes: pair('bytes'),
        latencyMs: { batch1: time(layerTimes.batch1), batch64: time(layerTimes.batch64) },
      };
    }),
  };
}

/**
 * What a reduction did, in one line: hidden units removed, parameters and FLOPs before and after,
 * and the test accuracy before and after (the last line `slimtrain train` prints).
 *
 * @example
 * reductionSummary(report, { before: 0.9757, after: 0.9757 })
 * // 'result: 235 of 400 hidden units removed (58.8%); parameters 266,610 -> 72,873 (-72.7%); FLOPs/sample 533,210 -> 145,546 (-72.7%); test accuracy 97.57% -> 97.57%'
 */
export function reductionSummary(r: ReductionReport, accuracy: BeforeAfter): string {
  const units = r.layers.reduce((n, l) => n + l.units, 0);
  const removed = r.layers.reduce((n, l) => n + l.removed, 0);
  const count = (x: number) => x.toLocaleString('en-US');
  const change = ({ before, after }: BeforeAfter) => `${after >= before ? '+' : ''}${((100 * (after - before)) / before).toFixed(1)}%`;
  const pair = (label: string, q: BeforeAfter) => `${label} ${count(q.before)} -> ${count(q.after)} (${change(q)})`;
  const percent = (x: number) => `${(100 * x).toFixed(2)}%`;
  return `result: ${removed} of ${units} hidden units removed (${units ? ((100 * removed) / units).toFixed(1) : '0.0'}%); ` +
    `${pair('parameters', r.parameters)}; ${pair('FLOPs/sample', r.flops)}; test accuracy ${percent(accuracy.before)} -> ${percent(accuracy.after)}`;
}

/** The report as a before/after table. */
export function reductionTable(r: ReductionReport): string {
  const pct = ({ before, after }: BeforeAfter) => `${after >= before ? '+' : ''}${((100 * (after - before)) / before).toFixed(1)}%`;
  const row = (label: string, q: BeforeAfter, text: (x: number) => string = String) => [label, text(q.before), text(q.after), pct(q)];
  const ms = (x: number) => x.toFixed(4);
  const rows = [
    ['', 'before', 'after', 'change'],
    row('parameters', r.parameters),
    row('nonzeros', r.nonzeros),
    row('FLOPs/sample', r.flops),
    row('file bytes', r.bytes),
    row('ms/sample, batch 1', r.latencyMs.batch1, ms),
    row('ms/sample, batch 64', r.latencyMs.batch64, ms),
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((cells) => cells[c].length)));
  const table = rows.map((cells) => cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')).join('\n');
  const layers = r.layers.map((l) => {
    const why = l.removed ? `; removed ${l.dead} dead, ${l.unused} unused` : '; none removed';
    const size = (l.parameters.after !== l.parameters.before ? `; parameters ${l.parameters.before} -> ${l.parameters.after}` : '') +
      `; nonzeros ${l.nonzeros.before} -> ${l.nonzeros.after}; bytes ${l.bytes.before} -> ${l.bytes.after}` +
      `; ms/sample ${ms(l.latencyMs.batch1.before)} -> ${ms(l.latencyMs.batch1.after)} (batch 1), ${ms(l.latencyMs.batch64.before)} -> ${ms(l.latencyMs.batch64.after)} (batch 64)`;
    return `  ${l.name}: ${l.kept} of ${countNoun(l.units, 'unit')} kept${why}${size}${l.keptForPadding ? ` (${l.keptForPadding} dead kept: they feed zero padding)` : ''}`;
  }).join('\n');
  return `reduction (xi = ${r.xi.toExponential(2)}, ${r.xiRule}):\n${table}\n` +
    `units removed: dead = incoming weights' norm below xi (constant output, folded into the next layer); ` +
    `unused = outgoing weights all below xi (nothing reads the unit; not counted as dead above)\n${layers}\n` +
    `(latency: before on dense kernels, after as an inference model choosing dense or sparse kernels per layer)\n` +
    `max |logit difference| vs the original with the removed groups zeroed: ${r.maxLogitDifferenceAbsolute.toExponential(2)} (${r.maxLogitDifference.toExponential(2)} relative)`;
}

import { describe, expect, it } from 'vitest';
import { init } from '../../src/backend/engine.js';
import { layerSizes } from '../../src/model/layer_sizes.js';
import { Sequential } from '../../src/model/sequential.js';
import { reduce } from '../../src/reduce/reduce.js';
import { reductionReport, reductionSummary, reductionTable } from '../../src/reduce/report.js';
import { reductionJson } from '../../src/cli/json_output.js';
import { sparsityTable } from '../../src/cli/sparsity_table.js';
import { measureSparsity } from '../../src/sparsity/measure.js';
import { sparseForm } from '../../src/io/sparse_tensor.js';

describe('the reduction report tells dead from unused units, per layer', () => {
  it('counts each reason, the layers\' sizes, and says so in words', async () => {
    const engine = await init({ threads: 1 });
    const model = Sequential.build(engine, {
      inputShape: [4], seed: 3,
      layers: [{ type: 'dense', units: 5 }, { type: 'relu' }, { type: 'dense', units: 3 }, { type: 'relu' }, { type: 'dense', units: 2 }],
    });
    const weights = model.getWeights();
    const get = (name: string) => weights.find((w) => w.name === name)!;
    // dense_1: unit 0 dead (no incoming weights), unit 1 unused (dense_2 reads nothing from it).
    const k1 = get('dense_1/kernel').values;
    for (let r = 0; r < 4; r++) k1[r * 5] = 0;
    get('dense_2/kernel').values.fill(0, 1 * 3, 2 * 3);
    // dense_2: unit 2 dead.
    const k2 = get('dense_2/kernel').values;
    for (let r = 0; r < 5; r++) k2[r * 3 + 2] = 0;
    model.setWeights(weights);

    const sizes = layerSizes(model);
    expect(sizes.reduce((s, l) => s + l.parameters, 0)).toBe(model.parameterCount);
    expect(sizes.reduce((s, l) => s + l.flops, 0)).toBe(model.flops);
    // Biases start at 0; a bias add per unit. Stored: the kernel dense (16 of 20 nonzero: 80 bytes
    // beat 85 sparse: 5 column counts, 16 row deltas, 16 values), the all-zero bias sparse in 4.
    expect(sizes.find((l) => l.name === 'dense_1')).toEqual({ name: 'dense_1', type: 'dense', parameters: 25, nonzeros: 16, flops: 45, bytes: 84 });

    const { model: small, record } = reduce(model, { xi: 1e-6 });
    const sample = Float32Array.from({ length: 8 * 4 }, (_, i) => Math.sin(i));
    const report = reductionReport(model, small, record, sample);
    const [d1, d2] = report.layers;
    expect([d1.units, d1.kept, d1.removed, d1.dead, d1.unused]).toEqual([5, 3, 2, 1, 1]);
    expect([d2.units, d2.kept, d2.removed, d2.dead, d2.unused]).toEqual([3, 2, 1, 1, 0]);
    // dense_1 keeps 3 units: 4 x 3 + 3; dense_2 then reads 3 inputs into 2 units: 3 x 2 + 2.
    expect([d1.parameters, d2.parameters]).toEqual([{ before: 25, after: 15 }, { before: 18, after: 8 }]);
    expect(d1.flops).toEqual({ before: 45, after: 27 });
    // dense_1's nonzeros: 16 kernel weights, then the 3 kept units' 4 inputs; biases are 0.
    expect(d1.nonzeros).toEqual({ before: 16, after: 12 });
    expect(report.parameters).toEqual({ before: model.parameterCount, after: small.parameterCount });
    expect(report.nonzeros.before).toBe(sizes.reduce((s, l) => s + l.nonzeros, 0));
    expect(report.maxLogitDifference).toBeLessThan(1e-6);
    // After: dense_1's kernel 4 x 3, all nonzero (48 bytes), and its 3 zero biases, stored sparse.
    expect(d1.bytes).toEqual({ before: 84, after: 48 + sparseForm(new Float32Array(3), [3])!.bytes.length });
    for (const l of [d1, d2]) for (const t of [l.latencyMs.batch1, l.latencyMs.batch64]) {
      expect(t.before).toBeGreaterThan(0);
      expect(t.after).toBeGreaterThan(0);
    }

    // The CLI's --json edge: the same numbers under the snake_case keys it has always printed.
    const json = reductionJson(report) as Record<string, unknown> & { layers: Record<string, unknown>[] };
    expect([json.params_before, json.params_after, json.flops_before, json.flops_after]).toEqual([report.parameters.before, report.parameters.after, report.flops.before, report.flops.after]);
    expect(json.latency_ms_after).toEqual({ batch1: report.latencyMs.batch1.after, batch64: report.latencyMs.batch64.after });
    expect([json.max_logit_diff, json.max_logit_diff_relative, json.xi_rule]).toEqual([report.maxLogitDifferenceAbsolute, report.maxLogitDifference, report.xiRule]);
    expect(json.layers[0]).toEqual({
      name: 'dense_1', units: 5, kept: 3, removed: 2, dead: 1, unused: 1, kept_for_padding: 0,
      params_before: 25, params_after: 15, nonzeros_before: 16, nonzeros_after: 12, flops_before: 45, flops_after: 27,
      bytes_before: 84, bytes_after: d1.bytes.after,
      latency_ms_before: { batch1: d1.latencyMs.batch1.before, batch64: d1.latencyMs.batch64.before },
      latency_ms_after: { batch1: d1.latencyMs.batch1.after, batch64: d1.latencyMs.batch64.after },
    });

    // 2 + 1 of the 8 hidden units go; 25 + 18 + 8 -> 15 + 8 + 6 parameters (the last layer reads 2 inputs, not 3).
    expect(reductionSummary(report, { before: 0.9757, after: 0.975 })).toBe(
      'result: 3 of 8 hidden units removed (37.5%); parameters 51 -> 29 (-43.1%); FLOPs/sample 100 -> 56 (-44.0%); test accuracy 97.57% -> 97.50%',
    );
    const text = reductionTable(report);
    expect(text).toContain('dense_1: 3 of 5 units kept; removed 1 dead, 1 unused; parameters 25 -> 15');
    expect(text).toMatch(/dense_1: .*; bytes 84 -> \d+; ms\/sample [\d.]+ -> [\d.]+ \(batch 1\), [\d.]+ -> [\d.]+ \(batch 64\)/);
    expect(text).toContain('dense_2: 2 of 3 units kept; removed 1 dead, 0 unused; parameters 18 -> 8');
    expect(text).toMatch(/dead = incoming weights' norm below xi .*unused = outgoing weights all below xi/);
    // The sparsity table counts only dead units, and says the unused ones are counted apart.
    const table = sparsityTable(measureSparsity(model, { xi: 1e-6 }));
    expect(table).toMatch(/dense_1\s+5\s+1 \(20\.0%\)/);
    expect(table).toContain('reduction also removes unused units');
    small.dispose();
    model.dispose();
  });
});

describe('Sequential.layerLatencies', () => {
  it('gives one time per layer, in model order, and checks its arguments', async () => {
    const engine = await init({ threads: 1 });
    const model = Sequential.build(engine, { inputShape: [6], seed: 1, layers: [{ type: 'dense', units: 8 }, { type: 'relu' }, { type: 'dense', units: 2 }] });
    const x = Float32Array.from({ length: 6 * 10 }, (_, i) => Math.cos(i));
    const before = model.predict(x);
    const times = model.layerLatencies(x, 10, { rounds: 2, windowMs: 0.5 });
    expect(times).toHaveLength(3);
    for (const t of times) expect(Number.isFinite(t) && t > 0).toBe(true);
    // Timing runs the forward pass only: predictions and weights are as they were.
    expect(model.predict(x)).toEqual(before);
    expect(() => model.layerLatencies(x, 11)).toThrow(/^rows = 11: expected at most the 10 samples of x/);
    expect(() => model.layerLatencies(x, 2, { rounds: 0 })).toThrow(/^layerLatencies rounds = 0: expected a positive integer/);
    model.dispose();
  });
});

import { describe, expect, it } from 'vitest';
import { checkSweepConfig, type SweepConfig } from '../../src/sweep/config.js';
import { sweepPoints, sweepSvg, sweepTable } from '../../src/sweep/report.js';
import type { SweepResult } from '../../src/sweep/run.js';
import { keptValidation, type EpochRecord } from '../../src/experiment/epoch_record.js';

const CONFIG = checkSweepConfig({
  name: 'table', dataset: 'mnist', model: 'lenet-300-100', epochs: 4, seeds: [1, 2, 3], saveModels: true,
  methods: [
    { name: 'dense', optimizer: { type: 'adam' } },
    { name: 'pruned', optimizer: { type: 'adam' }, epochs: 0, start: { method: 'dense' }, strengths: [2], prune: { fraction: 0.5 }, fineTune: { epochs: 1, rounds: '$strength' } },
  ],
}) as SweepConfig;

/** A row with the fields the report reads; the rest as a finished run would have them. */
function row(method: string, strength: number, seed: number, f: { test: number; reduced: number; val?: number; zeros: number; left: number }): SweepResult {
  return {
    id: `${method}/${strength}/seed${seed}`, method, strength, seed, configHash: '0', epochs: method === 'dense' ? 4 : 0,
    testAccuracy: f.test, params: 1000, nonzeroParams: f.left, kernelWeights: 900, kernelZeros: f.zeros, kernelBelowEps: f.zeros,
    hiddenUnits: 40, deadUnits: 2, xi: 1e-6, reducedParams: 950, reducedNonzeroParams: f.left, flops: 2000, reducedFlops: 1800,
    reducedAccuracy: f.reduced, ...(f.val !== undefined ? { valAccuracy: f.val } : {}), weightsHash: '0', seconds: 1,
  };
}

describe('the sweep table and plot', () => {
  const rows = [
    row('dense', 0, 1, { test: 0.97, reduced: 0.97, val: 0.96, zeros: 0, left: 1000 }),
    row('dense', 0, 2, { test: 0.98, reduced: 0.98, val: 0.97, zeros: 0, left: 1000 }),
    row('dense', 0, 3, { test: 0.99, reduced: 0.99, val: 0.98, zeros: 0, left: 1000 }),
    row('pruned', 2, 1, { test: 0.9, reduced: 0.9, val: 0.91, zeros: 600, left: 300 }),
    row('pruned', 2, 2, { test: 0.94, reduced: 0.92, val: 0.93, zeros: 700, left: 200 }),
  ];

  it('gives mean ± sample standard deviation per method and strength, the papers\' count of nonzero kernel weights, and the validation column', () => {
    const points = sweepPoints(CONFIG, rows);
    expect(points.map((p) => [p.method, p.seeds, p.startedFrom])).toEqual([['dense', 3, undefined], ['pruned', 2, 'dense']]);
    const [dense, pruned] = points;
    expect(dense.accuracy).toBeCloseTo(0.98, 12);
    expect(dense.accuracyStd).toBeCloseTo(0.01, 12); // sample std of 0.97, 0.98, 0.99
    expect(pruned.nonzeroWeights).toBe(250); // 900 - 650
    expect(pruned.nonzeroWeightsStd).toBeCloseTo(Math.sqrt(5000), 9); // 300 and 200
    expect(pruned.remainingStd).toBeCloseTo(Math.sqrt(5000), 9);
    expect(pruned.valAccuracy).toBeCloseTo(0.92, 12);
    const table = sweepTable(points).split('\n');
    expect(table[0]).toBe('| method | strength | epochs | validation accuracy | test accuracy | reduced model accuracy | nonzero kernel weights | nonzero parameters left | dense parameters after reduction | FLOPs after reduction | removable units | seeds |');
    expect(table[2]).toBe('| dense | 0 | 4 | 97.00% ± 1.00% | 98.00% ± 1.00% | 98.00% ± 1.00% | 900 ± 0 (100.0%) | 1,000 ± 0 (100.0%) | 950 | 90.0% | 2 of 40 | 3 |');
    expect(table[3]).toBe('| pruned (from dense) | 2 | 0 | 92.00% ± 1.41% | 92.00% ± 2.83% | 91.00% ± 1.41% | 250 ± 71 (27.8%) | 250 ± 71 (25.0%) | 950 | 90.0% | 2 of 40 | 2 |');
    // One seed: no ± and, without validation scores, no validation column.
    const single = sweepTable(sweepPoints(CONFIG, [row('dense', 0, 1, { test: 0.97, reduced: 0.97, zeros: 0, left: 1000 })])).split('\n');
    expect(single[0]).not.toMatch(/validation/);
    expect(single[2]).toBe('| dense | 0 | 4 | 97.00% | 97.00% | 900 (100.0%) | 1,000 (100.0%) | 950 | 90.0% | 2 of 40 | 1 |');
  });

  it('draws a bar of one standard deviation through each point with several seeds', () => {
    const svg = sweepSvg(sweepPoints(CONFIG, rows), 't');
    // dense: a vertical bar in each panel (its parameters do not vary); pruned: vertical in each, horizontal in the first.
    expect(svg.match(/class="error-bar"/g)).toHaveLength(5);
    expect(sweepSvg(sweepPoints(CONFIG, [rows[0], rows[3]]), 't')).not.toMatch(/error-bar/);
  });

  it("reports the kept model's validation score: the first best epoch of the last fine-tuning round with keep 'best', else the last epoch", () => {
    const epoch = (phase: 'train' | 'fine-tune', valAccuracy: number) => ({ phase, valAccuracy, valLoss: 1 - valAccuracy }) as EpochRecord;
    // Two rounds of 3 epochs: the last round's best is 0.95 (its first), not the first round's 0.99 nor the last epoch's 0.93.
    const history = [epoch('train', 0.97), epoch('fine-tune', 0.99), epoch('fine-tune', 0.9), epoch('fine-tune', 0.9), epoch('fine-tune', 0.95), epoch('fine-tune', 0.95), epoch('fine-tune', 0.93)];
    expect(keptValidation(history, { epochs: 3, keep: 'best' })).toEqual({ valAccuracy: 0.95, valLoss: 1 - 0.95 });
    expect(keptValidation(history, { epochs: 3, keep: 'last' })).toEqual({ valAccuracy: 0.93, valLoss: 1 - 0.93 });
    expect(keptValidation(history, undefined)).toEqual({ valAccuracy: 0.93, valLoss: 1 - 0.93 });
    expect(keptValidation([{ phase: 'train' } as EpochRecord], undefined)).toEqual({});
    // The table recomputes it from a row's history, so rows that recorded the last epoch's score read right.
    const config = checkSweepConfig({
      ...CONFIG, validationSamples: 100, saveModels: false,
      methods: [{ name: 'tuned', optimizer: { type: 'adam' }, prune: { fraction: 0.5 }, fineTune: { epochs: 3, rounds: 2, keep: 'best' } }],
    }) as SweepConfig;
    const r = { ...row('tuned', 0, 1, { test: 0.9, reduced: 0.9, val: 0.93, zeros: 0, left: 1000 }), history };
    expect(sweepPoints(config, [r])[0].valAccuracy).toBe(0.95);
  });
});

import { describe, expect, it } from 'vitest';
import { init } from '../../src/backend/engine.js';
import { loadMnist } from '../../src/data/mnist.js';
import { presetSpec } from '../../src/model/presets.js';
import { Sequential } from '../../src/model/sequential.js';
import { optimizerFromSpec } from '../../src/optim/spec.js';
import { weightsHash } from '../support/weights_hash.js';
import type { BatchLog } from '../../src/train/fit.js';


describe('the loss split into its data term and the penalty', () => {
  it('leaves training bit-identical and the logged loss unchanged, and the parts add up', async () => {
    const engine = await init({ threads: 1 });
    const { train } = loadMnist({ limit: 2000 });
    const model = Sequential.build(engine, presetSpec('lenet-300-100', [784], 10, 3));
    const lambda = 3e-3;
    model.compile({ optimizer: optimizerFromSpec({ type: 'adam', lr: 3e-3, transforms: [{ type: 'l2', lambda }, { type: 'groupLasso', lambda: 1e-4 }] }), loss: 'crossEntropy' });
    const initial = model.getWeights();
    const batches: BatchLog[] = [];
    const history = await model.fit(train.x, train.y, { epochs: 2, batchSize: 64, seed: 3, validationSplit: 0.1, onBatchEnd: (b) => void batches.push(b) });
    // Recorded on main before the split was added (commit f0aa33a): same weights, same epoch losses.
    expect(weightsHash(model.getWeights())).toBe('46d2c0e4');
    expect(history.epochs.map((e) => [e.loss, e.valLoss])).toEqual([[1.5806770411196407, 0.4510239118337631], [0.8547968385044473, 0.34687314748764037]]);

    for (const b of batches) expect(b.dataLoss + b.penalty).toBe(b.loss);
    // The first batch's penalty is that of the initial weights: lambda/2 sum(w^2) over the kernels
    // (L2) plus group lasso's lambda * sum over units of ||w_k||.
    const kernels = initial.filter((w) => w.name.endsWith('/kernel'));
    const l2 = (lambda / 2) * kernels.reduce((s, w) => s + w.values.reduce((a, v) => a + v * v, 0), 0);
    const lasso = 1e-4 * kernels.reduce((s, w) => {
      const [rows, units] = w.shape;
      let sum = 0;
      for (let k = 0; k < units; k++) {
        let sq = 0;
        for (let r = 0; r < rows; r++) sq += w.values[r * units + k] ** 2;
        sum += Math.sqrt(sq);
      }
      return s + sum;
    }, 0);
    expect(batches[0].penalty).toBeCloseTo(l2 + lasso, 4);
    for (const e of history.epochs) {
      expect(e.penalty).toBeGreaterThan(0);
      expect(e.dataLoss! + e.penalty!).toBeCloseTo(e.loss, 12);
    }
    // The mean penalty of the epoch's batches, weighted by batch size.
    const first = batches.filter((b) => b.epoch === 0);
    const rows = 1800;
    const weighted = first.reduce((s, b, i) => s + b.penalty * Math.min(64, rows - 64 * i), 0) / rows;
    expect(history.epochs[0].penalty).toBeCloseTo(weighted, 12);
    model.dispose();
  }, 120_000);
});

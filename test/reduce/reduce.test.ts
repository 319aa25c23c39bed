import { beforeAll, describe, expect, it } from 'vitest';
import { init, type Engine } from '../../src/backend/engine.js';
import { loadMnist } from '../../src/data/mnist.js';
import type { LayerSpec } from '../../src/layers/layer.js';
import { Sequential } from '../../src/model/sequential.js';
import { adam } from '../../src/optim/optimizers.js';
import { applyReduction, reduce, zeroRemovedGroups } from '../../src/reduce/reduce.js';
import { chooseThreshold, measureSparsity } from '../../src/sparsity/measure.js';
import { rng, uniform } from '../support/random.js';
import { expectSamePredictions, killUnits, maxAbs, randomizeNonKernels } from '../support/reduction.js';
import { hasSharedFile, sharedData, titleFor } from '../support/shared_data.js';

describe('reduce', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await init();
  });

  const CASES: [string, number[], LayerSpec[], Record<string, number[]>][] = [
    ['dense -> relu -> dense', [7], [{ type: 'dense', units: 6 }, { type: 'relu' }, { type: 'dense', units: 3 }], { dense_1: [0, 2, 5] }],
    ['dense -> batchNorm -> elu -> dense', [5], [{ type: 'dense', units: 6 }, { type: 'batchNorm' }, { type: 'elu' }, { type: 'dense', units: 4 }], { dense_1: [1, 4] }],
    ['dense -> tanh -> dense -> sigmoid -> dense (no bias)', [4], [{ type: 'dense', units: 5 }, { type: 'tanh' }, { type: 'dense', units: 5 }, { type: 'sigmoid' }, { type: 'dense', units: 2, useBias: false }], { dense_1: [3], dense_2: [0, 1] }],
    [
      'conv -> batchNorm -> relu -> maxPool -> conv -> relu -> avgPool(same) -> flatten -> dense',
      [10, 10, 2],
      [
        { type: 'conv2d', filters: 5, kernelSize: 3 }, { type: 'batchNorm' }, { type: 'relu' }, { type: 'maxPool2d' },
        { type: 'conv2d', filters: 4, kernelSize: 2 }, { type: 'leakyRelu', alpha: 0.1 }, { type: 'avgPool2d', poolSize: 3, strides: 2, padding: 'same' },
        { type: 'flatten' }, { type: 'dropout', rate: 0.3 }, { type: 'dense', units: 3 },
      ],
      { conv2d_1: [1, 3], conv2d_2: [2] },
    ],
  ];

  it.each(CASES)('%s: smaller, and the same logits as the original with those groups zeroed', (_name, inputShape, layers, kill) => {
    const model = Sequential.build(engine, { inputShape, layers, seed: 2 });
    randomizeNonKernels(model, 5);
    for (const [layer, units] of Object.entries(kill)) killUnits(model, layer, units);
    const { model: reduced, record } = reduce(model, { xi: 1e-6 });
    for (const [layer, units] of Object.entries(kill)) {
      const r = record.layers.find((l) => l.layer === layer)!;
      expect(r.removed.map((x) => x.unit).sort()).toEqual(units);
      expect(r.kept.length).toBe(r.units - units.length);
    }
    expect(reduced.parameterCount).toBeLessThan(model.parameterCount);
    expect(reduced.flops).toBeLessThan(model.flops);
    const x = uniform(rng(9), 6 * model.inputSize, -1, 2);
    const reference = zeroRemovedGroups(model, record);
    expectSamePredictions(reduced, reference, x, 'reduced vs zeroed');
    // The killed groups were exactly zero already, so the original predicts the same too.
    expectSamePredictions(reduced, model, x, 'reduced vs original');
    // Replaying the record on a copy gives the same model.
    const copy = Sequential.build(engine, model.toSpec());
    copy.setWeights(model.getWeights());
    const replayed = applyReduction(copy, record);
    expect(Array.from(replayed.predict(x))).toEqual(Array.from(reduced.predict(x)));
    // Idempotent: nothing is left to remove.
    const again = reduce(reduced, { xi: 1e-6 });
    expect(again.model.toSpec()).toEqual(reduced.toSpec());
    for (const m of [model, reduced, reference, copy, replayed, again.model]) m.dispose();
  });

  it('keeps the architecture when no unit is dead', () => {
    const model = Sequential.build(engine, { inputShape: CASES[3][1], layers: CASES[3][2], seed: 1 });
    const { model: same, record } = reduce(model, { xi: 1e-6 });
    expect(same.toSpec()).toEqual(model.toSpec());
    expect(record.layers.every((l) => l.removed.length === 0)).toBe(true);
  });

  it('removes units whose outgoing weights are all zero, with no fold', () => {
    const model = Sequential.build(engine, { inputShape: [4], layers: [{ type: 'dense', units: 5 }, { type: 'relu' }, { type: 'dense', units: 3 }], seed: 3 });
    randomizeNonKernels(model, 1);
    const next = model.getWeights().find((w) => w.name === 'dense_2/kernel')!;
    next.values.fill(0, 2 * 3, 3 * 3); // row 2: everything unit 2 feeds
    model.setWeights({ 'dense_2/kernel': next.values });
    const { model: reduced, record } = reduce(model, { xi: 1e-6 });
    expect(record.layers[0].removed).toEqual([{ unit: 2, reason: 'unused', constant: 0 }]);
    expectSamePredictions(reduced, model, uniform(rng(4), 20, -1, 1), 'unused unit');
  });

  it('keeps a dead channel with a nonzero constant before a zero-padded conv, unless allowed; then only the borders differ', () => {
    const layers: LayerSpec[] = [
      { type: 'conv2d', filters: 3, kernelSize: 1 }, { type: 'relu' },
      { type: 'conv2d', filters: 2, kernelSize: 3, padding: 'same' },
    ];
    const model = Sequential.build(engine, { inputShape: [5, 5, 1], layers, seed: 4 });
    model.setWeights({ 'conv2d_1/bias': [0.7, -0.3, 0.2] });
    killUnits(model, 'conv2d_1', [0, 1]); // unit 0 outputs relu(0.7) = 0.7, unit 1 outputs relu(-0.3) = 0
    const kept = reduce(model, { xi: 1e-6 });
    expect(kept.record.layers[0].keptForPadding).toEqual([0]);
    expect(kept.record.layers[0].removed.map((r) => r.unit)).toEqual([1]);
    const x = uniform(rng(1), 2 * 25, -1, 1);
    expectSamePredictions(kept.model, model, x, 'zero constant removed exactly');
    const allowed = reduce(model, { xi: 1e-6, allowPaddingDeviation: true });
    expect(allowed.record.layers[0].removed.map((r) => r.unit)).toEqual([0, 1]);
    const got = allowed.model.predict(x);
    const want = model.predict(x);
    // Interior positions (rows and columns 1..3) are exact; borders differ by the padded taps.
    for (let n = 0; n < 2; n++)
      for (let h = 0; h < 5; h++)
        for (let w = 0; w < 5; w++)
          for (let f = 0; f < 2; f++) {
            const i = ((n * 5 + h) * 5 + w) * 2 + f;
            if (h > 0 && h < 4 && w > 0 && w < 4) expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-5);
          }
    expect(maxAbs(got.map((v, i) => v - want[i]))).toBeGreaterThan(1e-3);
  });

  it('chooses xi in the gap between dead and live norms, or a fixed value without one', () => {
    const gap = chooseThreshold([1e-9, 3e-9, 0, 0.4, 0.5, 0.9]);
    expect(gap.rule).toBe('gap');
    expect(gap.xi).toBeGreaterThan(3e-9);
    expect(gap.xi).toBeLessThan(0.4);
    const none = chooseThreshold([0.1, 0.3, 0.5, 0.9]);
    expect(none).toMatchObject({ rule: 'fixed', xi: 1e-6 });
  });

  it('on real MNIST batches: a trained LeNet-like model with dead groups reduces to the same predictions', async () => {
    const { train, test } = loadMnist({ limit: 3000, testLimit: 500 });
    const model = Sequential.build(engine, {
      inputShape: [28, 28, 1],
      layers: [
        { type: 'conv2d', filters: 8, kernelSize: 5 }, { type: 'batchNorm' }, { type: 'relu' }, { type: 'maxPool2d' },
        { type: 'conv2d', filters: 12, kernelSize: 5 }, { type: 'relu' }, { type: 'maxPool2d' },
        { type: 'flatten' }, { type: 'dense', units: 64 }, { type: 'relu' }, { type: 'dense', units: 10 },
      ],
      seed: 1,
    });
    model.compile({ optimizer: adam({ lr: 2e-3 }), loss: 'crossEntropy' });
    await model.fit(train.x, train.y, { epochs: 1, batchSize: 64 });
    killUnits(model, 'conv2d_1', [0, 5]);
    killUnits(model, 'conv2d_2', [3, 4, 11]);
    killUnits(model, 'dense_1', Array.from({ length: 20 }, (_, i) => 3 * i));
    const measured = measureSparsity(model);
    expect(measured.threshold.rule).toBe('gap');
    expect(measured.deadHiddenUnits).toBe(25);
    const { model: reduced } = reduce(model);
    expect(reduced.parameterCount).toBeLessThan(0.75 * model.parameterCount);
    expectSamePredictions(reduced, model, test.x, 'MNIST test batch');
    expect(reduced.evaluate(test.x, test.y).accuracy).toBe(model.evaluate(test.x, test.y).accuracy);
  }, 60_000);
});

describe('dead units by activation', () => {
  it('finds units that never fire (ReLU with a negative bias) and units with zero weights (constant)', async () => {
    const { deadUnitsByActivation } = await import('../../src/sparsity/dead_activations.js');
    const engine = await init();
    const model = Sequential.build(engine, {
      inputShape: [4, 4, 1],
      layers: [{ type: 'conv2d', filters: 4, kernelSize: 3 }, { type: 'relu' }, { type: 'maxPool2d' }, { type: 'flatten' }, { type: 'dense', units: 3 }, { type: 'sigmoid' }, { type: 'dense', units: 2 }],
      seed: 1,
    });
    // Channel 1: bias -100 never fires on inputs in [0, 1]; channel 2: zero weights, bias 0.5 -> constant 0.5.
    model.setWeights({ 'conv2d_1/bias': [0, -100, 0.5, 0] });
    killUnits(model, 'conv2d_1', [2]);
    killUnits(model, 'dense_1', [0]);
    const result = deadUnitsByActivation(model, uniform(rng(3), 20 * 16, 0, 1));
    expect(result[0]).toMatchObject({ layer: 'conv2d_1', observed: 'maxPool2d_1', units: 4, zero: [1], constant: [2] });
    // dense_1 unit 0 has zero weights: sigmoid(bias 0) = 0.5 on every sample.
    expect(result[1]).toMatchObject({ layer: 'dense_1', observed: 'sigmoid_1', units: 3, zero: [], constant: [0] });
  });
});

describe(titleFor('reduce on real Fashion-MNIST batches', 'fashion-mnist/t10k-images-idx3-ubyte.gz'), () => {
  it.skipIf(!hasSharedFile('fashion-mnist/t10k-images-idx3-ubyte.gz'))('a trained CNN with dead channels and units reduces to the same logits', async () => {
    const { loadDataset } = await import('../../src/data/load_dataset.js');
    const { train, test } = await loadDataset('fashion-mnist', { dir: sharedData, limit: 2000, testLimit: 500 });
    const engine = await init();
    const model = Sequential.build(engine, {
      inputShape: [28, 28, 1],
      layers: [
        { type: 'conv2d', filters: 8, kernelSize: 3 }, { type: 'relu' }, { type: 'maxPool2d' },
        { type: 'conv2d', filters: 8, kernelSize: 3, padding: 'same' }, { type: 'batchNorm' }, { type: 'relu' }, { type: 'avgPool2d' },
        { type: 'flatten' }, { type: 'dense', units: 32 }, { type: 'elu' }, { type: 'dense', units: 10 },
      ],
      seed: 2,
    });
    model.compile({ optimizer: adam({ lr: 2e-3 }), loss: 'crossEntropy' });
    await model.fit(train.x, train.y, { epochs: 1, batchSize: 32 });
    killUnits(model, 'conv2d_2', [0, 6]);
    killUnits(model, 'dense_1', [1, 2, 30]);
    const { model: reduced, record } = reduce(model);
    expect(record.layers.map((l) => l.removed.length)).toEqual([0, 2, 3]);
    expectSamePredictions(reduced, zeroRemovedGroups(model, record), test.x, 'Fashion-MNIST test batch');
  }, 60_000);
});

describe('surgery functions', () => {
  it('cut columns, rows, entries and conv input channels of hand-built arrays, and fold constants', async () => {
    const s = await import('../../src/reduce/surgery.js');
    const { rowsFed } = await import('../../src/sparsity/dependency.js');
    // [[1, 2, 3], [4, 5, 6]]
    const m = new Float32Array([1, 2, 3, 4, 5, 6]);
    expect(Array.from(s.keepColumns(m, 2, 3, [0, 2]))).toEqual([1, 3, 4, 6]);
    expect(Array.from(s.keepRows(m, 3, [1]))).toEqual([4, 5, 6]);
    expect(Array.from(s.keepEntries(new Float32Array([9, 8, 7]), [2, 0]))).toEqual([7, 9]);
    // A conv kernel [1, 2, C=2, F=1]: taps t, channel c -> value 10 t + c.
    expect(Array.from(s.keepRows(new Float32Array([0, 1, 10, 11]), 1, rowsFed({ rowsPerUnit: 2, units: 2 }, [1])))).toEqual([1, 11]);
    // After a flatten of 3 positions x 2 channels, channel 1 feeds rows 1, 3, 5.
    expect(rowsFed({ rowsPerUnit: 3, units: 2 }, [1])).toEqual([1, 3, 5]);
    // bias [0.5, 0] + constant 2 from input 1 (rows 1 of [[1, 2], [3, 4]]): [0.5 + 6, 0 + 8]
    const folded = s.foldConstantInputs(new Float32Array([1, 2, 3, 4]), 2, new Float32Array([0.5, 0]), new Map([[1, 2]]), (i) => [i]);
    expect(Array.from(folded)).toEqual([6.5, 8]);
  });
});

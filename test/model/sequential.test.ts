import { beforeAll, describe, expect, it } from 'vitest';
import { init, type Engine } from '../../src/backend/engine.js';
import { presetSpec } from '../../src/model/presets.js';
import { Sequential, type ModelSpec } from '../../src/model/sequential.js';
import { adam, sgd } from '../../src/optim/optimizers.js';
import { dense, relu } from '../../src/layers/registry.js';
import { expectClose } from '../support/harness.js';
import { rng, uniform } from '../support/random.js';

const LENET5: ModelSpec = presetSpec('lenet5', [28, 28, 1], 10, 5);

describe('Sequential', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await init();
  });

  it('infers shapes and counts parameters and FLOPs (LeNet-5 has 431,080 parameters)', () => {
    const model = Sequential.build(engine, LENET5);
    expect(model.layers.map((l) => l.outputShape)).toEqual([
      [24, 24, 20], [24, 24, 20], [12, 12, 20], [8, 8, 50], [8, 8, 50], [4, 4, 50], [800], [500], [500], [10],
    ]);
    expect(model.parameterCount).toBe(520 + 25050 + 400500 + 5010);
    // conv1: 24*24*20*(2*25+1), conv2: 8*8*50*(2*500+1), dense: 500*(2*800+1), 10*(2*500+1)
    expect(model.layers[0].flops()).toBe(24 * 24 * 20 * 51);
    expect(model.layers[3].flops()).toBe(8 * 8 * 50 * 1001);
    const summary = model.summary();
    expect(summary).toMatch(/conv2d_1\s+conv2d\s+\[24, 24, 20\]\s+520/);
    expect(summary).toMatch(/total\s+431080/);
    model.dispose();
  });

  it('names the layer whose input shape does not fit', () => {
    expect(() => Sequential.build(engine, { inputShape: [8, 8, 1], layers: [{ type: 'conv2d', filters: 2, kernelSize: 3 }, { type: 'dense', units: 3 }] })).toThrow(
      /dense_1: input shape = \[6, 6, 2\]: expected a vector \[features\]: put a flatten layer before dense layers/,
    );
    expect(() => Sequential.build(engine, { inputShape: [4, 4, 1], layers: [{ type: 'conv2d', filters: 2, kernelSize: 5 }] })).toThrow(/kernel size = \[5, 5\]/);
    expect(() => Sequential.build(engine, { inputShape: [4], layers: [{ type: 'maxPool2d' }] })).toThrow(/maxPool2d_1: input shape = \[4\]/);
    expect(() => Sequential.build(engine, { inputShape: [4], layers: [{ type: 'dense', unit: 3 } as never] })).toThrow(/dense.unit = 3: expected no such option/);
    expect(() => Sequential.build(engine, { inputShape: [4], layers: [{ type: 'Dense' }] })).toThrow(/layers\[0\].type = "Dense": expected one of dense, conv2d/);
    expect(() => Sequential.build(engine, { inputShape: [0], layers: [{ type: 'relu' }] })).toThrow(/inputShape\[0\] = 0/);
    expect(() => Sequential.build(engine, { inputShape: [4], layers: [] })).toThrow(/layers = \[\]: expected a non-empty array/);
  });

  it('round-trips through its JSON spec: the same seed gives the same initial weights', () => {
    const a = Sequential.build(engine, LENET5);
    const spec = JSON.parse(JSON.stringify(a.toSpec()));
    const b = Sequential.build(engine, spec);
    expect(b.toSpec()).toEqual(a.toSpec());
    const wa = a.getWeights();
    const wb = b.getWeights();
    expect(wb.map((w) => w.name)).toEqual(['conv2d_1/kernel', 'conv2d_1/bias', 'conv2d_2/kernel', 'conv2d_2/bias', 'dense_1/kernel', 'dense_1/bias', 'dense_2/kernel', 'dense_2/bias']);
    wa.forEach((w, i) => expect(Array.from(wb[i].values)).toEqual(Array.from(w.values)));
    // Glorot uniform: the limit sqrt(6 / (fanIn + fanOut)) bounds every initial kernel value.
    const limit = Math.sqrt(6 / (25 + 500));
    expect(Math.max(...wa[0].values.map(Math.abs))).toBeLessThanOrEqual(limit);
    expect(Math.max(...wa[0].values.map(Math.abs))).toBeGreaterThan(0.9 * limit);
    a.dispose();
    b.dispose();
  });

  it('builds from layer objects too, and sets weights by name or in order, checking each', () => {
    const model = Sequential.build(engine, { inputShape: [3], layers: [dense({ units: 2 }), relu()] });
    model.setWeights({ 'dense_1/kernel': [1, 2, 3, 4, 5, 6], 'dense_1/bias': [0.5, -100] });
    expect(Array.from(model.predict(new Float32Array([1, 1, 1])))).toEqual([9.5, 0]);
    model.setWeights([new Float32Array([1, 0, 0, 1, 0, 0]), new Float32Array([0, 0])]);
    expect(Array.from(model.predict(new Float32Array([2, 3, 4])))).toEqual([2, 3]);
    expect(() => model.setWeights({ 'dense_1/kernel': [1, 2] })).toThrow(/weights\["dense_1\/kernel"\] = \[1, 2\]: expected 6 values \(shape \[3,2\]\)/);
    expect(() => model.setWeights({ 'dense_1/bias': [NaN, 0] })).toThrow(/weights\["dense_1\/bias"\]\[0\] = NaN: expected a finite number/);
    expect(() => model.setWeights({ 'dense_9/bias': [0, 0] })).toThrow(/weight name = "dense_9\/bias"/);
    expect(() => model.setWeights([new Float32Array(6)])).toThrow(/expected 2 tensors/);
    // Nothing was written by the failed calls.
    expect(Array.from(model.predict(new Float32Array([2, 3, 4])))).toEqual([2, 3]);
    model.dispose();
  });

  it('predicts the same bits in one batch as in many, down to batches of one', () => {
    const model = Sequential.build(engine, LENET5);
    const x = uniform(rng(1), 37 * 784, 0, 1);
    const whole = model.predict(x, { batchSize: 64 });
    for (const batchSize of [5, 3, 1]) expect(Array.from(model.predict(x, { batchSize }))).toEqual(Array.from(whole));
    model.dispose();
  });

  it('dropout: identity at inference; in training zeroes about `rate` of the inputs and scales the rest', () => {
    const model = Sequential.build(engine, { inputShape: [1000], layers: [{ type: 'dropout', rate: 0.3 }], seed: 9 });
    model.compile({ optimizer: sgd({ lr: 0.1 }), loss: 'meanSquaredError' });
    const x = new Float32Array(2000).fill(1);
    expect(Array.from(model.predict(x)).every((v) => v === 1)).toBe(true);
    const { inputGradient } = model.lossAndGradients(x, new Float32Array(2000), { inputGradient: true });
    // d/dx mean((mask*x)^2) = 2 * mask^2 * x / n: zero where dropped, 2/(0.7^2 n) where kept.
    const kept = Array.from(inputGradient!).filter((g) => g !== 0);
    expect(kept.length / 2000).toBeGreaterThan(0.65);
    expect(kept.length / 2000).toBeLessThan(0.75);
    kept.forEach((g) => expect(g).toBeCloseTo(2 / (0.49 * 2000), 8));
    model.dispose();
  });

  it('batch norm updates its moving statistics as TensorFlow.js does, and uses them at inference', () => {
    const model = Sequential.build(engine, { inputShape: [2], layers: [{ type: 'batchNorm', momentum: 0.9 }] });
    model.compile({ optimizer: sgd({ lr: 1e-9 }), loss: 'meanSquaredError' });
    const x = new Float32Array([1, 10, 3, 20, 5, 30, 7, 40]);
    model.trainStep(x, new Float32Array(8));
    const w = Object.fromEntries(model.getWeights().map((t) => [t.name, Array.from(t.values)]));
    // batch mean [4, 25], biased variance [5, 125]; moving = 0.9 * initial + 0.1 * batch
    expectClose(w['batchNorm_1/moving_mean'], [0.4, 2.5], { rtol: 1e-6 });
    expectClose(w['batchNorm_1/moving_variance'], [0.9 + 0.5, 0.9 + 12.5], { rtol: 1e-6 });
    const y = model.predict(new Float32Array([0.4, 2.5]));
    expectClose(y, [0, 0], { atol: 1e-6 });
    model.dispose();
  });

  it('frees every region it allocated when disposed', async () => {
    const fresh = await init();
    const before = fresh.arena.bytesInUse;
    const model = Sequential.build(fresh, LENET5);
    model.compile({ optimizer: adam(), loss: 'crossEntropy' });
    model.trainStep(uniform(rng(2), 8 * 784, 0, 1), new Int32Array(8));
    expect(fresh.arena.bytesInUse).toBeGreaterThan(before);
    model.dispose();
    expect(fresh.arena.bytesInUse).toBe(before);
  });
});

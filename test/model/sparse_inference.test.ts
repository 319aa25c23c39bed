import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { init, type Engine } from '../../src/backend/engine.js';
import { Conv2D } from '../../src/layers/conv2d.js';
import { Dense } from '../../src/layers/dense.js';
import { crossoverClass, DEEP_INPUTS, SPARSE_CROSSOVER } from '../../src/layers/sparse_kernel.js';
import { presetSpec } from '../../src/model/presets.js';
import { Sequential, type ModelSpec } from '../../src/model/sequential.js';
import { windowGeometry } from '../../src/ops/geometry.js';
import { Im2colConvolution } from '../../src/ops/im2col_convolution.js';
import { magnitudePrune } from '../../src/prune/magnitude.js';
import { rng, uniform } from '../support/random.js';

const MODELS: [string, ModelSpec][] = [
  ['lenet-300-100', presetSpec('lenet-300-100', [784], 10, 1)],
  ['lenet5', presetSpec('lenet5', [28, 28, 1], 10, 2)],
  ['fashion-cnn', presetSpec('fashion-cnn', [28, 28, 1], 10, 3)],
  // A strided convolution (im2col + the sparse product) before a stride-1 one (the direct kernel).
  ['strided-cnn', {
    inputShape: [15, 13, 3],
    layers: [
      { type: 'conv2d', filters: 12, kernelSize: 3, strides: 2, padding: 'same' }, { type: 'relu' },
      { type: 'conv2d', filters: 10, kernelSize: [3, 2] }, { type: 'relu' }, { type: 'flatten' }, { type: 'dense', units: 10 },
    ],
    seed: 4,
  }],
];

/** The index of the largest of each row of k. */
function argmaxRows(v: Float32Array, k: number): number[] {
  return Array.from({ length: v.length / k }, (_, r) => {
    let best = 0;
    for (let j = 1; j < k; j++) if (v[r * k + j] > v[r * k + best]) best = j;
    return best;
  });
}

describe('inference models on the sparse kernel', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await init();
  });
  afterAll(() => engine.dispose());

  it.each(MODELS.map(([n, s]) => ({ n, s })))("$n pruned to 5 percent: sparse logits = dense logits to 1e-5 relative, same argmax, at batch 1, 7 and 64", ({ s: spec }) => {
    const trained = Sequential.build(engine, spec);
    const biases = Object.fromEntries(trained.getWeights().filter((w) => w.name.endsWith('bias')).map((w) => [w.name, uniform(rng(4), w.values.length, -0.1, 0.1)]));
    trained.setWeights(biases);
    magnitudePrune(trained, { fraction: 0.95 });
    const dense = trained.toInference({ sparse: 'never' });
    const sparse = trained.toInference({ sparse: 'always' });
    const auto = trained.toInference();
    const x = uniform(rng(5), 64 * trained.inputSize, 0, 1);
    const expected = dense.predict(x);
    const scale = Math.max(...expected.map(Math.abs));
    for (const batchSize of [1, 7, 64]) {
      for (const model of [sparse, auto]) {
        const got = model.predict(x, { batchSize });
        let worst = 0;
        for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - expected[i]) / scale);
        expect(worst, `batch ${batchSize}`).toBeLessThan(1e-5);
        expect(argmaxRows(got, 10)).toEqual(argmaxRows(expected, 10));
      }
    }
    // 'always' has a copy of every kernel; 'auto' of the ones below the crossover (at 5%: all); 'never' none.
    const weighted = trained.layers.filter((l) => l.type === 'dense' || l.type === 'conv2d').length;
    expect(sparse.sparseKernels()).toHaveLength(weighted);
    expect(auto.sparseKernels().length).toBe(weighted);
    for (const k of auto.sparseKernels()) expect(k.density).toBeLessThan(0.06);
    expect(dense.sparseKernels()).toEqual([]);
    // Stride-1 convolutions run the direct sparse convolution, strided ones im2col + the sparse product.
    for (const layer of sparse.layers) {
      if (layer instanceof Conv2D) expect(layer.sparseKernel?.product, layer.name).toBe(layer.strides[0] === 1 ? 'convolution' : 'matmul');
      if (layer instanceof Dense) expect(layer.sparseKernel?.product, layer.name).toBe('matmul');
    }
    for (const m of [trained, dense, sparse, auto]) m.dispose();
  });

  it('auto keeps dense kernels dense; setWeights and in-place pruning remake the sparse copies', () => {
    const model = Sequential.build(engine, presetSpec('lenet-300-100', [784], 10, 1), { inference: true });
    expect(model.sparse).toBe('auto');
    expect(model.sparseKernels()).toEqual([]); // freshly initialised: every kernel dense
    const x = uniform(rng(6), 3 * 784, 0, 1);
    const before = model.predict(x);
    magnitudePrune(model, { fraction: 0.99 });
    const kernels = model.sparseKernels();
    expect(kernels.map((k) => k.layer)).toEqual(['dense_1', 'dense_2', 'dense_3']);
    for (const k of kernels) expect(k.density).toBeCloseTo(0.01, 2);
    expect(Math.max(...kernels.map((k) => k.density))).toBeLessThan(Math.min(SPARSE_CROSSOVER.fewRows, SPARSE_CROSSOVER.manyRows));
    for (const layer of model.layers) if (layer instanceof Dense) expect([layer.runsSparse(1), layer.runsSparse(64)]).toEqual([true, true]);
    const pruned = model.predict(x);
    const reference = Sequential.build(engine, model.toSpec(), { inference: true, sparse: 'never' });
    reference.setWeights(model.getWeights());
    const expected = reference.predict(x);
    const scale = Math.max(...expected.map(Math.abs));
    expect(Math.max(...pruned.map((v, i) => Math.abs(v - expected[i]) / scale))).toBeLessThan(1e-5);
    expect(pruned).not.toEqual(before);
    // Dense weights again: auto drops the copies and predicts what it predicted at first, bit for bit.
    const original = Sequential.build(engine, presetSpec('lenet-300-100', [784], 10, 1));
    model.setWeights(original.getWeights());
    expect(model.sparseKernels()).toEqual([]);
    expect(model.predict(x)).toEqual(before);
    for (const m of [model, reference, original]) m.dispose();
  });

  it.each(MODELS.map(([n, s]) => ({ n, s })))('$n at 2 percent: kernels that run sparse at every batch give up their dense values, and nothing else changes', ({ s: spec }) => {
    const trained = Sequential.build(engine, spec);
    magnitudePrune(trained, { fraction: 0.98 });
    const weights = trained.getWeights();
    const x = uniform(rng(8), 5 * trained.inputSize, 0, 1);
    const measure = (mode: 'never' | 'auto') => {
      const before = engine.arena.bytesInUse;
      const model = trained.toInference({ sparse: mode });
      const logits = model.predict(x, { batchSize: 5 });
      return { model, logits, bytes: engine.arena.bytesInUse - before };
    };
    const dense = measure('never');
    const auto = measure('auto');
    const kernels = weights.filter((w) => w.name.endsWith('/kernel'));
    const kernelBytes = kernels.reduce((s, w) => s + 4 * w.values.length, 0);
    const nonzeros = kernels.reduce((s, w) => s + w.values.filter((v) => v !== 0).length, 0);
    // The dense kernels are gone from memory: what is left is the sparse copies (8 bytes per
    // nonzero and a column index), the biases and the activations, as in the dense model, and the
    // im2col columns a strided convolution's sparse product multiplies (the dense GEMMs gather
    // theirs as they go, so the dense model holds none).
    const columns = 4 * Math.max(0, ...auto.model.layers.map((l) => l.scratchFloats(5)));
    expect(dense.bytes - auto.bytes + columns).toBeGreaterThan(kernelBytes - 8 * nonzeros - 4 * 4096);
    expect(auto.bytes - columns).toBeLessThan(dense.bytes - 0.8 * kernelBytes);
    // getWeights rebuilds the kernels bit for bit; the logits are those of the sparse kernels.
    const got = auto.model.getWeights();
    for (const [i, w] of weights.entries()) expect(new Uint32Array(got[i].values.buffer)).toEqual(new Uint32Array(w.values.buffer));
    expect(auto.model.parameterCount).toBe(trained.parameterCount);
    const sparse = trained.toInference({ sparse: 'always' });
    expect(auto.logits).toEqual(sparse.predict(x, { batchSize: 5 }));
    // Reading the region puts the values back; writing into it in place (magnitudePrune) and
    // setWeights make the copies again, which free them again.
    magnitudePrune(auto.model, { fraction: 0.5 });
    trained.setWeights(auto.model.getWeights());
    const reference = trained.toInference({ sparse: 'never' });
    const expected = reference.predict(x);
    const scale = Math.max(...expected.map(Math.abs));
    const again = auto.model.predict(x);
    expect(Math.max(...again.map((v, i) => Math.abs(v - expected[i]) / scale))).toBeLessThan(1e-5);
    auto.model.setWeights(weights);
    expect(auto.model.predict(x, { batchSize: 5 })).toEqual(auto.logits);
    // A ReLU after a stride-1 convolution runs inside the direct kernel: the ReLU layer is its input's memory.
    auto.model.layers.forEach((layer, i) => {
      const next = auto.model.layers[i + 1];
      if (layer instanceof Conv2D && next?.type === 'relu') expect(next.aliasesInput, next.name).toBe(layer.strides[0] === 1);
    });
    expect(dense.model.layers.some((l) => l.aliasesInput && l.type === 'relu')).toBe(false);
    // Only a strided convolution's sparse product multiplies im2col columns: stride-1 ones on the
    // direct kernel and every dense convolution (whose GEMMs gather their own) need none.
    for (const layer of auto.model.layers) {
      if (!(layer instanceof Conv2D)) continue;
      const columns = Im2colConvolution.workspaceFloatsFor(windowGeometry([64, ...layer.inputShape], layer.kernelSize, layer.strides, layer.padding));
      expect(layer.scratchFloats(64), layer.name).toBe(layer.strides[0] === 1 ? 0 : columns);
      expect(columns, layer.name).toBeGreaterThan(0);
    }
    for (const layer of dense.model.layers) expect(layer.scratchFloats(64), layer.name).toBe(0);
    for (const m of [trained, dense.model, auto.model, sparse, reference]) m.dispose();
  });

  it('auto runs a deep dense layer at batch 1 sparse from a higher density than a shallow one (fewRowsDeep)', () => {
    expect([crossoverClass('matmul', 1, 784), crossoverClass('matmul', 3, DEEP_INPUTS), crossoverClass('matmul', 4, 4096)]).toEqual(['fewRows', 'fewRowsDeep', 'manyRows']);
    expect([crossoverClass('convolution', 1, 4096), crossoverClass('convolution', 4, 9)]).toEqual(['convolution', 'convolutionBatch']);
    expect(() => crossoverClass('conv' as never, 1, 9)).toThrow(/product = "conv": expected one of "matmul", "convolution"/);
    expect(() => crossoverClass('matmul', 0, 9)).toThrow(/rows = 0: expected a positive integer/);
    // Half the weights pruned: between fewRows (0.35) and fewRowsDeep (0.6).
    for (const [inputs, sparseAtOne] of [[DEEP_INPUTS - 1, false], [DEEP_INPUTS, true]] as const) {
      const model = Sequential.build(engine, { inputShape: [inputs], seed: 2, layers: [{ type: 'dense', units: 16 }] }, { inference: true });
      magnitudePrune(model, { fraction: 0.5 });
      expect(model.sparseKernels().map((k) => k.density)[0]).toBeCloseTo(0.5, 2);
      const dense = model.layers[0] as Dense;
      expect([dense.runsSparse(1), dense.runsSparse(64)], `${inputs} inputs`).toEqual([sparseAtOne, true]);
      model.dispose();
    }
  });

  it('refuses a sparse option on a trainable model and an unknown mode', () => {
    const spec = presetSpec('mlp', [4], 2, 1);
    expect(() => Sequential.build(engine, spec, { sparse: 'auto' })).toThrow(/sparse = "auto": expected no sparse option on a trainable model/);
    expect(() => Sequential.build(engine, spec, { inference: true, sparse: 'sometimes' as 'auto' })).toThrow(/sparse = "sometimes": expected one of "auto", "always", "never"/);
    expect(() => Sequential.build(engine, spec).toInference({ sparse: 'x' as 'auto' })).toThrow(/sparse = "x"/);
  });
});

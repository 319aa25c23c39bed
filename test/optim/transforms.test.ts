import { beforeAll, describe, expect, it } from 'vitest';
import { init, type Engine } from '../../src/backend/engine.js';
import { ParamSet } from '../../src/model/param_set.js';
import { clipByGlobalNorm, decoupledWeightDecay } from '../../src/optim/gradient_transforms.js';
import { weightMask } from '../../src/prune/mask.js';
import { adagrad, adam, adamw, momentum, rmsprop, sgd } from '../../src/optim/optimizers.js';
import { learningRate } from '../../src/optim/schedules.js';
import { chain, type Chain, type Optimizer } from '../../src/optim/transform.js';
import { optimizerFromSpec } from '../../src/optim/spec.js';
import { l1, l2 } from '../../src/regularize/coupled.js';
import { proximalL1 } from '../../src/regularize/decoupled.js';
import { lobster } from '../../src/regularize/selective.js';
import { expectClose } from '../support/harness.js';

/** A kernel [2, 3] and a bias [3], with hand-picked weights and gradients. */
const W = [0.5, -1, 2, 0, 0.25, -0.75];
const B = [0.1, -0.2, 0.3];
const GW = [0.1, 0.2, -0.3, 0.4, -0.5, 0.6];
const GB = [1, -1, 0.5];

describe('optimizer chains', () => {
  let engine: Engine;
  let params: ParamSet;
  beforeAll(async () => {
    engine = await init();
  });

  function setup(): ParamSet {
    params = new ParamSet(engine, [
      { name: 'd/bias', layer: 'd', kind: 'bias', shape: [3], size: 3 },
      { name: 'd/kernel', layer: 'd', kind: 'kernel', shape: [2, 3], size: 6 },
    ]);
    params.values(params.tensor('d/kernel')).set(W);
    params.values(params.tensor('d/bias')).set(B);
    return params;
  }

  function step(c: Chain, times = 1): { w: number[]; b: number[] } {
    for (let t = 0; t < times; t++) {
      params.values(params.tensor('d/kernel'), params.grad).set(GW);
      params.values(params.tensor('d/bias'), params.grad).set(GB);
      c.step({ engine, params, step: t, lr: c.optimizer.learningRate(t, 10) });
    }
    return { w: Array.from(params.values(params.tensor('d/kernel'))), b: Array.from(params.values(params.tensor('d/bias'))) };
  }

  it('puts kernels first in the region, so the default selector is one range', () => {
    setup();
    expect(params.tensor('d/kernel').offset).toBe(0);
    expect(params.ranges()).toEqual([[0, 16]]);
    expect(params.ranges({ kinds: ['bias'] })).toEqual([[16, 16]]);
    expect(params.ranges({ kinds: ['kernel', 'bias'] })).toEqual([[0, 32]]);
    expect(params.ranges({ layers: ['other'] })).toEqual([]);
  });

  it('every step flushes subnormal weights and optimizer moments to zero, and leaves normal values as the closed form gives them', () => {
    setup();
    const kernel = params.values(params.tensor('d/kernel'));
    // w0 stays subnormal after the step (0 gradient); w1 lands in the subnormal range; w2 is the smallest normal.
    kernel.set([1e-39, 3e-38, 2 ** -126, 0.5, -0.25, 1]);
    const before = Array.from(kernel);
    const c = chain(sgd({ lr: 0.5 }));
    c.init(engine, params);
    const g = [0, Math.fround(3e-38 - 1e-38) / 0.5, 0, 0.1, 0.2, -0.3];
    params.values(params.tensor('d/kernel'), params.grad).set(g);
    params.values(params.tensor('d/bias'), params.grad).fill(0);
    c.step({ engine, params, step: 0, lr: 0.5 });
    const after = Array.from(kernel);
    expect(after.slice(0, 2)).toEqual([0, 0]);
    expect(after[2]).toBe(2 ** -126);
    expectClose(after.slice(3), before.slice(3).map((v, i) => v - 0.5 * g[i + 3]), { rtol: 1e-7 });
    // Adam's first moment of a gradient 1e-37 is 1e-38 after one step: subnormal, so 0; the weight's
    // update then uses the moment before the flush (the step is taken first).
    setup();
    const a = chain(adam({ lr: 1e-3 }));
    a.init(engine, params);
    params.values(params.tensor('d/kernel'), params.grad).set([1e-37, 1, 1, 1, 1, 1]);
    params.values(params.tensor('d/bias'), params.grad).fill(1);
    a.step({ engine, params, step: 0, lr: 1e-3 });
    const [m, v] = a.optimizer.stateRegions().map((r) => engine.arena.f32(r.ptr, r.size));
    expect(m[0]).toBe(0);
    expect(v[0]).toBe(0);
    expect(m[1]).toBeCloseTo(0.1, 7);
    for (const r of a.optimizer.stateRegions()) {
      for (const x of engine.arena.f32(r.ptr, r.size)) expect(x === 0 || Math.abs(x) >= 2 ** -126).toBe(true);
    }
  });

  it('the chain flushes what the optimizer cannot promise: a custom optimizer\'s weights and state, and weights an afterUpdate transform writes', () => {
    setup();
    const kernel = params.values(params.tensor('d/kernel'));
    // A custom optimizer (no flushesSubnormals) that halves the weights and keeps them in a state region.
    let state = 0;
    const halving: Optimizer = {
      kind: 'optimizer', name: 'halving', spec: { type: 'halving' },
      learningRate: () => 1,
      init: (e) => void (state = e.arena.allocF32(params.size)),
      update: ({ params: p }) => {
        const w = p.engine.arena.f32(p.ptr, p.size);
        const s = p.engine.arena.f32(state, p.size);
        for (let i = 0; i < p.size; i++) s[i] = w[i] = w[i] / 2;
      },
      stateRegions: () => [{ name: 'last', ptr: state, size: params.size }],
      dispose: () => engine.arena.free(state),
    };
    kernel.set([2e-38, -2e-38, 2 ** -124, 1, 0, 3]);
    const custom = chain(halving);
    custom.init(engine, params);
    custom.step({ engine, params, step: 0, lr: 1 });
    // 2e-38 / 2 = 1e-38 is subnormal: flushed to a zero of its sign; 2^-125 is normal and stays.
    expect(Array.from(kernel).map((v) => Object.is(v, -0) ? '-0' : v)).toEqual([0, '-0', 2 ** -125, 0.5, 0, 1.5]);
    expect(Array.from(engine.arena.f32(state, 6))).toEqual([0, -0, 2 ** -125, 0.5, 0, 1.5]);
    custom.dispose();
    // A built-in optimizer flushes its own stores, and the chain still flushes after a transform
    // that writes the weights: decoupled decay by 1 - lr lambda = 0.25 takes 3e-38 to 7.5e-39.
    setup();
    const decayedKernel = params.values(params.tensor('d/kernel'));
    decayedKernel.set([3e-38, -3e-38, 1, 1, 1, 1]);
    const decayed = chain(sgd({ lr: 0.75 }), decoupledWeightDecay({ lambda: 1 }));
    decayed.init(engine, params);
    engine.arena.f32(params.grad, params.size).fill(0);
    decayed.step({ engine, params, step: 0, lr: 0.75 });
    expect(Array.from(decayedKernel).map((v) => Object.is(v, -0) ? '-0' : v)).toEqual([0, '-0', 0.25, 0.25, 0.25, 0.25]);
  });

  it('after-update transforms see the weights as the optimizer computed them: the bits of an unflushed update, the transforms, then one flush', () => {
    // SGD leaves w0 = -1e-39, w1 = 1e-39 and w2 = 7e-39 subnormal (zero gradients). Lobster halves
    // them, proximal L1 with lambda 0 leaves them, and decoupled decay at lr -1 multiplies them by
    // 1 + 3 = 4. Had the update flushed them first, w0 would end as +0 (lobster's -0 - (-0)) and w2
    // as 0; as computed, w2 grows to a normal 1.4e-38 and w0 flushes to -0.
    const transforms = () => [lobster({ lambda: 0.5 }), proximalL1({ lambda: 0 }), decoupledWeightDecay({ lambda: 3 })];
    const start = [-1e-39, 1e-39, 7e-39, 0.5, -0.25, 1];
    const grads = [0, 0, 0, 0.1, -0.2, 0.3];
    const run = (optimizer: Optimizer) => {
      setup();
      params.values(params.tensor('d/kernel')).set(start);
      const c = chain(optimizer, ...transforms());
      c.init(engine, params);
      params.values(params.tensor('d/kernel'), params.grad).set(grads);
      params.values(params.tensor('d/bias'), params.grad).fill(0);
      c.step({ engine, params, step: 0, lr: -1 });
      const out = Array.from(params.values(params.tensor('d/kernel')));
      c.dispose();
      return out;
    };
    // The reference path: an optimizer that stores everything as computed and leaves the flushing
    // to the chain, after the transforms (the order before the kernels flushed).
    const raw: Optimizer = {
      kind: 'optimizer', name: 'rawSgd', spec: { type: 'rawSgd' },
      learningRate: () => -1,
      init() {},
      update: ({ engine: e, params: p, lr }) => e.backend.sgdUpdate(p.ptr, p.grad, p.size, lr, 'none'),
      stateRegions: () => [],
      dispose() {},
    };
    const got = run(sgd({ lr: 1 }));
    const want = run(raw);
    expect(got.map((v) => (Object.is(v, -0) ? '-0' : v))).toEqual(want.map((v) => (Object.is(v, -0) ? '-0' : v)));
    // The cases the order decides.
    expect(Object.is(want[0], -0)).toBe(true);
    expect(want[1]).toBe(0);
    expect(want[2]).toBeGreaterThanOrEqual(2 ** -126);
    expect(want[2]).toBeCloseTo(1.4e-38, 44);
  });

  it('SGD with coupled L2 on kernels: w -= lr (g + lambda w); biases get no decay', () => {
    setup();
    const c = chain(l2({ lambda: 0.1 }), sgd({ lr: 0.5 }));
    c.init(engine, params);
    const { w, b } = step(c);
    expectClose(w, W.map((v, i) => v - 0.5 * (GW[i] + 0.1 * v)), { rtol: 1e-6 });
    expectClose(b, B.map((v, i) => v - 0.5 * GB[i]), { rtol: 1e-6 });
    expect(c.penalty(params)).toBeCloseTo(0.05 * w.reduce((s, v) => s + v * v, 0), 6);
  });

  it('coupled L2 is scaled by Adam (the effect behind implicit sparsity); L1 adds lambda sign(w)', () => {
    setup();
    const c = chain(l2({ lambda: 0.1 }), l1({ lambda: 0.01 }), adam({ lr: 0.01 }));
    c.init(engine, params);
    const { w } = step(c);
    // First Adam step: m_hat = g', v_hat = g'^2, step = lr m_hat / (sqrt(v_hat) + eps)
    const expected = W.map((v, i) => {
      const g = GW[i] + 0.1 * v + 0.01 * Math.sign(v);
      return v - 0.01 * (g / (Math.abs(g) + 1e-7));
    });
    expectClose(w, expected, { rtol: 1e-5, atol: 1e-7 });
  });

  it('AdamW decays from the weight before the step; decoupledWeightDecay after it', () => {
    setup();
    const a = adamw({ lr: 0.01, weightDecay: 0.1 });
    const c = chain(a);
    c.init(engine, params);
    const { w, b } = step(c);
    const adamStep = (g: number) => 0.01 * (g / (Math.abs(g) + 1e-7));
    expectClose(w, W.map((v, i) => v - 0.01 * 0.1 * v - adamStep(GW[i])), { rtol: 1e-5, atol: 1e-7 });
    // adamw's fused decay applies to every trainable tensor, as in PyTorch's default param group
    expectClose(b, B.map((v, i) => v - 0.01 * 0.1 * v - adamStep(GB[i])), { rtol: 1e-5, atol: 1e-7 });

    setup();
    const d = chain(sgd({ lr: 0.5 }), decoupledWeightDecay({ lambda: 0.2 }));
    d.init(engine, params);
    const r = step(d);
    expectClose(r.w, W.map((v, i) => (v - 0.5 * GW[i]) * (1 - 0.5 * 0.2)), { rtol: 1e-6 });
    expectClose(r.b, B.map((v, i) => v - 0.5 * GB[i]), { rtol: 1e-6 });
  });

  it('clips the global gradient norm before the optimizer', () => {
    setup();
    const c = chain(clipByGlobalNorm({ maxNorm: 0.5 }), sgd({ lr: 1 }));
    c.init(engine, params);
    const norm = Math.sqrt([...GW, ...GB].reduce((s, g) => s + g * g, 0));
    const { w, b } = step(c);
    expectClose(w, W.map((v, i) => v - (GW[i] * 0.5) / norm), { rtol: 1e-6 });
    expectClose(b, B.map((v, i) => v - (GB[i] * 0.5) / norm), { rtol: 1e-6 });
  });

  it('a weight mask holds chosen weights at exactly zero through momentum and Adam steps', () => {
    for (const opt of [momentum({ lr: 0.1 }), adam({ lr: 0.1 }), rmsprop({ lr: 0.1 }), adagrad({ lr: 0.1 })]) {
      setup();
      const c = chain(weightMask({ masks: { 'd/kernel': [1, 0, 1, 0, 1, 1] } }), opt);
      c.init(engine, params);
      const { w } = step(c, 5);
      expect(Math.abs(w[1])).toBe(0);
      expect(Math.abs(w[3])).toBe(0);
      expect(w[0]).not.toBe(W[0]);
    }
  });

  it('rejects malformed chains and options, naming them', () => {
    expect(() => chain(l2({ lambda: 1 }))).toThrow(/exactly one optimizer \(found 0\)/);
    expect(() => chain(sgd({ lr: 1 }), adam())).toThrow(/found 2/);
    expect(() => chain({} as never)).toThrow(/chain argument 0/);
    expect(() => adam({ lr: -1 })).toThrow(/adam.lr = -1: expected a finite number > 0/);
    expect(() => adam({ beta1: 1 })).toThrow(/adam.beta1 = 1/);
    expect(() => adam({ lr: 0.1, betta1: 0.9 } as never)).toThrow(/adam.betta1 = 0.9: expected no such option/);
    expect(() => l2({ lambda: NaN })).toThrow(/l2.lambda = NaN/);
    expect(() => sgd({ lr: { type: 'linear' } as never })).toThrow(/sgd.lr.type = "linear"/);
    expect(() => l2({ lambda: 1, selector: { kinds: ['weights'] as never } })).toThrow(/l2.selector.kinds/);
    setup();
    const c = chain(weightMask({ masks: { 'd/kernel': [1, 0] } }), sgd({ lr: 1 }));
    expect(() => c.init(engine, params)).toThrow(/6 values/);
  });
});

describe('optimizer specs', () => {
  it('round-trip through JSON and behave like the chain they describe', async () => {
    const engine = await init();
    const built = chain(l2({ lambda: 0.1 }), clipByGlobalNorm({ maxNorm: 5 }), adam({ lr: 0.01, beta2: 0.99 }), decoupledWeightDecay({ lambda: 0.001 }));
    const spec = built.toSpec()!;
    expect(spec).toEqual({
      type: 'adam', lr: 0.01, beta2: 0.99,
      transforms: [{ type: 'l2', lambda: 0.1 }, { type: 'clipByGlobalNorm', maxNorm: 5 }, { type: 'decoupledWeightDecay', lambda: 0.001 }],
    });
    const rebuilt = optimizerFromSpec(JSON.parse(JSON.stringify(spec)));
    expect(rebuilt.toSpec()).toEqual(spec);
    const results = [built, rebuilt].map((c) => {
      const params = new ParamSet(engine, [{ name: 'd/kernel', layer: 'd', kind: 'kernel', shape: [2, 3], size: 6 }]);
      params.values(params.tensor('d/kernel')).set(W);
      c.init(engine, params);
      for (let t = 0; t < 3; t++) {
        params.values(params.tensor('d/kernel'), params.grad).set(GW);
        c.step({ engine, params, step: t, lr: c.optimizer.learningRate(t, 1) });
      }
      return Array.from(params.values(params.tensor('d/kernel')));
    });
    expect(results[1]).toEqual(results[0]);
  });

  it('name what is wrong in a bad spec', () => {
    expect(() => optimizerFromSpec({ type: 'adamax' })).toThrow(/optimizer.type = "adamax": expected one of sgd, momentum, adam/);
    expect(() => optimizerFromSpec({ type: 'adam', transforms: [{ type: 'l3' }] })).toThrow(/optimizer.transforms\[0\].type = "l3"/);
    expect(() => optimizerFromSpec({ type: 'sgd' })).toThrow(/sgd.lr = undefined/);
    expect(() => optimizerFromSpec({ type: 'adam', transforms: [{ type: 'l2', lambda: -1 }] })).toThrow(/l2.lambda = -1/);
  });
});

describe('learning-rate schedules', () => {
  it('constant, step, exponential and cosine with warmup', () => {
    expect(learningRate(0.1, 1000, 10)).toBe(0.1);
    const halving = { type: 'step', initial: 0.1, everyEpochs: 25 } as const;
    expect(learningRate(halving, 24 * 100 + 99, 100)).toBeCloseTo(0.1, 12);
    expect(learningRate(halving, 25 * 100, 100)).toBeCloseTo(0.05, 12);
    expect(learningRate(halving, 75 * 100, 100)).toBeCloseTo(0.0125, 12);
    expect(learningRate({ type: 'exponential', initial: 1, rate: 0.5, decaySteps: 10 }, 5, 1)).toBeCloseTo(Math.SQRT1_2, 12);
    expect(learningRate({ type: 'exponential', initial: 1, rate: 0.5, decaySteps: 10, staircase: true }, 15, 1)).toBe(0.5);
    const cosine = { type: 'cosine', initial: 1, totalSteps: 110, warmupSteps: 10, final: 0.1 } as const;
    expect(learningRate(cosine, 0, 1)).toBeCloseTo(0.1, 12);
    expect(learningRate(cosine, 9, 1)).toBeCloseTo(1, 12);
    expect(learningRate(cosine, 60, 1)).toBeCloseTo(0.55, 12);
    expect(learningRate(cosine, 110, 1)).toBeCloseTo(0.1, 12);
    expect(learningRate(cosine, 500, 1)).toBeCloseTo(0.1, 12);
  });
});

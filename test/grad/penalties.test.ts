import { beforeAll, describe, expect, it } from 'vitest';
import { init, type Engine } from '../../src/backend/engine.js';
import { ParamSet } from '../../src/model/param_set.js';
import { sgd } from '../../src/optim/optimizers.js';
import { chain, type Transform } from '../../src/optim/transform.js';
import { l1, l2 } from '../../src/regularize/coupled.js';
import { groupLasso } from '../../src/regularize/group_lasso.js';
import { groupHoyer, hoyerSquare } from '../../src/regularize/hoyer.js';
import { selectiveDecay } from '../../src/regularize/selective.js';
import { checkGradient } from '../support/finite_difference.js';
import { expectClose } from '../support/harness.js';
import { rng, uniform } from '../support/random.js';

// Every coupled penalty's gradient (what its beforeUpdate adds) against finite differences of the
// penalty it reports, on a dense kernel, a conv kernel and a bias, with some exact zeros.
const TENSORS = [
  { name: 'd/kernel', layer: 'd', kind: 'kernel' as const, shape: [7, 5], size: 35 },
  { name: 'c/kernel', layer: 'c', kind: 'kernel' as const, shape: [3, 3, 4, 6], size: 216 },
  { name: 'd/bias', layer: 'd', kind: 'bias' as const, shape: [5], size: 5 },
];

describe('penalty gradients against finite differences', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await init();
  });

  /** The gradient the transform adds at w (data gradient 0), and its penalty as a function of w. */
  function probe(transform: Transform, w: Float32Array) {
    const params = new ParamSet(engine, TENSORS);
    const c = chain(transform, sgd({ lr: 1 }));
    c.init(engine, params);
    const region = () => engine.arena.f32(params.ptr, params.size);
    region().set(w);
    engine.backend.fill(params.grad, params.size, 0);
    transform.beforeUpdate?.({ engine, params, step: 0, lr: 1 });
    const gradient = engine.arena.f32(params.grad, params.size).slice();
    const penalty = (x: Float32Array) => {
      region().set(x);
      return c.penalty(params);
    };
    return { gradient, penalty, dispose: () => (c.dispose(), params.dispose()) };
  }

  /** Weights in the flat layout, random in [-1, 1] with a few exact zeros and one all-zero column. */
  function weights(seed: number): Float32Array {
    const params = new ParamSet(engine, TENSORS);
    const w = new Float32Array(params.size);
    const random = rng(seed);
    for (const t of params.tensors) {
      const v = uniform(random, t.size);
      v[2] = 0;
      if (t.name === 'd/kernel') for (let r = 0; r < 7; r++) v[r * 5 + 3] = 0; // column 3 of the dense kernel
      w.set(v, t.offset);
    }
    params.dispose();
    return w;
  }

  const CASES: [string, () => Transform][] = [
    ['l2', () => l2({ lambda: 0.3 })],
    ['l1', () => l1({ lambda: 0.3 })],
    ['group lasso (coupled)', () => groupLasso({ lambda: 0.3 })],
    ['Hoyer-Square', () => hoyerSquare({ lambda: 0.3 })],
    ['Hoyer-Square on kernels and biases', () => hoyerSquare({ lambda: 0.3, selector: { kinds: ['kernel', 'bias'] } })],
    ['Group-HS (outputs and inputs)', () => groupHoyer({ lambda: 0.3 })],
    ['Group-HS (outputs only)', () => groupHoyer({ lambda: 0.3, inputWeight: 0 })],
    ['Group-HS (inputs weighted 2)', () => groupHoyer({ lambda: 0.3, outputWeight: 0.5, inputWeight: 2 })],
  ];

  it.each(CASES)('%s', (_label, make) => {
    const w = weights(3);
    const { gradient, penalty, dispose } = probe(make(), w);
    // L1-type penalties have kinks at 0: probe only coordinates away from zero (h = 1e-3 < min |w|).
    const nonzero = (i: number) => Math.abs(w[i]) > 2e-3;
    const masked = Float32Array.from(gradient, (g, i) => (nonzero(i) ? g : 0));
    const f = (x: Float32Array) => penalty(x);
    checkGradient(_label, w, (x) => {
      // Coordinates at zero stay at zero so the kinks are never crossed.
      const y = Float32Array.from(x, (v, i) => (nonzero(i) ? v : 0));
      return f(y);
    }, masked, { h: 1e-3, rtol: 2e-3, atol: 1e-5, samples: 400 });
    dispose();
  });

  it('Hoyer-Square and Group-HS give no NaN on an all-zero tensor or a single nonzero weight', () => {
    for (const make of [() => hoyerSquare({ lambda: 1 }), () => groupHoyer({ lambda: 1 })]) {
      const zero = new Float32Array(new ParamSet(engine, TENSORS).size);
      const a = probe(make(), zero);
      expect(a.gradient.every((g) => g === 0)).toBe(true);
      expect(a.penalty(zero)).toBe(0);
      a.dispose();
      // One nonzero weight per tensor: H_S = 1 (its minimum), the gradient is exactly 0 there.
      const single = zero.slice();
      single[5] = 0.7;
      const b = probe(make(), single);
      expect(b.gradient.every(Number.isFinite)).toBe(true);
      expectClose(b.gradient, new Float32Array(single.length), { rtol: 0, atol: 1e-6 });
      b.dispose();
    }
  });

  it('Hoyer-Square is scale invariant and equals (sum|w|)^2 / sum w^2', () => {
    const w = weights(5);
    const { penalty, dispose } = probe(hoyerSquare({ lambda: 1 }), w);
    const a = penalty(w);
    const b = penalty(Float32Array.from(w, (v) => v * 8));
    expect(b).toBeCloseTo(a, 4);
    // The dense kernel alone, by hand.
    const d = w.subarray(0, 35);
    const l1 = d.reduce((s, v) => s + Math.abs(v), 0);
    const q = d.reduce((s, v) => s + v * v, 0);
    const params = new ParamSet(engine, TENSORS);
    const conv = params.tensor('c/kernel');
    const c = w.subarray(conv.offset, conv.offset + conv.size);
    const l1c = c.reduce((s, v) => s + Math.abs(v), 0);
    const qc = c.reduce((s, v) => s + v * v, 0);
    params.dispose();
    expect(a).toBeCloseTo(l1 ** 2 / q + l1c ** 2 / qc, 3);
    dispose();
  });

  it('Group-HS input groups of a conv kernel are its input channels', () => {
    // A [1, 1, 2, 3] kernel with only input channel 0 nonzero: one input group alive, G_in = 1;
    // the three output groups have norms 1, 2, 2: G_out = 25 / 9.
    const tensors = [{ name: 'c/kernel', layer: 'c', kind: 'kernel' as const, shape: [1, 1, 2, 3], size: 6 }];
    const params = new ParamSet(engine, tensors);
    params.values(params.tensor('c/kernel')).set([1, 2, 2, 0, 0, 0]);
    const t = groupHoyer({ lambda: 1 });
    t.init(engine, params);
    expect(t.penalty!(params)).toBeCloseTo(1 + 25 / 9, 6);
    t.dispose!();
    params.dispose();
  });

  it('selective decay adds 2 gamma exp(-|g|/alpha) w with the factor from the data gradient, gamma decaying linearly', () => {
    const tensors = [{ name: 'd/kernel', layer: 'd', kind: 'kernel' as const, shape: [2, 2], size: 4 }];
    const params = new ParamSet(engine, tensors);
    const w = [0.5, -1, 2, 0.25];
    const g = [0, 0.5, -2, 10];
    const t = selectiveDecay({ gamma: 0.1, alpha: 0.5, decaySteps: 4 });
    const c = chain(t, sgd({ lr: 1 }));
    c.init(engine, params);
    const gradAt = (step: number) => {
      params.values(params.tensor('d/kernel')).set(w);
      params.values(params.tensor('d/kernel'), params.grad).set(g);
      t.beforeUpdate!({ engine, params, step, lr: 1 });
      return params.values(params.tensor('d/kernel'), params.grad).slice();
    };
    const expected = (gamma: number) => g.map((gi, i) => gi + 2 * gamma * Math.exp(-Math.abs(gi) / 0.5) * w[i]);
    expectClose(gradAt(0), expected(0.1), { rtol: 1e-6, atol: 1e-7 });
    expectClose(gradAt(2), expected(0.05), { rtol: 1e-6, atol: 1e-7 });
    expectClose(gradAt(5), g, { rtol: 0, atol: 0 }); // past decaySteps: gamma is 0
    t.onPrune!(5);
    expectClose(gradAt(6), expected(0.075), { rtol: 1e-6, atol: 1e-7 }); // restarted at the prune
    c.dispose();
    params.dispose();
  });
});

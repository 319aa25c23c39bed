import { beforeAll, describe, expect, it } from 'vitest';
import { init, type Engine } from '../../src/backend/engine.js';
import { ParamSet } from '../../src/model/param_set.js';
import { adam, sgd } from '../../src/optim/optimizers.js';
import { optimizerFromSpec } from '../../src/optim/spec.js';
import { chain, type Chain } from '../../src/optim/transform.js';
import { pnormDecay, proximalL1 } from '../../src/regularize/decoupled.js';
import { groupLasso } from '../../src/regularize/group_lasso.js';
import { lobster } from '../../src/regularize/selective.js';
import { padam } from '../../src/optim/presets.js';
import { adamw } from '../../src/optim/optimizers.js';
import { expectClose } from '../support/harness.js';
import { rng, uniform } from '../support/random.js';

describe('sparsity transforms', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await init();
  });

  /** A [rows, cols] kernel with given values, its gradient set each step by `grad`. */
  function run(c: Chain, w: number[], shape: [number, number], steps: number, grad: (t: number) => ArrayLike<number>, lr = 0.1): Float32Array {
    const params = new ParamSet(engine, [{ name: 'd/kernel', layer: 'd', kind: 'kernel', shape, size: shape[0] * shape[1] }]);
    const t = params.tensor('d/kernel');
    params.values(t).set(w);
    c.init(engine, params);
    for (let s = 0; s < steps; s++) {
      params.values(t, params.grad).set(grad(s));
      c.step({ engine, params, step: s, lr });
    }
    const out = params.values(t).slice();
    c.dispose();
    params.dispose();
    return out;
  }

  it('p-norm decay with p = 2 is decoupled L2: w = (w - lr g) / (1 + 2 lr lambda)', () => {
    const w = [0.5, -1, 2, 0.25];
    const g = [0.1, 0.2, -0.3, 0.4];
    const got = run(chain(sgd({ lr: 0.1 }), pnormDecay({ lambda: 0.5, p: 2 })), w, [2, 2], 1, () => g);
    expectClose(got, w.map((v, i) => (v - 0.1 * g[i]) / (1 + 2 * 0.1 * 0.5)), { rtol: 1e-6 });
  });

  it('p-norm decay: w = 0 stays exactly 0 whatever the gradient, and p in {0.5, 0.8, 1, 1.5} never gives NaN or Inf', () => {
    const random = rng(4);
    for (const p of [0.5, 0.8, 1, 1.5]) {
      const w = Array.from(uniform(random, 64));
      w[3] = 0;
      const got = run(chain(adam({ lr: 1e-2 }), pnormDecay({ lambda: 3e-3, p })), w, [8, 8], 3000, () => uniform(random, 64, -0.01, 0.01));
      expect(Math.abs(got[3]), `p = ${p}: the zero weight`).toBe(0);
      expect(got.every(Number.isFinite), `p = ${p}: finite`).toBe(true);
    }
  });

  it('p-norm decay with p < 1 drives small weights to exactly 0 in finite steps and keeps large ones', () => {
    // No gradient: w <- w X / (X + c), X = |w|^1.2, c = 0.8 * 0.01 * 0.1; the factor X / (X + c) -> 0 as w -> 0.
    const got = run(chain(sgd({ lr: 0.01 }), pnormDecay({ lambda: 0.1, p: 0.8 })), [1e-3, -2e-3, 1, -1], [2, 2], 200, () => [0, 0, 0, 0], 0.01);
    expect(Array.from(got.subarray(0, 2), Math.abs)).toEqual([0, 0]);
    expect(Math.abs(got[2])).toBeGreaterThan(0.8);
    expect(Math.abs(got[3])).toBeGreaterThan(0.8);
  });

  it('proximal L1 soft-thresholds by lr * lambda', () => {
    const got = run(chain(sgd({ lr: 0.1 }), proximalL1({ lambda: 2 })), [0.5, -0.15, 0.1, -0.3], [2, 2], 1, () => [0, 0, 0, 0]);
    expectClose(got, [0.3, 0, 0, -0.1], { rtol: 1e-6, atol: 1e-7 });
  });

  it('proximal group lasso zeroes a group exactly when its norm is at most lr * lambda, and shrinks the others', () => {
    // Columns of a [2, 3] kernel: norms 0.05, 0.2, 0.1 (= lr * lambda exactly).
    const w = [0.03, 0.12, 0.06, 0.04, 0.16, 0.08];
    const got = run(chain(sgd({ lr: 0.1 }), groupLasso({ lambda: 1, form: 'proximal' })), w, [2, 3], 1, () => [0, 0, 0, 0, 0, 0]);
    expectClose(got, [0, 0.06, 0, 0, 0.08, 0], { rtol: 1e-6, atol: 1e-7 });
  });

  it('coupled group lasso adds lambda w_k / ||w_k|| to the gradient (0 for a zero group)', () => {
    const w = [0.3, 0, 0.4, 0]; // [2, 2]: column 0 norm 0.5, column 1 zero
    const got = run(chain(groupLasso({ lambda: 2 }), sgd({ lr: 0.1 })), w, [2, 2], 1, () => [0, 0, 0, 0]);
    expectClose(got, [0.3 - 0.1 * 2 * 0.6, 0, 0.4 - 0.1 * 2 * 0.8, 0], { rtol: 1e-6, atol: 1e-7 });
  });

  it('round-trip through optimizer specs and report their penalties', () => {
    const c = optimizerFromSpec({ type: 'adam', transforms: [{ type: 'groupLasso', lambda: 1e-3 }, { type: 'pnormDecay', lambda: 3e-3, p: 0.8 }, { type: 'proximalL1', lambda: 1e-4 }] });
    expect(c.toSpec()).toEqual({ type: 'adam', transforms: [{ type: 'groupLasso', lambda: 1e-3, form: 'coupled' }, { type: 'pnormDecay', lambda: 3e-3, p: 0.8 }, { type: 'proximalL1', lambda: 1e-4 }] });
    const params = new ParamSet(engine, [{ name: 'd/kernel', layer: 'd', kind: 'kernel', shape: [2, 1], size: 2 }]);
    params.values(params.tensor('d/kernel')).set([0.6, 0.8]);
    c.init(engine, params);
    // 1e-3 * ||w|| + 3e-3 * (0.6^0.8 + 0.8^0.8) + 1e-4 * (0.6 + 0.8)
    expect(c.penalty(params)).toBeCloseTo(1e-3 + 3e-3 * (0.6 ** 0.8 + 0.8 ** 0.8) + 1e-4 * 1.4, 7);
    expect(() => pnormDecay({ lambda: 1, p: 0 })).toThrow(/pnormDecay.p = 0: expected a finite number in \(0, 2\]/);
    expect(() => groupLasso({ lambda: 1, form: 'sideways' as never })).toThrow(/groupLasso.form = "sideways"/);
  });

  it('LOBSTER after SGD: w -= lr g, then w -= lambda w max(0, 1 - |g|)', () => {
    const w = [0.5, -1, 2, 0.25];
    const g = [0.1, -2, 0.5, 0];
    const got = run(chain(sgd({ lr: 0.1 }), lobster({ lambda: 0.2 })), w, [2, 2], 1, () => g);
    expectClose(got, w.map((v, i) => { const s = v - 0.1 * g[i]; return s - 0.2 * s * Math.max(0, 1 - Math.abs(g[i])); }), { rtol: 1e-6 });
  });

  it('padam is adam followed by the p-norm decay, and a spec names it', () => {
    const w = [0.5, -1, 2, 0.25];
    const g = (t: number) => [0.1 * t, -0.2, 0.3, -0.05 * t];
    const a = run(padam({ lr: 0.01, lambda: 3e-3, p: 0.8 }), w, [2, 2], 5, g, 0.01);
    const b = run(chain(adam({ lr: 0.01 }), pnormDecay({ lambda: 3e-3, p: 0.8 })), w, [2, 2], 5, g, 0.01);
    expect(Array.from(a)).toEqual(Array.from(b));
    const spec = optimizerFromSpec({ type: 'padam', lr: 0.01, lambda: 3e-3, p: 0.8 }).toSpec();
    expect(spec).toEqual({ type: 'adam', lr: 0.01, transforms: [{ type: 'pnormDecay', lambda: 3e-3, p: 0.8 }] });
    // With p = 2 it is decoupled L2 after Adam; with lambda = 0 it is Adam.
    const c = run(padam({ lr: 0.01, lambda: 0 }), w, [2, 2], 5, g, 0.01);
    const d = run(chain(adamw({ lr: 0.01, weightDecay: 0 })), w, [2, 2], 5, g, 0.01);
    expect(Array.from(c)).toEqual(Array.from(d));
  });
});

import { beforeAll, describe, it } from 'vitest';
import type { Backend } from '../../src/backend/backend.js';
import { BUILDS, expectClose, harness, type Harness } from '../support/harness.js';
import { rng, uniform } from '../support/random.js';

// With a constant gradient g every optimizer's state has a closed form in the step t, so T steps
// of the kernel can be compared with a formula that never iterates the update rule itself.
const T = 50;
const n = 37;

describe.each([...BUILDS, 'reference'] as const)('optimizer kernels (%s) against closed-form steps', (build) => {
  let h: Harness;
  let b: Backend;
  beforeAll(async () => {
    h = await harness(build === 'reference' ? 'simd' : build);
    b = build === 'reference' ? h.ref : h.wasm;
  });

  const random = rng(77);
  const w0 = uniform(random, n);
  const g = uniform(random, n);
  const zeros = () => new Float32Array(n);
  const sum = (f: (t: number) => number) => {
    let s = 0;
    for (let t = 1; t <= T; t++) s += f(t);
    return s;
  };

  it('SGD: w_T = w_0 - T * lr * g', () => {
    const lr = 0.01;
    const out = h.run(b, { w: w0, g }, (k, p) => {
      for (let t = 0; t < T; t++) k.sgdUpdate(p.w, p.g, n, lr);
    });
    expectClose(out.w, Array.from(w0, (w, i) => w - T * lr * g[i]), { rtol: 1e-5, atol: 1e-6 });
  });

  it.each([false, true])('momentum (nesterov=%s): v_t = g (1 - mu^t) / (1 - mu)', (nesterov) => {
    const [lr, mu] = [0.01, 0.9];
    const v = (t: number) => (1 - mu ** t) / (1 - mu);
    const out = h.run(b, { w: w0, g, v: zeros() }, (k, p) => {
      for (let t = 0; t < T; t++) k.momentumUpdate(p.w, p.g, p.v, n, lr, mu, nesterov);
    });
    const factor = nesterov ? sum((t) => 1 + mu * v(t)) : sum(v);
    expectClose(out.v, Array.from(g, (gi) => gi * v(T)), { rtol: 1e-5, atol: 1e-6, label: 'v' });
    expectClose(out.w, Array.from(w0, (w, i) => w - lr * g[i] * factor), { rtol: 1e-5, atol: 1e-6, label: 'w' });
  });

  it.each(['bias-corrected', 'epsilon-hat'] as const)('Adam (%s epsilon) and AdamW', (convention) => {
    const [lr, b1, b2, eps, wd] = [0.001, 0.9, 0.999, 1e-7, 0.01];
    for (const decay of [0, lr * wd]) {
      const out = h.run(b, { w: w0, g, m: zeros(), v: zeros() }, (k, p) => {
        for (let t = 1; t <= T; t++) {
          const c1 = 1 - b1 ** t;
          const c2 = 1 - b2 ** t;
          const [stepSize, denomScale] = convention === 'epsilon-hat' ? [(lr * Math.sqrt(c2)) / c1, 1] : [lr / c1, 1 / Math.sqrt(c2)];
          k.adamUpdate(p.w, p.g, p.m, p.v, n, stepSize, b1, b2, eps, denomScale, decay);
        }
      });
      // m_t = (1 - b1^t) g and v_t = (1 - b2^t) g^2, so each step is closed-form in t.
      const step = (gi: number, t: number) => {
        const c1 = 1 - b1 ** t;
        const c2 = 1 - b2 ** t;
        return convention === 'epsilon-hat'
          ? ((lr * Math.sqrt(c2)) / c1) * ((c1 * gi) / (Math.sqrt(c2) * Math.abs(gi) + eps))
          : (lr / c1) * ((c1 * gi) / (Math.abs(gi) + eps));
      };
      const expected = Array.from(w0, (w, i) => {
        for (let t = 1; t <= T; t++) w = w - decay * w - step(g[i], t);
        return w;
      });
      expectClose(out.m, Array.from(g, (gi) => (1 - b1 ** T) * gi), { rtol: 1e-5, atol: 1e-7, label: 'm' });
      expectClose(out.v, Array.from(g, (gi) => (1 - b2 ** T) * gi * gi), { rtol: 1e-4, atol: 1e-9, label: 'v' });
      expectClose(out.w, expected, { rtol: 1e-5, atol: 1e-6, label: `w (decay ${decay})` });
    }
  });

  it.each([
    [false, false],
    [true, false],
    [false, true],
  ])('RMSprop (centered=%s, epsOutside=%s) with momentum', (centered, epsOutside) => {
    const [lr, rho, momentum, eps] = [0.001, 0.9, 0.5, 1e-7];
    const out = h.run(b, { w: w0, g, ms: zeros(), mom: zeros(), mg: zeros() }, (k, p) => {
      for (let t = 0; t < T; t++) k.rmspropUpdate(p.w, p.g, p.ms, p.mom, p.mg, n, lr, rho, momentum, eps, centered, epsOutside);
    });
    const expected = Array.from(w0, (w, i) => {
      let mom = 0;
      for (let t = 1; t <= T; t++) {
        const ms = (1 - rho ** t) * g[i] ** 2;
        const mg = (1 - rho ** t) * g[i];
        const d = centered ? ms - mg * mg : ms;
        mom = momentum * mom + (lr * g[i]) / (epsOutside ? Math.sqrt(d) + eps : Math.sqrt(d + eps));
        w -= mom;
      }
      return w;
    });
    expectClose(out.ms, Array.from(g, (gi) => (1 - rho ** T) * gi * gi), { rtol: 1e-5, atol: 1e-9, label: 'ms' });
    expectClose(out.w, expected, { rtol: 1e-4, atol: 1e-5, label: 'w' });
  });

  it.each([false, true])('Adagrad (epsOutside=%s): acc_t = acc_0 + t g^2', (epsOutside) => {
    const [lr, eps, acc0] = [0.01, 1e-7, 0.1];
    const out = h.run(b, { w: w0, g, acc: new Float32Array(n).fill(acc0) }, (k, p) => {
      for (let t = 0; t < T; t++) k.adagradUpdate(p.w, p.g, p.acc, n, lr, eps, epsOutside);
    });
    const expected = Array.from(w0, (w, i) => {
      const denom = (t: number) => (epsOutside ? Math.sqrt(acc0 + t * g[i] ** 2) + eps : Math.sqrt(acc0 + t * g[i] ** 2 + eps));
      return w - sum((t) => (lr * g[i]) / denom(t));
    });
    expectClose(out.acc, Array.from(g, (gi) => acc0 + T * gi * gi), { rtol: 1e-5, atol: 1e-7, label: 'acc' });
    expectClose(out.w, expected, { rtol: 1e-5, atol: 1e-6, label: 'w' });
  });
});

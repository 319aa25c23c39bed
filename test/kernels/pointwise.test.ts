import { beforeAll, describe, expect, it } from 'vitest';
import type { ActivationKind } from '../../src/backend/backend.js';
import { BUILDS, expectClose, harness, nans, type Harness } from '../support/harness.js';
import { rng, uniform } from '../support/random.js';

const LENGTHS = [1, 3, 7, 17, 64, 129, 1000];
const MATRICES = [
  [1, 1],
  [3, 7],
  [17, 5],
  [64, 129],
  [129, 3],
];
const ACTIVATIONS: [ActivationKind, number][] = [
  ['relu', 0],
  ['leakyRelu', 0.2],
  ['elu', 1.3],
  ['tanh', 0],
  ['sigmoid', 0],
];

describe.each(BUILDS)('pointwise kernels (%s build) against the reference', (build) => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness(build);
  });

  it.each(ACTIVATIONS)('%s forward and backward', (kind, alpha) => {
    for (const n of LENGTHS) {
      const random = rng(n);
      // Spread over [-6, 6] so tanh and sigmoid saturate; include exact zeros for the kink.
      const x = uniform(random, n, -6, 6);
      if (n > 2) x[1] = 0;
      const [wf, rf] = h.both({ x, y: nans(n) }, (b, p) => b.activationForward(kind, p.x, p.y, n, alpha));
      expectClose(wf.y, rf.y, { rtol: 2e-6, atol: 1e-7, label: `${kind} forward n=${n}` });
      const dy = uniform(random, n);
      const [wb, rb] = h.both({ x, y: rf.y, dy, dx: nans(n) }, (b, p) =>
        b.activationBackward(kind, p.x, p.y, p.dy, p.dx, n, alpha),
      );
      expectClose(wb.dx, rb.dx, { rtol: 1e-6, atol: 1e-7, label: `${kind} backward n=${n}` });
    }
  });

  it('activations work in place (y = x, dx = dy)', () => {
    const x = new Float32Array([-2, -0.5, 0, 0.5, 2]);
    const [w] = h.both({ x }, (b, p) => b.activationForward('leakyRelu', p.x, p.x, 5, 0.1));
    expectClose(w.x, [-0.2, -0.05, 0, 0.5, 2], { rtol: 1e-7, atol: 0 });
  });

  it('bias add and bias gradient', () => {
    for (const [rows, cols] of MATRICES) {
      const random = rng(rows * cols);
      const y = uniform(random, rows * cols);
      const bias = uniform(random, cols);
      const [w1, r1] = h.both({ y, bias }, (b, p) => b.biasAdd(p.y, p.bias, rows, cols));
      expectClose(w1.y, r1.y, { rtol: 0, atol: 0, label: 'biasAdd' });
      const db = uniform(random, cols);
      for (const accumulate of [false, true]) {
        const [w2, r2] = h.both({ y, db }, (b, p) => b.biasGrad(p.y, p.db, rows, cols, accumulate));
        expectClose(w2.db, r2.db, { rtol: 1e-5, atol: 1e-5, label: `biasGrad ${rows}x${cols} acc=${accumulate}` });
      }
    }
  });

  it('column norms, row norms, counts and sums of squares', () => {
    for (const [rows, cols] of MATRICES) {
      const random = rng(rows + cols);
      const w = uniform(random, rows * cols);
      const [w1, r1] = h.both({ w, out: nans(cols) }, (b, p) => b.columnNorms(p.w, p.out, rows, cols));
      expectClose(w1.out, r1.out, { rtol: 1e-5, atol: 0, label: 'columnNorms' });
      const [w2, r2] = h.both({ w, out: nans(rows) }, (b, p) => b.rowNorms(p.w, p.out, rows, cols));
      expectClose(w2.out, r2.out, { rtol: 1e-5, atol: 0, label: 'rowNorms' });
    }
    for (const n of LENGTHS) {
      const x = uniform(rng(n + 1), n);
      for (const eps of [0, 0.1, 0.5, 2]) {
        let counts: number[] = [];
        h.both({ x }, (b, p) => counts.push(b.countBelow(p.x, n, eps)));
        expect(counts[0], `countBelow n=${n} eps=${eps}`).toBe(counts[1]);
        counts = [];
      }
      const sums: number[] = [];
      h.both({ x }, (b, p) => sums.push(b.sumSquares(p.x, n)));
      expect(sums[0]).toBeCloseTo(sums[1], 10);
    }
  });

  it('L1 subgradient and sum of absolute values', () => {
    for (const n of LENGTHS) {
      const random = rng(n + 9);
      const w = uniform(random, n);
      if (n > 3) w[2] = 0;
      const g = uniform(random, n);
      const [got, want] = h.both({ g, w }, (b, p) => b.addL1Gradient(p.g, p.w, n, 0.25));
      expectClose(got.g, want.g, { rtol: 1e-6, atol: 1e-7, label: `addL1Gradient n=${n}` });
      if (n > 3) expect(got.g[2]).toBe(g[2]);
      const sums: number[] = [];
      h.both({ w }, (b, p) => sums.push(b.sumAbs(p.w, n)));
      expect(sums[0]).toBeCloseTo(sums[1], 10);
    }
  });

  it('sum of |x|^p: the p-norm penalty, against the reference and a closed form', () => {
    for (const n of LENGTHS) {
      const random = rng(n + 15);
      const w = uniform(random, n, -3, 3);
      if (n > 3) w[1] = 0;
      for (const p of [0.5, 0.8, 1, 2]) {
        const sums: number[] = [];
        h.both({ w }, (b, q) => sums.push(b.sumAbsPow(q.w, n, p)));
        // Each f32 power is within an ulp or so of the exact one; the sums agree to ~1e-6.
        const exact = Array.from(w).reduce((s, v) => s + Math.abs(v) ** p, 0);
        expect(Math.abs(sums[0] - exact), `wasm n=${n} p=${p}`).toBeLessThanOrEqual(1e-6 * Math.max(1, exact));
        expect(Math.abs(sums[0] - sums[1]), `vs the reference n=${n} p=${p}`).toBeLessThanOrEqual(1e-6 * Math.max(1, exact));
      }
    }
    // By hand: |-2|^0.5 + |0| + |0.25|^0.5 = sqrt(2) + 0.5.
    const sums: number[] = [];
    h.both({ w: new Float32Array([-2, 0, 0.25]) }, (b, q) => sums.push(b.sumAbsPow(q.w, 3, 0.5)));
    expect(sums[0]).toBeCloseTo(Math.SQRT2 + 0.5, 6);
  });

  it('regulariser kernels: p-norm decay, soft threshold, column and row scaling, selective decay, LOBSTER', () => {
    for (const n of LENGTHS) {
      const random = rng(n + 21);
      const w = uniform(random, n);
      if (n > 3) w[1] = 0;
      const g = uniform(random, n, -2, 2);
      const x = nans(n);
      for (const exponent of [0.5, 1.2, 2]) {
        const [got, want] = h.both({ w, x }, (b, p) => {
          b.pnormDecayPrepare(p.w, p.x, n, exponent);
          b.pnormDecayApply(p.w, p.x, n, 0.003);
        });
        expectClose(got.x, want.x, { rtol: 2e-6, atol: 1e-7, label: `pnormDecayPrepare n=${n} e=${exponent}` });
        expectClose(got.w, want.w, { rtol: 2e-6, atol: 1e-7, label: `pnormDecayApply n=${n} e=${exponent}` });
        if (n > 3) expect(got.w[1]).toBe(0);
      }
      const [st, stRef] = h.both({ w }, (b, p) => b.softThreshold(p.w, n, 0.3));
      expectClose(st.w, stRef.w, { rtol: 1e-6, atol: 1e-7, label: `softThreshold n=${n}` });
      const [sd, sdRef] = h.both({ g, w }, (b, p) => b.selectiveDecayGradient(p.g, p.w, n, 0.02, 1.5));
      expectClose(sd.g, sdRef.g, { rtol: 2e-6, atol: 1e-7, label: `selectiveDecayGradient n=${n}` });
      const [lo, loRef] = h.both({ w, g }, (b, p) => b.lobsterDecay(p.w, p.g, n, 0.1));
      expectClose(lo.w, loRef.w, { rtol: 1e-6, atol: 1e-7, label: `lobsterDecay n=${n}` });
    }
    for (const [rows, cols] of MATRICES) {
      const random = rng(rows * 31 + cols);
      const w = uniform(random, rows * cols);
      const [c1, c2] = h.both({ w, s: uniform(random, cols) }, (b, p) => b.scaleColumns(p.w, p.s, rows, cols));
      expectClose(c1.w, c2.w, { rtol: 0, atol: 0, label: `scaleColumns ${rows}x${cols}` });
      const [r1, r2] = h.both({ w, s: uniform(random, rows) }, (b, p) => b.scaleRows(p.w, p.s, rows, cols));
      expectClose(r1.w, r2.w, { rtol: 0, atol: 0, label: `scaleRows ${rows}x${cols}` });
    }
  });

  it('selective decay leaves relevant weights alone and LOBSTER spares sensitive ones', () => {
    // |g| large: exp(-|g|/alpha) ~ 0, so only g remains; g = 0: the full 2 gamma w is added.
    const [sd] = h.both({ g: new Float32Array([50, 0]), w: new Float32Array([1, 1]) }, (b, p) => b.selectiveDecayGradient(p.g, p.w, 2, 0.2, 1));
    expectClose(sd.g, [50, 0.2], { rtol: 1e-6, atol: 1e-7 });
    // |g| >= 1: no decay; g = 0: w -= lambda w.
    const [lo] = h.both({ w: new Float32Array([2, 2, 2]), g: new Float32Array([-1.5, 0, 0.5]) }, (b, p) => b.lobsterDecay(p.w, p.g, 3, 0.1));
    expectClose(lo.w, [2, 1.8, 1.9], { rtol: 1e-6, atol: 0 });
  });

  it('a dead column has norm exactly 0 and counts as below any threshold', () => {
    const w = new Float32Array([3, 0, 1, 4, 0, -1]); // [2, 3]: column 1 is all zero
    const [r] = h.both({ w, out: nans(3) }, (b, p) => b.columnNorms(p.w, p.out, 2, 3));
    expect(Array.from(r.out)).toEqual([5, 0, Math.fround(Math.SQRT2)]);
    let count = -1;
    h.run(h.wasm, { w }, (b, p) => (count = b.countBelow(p.w, 6, 1e-30)));
    expect(count).toBe(2);
  });

  it('flushSubnormals zeroes exactly the subnormals, keeping their sign, and leaves normals, zeros, infinities and NaN alone', () => {
    const smallest = 2 ** -126;
    const special = [smallest, -smallest, Math.fround(smallest * (1 - 2 ** -23)), -(2 ** -149), 2 ** -149, 1e-39, -1e-40, 0, -0, Infinity, -Infinity, NaN, 1, -3.5, 1e-30, -1e-37];
    for (const n of LENGTHS) {
      const random = rng(n + 11);
      const x = Float32Array.from({ length: n }, (_, i) => (random() < 0.5 ? special[i % special.length] : (random() - 0.5) * 10 ** -Math.floor(random() * 40)));
      const [w, r] = h.both({ x }, (b, p) => b.flushSubnormals(p.x, n));
      // Bit for bit, so -0 and NaN compare as themselves.
      expect(new Uint32Array(w.x.buffer, w.x.byteOffset, n)).toEqual(new Uint32Array(r.x.buffer, r.x.byteOffset, n));
      for (let i = 0; i < n; i++) {
        const v = x[i];
        const subnormal = v !== 0 && Math.abs(v) < smallest;
        expect(Object.is(r.x[i], subnormal ? (v < 0 ? -0 : 0) : v), `x[${i}] = ${v}`).toBe(true);
      }
    }
  });

  it('fill, copy, scale, axpy and masked multiply', () => {
    for (const n of LENGTHS) {
      const random = rng(n + 2);
      const x = uniform(random, n);
      const y = uniform(random, n);
      const mask = Float32Array.from(uniform(random, n), (v) => (v > 0 ? 1 : 0));
      const cases: [string, (b: import('../../src/backend/backend.js').Backend, p: Record<'x' | 'y' | 'mask', number>) => void][] = [
        ['fill', (b, p) => b.fill(p.y, n, 0.25)],
        ['copy', (b, p) => b.copy(p.x, p.y, n)],
        ['scale', (b, p) => b.scale(p.y, n, -1.5)],
        ['axpy', (b, p) => b.axpy(p.y, p.x, n, 0.3)],
        ['maskMultiply', (b, p) => b.maskMultiply(p.y, p.mask, n)],
      ];
      for (const [name, call] of cases) {
        const [w, r] = h.both({ x, y, mask }, call);
        expectClose(w.y, r.y, { rtol: 1e-6, atol: 1e-7, label: `${name} n=${n}` });
      }
    }
  });
});

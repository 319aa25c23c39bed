import { beforeAll, describe, expect, it } from 'vitest';
import { BUILDS, expectClose, harness, nans, type Harness } from '../support/harness.js';
import { rng, uniform } from '../support/random.js';

const SIZES = [1, 3, 7, 17, 64, 129];
const FORMS = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
] as const;

function formName(transA: boolean, transB: boolean): string {
  return `${transA ? 'T' : 'N'}${transB ? 'T' : 'N'}`;
}

describe.each(BUILDS)('gemm (%s build) against the reference', (build) => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness(build);
  });

  function check(M: number, N: number, K: number, transA: boolean, transB: boolean, accumulate: boolean, seed: number): void {
    const random = rng(seed);
    const a = h.put(uniform(random, M * K));
    const b = h.put(uniform(random, K * N));
    const c0 = uniform(random, M * N);
    const cw = h.put(c0);
    const cr = h.put(c0);
    h.wasm.gemm(transA, transB, M, N, K, a, b, cw, accumulate);
    h.ref.gemm(transA, transB, M, N, K, a, b, cr, accumulate);
    // f32 sums of K products of values in [-1, 1]: the error grows like sqrt(K) ulps.
    expectClose(h.get(cw, M * N), h.get(cr, M * N), {
      rtol: 1e-5,
      atol: 2e-6 * Math.sqrt(K + 1),
      label: `${formName(transA, transB)} M=${M} N=${N} K=${K} acc=${accumulate}`,
    });
    for (const p of [a, b, cw, cr]) h.engine.arena.free(p);
  }

  it.each(FORMS)('every awkward shape, transA=%s transB=%s', (transA, transB) => {
    let seed = 1;
    for (const M of SIZES)
      for (const N of SIZES)
        for (const K of SIZES) {
          check(M, N, K, transA, transB, false, seed++);
        }
  });

  it.each(FORMS)('accumulates into C, transA=%s transB=%s', (transA, transB) => {
    for (const [M, N, K] of [[5, 9, 13], [64, 64, 64], [129, 17, 300]]) check(M, N, K, transA, transB, true, M + N + K);
  });

  it('crosses every blocking boundary (K > KC, M > MC, N > NC)', () => {
    check(200, 70, 600, false, false, false, 7);
    check(97, 33, 513, true, false, true, 8);
    check(5, 4100, 9, false, true, false, 9);
  });

  it('handles the training shapes in all forms', () => {
    for (const [transA, transB] of FORMS.slice(0, 3)) check(128, 500, 1000, transA, transB, false, 11);
  });

  it('a batch of 1-3 rows (unpacked path) gives the same bits as those rows inside a larger batch', () => {
    const [N, K] = [37, 600];
    const random = rng(12);
    const a = uniform(random, 64 * K);
    const b = h.put(uniform(random, K * N));
    const whole = h.run(h.wasm, { a, c: nans(64 * N) }, (k, p) => k.gemm(false, false, 64, N, K, p.a, b, p.c, false)).c;
    for (const M of [1, 2, 3]) {
      const few = h.run(h.wasm, { a: a.slice(0, M * K), c: nans(M * N) }, (k, p) => k.gemm(false, false, M, N, K, p.a, b, p.c, false)).c;
      expect(Array.from(few)).toEqual(Array.from(whole.slice(0, M * N)));
    }
  });

  it('K = 0 gives zeros, or leaves C alone when accumulating', () => {
    const c = h.put([1, 2, 3, 4, 5, 6]);
    h.wasm.gemm(false, false, 2, 3, 0, c, c, c, true);
    expect(Array.from(h.get(c, 6))).toEqual([1, 2, 3, 4, 5, 6]);
    h.wasm.gemm(false, false, 2, 3, 0, c, c, c, false);
    expect(Array.from(h.get(c, 6))).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('computes a hand-checked product exactly', () => {
    // [1 2; 3 4] * [5 6; 7 8] = [19 22; 43 50]
    const a = h.put([1, 2, 3, 4]);
    const b = h.put([5, 6, 7, 8]);
    const c = h.out(4);
    h.wasm.gemm(false, false, 2, 2, 2, a, b, c, false);
    expect(Array.from(h.get(c, 4))).toEqual([19, 22, 43, 50]);
    // A^T * B = [1 3; 2 4] * [5 6; 7 8] = [26 30; 38 44]
    h.wasm.gemm(true, false, 2, 2, 2, a, b, c, false);
    expect(Array.from(h.get(c, 4))).toEqual([26, 30, 38, 44]);
    // A * B^T = [1 2; 3 4] * [5 7; 6 8] = [17 23; 39 53]
    h.wasm.gemm(false, true, 2, 2, 2, a, b, c, false);
    expect(Array.from(h.get(c, 4))).toEqual([17, 23, 39, 53]);
  });
});

import { beforeAll, describe, expect, it } from 'vitest';
import { init } from '../../src/backend/engine.js';
import { sparseColumns, type SparseColumns } from '../../src/ops/sparse_columns.js';
import { BUILDS, expectBitIdentical, expectClose, Harness, harness, nans } from '../support/harness.js';
import { rng, uniform } from '../support/random.js';

/** A [K, N] matrix of values in [-1, 1] with about `density` of its entries nonzero, row-major. */
function sparseMatrix(random: () => number, K: number, N: number, density: number): Float32Array {
  const w = uniform(random, K * N);
  for (let i = 0; i < w.length; i++) if (random() >= density) w[i] = 0;
  return w;
}

/** Runs C = A S on a backend and returns C. */
function product(h: Harness, which: 'wasm' | 'ref', a: Float32Array, s: SparseColumns, M: number): Float32Array {
  const [out] = [h.run(which === 'wasm' ? h.wasm : h.ref, { colPtr: s.colPtr, rowIdx: s.rowIdx, values: s.values, a, c: nans(M * s.cols) }, (b, p) =>
    b.sparseMatmul(M, s.cols, s.rows, p.colPtr, p.rowIdx, p.values, p.a, p.c))];
  return out.c;
}

const ROWS = [1, 2, 3, 4, 5, 7, 16, 17, 33, 64];
const SHAPES: [number, number][] = [[1, 1], [3, 5], [17, 8], [65, 13], [300, 10]];
const DENSITIES = [0, 0.02, 0.3, 1];

describe.each(BUILDS)('sparseMatmul (%s build) against the reference', (build) => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness(build);
  });

  it('odd shapes, batch 1 to 64, densities 0 (all empty), 2%, 30% and 1 (fully dense)', () => {
    let seed = 1;
    for (const M of ROWS)
      for (const [K, N] of SHAPES)
        for (const density of DENSITIES) {
          const random = rng(seed++);
          const s = sparseColumns(sparseMatrix(random, K, N, density), K, N);
          if (density === 1) expect(s.values.length).toBe(K * N);
          if (density === 0) expect(s.values.length).toBe(0);
          const a = uniform(random, M * K);
          const label = `M=${M} K=${K} N=${N} density=${density}`;
          const got = product(h, 'wasm', a, s, M);
          expectClose(got, product(h, 'ref', a, s, M), { rtol: 1e-5, atol: 2e-6 * Math.sqrt(K + 1), label });
          if (density === 0) expect([...got].every((v) => v === 0), label).toBe(true);
        }
  });

  it('empty rows and columns of S: the empty columns of C are exactly 0, the rest match', () => {
    const random = rng(99);
    const K = 23, N = 11, M = 21;
    const w = sparseMatrix(random, K, N, 0.5);
    for (const j of [0, 4, 10]) for (let k = 0; k < K; k++) w[k * N + j] = 0; // empty columns
    for (const k of [0, 5, 22]) for (let j = 0; j < N; j++) w[k * N + j] = 0; // empty rows (unused inputs)
    const s = sparseColumns(w, K, N);
    const a = uniform(random, M * K);
    const got = product(h, 'wasm', a, s, M);
    expectClose(got, product(h, 'ref', a, s, M), { rtol: 1e-5, atol: 1e-5 });
    for (let i = 0; i < M; i++) for (const j of [0, 4, 10]) expect(got[i * N + j]).toBe(0);
    // The dense product of the same matrix gives the same values (to f32 rounding).
    const dense = h.run(h.ref, { a, w, c: nans(M * N) }, (b, p) => b.gemm(false, false, M, N, K, p.a, p.w, p.c, false)).c;
    expectClose(got, dense, { rtol: 1e-5, atol: 1e-5 });
  });

  // K = 97: 64-row panels; K = 2100: 16-row panels (a deep product's panel stays in cache).
  it.each([
    { K: 97, N: 37, M: 40, density: 0.1, rows: [0, 15, 16, 33, 39], seed: 7 },
    { K: 2100, N: 19, M: 70, density: 0.05, rows: [0, 16, 47, 69], seed: 8 },
  ])('K = $K: a batch matches the reference, and each row has the bits it has alone (batch 1)', ({ K, N, M, density, rows, seed }) => {
    const random = rng(seed);
    const s = sparseColumns(sparseMatrix(random, K, N, density), K, N);
    const a = uniform(random, M * K);
    const batch = product(h, 'wasm', a, s, M);
    expectClose(batch, product(h, 'ref', a, s, M), { rtol: 1e-5, atol: 2e-6 * Math.sqrt(K), label: `K=${K}` });
    for (const i of rows) expectBitIdentical(product(h, 'wasm', a.slice(i * K, (i + 1) * K), s, 1), batch.slice(i * N, (i + 1) * N), `row ${i}`);
  });
});

describe('sparseMatmul bits across builds and threads', () => {
  it('simd, scalar and 1-3 threads agree to the bit', async () => {
    const random = rng(5);
    const K = 400, N = 120, M = 64; // 64 * ~4800 nonzeros: above the thread threshold
    const s = sparseColumns(sparseMatrix(random, K, N, 0.1), K, N);
    const a = uniform(random, M * K);
    const results: Float32Array[] = [];
    for (const options of [{ simd: 'plain' as const, threads: 1 }, { simd: 'none' as const, threads: 1 }, { threads: 2 }, { threads: 3 }]) {
      const engine = await init(options);
      expect(engine.threads).toBe(options.threads);
      results.push(product(new Harness(engine), 'wasm', a, s, M));
      engine.dispose();
    }
    for (const r of results.slice(1)) expectBitIdentical(r, results[0]);
  });
});

import { beforeAll, describe, expect, it } from 'vitest';
import type { WindowGeometry } from '../../src/backend/backend.js';
import { init } from '../../src/backend/engine.js';
import { windowGeometry, type Padding } from '../../src/ops/geometry.js';
import { sparseColumns, type SparseColumns } from '../../src/ops/sparse_columns.js';
import { BUILDS, expectBitIdentical, expectClose, Harness, harness, nans } from '../support/harness.js';
import { rng, uniform } from '../support/random.js';

/** A [K, N] matrix of values in [-1, 1] with about `density` of its entries nonzero, row-major. */
function sparseMatrix(random: () => number, K: number, N: number, density: number): Float32Array {
  const w = uniform(random, K * N);
  for (let i = 0; i < w.length; i++) if (random() >= density) w[i] = 0;
  return w;
}

interface Case {
  g: WindowGeometry;
  CO: number;
  x: Float32Array;
  s: SparseColumns;
}

function makeCase(random: () => number, [N, H, W, C]: number[], [KH, KW]: number[], padding: Padding, CO: number, density: number): Case {
  const g = windowGeometry([N, H, W, C], [KH, KW], [1, 1], padding);
  return { g, CO, x: uniform(random, N * H * W * C), s: sparseColumns(sparseMatrix(random, KH * KW * C, CO, density), KH * KW * C, CO) };
}

/** The direct sparse convolution on a backend. */
function direct(h: Harness, which: 'wasm' | 'ref', { g, CO, x, s }: Case): Float32Array {
  return h.run(which === 'wasm' ? h.wasm : h.ref, { x, y: nans(g.N * g.OH * g.OW * CO), colPtr: s.colPtr, rowIdx: s.rowIdx, values: s.values }, (b, p) =>
    b.sparseConvolution(p.x, p.y, p.colPtr, p.rowIdx, p.values, 0, false, g, CO)).y;
}

/** The same convolution as im2col + sparseMatmul on the WebAssembly kernels. */
function viaIm2col(h: Harness, { g, CO, x, s }: Case): Float32Array {
  const K = g.KH * g.KW * g.C;
  const M = g.N * g.OH * g.OW;
  return h.run(h.wasm, { x, cols: nans(M * K), y: nans(M * CO), colPtr: s.colPtr, rowIdx: s.rowIdx, values: s.values }, (b, p) => {
    b.im2col(p.x, p.cols, g);
    b.sparseMatmul(M, CO, K, p.colPtr, p.rowIdx, p.values, p.cols, p.y);
  }).y;
}

// [input N, H, W, C], [KH, KW], padding, filters: odd sizes, 1x1, kernels as large as the input, and
// the LeNet-5 / fashion-cnn / CIFAR layer shapes.
const SHAPES: [number[], number[], Padding, number][] = [
  [[1, 5, 7, 1], [3, 3], 'valid', 1],
  [[2, 7, 5, 3], [3, 2], 'same', 5],
  [[3, 9, 11, 2], [5, 5], 'same', 7],
  [[1, 6, 6, 4], [6, 6], 'valid', 3],
  [[2, 4, 4, 17], [1, 1], 'valid', 9],
  [[1, 3, 3, 2], [5, 5], 'same', 4],
  [[1, 28, 28, 1], [5, 5], 'valid', 20],
  [[2, 12, 12, 20], [5, 5], 'valid', 50],
  [[1, 14, 14, 32], [3, 3], 'same', 64],
];
const DENSITIES = [0, 0.02, 0.3, 1];

describe.each(BUILDS)('sparseConvolution (%s build)', (build) => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness(build);
  });

  it('matches the reference on odd shapes, padding, 1x1 and full-size kernels, densities 0 (empty), 2%, 30% and 1 (dense)', () => {
    let seed = 1;
    for (const [input, kernel, padding, CO] of SHAPES)
      for (const density of DENSITIES) {
        const c = makeCase(rng(seed++), input, kernel, padding, CO, density);
        const label = `input ${input} kernel ${kernel} ${padding} filters ${CO} density ${density}`;
        const got = direct(h, 'wasm', c);
        expectClose(got, direct(h, 'ref', c), { rtol: 1e-5, atol: 2e-6 * Math.sqrt(c.s.rows + 1), label });
        if (density === 0) expect([...got].every((v) => v === 0), label).toBe(true);
      }
  });

  it('gives the bits of im2col + sparseMatmul (the same order, padded taps included)', () => {
    let seed = 100;
    for (const [input, kernel, padding, CO] of SHAPES)
      for (const density of [0.05, 0.5, 1]) {
        const c = makeCase(rng(seed++), input, kernel, padding, CO, density);
        expectBitIdentical(direct(h, 'wasm', c), viaIm2col(h, c), `input ${input} kernel ${kernel} ${padding} density ${density}`);
      }
  });

  it('adds the bias last, then the ReLU if asked: the bits of im2col + sparseMatmul + biasAdd (+ reluForward), and the reference', () => {
    let seed = 200;
    for (const [input, kernel, padding, CO] of SHAPES) {
      const c = makeCase(rng(seed), input, kernel, padding, CO, 0.1);
      const bias = uniform(rng(seed++ + 1000), CO);
      const regions = { x: c.x, y: nans(c.g.N * c.g.OH * c.g.OW * CO), colPtr: c.s.colPtr, rowIdx: c.s.rowIdx, values: c.s.values, bias };
      const run = (which: 'wasm' | 'ref', relu: boolean) =>
        h.run(which === 'wasm' ? h.wasm : h.ref, regions, (b, p) => b.sparseConvolution(p.x, p.y, p.colPtr, p.rowIdx, p.values, p.bias, relu, c.g, CO)).y;
      const M = c.g.N * c.g.OH * c.g.OW;
      const separate = h.run(h.wasm, { y: viaIm2col(h, c), bias }, (b, p) => b.biasAdd(p.y, p.bias, M, CO)).y;
      const rectified = h.run(h.wasm, { y: separate }, (b, p) => b.activationForward('relu', p.y, p.y, M * CO, 0)).y;
      for (const relu of [false, true]) {
        const label = `input ${input} kernel ${kernel} ${padding}${relu ? ' relu' : ''}`;
        const got = run('wasm', relu);
        expectBitIdentical(got, relu ? rectified : separate, label);
        expectClose(got, run('ref', relu), { rtol: 1e-5, atol: 2e-6 * Math.sqrt(c.s.rows + 1), label });
        if (relu) expect(got.some((v) => v === 0) && got.every((v) => !(v < 0) && !Object.is(v, -0)), label).toBe(true);
      }
    }
  });

  it('empty filters give exactly 0; a sample gives the same bits alone or inside a batch', () => {
    const random = rng(9);
    const c = makeCase(random, [5, 10, 9, 3], [3, 3], 'same', 6, 0.4);
    const w = sparseMatrix(random, 27, 6, 0.4);
    for (let k = 0; k < 27; k++) w[k * 6 + 2] = 0;
    c.s = sparseColumns(w, 27, 6);
    const batch = direct(h, 'wasm', c);
    for (let i = 0; i < batch.length; i += 6) expect(batch[i + 2]).toBe(0);
    const per = c.g.OH * c.g.OW * 6;
    for (const n of [0, 3, 4]) {
      const one = direct(h, 'wasm', { ...c, g: { ...c.g, N: 1 }, x: c.x.slice(n * 270, (n + 1) * 270) });
      expectBitIdentical(one, batch.slice(n * per, (n + 1) * per), `sample ${n}`);
    }
  });
});

describe('sparseConvolution bits across builds and threads', () => {
  it('simd, scalar and 1-3 threads agree to the bit', async () => {
    // 16 samples x 196 positions x ~1800 nonzeros: above the thread threshold.
    const c = makeCase(rng(5), [16, 14, 14, 32], [3, 3], 'same', 64, 0.1);
    const results: Float32Array[] = [];
    for (const options of [{ simd: 'plain' as const, threads: 1 }, { simd: 'none' as const, threads: 1 }, { threads: 2 }, { threads: 3 }]) {
      const engine = await init(options);
      expect(engine.threads).toBe(options.threads);
      results.push(direct(new Harness(engine), 'wasm', c));
      engine.dispose();
    }
    for (const r of results.slice(1)) expectBitIdentical(r, results[0]);
  });
});

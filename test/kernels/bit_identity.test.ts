import { beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/backend/backend.js';
import type { Ptr } from '../../src/backend/arena.js';
import { supportsBuild } from '../../src/backend/load.js';
import { windowGeometry } from '../../src/ops/geometry.js';
import { init } from '../../src/backend/engine.js';
import { Harness, expectBitIdentical, expectClose, harness, nans } from '../support/harness.js';
import { rng, uniform } from '../support/random.js';

type Regions = Record<string, Float32Array | Int32Array>;
type Case = [name: string, regions: Regions, call: (b: Backend, p: Record<string, Ptr>) => void];

/** One call of every kernel on awkward shapes (lengths not multiples of 4, edge tiles, padding). */
function cases(): Case[] {
  const random = rng(2024);
  const u = (n: number, lo = -1, hi = 1) => uniform(random, n, lo, hi);
  const [M, N, K] = [37, 29, 301];
  const g = windowGeometry([3, 9, 7, 5], [3, 3], [2, 1], 'same');
  const inSize = g.N * g.H * g.W * g.C;
  const outSize = g.N * g.OH * g.OW * g.C;
  const colSize = g.N * g.OH * g.OW * g.KH * g.KW * g.C;
  const argmax = new Int32Array(outSize);
  const [rows, C] = [23, 13];
  const n = 1001;
  const list: Case[] = [
    ['gemm NN', { a: u(M * K), b: u(K * N), c: nans(M * N) }, (b, p) => b.gemm(false, false, M, N, K, p.a, p.b, p.c, false)],
    ['gemm NT', { a: u(M * K), b: u(K * N), c: u(M * N) }, (b, p) => b.gemm(false, true, M, N, K, p.a, p.b, p.c, true)],
    ['gemm NN, 3 rows', { a: u(3 * K), b: u(K * N), c: u(3 * N) }, (b, p) => b.gemm(false, false, 3, N, K, p.a, p.b, p.c, true)],
    ['gemm TN', { a: u(M * K), b: u(K * N), c: nans(M * N) }, (b, p) => b.gemm(true, false, M, N, K, p.a, p.b, p.c, false)],
    ['im2col', { x: u(inSize), cols: nans(colSize) }, (b, p) => b.im2col(p.x, p.cols, g)],
    ['col2im', { cols: u(colSize), dx: nans(inSize) }, (b, p) => b.col2im(p.cols, p.dx, g)],
    ['maxPool', { x: u(inSize), y: nans(outSize), argmax }, (b, p) => b.maxPoolForward(p.x, p.y, p.argmax, g)],
    ['avgPool', { x: u(inSize), y: nans(outSize) }, (b, p) => b.avgPoolForward(p.x, p.y, g)],
    ['avgPoolBackward', { dy: u(outSize), dx: nans(inSize) }, (b, p) => b.avgPoolBackward(p.dy, p.dx, g)],
    ['biasAdd', { y: u(rows * C), b: u(C) }, (b, p) => b.biasAdd(p.y, p.b, rows, C)],
    ['biasGrad', { dy: u(rows * C), db: nans(C) }, (b, p) => b.biasGrad(p.dy, p.db, rows, C, false)],
    [
      'batchNorm train + backward',
      { x: u(rows * C, -3, 5), y: nans(rows * C), gm: u(C), bt: u(C), mean: nans(C), vr: nans(C), dy: u(rows * C), dx: nans(rows * C), dg: nans(C), db: nans(C) },
      (b, p) => {
        b.batchNormForwardTrain(p.x, p.y, p.gm, p.bt, p.mean, p.vr, rows, C, 1e-3);
        b.batchNormBackward(p.x, p.dy, p.gm, p.mean, p.vr, p.dx, p.dg, p.db, rows, C, 1e-3);
      },
    ],
    [
      'softmaxCrossEntropy',
      { x: u(rows * C, -9, 9), l: Int32Array.from({ length: rows }, (_, r) => r % C), g: nans(rows * C), loss: nans(rows) },
      (b, p) => b.softmaxCrossEntropy(p.x, p.l, p.g, p.loss, rows, C, 1 / rows),
    ],
    ['columnNorms', { w: u(rows * C), out: nans(C) }, (b, p) => b.columnNorms(p.w, p.out, rows, C)],
    ['rowNorms', { w: u(rows * C), out: nans(rows) }, (b, p) => b.rowNorms(p.w, p.out, rows, C)],
    ['axpy', { y: u(n), x: u(n) }, (b, p) => b.axpy(p.y, p.x, n, 0.37)],
    ['addL1Gradient', { g: u(n), w: u(n) }, (b, p) => b.addL1Gradient(p.g, p.w, n, 0.01)],
    ['pnormDecay', { w: u(n), x: nans(n) }, (b, p) => {
      b.pnormDecayPrepare(p.w, p.x, n, 1.2);
      b.pnormDecayApply(p.w, p.x, n, 0.003);
    }],
    ['scaleColumns', { w: u(rows * C), s: u(C) }, (b, p) => b.scaleColumns(p.w, p.s, rows, C)],
    ['scaleRows', { w: u(rows * C), s: u(rows) }, (b, p) => b.scaleRows(p.w, p.s, rows, C)],
    ['selectiveDecayGradient', { g: u(n, -2, 2), w: u(n) }, (b, p) => b.selectiveDecayGradient(p.g, p.w, n, 0.02, 1.5)],
    ['lobsterDecay', { w: u(n), g: u(n, -2, 2) }, (b, p) => b.lobsterDecay(p.w, p.g, n, 0.1)],
    ['sgd', { w: u(n), g: u(n) }, (b, p) => b.sgdUpdate(p.w, p.g, n, 0.01)],
    ['momentum', { w: u(n), g: u(n), v: u(n) }, (b, p) => b.momentumUpdate(p.w, p.g, p.v, n, 0.01, 0.9, true)],
    ['adam', { w: u(n), g: u(n), m: u(n), v: u(n, 0, 1) }, (b, p) => b.adamUpdate(p.w, p.g, p.m, p.v, n, 0.001, 0.9, 0.999, 1e-7, 1, 1e-4)],
    ['rmsprop', { w: u(n), g: u(n), ms: u(n, 0.02, 1), mom: u(n), mg: u(n, 0, 0.1) }, (b, p) =>
      b.rmspropUpdate(p.w, p.g, p.ms, p.mom, p.mg, n, 0.001, 0.9, 0.9, 1e-7, true, false)],
    ['adagrad', { w: u(n), g: u(n), acc: u(n, 0, 1) }, (b, p) => b.adagradUpdate(p.w, p.g, p.acc, n, 0.01, 1e-7, false)],
  ];
  for (const kind of ['relu', 'leakyRelu', 'elu', 'tanh', 'sigmoid'] as const) {
    list.push([
      `${kind} forward + backward`,
      { x: u(n, -4, 4), y: nans(n), dy: u(n), dx: nans(n) },
      (b, p) => {
        b.activationForward(kind, p.x, p.y, n, 0.3);
        b.activationBackward(kind, p.x, p.y, p.dy, p.dx, n, 0.3);
      },
    ]);
  }
  return list;
}

function expectSame(a: Regions, b: Regions, label: string): void {
  for (const key of Object.keys(a)) {
    const x = a[key];
    const y = b[key];
    if (x instanceof Int32Array) expect(Array.from(x), `${label} ${key}`).toEqual(Array.from(y));
    else expectBitIdentical(x, y as Float32Array, `${label} ${key}`);
  }
}

describe('bit-identical results', () => {
  let simd: Harness;
  let scalar: Harness;
  beforeAll(async () => {
    simd = await harness('simd');
    scalar = await harness('scalar');
  });

  it('the plain-SIMD and scalar builds agree to the bit on every kernel', () => {
    for (const [name, regions, call] of cases()) {
      expectSame(simd.run(simd.wasm, regions, call), scalar.run(scalar.wasm, regions, call), name);
    }
  });

  it('the sums of squares agree to the bit too', () => {
    const x = uniform(rng(5), 1003);
    let a = 0;
    let b = 0;
    simd.run(simd.wasm, { x }, (k, p) => (a = k.sumSquares(p.x, 1003)));
    scalar.run(scalar.wasm, { x }, (k, p) => (b = k.sumSquares(p.x, 1003)));
    expect(a).toBe(b);
  });

  it('a second engine repeats the first to the bit', async () => {
    const again = await harness('simd');
    for (const [name, regions, call] of cases()) {
      expectSame(simd.run(simd.wasm, regions, call), again.run(again.wasm, regions, call), name);
    }
  });

  it.skipIf(!supportsBuild('relaxed'))('the relaxed (fused multiply-add) build stays within rounding of the plain build', async () => {
    const relaxed = new Harness(await init({ simd: 'relaxed' }));
    expect(relaxed.engine.kernels).toBe('relaxed');
    for (const [name, regions, call] of cases()) {
      const a = simd.run(simd.wasm, regions, call);
      const b = relaxed.run(relaxed.wasm, regions, call);
      for (const key of Object.keys(a)) {
        if (a[key] instanceof Int32Array) expect(Array.from(b[key]), `${name} ${key}`).toEqual(Array.from(a[key]));
        else expectClose(b[key], a[key], { rtol: 1e-4, atol: 1e-5, label: `${name} ${key}` });
      }
    }
  });
});

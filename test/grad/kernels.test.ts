import { beforeAll, describe, it } from 'vitest';
import type { ActivationKind } from '../../src/backend/backend.js';
import { Im2colConvolution } from '../../src/ops/im2col_convolution.js';
import { windowGeometry } from '../../src/ops/geometry.js';
import { checkGradient, dot } from '../support/finite_difference.js';
import { harness, nans, type Harness } from '../support/harness.js';
import { awayFromZero, rng, uniform } from '../support/random.js';
import { WINDOW_CASES, caseName } from '../support/shapes.js';

/** Distinct values at least 0.1 apart, shuffled: max pooling has no near-ties for a finite difference to cross. */
function spaced(random: () => number, n: number): Float32Array {
  const v = Float32Array.from({ length: n }, (_, i) => (i - n / 2) * 0.1);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [v[i], v[j]] = [v[j], v[i]];
  }
  return v;
}

describe('backward kernels against finite differences (simd build)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness('simd');
  });

  it('gemm: the NT and TN forms are the gradients of the NN form', () => {
    const [M, N, K] = [7, 5, 9];
    const random = rng(3);
    const a = uniform(random, M * K);
    const b = uniform(random, K * N);
    const r = uniform(random, M * N);
    const forward = (a: Float32Array, b: Float32Array) =>
      dot(r, h.run(h.wasm, { a, b, c: nans(M * N) }, (k, p) => k.gemm(false, false, M, N, K, p.a, p.b, p.c, false)).c);
    // dL/dA = R B^T (NT form), dL/dB = A^T R (TN form)
    const dA = h.run(h.wasm, { r, b, out: nans(M * K) }, (k, p) => k.gemm(false, true, M, K, N, p.r, p.b, p.out, false)).out;
    const dB = h.run(h.wasm, { a, r, out: nans(K * N) }, (k, p) => k.gemm(true, false, K, N, M, p.a, p.r, p.out, false)).out;
    checkGradient('dA', a, (x) => forward(x, b), dA);
    checkGradient('dB', b, (x) => forward(a, x), dB);
  });

  it.each<[ActivationKind, number]>([
    ['relu', 0],
    ['leakyRelu', 0.2],
    ['elu', 1.3],
    ['tanh', 0],
    ['sigmoid', 0],
  ])('%s', (kind, alpha) => {
    const n = 37;
    const random = rng(n);
    const x = Float32Array.from(awayFromZero(random, n), (v) => 3 * v);
    const r = uniform(random, n);
    const forward = (x: Float32Array) =>
      dot(r, h.run(h.wasm, { x, y: nans(n) }, (k, p) => k.activationForward(kind, p.x, p.y, n, alpha)).y);
    const y = h.run(h.wasm, { x, y: nans(n) }, (k, p) => k.activationForward(kind, p.x, p.y, n, alpha)).y;
    const dx = h.run(h.wasm, { x, y, dy: r, dx: nans(n) }, (k, p) => k.activationBackward(kind, p.x, p.y, p.dy, p.dx, n, alpha)).dx;
    checkGradient(kind, x, forward, dx);
  });

  it.each(WINDOW_CASES.map((c) => [caseName(c), c] as const))('pooling and convolution, %s', (_name, c) => {
    const g = windowGeometry(c.input, c.kernel, c.strides, c.padding);
    const random = rng(g.H * g.W + g.C);
    const inSize = g.N * g.H * g.W * g.C;
    const outSize = g.N * g.OH * g.OW * g.C;
    const x = spaced(random, inSize);
    const r = uniform(random, outSize);

    const maxY = (x: Float32Array) => h.run(h.wasm, { x, y: nans(outSize) }, (k, p) => k.maxPoolForward(p.x, p.y, 0, g)).y;
    const argmax = h.run(h.wasm, { x, y: nans(outSize), a: new Int32Array(outSize) }, (k, p) => k.maxPoolForward(p.x, p.y, p.a, g)).a;
    const maxDx = h.run(h.wasm, { r, argmax, dx: nans(inSize) }, (k, p) => k.maxPoolBackward(p.r, p.argmax, p.dx, outSize, inSize)).dx;
    checkGradient('max pool', x, (x) => dot(r, maxY(x)), maxDx);

    const avgY = (x: Float32Array) => h.run(h.wasm, { x, y: nans(outSize) }, (k, p) => k.avgPoolForward(p.x, p.y, g)).y;
    const avgDx = h.run(h.wasm, { r, dx: nans(inSize) }, (k, p) => k.avgPoolBackward(p.r, p.dx, g)).dx;
    checkGradient('avg pool', x, (x) => dot(r, avgY(x)), avgDx);

    const filters = 3;
    const conv = new Im2colConvolution(h.engine, g, filters);
    const wSize = g.KH * g.KW * g.C * filters;
    const ySize = g.N * g.OH * g.OW * filters;
    const w = uniform(random, wSize);
    const rc = uniform(random, ySize);
    const convY = (x: Float32Array, w: Float32Array) => h.run(h.wasm, { x, w, y: nans(ySize) }, (_k, p) => conv.forward(p.x, p.w, p.y)).y;
    const dx = h.run(h.wasm, { rc, w, dx: nans(inSize) }, (_k, p) => conv.backwardInput(p.rc, p.w, p.dx)).dx;
    const dw = h.run(h.wasm, { x, rc, dw: nans(wSize) }, (_k, p) => conv.backwardFilter(p.x, p.rc, p.dw)).dw;
    checkGradient('conv input', x, (x) => dot(rc, convY(x, w)), dx);
    checkGradient('conv filter', w, (w) => dot(rc, convY(x, w)), dw);
    conv.dispose();
  });

  it('batch norm (training mode): x, gamma and beta', () => {
    const [rows, C] = [11, 6];
    const random = rng(5);
    const x = Float32Array.from(uniform(random, rows * C), (v, i) => 2 * v + (i % C));
    const gamma = uniform(random, C, 0.5, 1.5);
    const beta = uniform(random, C);
    const r = uniform(random, rows * C);
    const eps = 1e-3;
    const forward = (x: Float32Array, gamma: Float32Array, beta: Float32Array) => {
      const out = h.run(h.wasm, { x, gamma, beta, y: nans(rows * C), mean: nans(C), variance: nans(C) }, (k, p) =>
        k.batchNormForwardTrain(p.x, p.y, p.gamma, p.beta, p.mean, p.variance, rows, C, eps),
      );
      return out;
    };
    const stats = forward(x, gamma, beta);
    const grads = h.run(
      h.wasm,
      { x, r, gamma, mean: stats.mean, variance: stats.variance, dx: nans(rows * C), dgamma: nans(C), dbeta: nans(C) },
      (k, p) => k.batchNormBackward(p.x, p.r, p.gamma, p.mean, p.variance, p.dx, p.dgamma, p.dbeta, rows, C, eps),
    );
    checkGradient('batch norm dx', x, (x) => dot(r, forward(x, gamma, beta).y), grads.dx, { h: 1e-2 });
    checkGradient('batch norm dgamma', gamma, (g) => dot(r, forward(x, g, beta).y), grads.dgamma);
    checkGradient('batch norm dbeta', beta, (b) => dot(r, forward(x, gamma, b).y), grads.dbeta);
  });

  it('losses: softmax cross-entropy (labels and distributions) and MSE', () => {
    const [rows, classes] = [5, 7];
    const random = rng(8);
    const logits = uniform(random, rows * classes, -3, 3);
    const labels = Int32Array.from({ length: rows }, (_, r) => (r * 3) % classes);
    const targets = Float32Array.from({ length: rows * classes }, () => random());
    const target = uniform(random, rows * classes);
    const scale = 1 / rows;
    const mean = (v: Float32Array) => v.reduce((s, x) => s + x, 0) / v.length;

    const sparse = (x: Float32Array) =>
      h.run(h.wasm, { x, labels, g: nans(rows * classes), l: nans(rows) }, (k, p) =>
        k.softmaxCrossEntropy(p.x, p.labels, p.g, p.l, rows, classes, scale),
      );
    checkGradient('sparse CE', logits, (x) => mean(sparse(x).l), sparse(logits).g);

    const dense = (x: Float32Array) =>
      h.run(h.wasm, { x, targets, g: nans(rows * classes), l: nans(rows) }, (k, p) =>
        k.softmaxCrossEntropyDense(p.x, p.targets, p.g, p.l, rows, classes, scale),
      );
    checkGradient('dense CE', logits, (x) => mean(dense(x).l), dense(logits).g);

    const mse = (x: Float32Array) =>
      h.run(h.wasm, { x, target, g: nans(rows * classes), l: nans(rows) }, (k, p) =>
        k.meanSquaredError(p.x, p.target, p.g, p.l, rows, classes, 1 / (rows * classes)),
      );
    checkGradient('MSE', logits, (x) => mean(mse(x).l), mse(logits).g);
  });

  it('bias add and its gradient', () => {
    const [rows, cols] = [6, 9];
    const random = rng(9);
    const y = uniform(random, rows * cols);
    const b = uniform(random, cols);
    const r = uniform(random, rows * cols);
    const forward = (b: Float32Array) => dot(r, h.run(h.wasm, { y, b }, (k, p) => k.biasAdd(p.y, p.b, rows, cols)).y);
    const db = h.run(h.wasm, { r, db: nans(cols) }, (k, p) => k.biasGrad(p.r, p.db, rows, cols, false)).db;
    checkGradient('bias', b, forward, db);
  });
});

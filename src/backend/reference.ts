import type { Arena, Ptr } from './arena.js';
import type { ActivationKind, Backend, UpdateFlush, WindowGeometry } from './backend.js';

/** 2^-126, the smallest normal float32: below it (and above 0) values are subnormal. */
const SMALLEST_NORMAL = 2 ** -126;

/**
 * v rounded to float32, a subnormal result becoming a zero of its sign: how the update kernels
 * store weights and optimizer state, and what flushSubnormals leaves.
 */
function flushedF32(v: number, flush = true): number {
  const x = Math.fround(v);
  return flush && x !== 0 && Math.abs(x) < SMALLEST_NORMAL ? (x < 0 ? -0 : 0) : x;
}

/**
 * The activation formulas, defined once: y = f(x) for one value, in f64. The reference kernels
 * apply them elementwise; reduction uses them to carry a dead unit's constant output forward.
 */
export function activation(kind: ActivationKind, x: number, alpha: number): number {
  switch (kind) {
    case 'relu':
      return x > 0 ? x : 0;
    case 'leakyRelu':
      return x > 0 ? x : alpha * x;
    case 'elu':
      return x > 0 ? x : alpha * Math.expm1(x);
    case 'tanh':
      return Math.tanh(x);
    case 'sigmoid':
      return 1 / (1 + Math.exp(-x));
  }
}

/** dy/dx of `activation` at x, given y = f(x). */
export function activationDerivative(kind: ActivationKind, x: number, y: number, alpha: number): number {
  switch (kind) {
    case 'relu':
      return x > 0 ? 1 : 0;
    case 'leakyRelu':
      return x > 0 ? 1 : alpha;
    case 'elu':
      return x > 0 ? 1 : y + alpha;
    case 'tanh':
      return 1 - y * y;
    case 'sigmoid':
      return y * (1 - y);
  }
}

/**
 * The algorithmic reference: every kernel written as plainly as possible in TypeScript, summing in
 * f64. It defines what each kernel computes, and the WebAssembly kernels are tested against it.
 * It works on the same arena as the fast backend, so tests can run both on the same regions.
 */
export function createReferenceBackend(arena: Arena): Backend {
  const f = (): Float32Array => arena.heapF32();
  const i32 = (): Int32Array => new Int32Array(arena.memory.buffer);
  const at = (ptr: Ptr): number => ptr >>> 2;

  /** Calls visit(n, oh, ow, ih, iw) for every in-bounds input position of every window. */
  function forEachTap(g: WindowGeometry, visit: (n: number, oh: number, ow: number, kh: number, kw: number, ih: number, iw: number) => void): void {
    for (let n = 0; n < g.N; n++)
      for (let oh = 0; oh < g.OH; oh++)
        for (let ow = 0; ow < g.OW; ow++)
          for (let kh = 0; kh < g.KH; kh++)
            for (let kw = 0; kw < g.KW; kw++) {
              const ih = oh * g.SH - g.PT + kh;
              const iw = ow * g.SW - g.PL + kw;
              if (ih >= 0 && ih < g.H && iw >= 0 && iw < g.W) visit(n, oh, ow, kh, kw, ih, iw);
            }
  }

  /** im2col(x) as a fresh [N*OH*OW, KH*KW*C] array: row (n, oh, ow), column (kh, kw, c). */
  function columnsOf(x: Ptr, g: WindowGeometry): Float32Array {
    const h = f();
    const width = g.KH * g.KW * g.C;
    const cols = new Float32Array(g.N * g.OH * g.OW * width);
    forEachTap(g, (n, oh, ow, kh, kw, ih, iw) => {
      const row = (n * g.OH + oh) * g.OW + ow;
      for (let c = 0; c < g.C; c++) cols[row * width + (kh * g.KW + kw) * g.C + c] = h[at(x) + ((n * g.H + ih) * g.W + iw) * g.C + c];
    });
    return cols;
  }
  /** dx = col2im of the column matrix at cols[start..] (the engine's memory, or a matrix of its own). */
  function addColumns(cols: Float32Array, start: number, dx: Ptr, g: WindowGeometry): void {
    const h = f();
    const width = g.KH * g.KW * g.C;
    h.fill(0, at(dx), at(dx) + g.N * g.H * g.W * g.C);
    forEachTap(g, (n, oh, ow, kh, kw, ih, iw) => {
      const row = (n * g.OH + oh) * g.OW + ow;
      for (let c = 0; c < g.C; c++) h[at(dx) + ((n * g.H + ih) * g.W + iw) * g.C + c] += cols[start + row * width + (kh * g.KW + kw) * g.C + c];
    });
  }


  function channelStats(x: Ptr, mean: Ptr, variance: Ptr, rows: number, C: number): void {
    const h = f();
    for (let c = 0; c < C; c++) {
      let s = 0;
      for (let r = 0; r < rows; r++) s += h[at(x) + r * C + c];
      const m = s / rows;
      let v = 0;
      for (let r = 0; r < rows; r++) v += (h[at(x) + r * C + c] - m) ** 2;
      h[at(mean) + c] = m;
      h[at(variance) + c] = v / rows;
    }
  }

  function normalize(x: Ptr, y: Ptr, gamma: Ptr, beta: Ptr, mean: Ptr, variance: Ptr, rows: number, C: number, eps: number): void {
    const h = f();
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < C; c++) {
        const scale = h[at(gamma) + c] / Math.sqrt(h[at(variance) + c] + eps);
        h[at(y) + r * C + c] = (h[at(x) + r * C + c] - h[at(mean) + c]) * scale + h[at(beta) + c];
      }
  }

  function logSumExp(h: Float32Array, row: number, classes: number): number {
    let m = -Infinity;
    for (let j = 0; j < classes; j++) m = Math.max(m, h[row + j]);
    let s = 0;
    for (let j = 0; j < classes; j++) s += Math.exp(h[row + j] - m);
    return m + Math.log(s);
  }

  return {
    name: 'reference',

    gemm(transA, transB, M, N, K, a, b, c, accumulate) {
      const h = f();
      const A = (i: number, k: number) => h[at(a) + (transA ? k * M + i : i * K + k)];
      const B = (k: number, j: number) => h[at(b) + (transB ? j * K + k : k * N + j)];
      for (let i = 0; i < M; i++)
        for (let j = 0; j < N; j++) {
          let s = 0;
          for (let k = 0; k < K; k++) s += A(i, k) * B(k, j);
          const o = at(c) + i * N + j;
          h[o] = accumulate ? h[o] + s : s;
        }
    },

    convGemm(x, w, y, g, CO) {
      const K = g.KH * g.KW * g.C;
      const cols = columnsOf(x, g);
      const h = f();
      for (let i = 0; i < g.N * g.OH * g.OW; i++)
        for (let j = 0; j < CO; j++) {
          let s = 0;
          for (let k = 0; k < K; k++) s += cols[i * K + k] * h[at(w) + k * CO + j];
          h[at(y) + i * CO + j] = s;
        }
    },

    convFilterGemm(x, dy, dw, g, CO, accumulate) {
      const K = g.KH * g.KW * g.C;
      const rows = g.N * g.OH * g.OW;
      const cols = columnsOf(x, g);
      const h = f();
      for (let k = 0; k < K; k++)
        for (let j = 0; j < CO; j++) {
          let s = 0;
          for (let i = 0; i < rows; i++) s += cols[i * K + k] * h[at(dy) + i * CO + j];
          const o = at(dw) + k * CO + j;
          h[o] = accumulate ? h[o] + s : s;
        }
    },

    sparseMatmul(M, N, K, colPtr, rowIdx, values, a, c) {
      const h = f();
      const ints = i32();
      for (let i = 0; i < M; i++)
        for (let j = 0; j < N; j++) {
          let s = 0;
          for (let p = ints[at(colPtr) + j]; p < ints[at(colPtr) + j + 1]; p++) s += h[at(a) + i * K + ints[at(rowIdx) + p]] * h[at(values) + p];
          h[at(c) + i * N + j] = s;
        }
    },

    sparseConvolution(x, y, colPtr, rowIdx, values, bias, relu, g, CO) {
      const h = f();
      const ints = i32();
      for (let n = 0; n < g.N; n++)
        for (let oh = 0; oh < g.OH; oh++)
          for (let ow = 0; ow < g.OW; ow++)
            for (let j = 0; j < CO; j++) {
              let s = 0;
              for (let p = ints[at(colPtr) + j]; p < ints[at(colPtr) + j + 1]; p++) {
                const k = ints[at(rowIdx) + p];
                const c = k % g.C, kw = Math.floor(k / g.C) % g.KW, kh = Math.floor(k / (g.C * g.KW));
                const ih = oh - g.PT + kh, iw = ow - g.PL + kw;
                if (ih >= 0 && ih < g.H && iw >= 0 && iw < g.W) s += h[at(x) + ((n * g.H + ih) * g.W + iw) * g.C + c] * h[at(values) + p];
              }
              const v = Math.fround(bias ? Math.fround(s) + h[at(bias) + j] : s);
              h[at(y) + ((n * g.OH + oh) * g.OW + ow) * CO + j] = relu && !(v > 0) ? 0 : v;
            }
    },

    flipKernel(w, wt, KH, KW, C, CO) {
      const h = f();
      for (let kh = 0; kh < KH; kh++)
        for (let kw = 0; kw < KW; kw++)
          for (let c = 0; c < C; c++)
            for (let co = 0; co < CO; co++) h[at(wt) + (((KH - 1 - kh) * KW + KW - 1 - kw) * CO + co) * C + c] = h[at(w) + ((kh * KW + kw) * C + c) * CO + co];
    },

    convInputGemm(dy, w, dx, g, CO) {
      const width = g.KH * g.KW * g.C;
      const rows = g.N * g.OH * g.OW;
      const h = f();
      const cols = new Float32Array(rows * width);
      for (let i = 0; i < rows; i++)
        for (let j = 0; j < width; j++) {
          let s = 0;
          for (let k = 0; k < CO; k++) s += h[at(dy) + i * CO + k] * h[at(w) + j * CO + k];
          cols[i * width + j] = s;
        }
      addColumns(cols, 0, dx, g);
    },

    im2col(x, cols, g) {
      f().set(columnsOf(x, g), at(cols));
    },

    col2im(cols, dx, g) {
      addColumns(f(), at(cols), dx, g);
    },

    maxPoolForward(x, y, argmax, g) {
      const h = f();
      const idx = i32();
      const size = g.N * g.OH * g.OW * g.C;
      const best = new Float64Array(size).fill(-Infinity);
      const where = new Int32Array(size).fill(-1);
      forEachTap(g, (n, oh, ow, _kh, _kw, ih, iw) => {
        for (let c = 0; c < g.C; c++) {
          const o = ((n * g.OH + oh) * g.OW + ow) * g.C + c;
          const i = ((n * g.H + ih) * g.W + iw) * g.C + c;
          if (where[o] < 0 || h[at(x) + i] > best[o]) {
            best[o] = h[at(x) + i];
            where[o] = i;
          }
        }
      });
      for (let o = 0; o < size; o++) {
        h[at(y) + o] = best[o];
        if (argmax) idx[at(argmax) + o] = where[o];
      }
    },

    maxPoolBackward(dy, argmax, dx, outSize, inSize) {
      const h = f();
      const idx = i32();
      h.fill(0, at(dx), at(dx) + inSize);
      for (let o = 0; o < outSize; o++) h[at(dx) + idx[at(argmax) + o]] += h[at(dy) + o];
    },

    avgPoolForward(x, y, g) {
      const h = f();
      const size = g.N * g.OH * g.OW * g.C;
      const sum = new Float64Array(size);
      const count = new Float64Array(size);
      forEachTap(g, (n, oh, ow, _kh, _kw, ih, iw) => {
        for (let c = 0; c < g.C; c++) {
          const o = ((n * g.OH + oh) * g.OW + ow) * g.C + c;
          sum[o] += h[at(x) + ((n * g.H + ih) * g.W + iw) * g.C + c];
          count[o]++;
        }
      });
      for (let o = 0; o < size; o++) h[at(y) + o] = sum[o] / count[o];
    },

    avgPoolBackward(dy, dx, g) {
      const h = f();
      const size = g.N * g.OH * g.OW * g.C;
      const count = new Float64Array(size);
      forEachTap(g, (n, oh, ow) => {
        for (let c = 0; c < g.C; c++) count[((n * g.OH + oh) * g.OW + ow) * g.C + c]++;
      });
      h.fill(0, at(dx), at(dx) + g.N * g.H * g.W * g.C);
      forEachTap(g, (n, oh, ow, _kh, _kw, ih, iw) => {
        for (let c = 0; c < g.C; c++) {
          const o = ((n * g.OH + oh) * g.OW + ow) * g.C + c;
          h[at(dx) + ((n * g.H + ih) * g.W + iw) * g.C + c] += h[at(dy) + o] / count[o];
        }
      });
    },

    activationForward(kind, x, y, n, alpha) {
      const h = f();
      for (let i = 0; i < n; i++) h[at(y) + i] = activation(kind, h[at(x) + i], alpha);
    },

    activationBackward(kind, x, y, dy, dx, n, alpha) {
      const h = f();
      for (let i = 0; i < n; i++) h[at(dx) + i] = h[at(dy) + i] * activationDerivative(kind, h[at(x) + i], h[at(y) + i], alpha);
    },

    biasAdd(y, b, rows, cols) {
      const h = f();
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) h[at(y) + r * cols + c] += h[at(b) + c];
    },

    biasGrad(dy, db, rows, cols, accumulate) {
      const h = f();
      for (let c = 0; c < cols; c++) {
        let s = 0;
        for (let r = 0; r < rows; r++) s += h[at(dy) + r * cols + c];
        h[at(db) + c] = accumulate ? h[at(db) + c] + s : s;
      }
    },

    batchNormForwardTrain(x, y, gamma, beta, mean, variance, rows, C, eps) {
      channelStats(x, mean, variance, rows, C);
      normalize(x, y, gamma, beta, mean, variance, rows, C, eps);
    },

    batchNormForwardInference(x, y, gamma, beta, mean, variance, rows, C, eps) {
      normalize(x, y, gamma, beta, mean, variance, rows, C, eps);
    },

    batchNormBackward(x, dy, gamma, mean, variance, dx, dgamma, dbeta, rows, C, eps) {
      const h = f();
      for (let c = 0; c < C; c++) {
        const istd = 1 / Math.sqrt(h[at(variance) + c] + eps);
        const xhat = (r: number) => (h[at(x) + r * C + c] - h[at(mean) + c]) * istd;
        let sumDy = 0;
        let sumDyXhat = 0;
        for (let r = 0; r < rows; r++) {
          sumDy += h[at(dy) + r * C + c];
          sumDyXhat += h[at(dy) + r * C + c] * xhat(r);
        }
        for (let r = 0; r < rows; r++) {
          const t = h[at(dy) + r * C + c] - sumDy / rows - (xhat(r) * sumDyXhat) / rows;
          h[at(dx) + r * C + c] = h[at(gamma) + c] * istd * t;
        }
        h[at(dgamma) + c] = sumDyXhat;
        h[at(dbeta) + c] = sumDy;
      }
    },

    batchNormBackwardInference(x, dy, gamma, mean, variance, dx, dgamma, dbeta, rows, C, eps) {
      const h = f();
      for (let c = 0; c < C; c++) {
        const istd = 1 / Math.sqrt(h[at(variance) + c] + eps);
        let sumDy = 0;
        let sumDyXhat = 0;
        for (let r = 0; r < rows; r++) {
          const g = h[at(dy) + r * C + c];
          sumDy += g;
          sumDyXhat += g * (h[at(x) + r * C + c] - h[at(mean) + c]) * istd;
          h[at(dx) + r * C + c] = g * h[at(gamma) + c] * istd;
        }
        h[at(dgamma) + c] = sumDyXhat;
        h[at(dbeta) + c] = sumDy;
      }
    },

    softmaxCrossEntropy(logits, labels, grad, losses, rows, classes, gradScale) {
      const h = f();
      const idx = i32();
      for (let r = 0; r < rows; r++) {
        const row = at(logits) + r * classes;
        const label = idx[at(labels) + r];
        const lse = logSumExp(h, row, classes);
        h[at(losses) + r] = lse - h[row + label];
        if (grad) {
          for (let j = 0; j < classes; j++) {
            h[at(grad) + r * classes + j] = (Math.exp(h[row + j] - lse) - (j === label ? 1 : 0)) * gradScale;
          }
        }
      }
    },

    softmaxCrossEntropyDense(logits, targets, grad, losses, rows, classes, gradScale) {
      const h = f();
      for (let r = 0; r < rows; r++) {
        const row = at(logits) + r * classes;
        const t = at(targets) + r * classes;
        const lse = logSumExp(h, row, classes);
        let loss = 0;
        let total = 0;
        for (let j = 0; j < classes; j++) {
          loss += h[t + j] * (lse - h[row + j]);
          total += h[t + j];
        }
        h[at(losses) + r] = loss;
        if (grad) {
          for (let j = 0; j < classes; j++) {
            h[at(grad) + r * classes + j] = (Math.exp(h[row + j] - lse) * total - h[t + j]) * gradScale;
          }
        }
      }
    },

    softmax(logits, probs, rows, classes) {
      const h = f();
      for (let r = 0; r < rows; r++) {
        const row = at(logits) + r * classes;
        const lse = logSumExp(h, row, classes);
        for (let j = 0; j < classes; j++) h[at(probs) + r * classes + j] = Math.exp(h[row + j] - lse);
      }
    },

    meanSquaredError(pred, target, grad, losses, rows, cols, gradScale) {
      const h = f();
      for (let r = 0; r < rows; r++) {
        let s = 0;
        for (let j = 0; j < cols; j++) {
          const d = h[at(pred) + r * cols + j] - h[at(target) + r * cols + j];
          s += d * d;
          if (grad) h[at(grad) + r * cols + j] = 2 * d * gradScale;
        }
        h[at(losses) + r] = s / cols;
      }
    },

    sgdUpdate(w, g, n, lr, flush: UpdateFlush = 'all') {
      const h = f();
      for (let i = 0; i < n; i++) h[at(w) + i] = flushedF32(h[at(w) + i] - lr * h[at(g) + i], flush === 'all');
    },

    momentumUpdate(w, g, v, n, lr, mu, nesterov, flush: UpdateFlush = 'all') {
      const h = f();
      for (let i = 0; i < n; i++) {
        const gi = h[at(g) + i];
        const vi = mu * h[at(v) + i] + gi;
        h[at(v) + i] = flushedF32(vi, flush !== 'none');
        h[at(w) + i] = flushedF32(h[at(w) + i] - lr * (nesterov ? gi + mu * vi : vi), flush === 'all');
      }
    },

    adamUpdate(w, g, m, v, n, stepSize, beta1, beta2, eps, denomScale, decay, flush: UpdateFlush = 'all') {
      const h = f();
      for (let i = 0; i < n; i++) {
        const gi = h[at(g) + i];
        const mi = beta1 * h[at(m) + i] + (1 - beta1) * gi;
        const vi = beta2 * h[at(v) + i] + (1 - beta2) * gi * gi;
        h[at(m) + i] = flushedF32(mi, flush !== 'none');
        h[at(v) + i] = flushedF32(vi, flush !== 'none');
        const wi = h[at(w) + i];
        h[at(w) + i] = flushedF32(wi - decay * wi - (stepSize * mi) / (Math.sqrt(vi) * denomScale + eps), flush === 'all');
      }
    },

    rmspropUpdate(w, g, ms, mom, mg, n, lr, rho, momentum, eps, centered, epsOutside, flush: UpdateFlush = 'all') {
      const h = f();
      for (let i = 0; i < n; i++) {
        const gi = h[at(g) + i];
        const msi = rho * h[at(ms) + i] + (1 - rho) * gi * gi;
        h[at(ms) + i] = flushedF32(msi, flush !== 'none');
        let d = msi;
        if (centered) {
          const mgi = rho * h[at(mg) + i] + (1 - rho) * gi;
          h[at(mg) + i] = flushedF32(mgi, flush !== 'none');
          d = msi - mgi * mgi;
        }
        const denom = epsOutside ? Math.sqrt(d) + eps : Math.sqrt(d + eps);
        const mi = momentum * h[at(mom) + i] + (lr * gi) / denom;
        h[at(mom) + i] = flushedF32(mi, flush !== 'none');
        h[at(w) + i] = flushedF32(h[at(w) + i] - mi, flush === 'all');
      }
    },

    adagradUpdate(w, g, acc, n, lr, eps, epsOutside, flush: UpdateFlush = 'all') {
      const h = f();
      for (let i = 0; i < n; i++) {
        const gi = h[at(g) + i];
        const ai = h[at(acc) + i] + gi * gi;
        h[at(acc) + i] = flushedF32(ai, flush !== 'none');
        h[at(w) + i] = flushedF32(h[at(w) + i] - (lr * gi) / (epsOutside ? Math.sqrt(ai) + eps : Math.sqrt(ai + eps)), flush === 'all');
      }
    },

    columnNorms(w, out, rows, cols) {
      const h = f();
      for (let c = 0; c < cols; c++) {
        let s = 0;
        for (let r = 0; r < rows; r++) s += h[at(w) + r * cols + c] ** 2;
        h[at(out) + c] = Math.sqrt(s);
      }
    },

    rowNorms(w, out, rows, cols) {
      const h = f();
      for (let r = 0; r < rows; r++) {
        let s = 0;
        for (let c = 0; c < cols; c++) s += h[at(w) + r * cols + c] ** 2;
        h[at(out) + r] = Math.sqrt(s);
      }
    },

    countBelow(x, n, eps) {
      const h = f();
      let count = 0;
      for (let i = 0; i < n; i++) if (Math.abs(h[at(x) + i]) < eps) count++;
      return count;
    },

    sumSquares(x, n) {
      const h = f();
      let s = 0;
      for (let i = 0; i < n; i++) s += h[at(x) + i] ** 2;
      return s;
    },

    sumAbs(x, n) {
      const h = f();
      let s = 0;
      for (let i = 0; i < n; i++) s += Math.abs(h[at(x) + i]);
      return s;
    },

    sumAbsPow(x, n, p) {
      const h = f();
      let s = 0;
      for (let i = 0; i < n; i++) s += Math.fround(Math.abs(h[at(x) + i]) ** p);
      return s;
    },

    addL1Gradient(g, w, n, lambda) {
      const h = f();
      for (let i = 0; i < n; i++) h[at(g) + i] += lambda * Math.sign(h[at(w) + i]);
    },

    pnormDecayPrepare(w, x, n, exponent) {
      const h = f();
      for (let i = 0; i < n; i++) h[at(x) + i] = Math.abs(h[at(w) + i]) ** exponent;
    },

    pnormDecayApply(w, x, n, c) {
      const h = f();
      for (let i = 0; i < n; i++) h[at(w) + i] = (h[at(w) + i] * h[at(x) + i]) / (h[at(x) + i] + c);
    },

    softThreshold(w, n, t) {
      const h = f();
      for (let i = 0; i < n; i++) h[at(w) + i] = Math.sign(h[at(w) + i]) * Math.max(Math.abs(h[at(w) + i]) - t, 0);
    },

    scaleColumns(w, s, rows, cols) {
      const h = f();
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) h[at(w) + r * cols + c] *= h[at(s) + c];
    },

    scaleRows(w, s, rows, cols) {
      const h = f();
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) h[at(w) + r * cols + c] *= h[at(s) + r];
    },

    selectiveDecayGradient(g, w, n, twoGamma, invAlpha) {
      const h = f();
      for (let i = 0; i < n; i++) h[at(g) + i] += twoGamma * Math.exp(-Math.abs(h[at(g) + i]) * invAlpha) * h[at(w) + i];
    },

    lobsterDecay(w, g, n, lambda) {
      const h = f();
      for (let i = 0; i < n; i++) h[at(w) + i] -= lambda * h[at(w) + i] * Math.max(0, 1 - Math.abs(h[at(g) + i]));
    },

    fill(x, n, value) {
      f().fill(value, at(x), at(x) + n);
    },

    copy(src, dst, n) {
      f().copyWithin(at(dst), at(src), at(src) + n);
    },

    scale(x, n, a) {
      const h = f();
      for (let i = 0; i < n; i++) h[at(x) + i] *= a;
    },

    axpy(y, x, n, a) {
      const h = f();
      for (let i = 0; i < n; i++) h[at(y) + i] += a * h[at(x) + i];
    },

    maskMultiply(x, mask, n) {
      const h = f();
      for (let i = 0; i < n; i++) h[at(x) + i] *= h[at(mask) + i];
    },

    flushSubnormals(x, n) {
      const h = f();
      for (let i = 0; i < n; i++) h[at(x) + i] = flushedF32(h[at(x) + i]);
    },
  };
}

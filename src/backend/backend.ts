import type { Ptr } from './arena.js';

/**
 * Geometry of a convolution or pooling window over an NHWC input (see src/ops/geometry.ts):
 * input [N, H, W, C], window KH x KW, strides SH x SW, padding PT (top) and PL (left),
 * output OH x OW.
 */
export interface WindowGeometry {
  N: number;
  H: number;
  W: number;
  C: number;
  KH: number;
  KW: number;
  SH: number;
  SW: number;
  PT: number;
  PL: number;
  OH: number;
  OW: number;
}

/**
 * The patch size (KH*KW*C) up to which Backend.convInputGemm runs: a panel of 96 positions' column
 * rows and the packed kernel share the WebAssembly GEMM's scratch (assembly/gemm.ts,
 * INPUT_GRADIENT_TAPS). A larger patch takes gemm + col2im.
 */
export const CONV_INPUT_GEMM_MAX_TAPS = 2048;

/** The activations slimtrain has kernels for. */
export type ActivationKind = 'relu' | 'leakyRelu' | 'elu' | 'tanh' | 'sigmoid';

/**
 * Which values an optimizer update stores flushed, a subnormal result (0 < |x| < 2^-126) becoming
 * a zero of its sign as flushSubnormals leaves it: 'all' (the weights and the optimizer's state),
 * 'state' (the weights as computed, for transforms that act on them after the update), or 'none'
 * (everything as computed; bench:subnormal measures what that costs). The bits equal the update
 * with 'none' followed by flushSubnormals over each flushed region.
 */
export type UpdateFlush = 'all' | 'state' | 'none';

/**
 * One method per kernel, on pointers into the engine's memory (f32 unless noted) and integers.
 * `reference.ts` defines each one in plain TypeScript; `wasm.ts` runs the WebAssembly kernels of
 * assembly/, which must agree with it. Shapes are in elements; matrices are row-major.
 * Kernels do not validate: the layer or op above them checks shapes once.
 */
export interface Backend {
  readonly name: string;

  /**
   * C[M,N] = op(A) * op(B), or C += ... with accumulate. op(A) is A [M,K], or A stored [K,M] when
   * transA; op(B) is B [K,N], or B stored [N,K] when transB.
   */
  gemm(transA: boolean, transB: boolean, M: number, N: number, K: number, a: Ptr, b: Ptr, c: Ptr, accumulate: boolean): void;

  /**
   * C[M,N] = A[M,K] * S[K,N] with S in compressed sparse columns: column j's nonzeros are the f32
   * values[colPtr[j] .. colPtr[j+1]) at the i32 rows rowIdx[...], ascending; colPtr is i32 [N+1].
   * Each C element sums its column's nonzeros in storage order (see assembly/sparse.ts).
   */
  sparseMatmul(M: number, N: number, K: number, colPtr: Ptr, rowIdx: Ptr, values: Ptr, a: Ptr, c: Ptr): void;

  /**
   * y [N,OH,OW,CO] = the stride-1 convolution of x [N,H,W,C] with the [KH*KW*C, CO] kernel matrix
   * in compressed sparse columns (as sparseMatmul; rows ordered (kh, kw, c) as im2col's columns),
   * without im2col. Each y element sums its column's nonzeros in storage order, padded taps
   * included, so it equals sparseMatmul on the im2col matrix (see assembly/sparse_conv.ts).
   * With a bias (f32 [CO]; 0 for none) each element adds it last, as biasAdd after would; with
   * relu, then the ReLU, as activationForward('relu') after would (so the same bits).
   * Requires SH = SW = 1; g.OH, g.OW as windowGeometry gives them.
   */
  sparseConvolution(x: Ptr, y: Ptr, colPtr: Ptr, rowIdx: Ptr, values: Ptr, bias: Ptr, relu: boolean, g: WindowGeometry, CO: number): void;

  /**
   * y [N*OH*OW, CO] = im2col(x) * w, w the [KH*KW*C, CO] kernel matrix, without materialising the
   * columns: the bits of im2col then gemm(false, false, ...).
   */
  convGemm(x: Ptr, w: Ptr, y: Ptr, g: WindowGeometry, CO: number): void;
  /**
   * dw [KH*KW*C, CO] = im2col(x)^T * dy (dy [N*OH*OW, CO]), or dw += ... with accumulate, without
   * materialising the columns: the bits of im2col then gemm(true, false, ...).
   */
  convFilterGemm(x: Ptr, dy: Ptr, dw: Ptr, g: WindowGeometry, CO: number, accumulate: boolean): void;
  /**
   * dx [N,H,W,C] = col2im(dy * w^T) (overwrites dx), dy [N*OH*OW, CO], w the [KH*KW*C, CO] kernel
   * matrix: the input gradient, without materialising the columns; the bits of gemm(false, true,
   * ...) into a column matrix then col2im. KH*KW*C at most CONV_INPUT_GEMM_MAX_TAPS.
   */
  convInputGemm(dy: Ptr, w: Ptr, dx: Ptr, g: WindowGeometry, CO: number): void;

  /**
   * wt [KH, KW, CO, C] = w [KH, KW, C, CO] rotated half a turn in (kh, kw), with its channel axes
   * swapped: the kernel of the transposed convolution.
   */
  flipKernel(w: Ptr, wt: Ptr, KH: number, KW: number, C: number, CO: number): void;

  /** cols[N*OH*OW, KH*KW*C] = the patches of x [N,H,W,C], columns ordered (kh, kw, c); padding reads 0. */
  im2col(x: Ptr, cols: Ptr, g: WindowGeometry): void;
  /** dx [N,H,W,C] = the sum of every cols entry into the input element it came from (overwrites dx). */
  col2im(cols: Ptr, dx: Ptr, g: WindowGeometry): void;

  /** y [N,OH,OW,C] = window max; argmax (i32, same shape; 0 to skip) = flat index into x of the first max. */
  maxPoolForward(x: Ptr, y: Ptr, argmax: Ptr, g: WindowGeometry): void;
  /**
   * dx [inSize] = 0, then dx[argmax[i]] += dy[i] for i < outSize. `samples` (default 1): how many
   * equal parts outSize and inSize are (one per sample, each part's maxima in its own inputs), so
   * the kernel may split them across threads.
   */
  maxPoolBackward(dy: Ptr, argmax: Ptr, dx: Ptr, outSize: number, inSize: number, samples?: number): void;
  /** y = mean over the in-bounds part of each window (padding is not counted). */
  avgPoolForward(x: Ptr, y: Ptr, g: WindowGeometry): void;
  /** dx = the backward of avgPoolForward (overwrites dx). */
  avgPoolBackward(dy: Ptr, dx: Ptr, g: WindowGeometry): void;

  /** y[0..n) = f(x); alpha is leaky ReLU's slope or ELU's scale. y may alias x. */
  activationForward(kind: ActivationKind, x: Ptr, y: Ptr, n: number, alpha: number): void;
  /** dx = dy * f'(x), given x and y = f(x). dx may alias dy. */
  activationBackward(kind: ActivationKind, x: Ptr, y: Ptr, dy: Ptr, dx: Ptr, n: number, alpha: number): void;

  /** y[r, c] += b[c] over y [rows, cols]. */
  biasAdd(y: Ptr, b: Ptr, rows: number, cols: number): void;
  /** db[c] = sum over r of dy[r, c] (+= with accumulate). */
  biasGrad(dy: Ptr, db: Ptr, rows: number, cols: number, accumulate: boolean): void;

  /** Batch statistics of x [rows, C] into mean, variance (biased); y = gamma*(x-mean)/sqrt(var+eps)+beta. */
  batchNormForwardTrain(x: Ptr, y: Ptr, gamma: Ptr, beta: Ptr, mean: Ptr, variance: Ptr, rows: number, C: number, eps: number): void;
  /** The same transform with given (moving) statistics. */
  batchNormForwardInference(x: Ptr, y: Ptr, gamma: Ptr, beta: Ptr, mean: Ptr, variance: Ptr, rows: number, C: number, eps: number): void;
  /** Backward of the inference transform (statistics constant): dx = dy*gamma/sqrt(var+eps), dgamma, dbeta. */
  batchNormBackwardInference(
    x: Ptr, dy: Ptr, gamma: Ptr, mean: Ptr, variance: Ptr, dx: Ptr, dgamma: Ptr, dbeta: Ptr, rows: number, C: number, eps: number,
  ): void;
  /** Backward of the training transform: dx, and dgamma, dbeta (overwritten). dx may alias dy. */
  batchNormBackward(
    x: Ptr, dy: Ptr, gamma: Ptr, mean: Ptr, variance: Ptr, dx: Ptr, dgamma: Ptr, dbeta: Ptr, rows: number, C: number, eps: number,
  ): void;

  /**
   * Softmax cross-entropy of logits [rows, classes] with i32 labels [rows]: losses[r] per row, and
   * grad = (softmax - onehot) * gradScale unless grad is 0.
   */
  softmaxCrossEntropy(logits: Ptr, labels: Ptr, grad: Ptr, losses: Ptr, rows: number, classes: number, gradScale: number): void;
  /** The same with target distributions [rows, classes]: grad = (softmax * sum(t) - t) * gradScale. */
  softmaxCrossEntropyDense(logits: Ptr, targets: Ptr, grad: Ptr, losses: Ptr, rows: number, classes: number, gradScale: number): void;
  /** probs [rows, classes] = softmax of each row of logits. */
  softmax(logits: Ptr, probs: Ptr, rows: number, classes: number): void;
  /** losses[r] = mean over columns of (pred - target)^2; grad = 2*(pred - target)*gradScale unless 0. */
  meanSquaredError(pred: Ptr, target: Ptr, grad: Ptr, losses: Ptr, rows: number, cols: number, gradScale: number): void;

  // The optimizer updates store their values flushed as `flush` says (UpdateFlush; default 'all').

  /** w -= lr * g */
  sgdUpdate(w: Ptr, g: Ptr, n: number, lr: number, flush?: UpdateFlush): void;
  /** v = mu*v + g; w -= lr*v, or w -= lr*(g + mu*v) with nesterov. */
  momentumUpdate(w: Ptr, g: Ptr, v: Ptr, n: number, lr: number, mu: number, nesterov: boolean, flush?: UpdateFlush): void;
  /**
   * m = beta1 m + (1-beta1) g; v = beta2 v + (1-beta2) g^2; w = w - decay*w - stepSize*m/(sqrt(v)*denomScale + eps)
   * (see assembly/optim.ts). The (1 - beta) factors are computed here in f64, as TensorFlow.js does.
   */
  adamUpdate(
    w: Ptr, g: Ptr, m: Ptr, v: Ptr, n: number,
    stepSize: number, beta1: number, beta2: number, eps: number, denomScale: number, decay: number, flush?: UpdateFlush,
  ): void;
  /** RMSprop with momentum, optionally centered (mg) and with eps outside the root; (1 - rho) in f64. */
  rmspropUpdate(
    w: Ptr, g: Ptr, ms: Ptr, mom: Ptr, mg: Ptr, n: number,
    lr: number, rho: number, momentum: number, eps: number, centered: boolean, epsOutside: boolean, flush?: UpdateFlush,
  ): void;
  /** acc += g^2; w -= lr*g/sqrt(acc + eps), or /(sqrt(acc) + eps) with epsOutside. */
  adagradUpdate(w: Ptr, g: Ptr, acc: Ptr, n: number, lr: number, eps: number, epsOutside: boolean, flush?: UpdateFlush): void;

  /** out[k] = L2 norm of column k of w [rows, cols]: the group norms of the methods page. */
  columnNorms(w: Ptr, out: Ptr, rows: number, cols: number): void;
  /** out[r] = L2 norm of row r of w [rows, cols]. */
  rowNorms(w: Ptr, out: Ptr, rows: number, cols: number): void;
  /** The number of i < n with |x[i]| < eps. */
  countBelow(x: Ptr, n: number, eps: number): number;
  /** Sum of x[i]^2, accumulated in f64. */
  sumSquares(x: Ptr, n: number): number;
  /** Sum of |x[i]|, accumulated in f64. */
  sumAbs(x: Ptr, n: number): number;
  /** Sum of |x[i]|^p (0 < p <= 2), each power in f32, accumulated in f64: the p-norm decay's penalty. */
  sumAbsPow(x: Ptr, n: number, p: number): number;
  /** g += lambda * sign(w), sign(0) = 0: the L1 subgradient. */
  addL1Gradient(g: Ptr, w: Ptr, n: number, lambda: number): void;
  /** x = |w|^exponent (exponent = 2 - p): the first half of the p-norm decay, before the step. */
  pnormDecayPrepare(w: Ptr, x: Ptr, n: number, exponent: number): void;
  /** w = w * x / (x + c): the second half, after the step. */
  pnormDecayApply(w: Ptr, x: Ptr, n: number, c: number): void;
  /** w = sign(w) * max(|w| - t, 0): proximal L1. */
  softThreshold(w: Ptr, n: number, t: number): void;
  /** w[r, c] *= s[c] over w [rows, cols]. */
  scaleColumns(w: Ptr, s: Ptr, rows: number, cols: number): void;
  /** w[r, c] *= s[r] over w [rows, cols]. */
  scaleRows(w: Ptr, s: Ptr, rows: number, cols: number): void;
  /** g += twoGamma * exp(-|g| * invAlpha) * w: selective relevance-based decay (coupled). */
  selectiveDecayGradient(g: Ptr, w: Ptr, n: number, twoGamma: number, invAlpha: number): void;
  /** w -= lambda * w * max(0, 1 - |g|): LOBSTER, after the step. */
  lobsterDecay(w: Ptr, g: Ptr, n: number, lambda: number): void;

  /** x[0..n) = value */
  fill(x: Ptr, n: number, value: number): void;
  /** dst[0..n) = src[0..n); the two ranges do not overlap (the threaded backend splits the copy). */
  copy(src: Ptr, dst: Ptr, n: number): void;
  /** x *= a */
  scale(x: Ptr, n: number, a: number): void;
  /** y += a * x */
  axpy(y: Ptr, x: Ptr, n: number, a: number): void;
  /** x *= mask, elementwise */
  maskMultiply(x: Ptr, mask: Ptr, n: number): void;
  /** Every subnormal x (0 < |x| < 2^-126) becomes a zero of its sign; NaN and infinities stay. */
  flushSubnormals(x: Ptr, n: number): void;
}

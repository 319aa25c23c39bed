import type { Ptr } from './arena.js';

/**
 * The exports of the kernel module (assembly/index.ts), each with its full signature: byte offsets
 * (Ptr) into the one linear memory and integer or float scalars in, nothing out (reductions write
 * to an out pointer). tfjs-backend-wasm declares its kernels the same way, so the boundary to the
 * native code is typed. test/structure/kernel_boundary.test.ts keeps this list and the AssemblyScript
 * sources in step, names, parameters and all, and checks every build's exports against it.
 */
export interface KernelExports {
  // assembly/gemm.ts
  gemm(transA: number, transB: number, M: number, N: number, K: number, a: Ptr, b: Ptr, c: Ptr, accumulate: number, work: Ptr): void;
  gemmRows(transA: number, transB: number, M: number, N: number, K: number, a: Ptr, b: Ptr, c: Ptr, accumulate: number, work: Ptr, i0: number, i1: number): void;
  convGemmRows(x: Ptr, w: Ptr, y: Ptr, N: number, H: number, W: number, C: number, KH: number, KW: number, SH: number, SW: number, PT: number, PL: number, OH: number, OW: number, CO: number, work: Ptr, i0: number, i1: number): void;
  convFilterGemmRows(x: Ptr, dy: Ptr, dw: Ptr, N: number, H: number, W: number, C: number, KH: number, KW: number, SH: number, SW: number, PT: number, PL: number, OH: number, OW: number, CO: number, accumulate: number, work: Ptr, i0: number, i1: number): void;
  convInputGemm(dy: Ptr, w: Ptr, dx: Ptr, N: number, H: number, W: number, C: number, KH: number, KW: number, SH: number, SW: number, PT: number, PL: number, OH: number, OW: number, CO: number, work: Ptr): void;
  convInputGemmMaxTaps(): number;
  gemmWorkFloats(): number;
  // assembly/sparse.ts
  sparseMatmul(M: number, N: number, K: number, colPtr: Ptr, rowIdx: Ptr, values: Ptr, a: Ptr, c: Ptr, work: Ptr): void;
  sparseMatmulRows(M: number, N: number, K: number, colPtr: Ptr, rowIdx: Ptr, values: Ptr, a: Ptr, c: Ptr, work: Ptr, i0: number, i1: number): void;
  sparseWorkFloats(K: number): number;
  // assembly/sparse_conv.ts
  sparseConvolution(x: Ptr, y: Ptr, colPtr: Ptr, rowIdx: Ptr, values: Ptr, bias: Ptr, relu: number, work: Ptr, N: number, H: number, W: number, C: number, KH: number, KW: number, PT: number, PL: number, OH: number, OW: number, CO: number): void;
  sparseConvWorkFloats(C: number, KH: number, KW: number, OH: number, OW: number, nonzeros: number): number;
  // assembly/conv.ts
  flipKernel(w: Ptr, wt: Ptr, KH: number, KW: number, C: number, CO: number): void;
  im2col(x: Ptr, cols: Ptr, N: number, H: number, W: number, C: number, KH: number, KW: number, SH: number, SW: number, PT: number, PL: number, OH: number, OW: number): void;
  col2im(cols: Ptr, dx: Ptr, N: number, H: number, W: number, C: number, KH: number, KW: number, SH: number, SW: number, PT: number, PL: number, OH: number, OW: number): void;
  // assembly/pool.ts
  maxPoolForward(x: Ptr, y: Ptr, argmax: Ptr, N: number, H: number, W: number, C: number, KH: number, KW: number, SH: number, SW: number, PT: number, PL: number, OH: number, OW: number): void;
  maxPoolForwardImages(x: Ptr, y: Ptr, argmax: Ptr, N: number, H: number, W: number, C: number, KH: number, KW: number, SH: number, SW: number, PT: number, PL: number, OH: number, OW: number, n0: number, n1: number): void;
  maxPoolBackward(dy: Ptr, argmax: Ptr, dx: Ptr, outSize: number, inSize: number): void;
  maxPoolBackwardRange(dy: Ptr, argmax: Ptr, dx: Ptr, o0: number, o1: number, i0: number, i1: number): void;
  avgPoolForward(x: Ptr, y: Ptr, N: number, H: number, W: number, C: number, KH: number, KW: number, SH: number, SW: number, PT: number, PL: number, OH: number, OW: number): void;
  avgPoolBackward(dy: Ptr, dx: Ptr, N: number, H: number, W: number, C: number, KH: number, KW: number, SH: number, SW: number, PT: number, PL: number, OH: number, OW: number): void;
  // assembly/activation.ts
  reluForward(x: Ptr, y: Ptr, n: number, alpha: number): void;
  reluBackward(x: Ptr, y: Ptr, dy: Ptr, dx: Ptr, n: number, alpha: number): void;
  leakyReluForward(x: Ptr, y: Ptr, n: number, alpha: number): void;
  leakyReluBackward(x: Ptr, y: Ptr, dy: Ptr, dx: Ptr, n: number, alpha: number): void;
  eluForward(x: Ptr, y: Ptr, n: number, alpha: number): void;
  eluBackward(x: Ptr, y: Ptr, dy: Ptr, dx: Ptr, n: number, alpha: number): void;
  tanhForward(x: Ptr, y: Ptr, n: number, alpha: number): void;
  tanhBackward(x: Ptr, y: Ptr, dy: Ptr, dx: Ptr, n: number, alpha: number): void;
  sigmoidForward(x: Ptr, y: Ptr, n: number, alpha: number): void;
  sigmoidBackward(x: Ptr, y: Ptr, dy: Ptr, dx: Ptr, n: number, alpha: number): void;
  // assembly/bias.ts
  biasAdd(y: Ptr, b: Ptr, rows: number, cols: number): void;
  biasGrad(dy: Ptr, db: Ptr, rows: number, cols: number, accumulate: number, work: Ptr): void;
  // assembly/batchnorm.ts
  batchNormForwardTrain(x: Ptr, y: Ptr, gamma: Ptr, beta: Ptr, mean: Ptr, variance: Ptr, rows: number, C: number, eps: number, work: Ptr): void;
  batchNormForwardInference(x: Ptr, y: Ptr, gamma: Ptr, beta: Ptr, movingMean: Ptr, movingVariance: Ptr, rows: number, C: number, eps: number): void;
  batchNormBackward(x: Ptr, dy: Ptr, gamma: Ptr, mean: Ptr, variance: Ptr, dx: Ptr, dgamma: Ptr, dbeta: Ptr, rows: number, C: number, eps: number, work: Ptr): void;
  batchNormBackwardInference(x: Ptr, dy: Ptr, gamma: Ptr, mean: Ptr, variance: Ptr, dx: Ptr, dgamma: Ptr, dbeta: Ptr, rows: number, C: number, eps: number, work: Ptr): void;
  // assembly/loss.ts
  softmaxCrossEntropy(logits: Ptr, labels: Ptr, grad: Ptr, losses: Ptr, rows: number, classes: number, gradScale: number): void;
  softmaxCrossEntropyDense(logits: Ptr, targets: Ptr, grad: Ptr, losses: Ptr, rows: number, classes: number, gradScale: number): void;
  softmax(logits: Ptr, probs: Ptr, rows: number, classes: number): void;
  meanSquaredError(pred: Ptr, target: Ptr, grad: Ptr, losses: Ptr, rows: number, cols: number, gradScale: number): void;
  // assembly/optim.ts
  sgdUpdate(w: Ptr, g: Ptr, n: number, lr: number, flush: number): void;
  momentumUpdate(w: Ptr, g: Ptr, v: Ptr, n: number, lr: number, mu: number, nesterov: number, flush: number): void;
  adamUpdate(w: Ptr, g: Ptr, m: Ptr, v: Ptr, n: number, stepSize: number, beta1: number, beta2: number, oneMinusBeta1: number, oneMinusBeta2: number, eps: number, denomScale: number, decay: number, flush: number): void;
  rmspropUpdate(w: Ptr, g: Ptr, ms: Ptr, mom: Ptr, mg: Ptr, n: number, lr: number, rho: number, oneMinusRho: number, momentum: number, eps: number, centered: number, epsOutside: number, flush: number): void;
  adagradUpdate(w: Ptr, g: Ptr, acc: Ptr, n: number, lr: number, eps: number, epsOutside: number, flush: number): void;
  // assembly/norms.ts
  columnNorms(w: Ptr, out: Ptr, rows: number, cols: number): void;
  rowNorms(w: Ptr, out: Ptr, rows: number, cols: number): void;
  countBelow(x: Ptr, n: number, eps: number, out: Ptr): void;
  sumSquares(x: Ptr, n: number, out: Ptr): void;
  // assembly/elementwise.ts
  fill(x: Ptr, n: number, value: number): void;
  copy(src: Ptr, dst: Ptr, n: number): void;
  scale(x: Ptr, n: number, a: number): void;
  axpy(y: Ptr, x: Ptr, n: number, a: number): void;
  maskMultiply(x: Ptr, mask: Ptr, n: number): void;
  flushSubnormals(x: Ptr, n: number): void;
  // assembly/regularize.ts
  addL1Gradient(g: Ptr, w: Ptr, n: number, lambda: number): void;
  sumAbs(x: Ptr, n: number, out: Ptr): void;
  sumAbsPow(x: Ptr, n: number, p: number, out: Ptr): void;
  pnormDecayPrepare(w: Ptr, x: Ptr, n: number, exponent: number): void;
  pnormDecayApply(w: Ptr, x: Ptr, n: number, c: number): void;
  softThreshold(w: Ptr, n: number, t: number): void;
  scaleColumns(w: Ptr, s: Ptr, rows: number, cols: number): void;
  scaleRows(w: Ptr, s: Ptr, rows: number, cols: number): void;
  selectiveDecayGradient(g: Ptr, w: Ptr, n: number, twoGamma: number, invAlpha: number): void;
  lobsterDecay(w: Ptr, g: Ptr, n: number, lambda: number): void;
  // assembly/index.ts
  heapBase(): number;
}

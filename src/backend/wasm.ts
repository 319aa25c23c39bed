import type { Arena, Ptr } from './arena.js';
import type { ActivationKind, Backend, UpdateFlush, WindowGeometry } from './backend.js';
import type { KernelExports } from './kernel_exports.js';
import type { PoolOp, PoolTask, ThreadPool } from './thread_pool.js';
import { SlimtrainError } from '../errors.js';

/**
 * Below these sizes a kernel stays on one thread: waking the others would cost more than it saves.
 * GEMM: from bench:gemm's crossover table on 2 cores (Node 20): 2 threads win by 14-65% from 2^21
 * multiply-adds in the square and dense-forward families and break even in the weight-gradient
 * family, where they win from 2^22; a thread wake-up costs about 40-60 microseconds.
 */
export const THREAD_THRESHOLDS = {
  /** Multiply-adds of a GEMM (M * N * K). */
  gemm: 1 << 21,
  /** Floats written by an im2col / read by a col2im. */
  im2col: 1 << 16,
  /** Parameters of an optimizer update; floats of a whole-region pass (copy, axpy, scale, fill, mask). */
  update: 1 << 16,
  /**
   * Floats of an activation, a bias add or a max pooling's input. An estimate, not yet a measured
   * crossover: at about 4 floats a nanosecond (a ReLU), 2^18 floats take some 65 microseconds, about
   * what a thread wake-up (40-60) costs.
   */
  elementwise: 1 << 18,
  /** Multiply-adds of a sparse product (M * nonzeros): a sparse GEMM does about one per 2-3 ns on one core. */
  sparse: 1 << 18,
};

/** [start, end) ranges splitting `total` into at most `parts`, each start a multiple of `align`. */
function split(total: number, parts: number, align: number): [number, number][] {
  const size = Math.ceil(total / parts / align) * align;
  const out: [number, number][] = [];
  for (let start = 0; start < total; start += size) out.push([start, Math.min(total, start + size)]);
  return out;
}

/** A window's geometry as the kernels take it: N, H, W, C, KH, KW, SH, SW, PT, PL, OH, OW. */
type Window = [number, number, number, number, number, number, number, number, number, number, number, number];

/** The update kernels' `flush` argument (assembly/optim.ts): bit 1 the state, bit 2 the weights. */
const FLUSH_BITS: Record<UpdateFlush, number> = { all: 3, state: 1, none: 0 };

const ACTIVATIONS: { [A in ActivationKind]: [`${A}Forward`, `${A}Backward`] } = {
  relu: ['reluForward', 'reluBackward'],
  leakyRelu: ['leakyReluForward', 'leakyReluBackward'],
  elu: ['eluForward', 'eluBackward'],
  tanh: ['tanhForward', 'tanhBackward'],
  sigmoid: ['sigmoidForward', 'sigmoidBackward'],
};

/**
 * The Backend over the WebAssembly kernels: each method forwards pointers and integers to the
 * export of the same name. The GEMM packing scratch and the reductions' out slot are allocated
 * once here, so no kernel call allocates.
 */
export function createWasmBackend(name: string, kernels: KernelExports, arena: Arena, pool?: ThreadPool): Backend {
  const k = kernels;
  arena.reserveLow(k.heapBase());
  const gemmWork = arena.allocF32(k.gemmWorkFloats());
  // One GEMM packing scratch per thread.
  const works = [gemmWork, ...Array.from({ length: (pool?.threads ?? 1) - 1 }, () => arena.allocF32(k.gemmWorkFloats()))];
  const threads = pool?.threads ?? 1;
  // A task names its kernel at run time (it crosses to the worker threads as data).
  const local = (task: PoolTask) => void (k[task.op] as (...args: number[]) => void)(...task.args);
  const parallel = (tasks: PoolTask[]) => (tasks.length === 1 ? local(tasks[0]) : pool!.run(tasks, local));
  const task = (op: PoolOp, args: number[]): PoolTask => ({ op, args });
  /**
   * Elementwise kernels split by ranges of 16 floats, from `threshold` floats; `ptrs` are the
   * per-element arrays (0, an absent one, stays 0). Each element is computed alone, so any split
   * gives the same bits.
   */
  const ranges = (op: PoolOp, ptrs: Ptr[], n: number, rest: number[], threshold: number) => {
    if (threads === 1 || n < threshold) return local(task(op, [...ptrs, n, ...rest]));
    parallel(split(n, threads, 16).map(([a, b]) => task(op, [...ptrs.map((p) => (p ? p + a * 4 : 0)), b - a, ...rest])));
  };
  const updateRanges = (op: PoolOp, ptrs: Ptr[], n: number, rest: number[]) => ranges(op, ptrs, n, rest, THREAD_THRESHOLDS.update);
  const out = arena.alloc(8);
  // f64 scratch for the kernels that sum over rows (batch norm, bias gradient): enough for 4096
  // channels up front, grown (rarely) for wider layers, so training allocates nothing per step.
  let workBytes = 4096 * 16;
  let work = arena.alloc(workBytes);
  const scratch = (bytes: number): Ptr => {
    if (bytes > workBytes) {
      arena.free(work);
      workBytes = Math.max(bytes, 2 * workBytes);
      work = arena.alloc(workBytes);
    }
    return work;
  };
  // The sparse kernels' scratch (sparseMatmul's transposed panels of A, sparseConvolution's padded
  // planes; per thread), grown for larger products.
  let sparseWorkFloats = 0;
  let sparseWork: Ptr = 0;
  const sparseScratch = (floats: number): Ptr => {
    if (floats > sparseWorkFloats) {
      if (sparseWork) arena.free(sparseWork);
      sparseWorkFloats = Math.max(floats, 2 * sparseWorkFloats);
      sparseWork = arena.allocF32(sparseWorkFloats);
    }
    return sparseWork;
  };
  const win = (g: WindowGeometry): Window => [g.N, g.H, g.W, g.C, g.KH, g.KW, g.SH, g.SW, g.PT, g.PL, g.OH, g.OW];
  const flag = (b: boolean): number => (b ? 1 : 0);

  return {
    name,
    gemm(transA, transB, M, N, K, a, b, c, accumulate) {
      if (threads === 1 || M * N * K < THREAD_THRESHOLDS.gemm || M < 8) {
        return void k.gemm(flag(transA), flag(transB), M, N, K, a, b, c, flag(accumulate), gemmWork);
      }
      // By rows of C, in multiples of the micro-kernel's 4 rows: each thread sums its elements
      // exactly as one thread would.
      parallel(split(M, threads, 4).map(([i0, i1], t) => task('gemmRows', [flag(transA), flag(transB), M, N, K, a, b, c, flag(accumulate), works[t], i0, i1])));
    },
    convGemm(x, w, y, g, CO) {
      const M = g.N * g.OH * g.OW;
      const K = g.KH * g.KW * g.C;
      if (threads === 1 || M * CO * K < THREAD_THRESHOLDS.gemm || M < 8) return void k.convGemmRows(x, w, y, ...win(g), CO, gemmWork, 0, M);
      // By output rows, as gemm splits: each thread gathers the columns of its own rows.
      parallel(split(M, threads, 4).map(([i0, i1], t) => task('convGemmRows', [x, w, y, ...win(g), CO, works[t], i0, i1])));
    },
    convFilterGemm(x, dy, dw, g, CO, accumulate) {
      const K = g.N * g.OH * g.OW;
      const M = g.KH * g.KW * g.C;
      if (threads === 1 || M * CO * K < THREAD_THRESHOLDS.gemm || M < 8) return void k.convFilterGemmRows(x, dy, dw, ...win(g), CO, flag(accumulate), gemmWork, 0, M);
      // By rows of dw (kernel taps): each thread gathers its own taps of every patch.
      parallel(split(M, threads, 4).map(([i0, i1], t) => task('convFilterGemmRows', [x, dy, dw, ...win(g), CO, flag(accumulate), works[t], i0, i1])));
    },
    convInputGemm(dy, w, dx, g, CO) {
      const taps = g.KH * g.KW * g.C;
      if (taps > k.convInputGemmMaxTaps()) throw new SlimtrainError(`convInputGemm: a patch of ${taps} taps, more than the ${k.convInputGemmMaxTaps()} it takes (use gemm + col2im)`);
      const per = g.OH * g.OW;
      if (threads === 1 || g.N < 2 || g.N * per * taps * CO < THREAD_THRESHOLDS.gemm) return void k.convInputGemm(dy, w, dx, ...win(g), CO, gemmWork);
      // By images: an image's input gradient gathers only its own positions' column rows.
      parallel(split(g.N, threads, 1).map(([n0, n1], t) => task('convInputGemm', [dy + n0 * per * CO * 4, w, dx + n0 * g.H * g.W * g.C * 4, ...win({ ...g, N: n1 - n0 }), CO, works[t]])));
    },
    sparseMatmul(M, N, K, colPtr, rowIdx, values, a, c) {
      const per = k.sparseWorkFloats(K);
      const w = M >= 4 ? sparseScratch(threads * per) : 0;
      const nonzeros = arena.i32(colPtr + N * 4, 1)[0];
      if (threads === 1 || M * nonzeros < THREAD_THRESHOLDS.sparse || M < 8) return void k.sparseMatmul(M, N, K, colPtr, rowIdx, values, a, c, w);
      // By rows of C in multiples of 4, each thread with its own panel: every element sums in the same order on any thread.
      parallel(split(M, threads, 4).map(([i0, i1], t) => task('sparseMatmulRows', [M, N, K, colPtr, rowIdx, values, a, c, w + t * per * 4, i0, i1])));
    },
    sparseConvolution(x, y, colPtr, rowIdx, values, bias, relu, g, CO) {
      const nonzeros = arena.i32(colPtr + CO * 4, 1)[0];
      const per = k.sparseConvWorkFloats(g.C, g.KH, g.KW, g.OH, g.OW, nonzeros);
      const parts = threads === 1 || g.N < 2 || g.N * g.OH * g.OW * nonzeros < THREAD_THRESHOLDS.sparse ? 1 : threads;
      const w = sparseScratch(parts * per);
      const args = (n0: number, n1: number, t: number): number[] => [
        x + n0 * g.H * g.W * g.C * 4, y + n0 * g.OH * g.OW * CO * 4, colPtr, rowIdx, values, bias, flag(relu), w + t * per * 4,
        n1 - n0, g.H, g.W, g.C, g.KH, g.KW, g.PT, g.PL, g.OH, g.OW, CO,
      ];
      // By samples, each thread with its own padded planes: every element sums in the same order on any thread.
      if (parts === 1) return local(task('sparseConvolution', args(0, g.N, 0)));
      parallel(split(g.N, parts, 1).map(([n0, n1], t) => task('sparseConvolution', args(n0, n1, t))));
    },
    flipKernel: (w, wt, KH, KW, C, CO) => void k.flipKernel(w, wt, KH, KW, C, CO),
    im2col(x, cols, g) {
      const per = g.OH * g.OW * g.KH * g.KW * g.C;
      if (threads === 1 || g.N < 2 || g.N * per < THREAD_THRESHOLDS.im2col) return void k.im2col(x, cols, ...win(g));
      parallel(split(g.N, threads, 1).map(([n0, n1]) => task('im2col', [x + n0 * g.H * g.W * g.C * 4, cols + n0 * per * 4, ...win({ ...g, N: n1 - n0 })])));
    },
    col2im(cols, dx, g) {
      const per = g.OH * g.OW * g.KH * g.KW * g.C;
      if (threads === 1 || g.N < 2 || g.N * per < THREAD_THRESHOLDS.im2col) return void k.col2im(cols, dx, ...win(g));
      parallel(split(g.N, threads, 1).map(([n0, n1]) => task('col2im', [cols + n0 * per * 4, dx + n0 * g.H * g.W * g.C * 4, ...win({ ...g, N: n1 - n0 })])));
    },
    maxPoolForward(x, y, argmax, g) {
      if (threads === 1 || g.N < 2 || g.N * g.H * g.W * g.C < THREAD_THRESHOLDS.elementwise) return void k.maxPoolForward(x, y, argmax, ...win(g));
      // By images: each output's window, and its argmax (an index into all of x), is one image's.
      parallel(split(g.N, threads, 1).map(([n0, n1]) => task('maxPoolForwardImages', [x, y, argmax, ...win(g), n0, n1])));
    },
    maxPoolBackward(dy, argmax, dx, outSize, inSize, samples = 1) {
      if (threads === 1 || samples < 2 || inSize < THREAD_THRESHOLDS.elementwise) return void k.maxPoolBackward(dy, argmax, dx, outSize, inSize);
      // By samples: each one's outputs add into its own inputs only, in the same order as on one thread.
      const o = outSize / samples, i = inSize / samples;
      parallel(split(samples, threads, 1).map(([s0, s1]) => task('maxPoolBackwardRange', [dy, argmax, dx, s0 * o, s1 * o, s0 * i, s1 * i])));
    },
    avgPoolForward: (x, y, g) => void k.avgPoolForward(x, y, ...win(g)),
    avgPoolBackward: (dy, dx, g) => void k.avgPoolBackward(dy, dx, ...win(g)),
    activationForward: (kind, x, y, n, alpha) => ranges(ACTIVATIONS[kind][0], [x, y], n, [alpha], THREAD_THRESHOLDS.elementwise),
    activationBackward: (kind, x, y, dy, dx, n, alpha) => ranges(ACTIVATIONS[kind][1], [x, y, dy, dx], n, [alpha], THREAD_THRESHOLDS.elementwise),
    biasAdd(y, b, rows, cols) {
      if (threads === 1 || rows < 2 || rows * cols < THREAD_THRESHOLDS.elementwise) return void k.biasAdd(y, b, rows, cols);
      // By rows: each element adds its bias alone.
      parallel(split(rows, threads, 1).map(([r0, r1]) => task('biasAdd', [y + r0 * cols * 4, b, r1 - r0, cols])));
    },
    biasGrad: (dy, db, rows, cols, accumulate) => void k.biasGrad(dy, db, rows, cols, flag(accumulate), scratch(cols * 8)),
    batchNormForwardTrain: (x, y, gamma, beta, mean, variance, rows, C, eps) =>
      void k.batchNormForwardTrain(x, y, gamma, beta, mean, variance, rows, C, eps, scratch(C * 16)),
    batchNormForwardInference: (x, y, gamma, beta, mean, variance, rows, C, eps) =>
      void k.batchNormForwardInference(x, y, gamma, beta, mean, variance, rows, C, eps),
    batchNormBackward: (x, dy, gamma, mean, variance, dx, dgamma, dbeta, rows, C, eps) =>
      void k.batchNormBackward(x, dy, gamma, mean, variance, dx, dgamma, dbeta, rows, C, eps, scratch(C * 16)),
    batchNormBackwardInference: (x, dy, gamma, mean, variance, dx, dgamma, dbeta, rows, C, eps) =>
      void k.batchNormBackwardInference(x, dy, gamma, mean, variance, dx, dgamma, dbeta, rows, C, eps, scratch(C * 16)),
    softmaxCrossEntropy: (logits, labels, grad, losses, rows, classes, gradScale) =>
      void k.softmaxCrossEntropy(logits, labels, grad, losses, rows, classes, gradScale),
    softmaxCrossEntropyDense: (logits, targets, grad, losses, rows, classes, gradScale) =>
      void k.softmaxCrossEntropyDense(logits, targets, grad, losses, rows, classes, gradScale),
    softmax: (logits, probs, rows, classes) => void k.softmax(logits, probs, rows, classes),
    meanSquaredError: (pred, target, grad, losses, rows, cols, gradScale) =>
      void k.meanSquaredError(pred, target, grad, losses, rows, cols, gradScale),
    sgdUpdate: (w, g, n, lr, flush: UpdateFlush = 'all') => updateRanges('sgdUpdate', [w, g], n, [lr, FLUSH_BITS[flush]]),
    momentumUpdate: (w, g, v, n, lr, mu, nesterov, flush: UpdateFlush = 'all') =>
      updateRanges('momentumUpdate', [w, g, v], n, [lr, mu, flag(nesterov), FLUSH_BITS[flush]]),
    adamUpdate: (w, g, m, v, n, stepSize, beta1, beta2, eps, denomScale, decay, flush: UpdateFlush = 'all') =>
      updateRanges('adamUpdate', [w, g, m, v], n, [stepSize, beta1, beta2, 1 - beta1, 1 - beta2, eps, denomScale, decay, FLUSH_BITS[flush]]),
    rmspropUpdate: (w, g, ms, mom, mg, n, lr, rho, momentum, eps, centered, epsOutside, flush: UpdateFlush = 'all') =>
      void k.rmspropUpdate(w, g, ms, mom, mg, n, lr, rho, 1 - rho, momentum, eps, flag(centered), flag(epsOutside), FLUSH_BITS[flush]),
    adagradUpdate: (w, g, acc, n, lr, eps, epsOutside, flush: UpdateFlush = 'all') => void k.adagradUpdate(w, g, acc, n, lr, eps, flag(epsOutside), FLUSH_BITS[flush]),
    columnNorms: (w, o, rows, cols) => void k.columnNorms(w, o, rows, cols),
    rowNorms: (w, o, rows, cols) => void k.rowNorms(w, o, rows, cols),
    countBelow(x: Ptr, n: number, eps: number) {
      k.countBelow(x, n, eps, out);
      return arena.i32(out, 1)[0];
    },
    sumSquares(x: Ptr, n: number) {
      k.sumSquares(x, n, out);
      return arena.f64(out, 1)[0];
    },
    sumAbs(x: Ptr, n: number) {
      k.sumAbs(x, n, out);
      return arena.f64(out, 1)[0];
    },
    sumAbsPow(x: Ptr, n: number, p: number) {
      k.sumAbsPow(x, n, p, out);
      return arena.f64(out, 1)[0];
    },
    addL1Gradient: (g, w, n, lambda) => void k.addL1Gradient(g, w, n, lambda),
    pnormDecayPrepare: (w, x, n, exponent) => void k.pnormDecayPrepare(w, x, n, exponent),
    pnormDecayApply: (w, x, n, c) => void k.pnormDecayApply(w, x, n, c),
    softThreshold: (w, n, t) => void k.softThreshold(w, n, t),
    scaleColumns: (w, s, rows, cols) => void k.scaleColumns(w, s, rows, cols),
    scaleRows: (w, s, rows, cols) => void k.scaleRows(w, s, rows, cols),
    selectiveDecayGradient: (g, w, n, twoGamma, invAlpha) => void k.selectiveDecayGradient(g, w, n, twoGamma, invAlpha),
    lobsterDecay: (w, g, n, lambda) => void k.lobsterDecay(w, g, n, lambda),
    // Whole-region passes of a step (the NaN guard's snapshot copy, coupled L2's axpy, the masks),
    // split like the updates: each element alone, so any split gives the same bits.
    fill: (x, n, value) => updateRanges('fill', [x], n, [value]),
    copy: (src, dst, n) => updateRanges('copy', [src, dst], n, []),
    scale: (x, n, a) => updateRanges('scale', [x], n, [a]),
    axpy: (y, x, n, a) => updateRanges('axpy', [y, x], n, [a]),
    maskMultiply: (x, mask, n) => updateRanges('maskMultiply', [x, mask], n, []),
    flushSubnormals: (x, n) => updateRanges('flushSubnormals', [x], n, []),
  };
}

import type { Ptr } from '../backend/arena.js';
import { CONV_INPUT_GEMM_MAX_TAPS, type WindowGeometry } from '../backend/backend.js';
import type { Engine } from '../backend/engine.js';
import { ArgumentError } from '../errors.js';
import type { SparseKernel } from '../layers/sparse_kernel.js';
import { withBatch } from './geometry.js';

/** Input channels from which a 'same' stride-1 input gradient runs as the transposed convolution. */
export const TRANSPOSED_MIN_CHANNELS = 32;

/** Default upper bound on the im2col buffer, in floats (16 MiB): larger batches go in chunks. */
export const COLS_BUDGET_FLOATS = 4 * 2 ** 20;

/**
 * A 2-D convolution over NHWC data as im2col + GEMM, forward and both backward passes.
 *   x  [N, H, W, C]       w  [KH, KW, C, CO] viewed as the [KH*KW*C, CO] matrix
 *   y  [N, OH, OW, CO]    (no bias: the layer adds it)
 * The batch is processed in chunks of samples whose column matrix fits COLS_BUDGET_FLOATS; the
 * chunk size depends only on the shapes, so the summation order (and every result bit) does too.
 * A 1x1, stride-1, unpadded convolution skips im2col: x already is the column matrix.
 * The forward and weight-gradient products gather their columns from x as they go (convGemm,
 * convFilterGemm); a 'same' stride-1 input gradient with TRANSPOSED_MIN_CHANNELS channels or more
 * is a transposed convolution on convGemm, the others multiply a panel of column rows at a time and
 * add it into dx (convInputGemm); only the input gradient of a patch over CONV_INPUT_GEMM_MAX_TAPS
 * taps and the sparse product of a strided convolution write columns.
 */
export class Im2colConvolution {
  /** Samples per chunk. */
  readonly chunk: number;
  private readonly patch: number;
  private readonly positions: number;
  private readonly pointwise: boolean;
  private cols: Ptr = 0;
  private readonly ownsCols: boolean;
  /**
   * The geometry of the transposed convolution that gives the input gradient (dy [N, OH, OW, CO]
   * padded by KH-1-PT and KW-1-PL, to dx [N, H, W, C]), or null where convInputGemm (or, for a
   * patch over CONV_INPUT_GEMM_MAX_TAPS taps, gemm + col2im) does.
   */
  private readonly transposed: WindowGeometry | null;
  /** The flipped kernel of the transposed convolution (flipKernel), allocated at its first use. */
  private flipped: Ptr = 0;

  constructor(
    private readonly engine: Engine,
    readonly geometry: WindowGeometry,
    readonly filters: number,
    /** Upper bound on the im2col buffer in floats; at least one sample's worth is always used. */
    colsBudgetFloats = COLS_BUDGET_FLOATS,
    /** A region of at least workspaceFloats floats to use instead of its own (inference models share one). */
    sharedCols?: Ptr,
  ) {
    if (!Number.isInteger(filters) || filters < 1) throw new ArgumentError('filters', filters, 'a positive integer');
    const g = geometry;
    this.patch = g.KH * g.KW * g.C;
    this.positions = g.OH * g.OW;
    this.pointwise = g.KH === 1 && g.KW === 1 && g.SH === 1 && g.SW === 1 && g.PT === 0 && g.PL === 0;
    this.chunk = Math.max(1, Math.min(g.N, Math.floor(colsBudgetFloats / (this.positions * this.patch))));
    this.ownsCols = !sharedCols;
    // A 'valid' convolution's transposed one pads dy with KH-1 rows and KW-1 columns of zeros and
    // multiplies them: H*W/(OH*OW) times the work (2.25x for LeNet-5's second convolution). Its
    // GEMM has C output columns: with fewer than 32 it runs slower than gemm + col2im (0.5x at
    // C = 3, 0.75x at 8, 0.97-1.06x at 16, 1.01-1.06x at 32 and 64; 3x3 kernels, batch 128), and
    // than the fused convInputGemm that replaced it (0.61-0.78x at 8, 0.74-0.88x at 16, 0.95-1.22x
    // at 32, 1.03-1.04x at 64; two runs, 2026-12-02).
    const transposable = !this.pointwise && g.SH === 1 && g.SW === 1 && g.H * g.W <= g.OH * g.OW && g.C >= TRANSPOSED_MIN_CHANNELS;
    this.transposed = transposable
      ? { N: g.N, H: g.OH, W: g.OW, C: filters, KH: g.KH, KW: g.KW, SH: 1, SW: 1, PT: g.KH - 1 - g.PT, PL: g.KW - 1 - g.PL, OH: g.H, OW: g.W }
      : null;
    // Its own columns are allocated at the first pass that needs them: an inference model's
    // convolution on the direct sparse kernel never does.
    if (!this.pointwise && sharedCols) this.cols = sharedCols;
  }

  /** The im2col workspace, in floats, that a convolution of this geometry needs. */
  static workspaceFloatsFor(g: WindowGeometry, colsBudgetFloats = COLS_BUDGET_FLOATS): number {
    const patch = g.KH * g.KW * g.C;
    const positions = g.OH * g.OW;
    if (g.KH === 1 && g.KW === 1 && g.SH === 1 && g.SW === 1 && g.PT === 0 && g.PL === 0) return 0;
    return Math.max(1, Math.min(g.N, Math.floor(colsBudgetFloats / (positions * patch)))) * positions * patch;
  }

  /** Floats of the im2col workspace this op holds. */
  get workspaceFloats(): number {
    return this.pointwise ? 0 : this.chunk * this.positions * this.patch;
  }

  /**
   * y = conv(x, w) (+ bias [CO], when not 0) for the first `samples` samples (default: the
   * geometry's N); with `sparse` (w's sparse copy) where it says it is faster: a 'convolution' copy
   * runs the direct sparse convolution on the whole batch (bias fused), a 'matmul' copy the sparse
   * product on each chunk's columns. The bias is added last on every path, then the ReLU if
   * `relu` (an inference model's fused activation), so the bits do not depend on where they are applied.
   */
  forward(x: Ptr, w: Ptr, y: Ptr, samples = this.geometry.N, sparse: SparseKernel | null = null, bias: Ptr = 0, relu = false): void {
    const b = this.engine.backend;
    if (sparse?.product === 'convolution' && sparse.uses(samples)) {
      // No im2col: the direct kernel reads x itself, so the batch needs no chunks.
      this.checkSamples(samples);
      sparse.convolve(x, y, bias, relu, withBatch(this.geometry, samples));
      return;
    }
    if (sparse?.product !== 'matmul') {
      // The dense product gathers its columns as it goes (no column matrix), so the whole batch
      // is one call; a pointwise convolution's columns are x.
      this.checkSamples(samples);
      this.denseForward(x, w, y, samples);
    } else {
      this.forEachChunk(samples, (n0, n) => {
        const rows = n * this.positions;
        const out = y + n0 * this.positions * this.filters * 4;
        if (sparse.uses(rows)) sparse.multiply(this.columns(x, n0, n), out, rows);
        else this.denseForward(this.chunkOf(x, n0), w, out, n);
      });
    }
    if (bias) b.biasAdd(y, bias, samples * this.positions, this.filters);
    if (relu) b.activationForward('relu', y, y, samples * this.positions * this.filters, 0);
  }

  /** y = conv(x, w) for samples [0, n) of x on the dense kernels. */
  private denseForward(x: Ptr, w: Ptr, y: Ptr, n: number): void {
    const b = this.engine.backend;
    if (this.pointwise) b.gemm(false, false, n * this.positions, this.filters, this.patch, x, w, y, false);
    else b.convGemm(x, w, y, withBatch(this.geometry, n), this.filters);
  }

  /**
   * dx = the gradient with respect to x, given dy. For a stride-1 convolution with as many outputs
   * as inputs ('same' padding) and at least TRANSPOSED_MIN_CHANNELS input channels it is the
   * transposed convolution: dy, padded by KH-1-PT and KW-1-PL, convolved with the flipped kernel,
   * the whole batch in one call and no columns. Any other with a patch of at most
   * CONV_INPUT_GEMM_MAX_TAPS taps is convInputGemm, gemm + col2im fused (the same bits), also one
   * call without columns; a larger patch writes the columns, chunk by chunk.
   */
  backwardInput(dy: Ptr, w: Ptr, dx: Ptr, samples = this.geometry.N): void {
    const b = this.engine.backend;
    const g = this.geometry;
    if (this.transposed) {
      this.checkSamples(samples);
      if (!this.flipped) this.flipped = this.engine.arena.allocF32(this.patch * this.filters);
      b.flipKernel(w, this.flipped, g.KH, g.KW, g.C, this.filters);
      b.convGemm(dy, this.flipped, dx, withBatch(this.transposed, samples), g.C);
      return;
    }
    if (!this.pointwise && this.patch <= CONV_INPUT_GEMM_MAX_TAPS) {
      this.checkSamples(samples);
      b.convInputGemm(dy, w, dx, withBatch(g, samples), this.filters);
      return;
    }
    this.forEachChunk(samples, (n0, n) => {
      const rows = n * this.positions;
      const dyChunk = dy + n0 * this.positions * this.filters * 4;
      const dxChunk = dx + n0 * g.H * g.W * g.C * 4;
      if (this.pointwise) {
        b.gemm(false, true, rows, this.patch, this.filters, dyChunk, w, dxChunk, false);
      } else {
        const cols = this.columnBuffer();
        b.gemm(false, true, rows, this.patch, this.filters, dyChunk, w, cols, false);
        b.col2im(cols, dxChunk, withBatch(g, n));
      }
    });
  }

  /** dw (+)= the gradient with respect to w, given x and dy. */
  backwardFilter(x: Ptr, dy: Ptr, dw: Ptr, accumulate = false, samples = this.geometry.N): void {
    const b = this.engine.backend;
    this.forEachChunk(samples, (n0, n) => {
      const rows = n * this.positions;
      const dyChunk = dy + n0 * this.positions * this.filters * 4;
      const add = accumulate || n0 > 0;
      if (this.pointwise) b.gemm(true, false, this.patch, this.filters, rows, this.chunkOf(x, n0), dyChunk, dw, add);
      else b.convFilterGemm(this.chunkOf(x, n0), dyChunk, dw, withBatch(this.geometry, n), this.filters, add);
    });
  }

  /** Returns the im2col workspace (and the flipped kernel) to the arena. */
  dispose(): void {
    if (this.cols && this.ownsCols) this.engine.arena.free(this.cols);
    this.cols = 0;
    if (this.flipped) this.engine.arena.free(this.flipped);
    this.flipped = 0;
  }

  /** Samples n0.. of x. */
  private chunkOf(x: Ptr, n0: number): Ptr {
    const g = this.geometry;
    return x + n0 * g.H * g.W * g.C * 4;
  }

  /** The column matrix of samples [n0, n0 + n) (x itself for a pointwise convolution). */
  private columns(x: Ptr, n0: number, n: number): Ptr {
    const g = this.geometry;
    const xChunk = this.chunkOf(x, n0);
    if (this.pointwise) return xChunk;
    const cols = this.columnBuffer();
    this.engine.backend.im2col(xChunk, cols, withBatch(g, n));
    return cols;
  }

  private columnBuffer(): Ptr {
    if (!this.cols) this.cols = this.engine.arena.allocF32(this.chunk * this.positions * this.patch);
    return this.cols;
  }

  private checkSamples(samples: number): void {
    if (!(Number.isInteger(samples) && samples >= 0 && samples <= this.geometry.N)) {
      throw new ArgumentError('samples', samples, `an integer in [0, ${this.geometry.N}] (the batch this op was sized for)`);
    }
  }

  private forEachChunk(samples: number, body: (n0: number, n: number) => void): void {
    this.checkSamples(samples);
    for (let n0 = 0; n0 < samples; n0 += this.chunk) body(n0, Math.min(this.chunk, samples - n0));
  }
}

import type { Ptr } from '../backend/arena.js';
import type { WindowGeometry } from '../backend/backend.js';
import type { Engine } from '../backend/engine.js';
import { sparseColumns } from '../ops/sparse_columns.js';
import { oneOf, positiveInt } from '../validate.js';

/**
 * Which kernel an inference model's dense and convolution layers multiply with:
 * 'auto' (default) the sparse kernel where it is faster (`SPARSE_CROSSOVER`), 'always' the sparse
 * kernel, 'never' the dense GEMM.
 */
export type SparseMode = 'auto' | 'always' | 'never';

/** The sparse modes, for validation and help texts. */
export const SPARSE_MODES: readonly SparseMode[] = ['auto', 'always', 'never'];

/**
 * The densities (nonzeros / entries of the kernel matrix) below which a sparse kernel beats the
 * dense GEMM, per kernel, batch and (for dense layers at batch 1) depth: from `npm run
 * bench:sparse-crossover` on a quiet machine (docs/benchmarks.md), the dense / sparse time of each
 * weighted layer of LeNet-300-100, LeNet-5, fashion-cnn and cifar-cnn at 70 .. 10% density, 1
 * thread, Node 20 x64. Each is the lowest crossing among the layers of its class that take most of
 * their model's time (others cross 5-30 points higher); near a crossover the two kernels take
 * about the same time anyway. `crossoverClass` says which entry a product falls under.
 */
export const SPARSE_CROSSOVER = {
  /** sparseMatmul with M < 4 rows (a dense layer at batch 1 to 3): one gather per nonzero. The LeNet dense layers (300-800 inputs) cross at 35-37%. */
  fewRows: 0.35,
  /**
   * The same with at least DEEP_INPUTS inputs (a flattened feature map): fashion-cnn's and cifar-cnn's
   * first dense layers (3136 and 4096 inputs) cross at 70 and 64%, where the GEMM at batch 1 is slow.
   */
  fewRowsDeep: 0.6,
  /** sparseMatmul with M >= 4 rows (batches; strided convolutions through im2col): SIMD lanes over rows of the transposed activations. 59-68%. */
  manyRows: 0.6,
  /** sparseConvolution (stride-1 convolutions, no im2col) on 1 to 3 samples. LeNet-5's and fashion-cnn's second convolutions: 37 and 45%. */
  convolution: 0.4,
  /** sparseConvolution on 4 samples or more, where the dense path's im2col costs more per sample than at batch 1. 62 and 68%. */
  convolutionBatch: 0.6,
};

/**
 * Inputs from which a dense layer at batch 1-3 counts as deep (`fewRowsDeep`). The layers measured
 * have 300-800 inputs or 3136-4096, none between; 2048 splits them.
 */
export const DEEP_INPUTS = 2048;

/** The SPARSE_CROSSOVER entry of a product: `rows` is M for 'matmul', samples for 'convolution'; `depth` the matrix's rows (K: inputs, or KH*KW*C). */
export function crossoverClass(product: SparseProduct, rows: number, depth: number): keyof typeof SPARSE_CROSSOVER {
  oneOf('product', product, SPARSE_PRODUCTS);
  positiveInt('rows', rows);
  positiveInt('depth', depth);
  if (product === 'convolution') return rows < 4 ? 'convolution' : 'convolutionBatch';
  if (rows >= 4) return 'manyRows';
  return depth >= DEEP_INPUTS ? 'fewRowsDeep' : 'fewRows';
}

/**
 * The product a sparse copy serves: 'matmul' (sparseMatmul: dense layers, and strided convolutions
 * on their im2col matrix) or 'convolution' (sparseConvolution: stride-1 convolutions, direct).
 */
export type SparseProduct = 'matmul' | 'convolution';

const SPARSE_PRODUCTS: readonly SparseProduct[] = ['matmul', 'convolution'];

/**
 * A weight matrix's copy in compressed sparse columns in engine memory (i32 colPtr [cols+1],
 * i32 rowIdx [nonzeros], f32 values [nonzeros]): what an inference model's layer multiplies with
 * when `uses(rows)` says the sparse kernel is the one to run.
 */
export class SparseKernel {
  private constructor(
    private readonly engine: Engine,
    /** K and N of the [K, N] matrix. */
    readonly rows: number,
    readonly cols: number,
    readonly nonzeros: number,
    readonly mode: SparseMode,
    readonly product: SparseProduct,
    private colPtr: Ptr,
    private readonly rowIdx: Ptr,
    private readonly values: Ptr,
  ) {}

  /**
   * The sparse copy of the row-major [rows, cols] matrix at `ptr` for this mode and product, or
   * null when the dense GEMM is the one to run at every batch ('never', or 'auto' at a density
   * above the product's crossovers).
   *
   * @example
   * const s = SparseKernel.of(engine, kernelPtr, 784, 300, 'auto', 'matmul'); // null for a dense kernel
   */
  static of(engine: Engine, ptr: Ptr, rows: number, cols: number, mode: SparseMode, product: SparseProduct): SparseKernel | null {
    if (mode === 'never') return null;
    const arena = engine.arena;
    const s = sparseColumns(arena.f32(ptr, rows * cols).slice(), rows, cols);
    const nonzeros = s.values.length;
    // Dense at every batch (the matrix's `rows` are the products' depth): no copy.
    if (mode === 'auto' && nonzeros / (rows * cols) >= Math.max(SparseKernel.crossover(product, 1, rows), SparseKernel.crossover(product, 4, rows))) return null;
    const colPtr = arena.alloc(4 * (cols + 1));
    const rowIdx = arena.alloc(4 * Math.max(1, nonzeros));
    const values = arena.allocF32(Math.max(1, nonzeros));
    arena.i32(colPtr, cols + 1).set(s.colPtr);
    arena.i32(rowIdx, nonzeros).set(s.rowIdx);
    arena.f32(values, nonzeros).set(s.values);
    return new SparseKernel(engine, rows, cols, nonzeros, mode, product, colPtr, rowIdx, values);
  }

  /** Nonzeros over entries. */
  get density(): number {
    return this.nonzeros / (this.rows * this.cols);
  }

  /** Bytes this copy holds in engine memory. */
  get bytes(): number {
    return 4 * (this.cols + 1) + 8 * Math.max(1, this.nonzeros);
  }

  /**
   * Whether a product runs on the sparse kernel: `rows` is M of the product for 'matmul', the
   * number of samples for 'convolution'.
   */
  uses(rows: number): boolean {
    return this.mode === 'always' || this.density < SparseKernel.crossover(this.product, rows, this.rows);
  }

  /** Whether every product, at any batch, runs on the sparse kernel: the dense kernel is then never read. */
  get everyBatch(): boolean {
    return this.mode === 'always' || this.density < Math.min(SparseKernel.crossover(this.product, 1, this.rows), SparseKernel.crossover(this.product, 4, this.rows));
  }

  /** The crossover density of a product at `rows` (M for 'matmul', samples for 'convolution') of a matrix with `depth` rows. */
  static crossover(product: SparseProduct, rows: number, depth: number): number {
    return SPARSE_CROSSOVER[crossoverClass(product, rows, depth)];
  }

  /** c [M, cols] = a [M, rows] times this matrix ('matmul'). */
  multiply(a: Ptr, c: Ptr, M: number): void {
    this.engine.backend.sparseMatmul(M, this.cols, this.rows, this.colPtr, this.rowIdx, this.values, a, c);
  }

  /** y = the stride-1 convolution of x with this [KH*KW*C, filters] matrix, plus bias (0: none), then ReLU if asked ('convolution'; g.N samples). */
  convolve(x: Ptr, y: Ptr, bias: Ptr, relu: boolean, g: WindowGeometry): void {
    this.engine.backend.sparseConvolution(x, y, this.colPtr, this.rowIdx, this.values, bias, relu, g, this.cols);
  }

  /** The row-major [rows, cols] matrix this copy holds, bit for bit (its zeros are +0, as sparseColumns left them). */
  toDense(): Float32Array {
    const arena = this.engine.arena;
    const colPtr = arena.i32(this.colPtr, this.cols + 1);
    const rowIdx = arena.i32(this.rowIdx, this.nonzeros);
    const values = arena.f32(this.values, this.nonzeros);
    const dense = new Float32Array(this.rows * this.cols);
    for (let j = 0; j < this.cols; j++) for (let p = colPtr[j]; p < colPtr[j + 1]; p++) dense[rowIdx[p] * this.cols + j] = values[p];
    return dense;
  }

  /** Returns the copy's memory to the arena. */
  dispose(): void {
    if (!this.colPtr) return;
    const arena = this.engine.arena;
    arena.free(this.colPtr);
    arena.free(this.rowIdx);
    arena.free(this.values);
    this.colPtr = 0;
  }
}

/**
 * A matrix in compressed sparse columns (CSC): column j's nonzeros are `values[colPtr[j] ..
 * colPtr[j+1])` at rows `rowIdx[...]`, ascending. The form of the sparse kernel
 * (`Backend.sparseMatmul`) and of sparse tensors in model files.
 */
export interface SparseColumns {
  rows: number;
  cols: number;
  /** i32 [cols + 1]: colPtr[0] = 0, colPtr[cols] = the number of nonzeros. */
  colPtr: Int32Array;
  /** i32 [nonzeros]: each nonzero's row, ascending within a column. */
  rowIdx: Int32Array;
  /** f32 [nonzeros], column by column. */
  values: Float32Array;
}

/**
 * The [rows, cols] matrix a tensor of this shape is, for sparse storage: a kernel [..., units] is
 * [product of the other dimensions, units] (a dense kernel [in, units]; a convolution's
 * [KH, KW, C, CO] is its im2col matrix [KH*KW*C, CO]); a vector [n] is one column [n, 1].
 */
export function matrixShape(shape: readonly number[]): [number, number] {
  if (shape.length <= 1) return [shape[0] ?? 1, 1];
  const cols = shape[shape.length - 1];
  return [shape.slice(0, -1).reduce((a, b) => a * b, 1), cols];
}

/**
 * The CSC form of a row-major [rows, cols] matrix. An entry is kept unless its bits are all zero
 * (+0), so a -0 survives and the dense values come back bit for bit.
 *
 * @example
 * const s = sparseColumns(new Float32Array([0, 2, 3, 0]), 2, 2); // colPtr [0, 1, 2], rowIdx [1, 0], values [3, 2]
 */
export function sparseColumns(dense: Float32Array, rows: number, cols: number): SparseColumns {
  const bits = new Uint32Array(dense.buffer, dense.byteOffset, dense.length);
  let nonzeros = 0;
  for (let i = 0; i < bits.length; i++) if (bits[i] !== 0) nonzeros++;
  const colPtr = new Int32Array(cols + 1);
  const rowIdx = new Int32Array(nonzeros);
  const values = new Float32Array(nonzeros);
  let p = 0;
  for (let j = 0; j < cols; j++) {
    for (let r = 0; r < rows; r++) {
      const at = r * cols + j;
      if (bits[at] !== 0) {
        rowIdx[p] = r;
        values[p++] = dense[at];
      }
    }
    colPtr[j + 1] = p;
  }
  return { rows, cols, colPtr, rowIdx, values };
}

/** The row-major dense matrix of a CSC matrix (zeros elsewhere). */
export function denseFromColumns(s: SparseColumns): Float32Array {
  const out = new Float32Array(s.rows * s.cols);
  for (let j = 0; j < s.cols; j++) {
    for (let p = s.colPtr[j]; p < s.colPtr[j + 1]; p++) out[s.rowIdx[p] * s.cols + j] = s.values[p];
  }
  return out;
}

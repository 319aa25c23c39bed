// One function per layer type and cut (Torch-Pruning's "how to cut a layer"): each takes weight
// arrays in TensorFlow.js layout and returns new, smaller ones.

/** Columns `keep` of a row-major [rows, cols] matrix (a dense kernel's output units, a conv kernel's filters). */
export function keepColumns(values: Float32Array, rows: number, cols: number, keep: readonly number[]): Float32Array {
  const out = new Float32Array(rows * keep.length);
  for (let r = 0; r < rows; r++) for (let j = 0; j < keep.length; j++) out[r * keep.length + j] = values[r * cols + keep[j]];
  return out;
}

/** Rows `keep` of a row-major [rows, cols] matrix. */
export function keepRows(values: Float32Array, cols: number, keep: readonly number[]): Float32Array {
  const out = new Float32Array(keep.length * cols);
  keep.forEach((r, i) => out.set(values.subarray(r * cols, (r + 1) * cols), i * cols));
  return out;
}

/** Entries `keep` of a vector (bias, batch-norm gamma/beta/moving statistics). */
export function keepEntries(values: Float32Array, keep: readonly number[]): Float32Array {
  return Float32Array.from(keep, (k) => values[k]);
}

/** Input channels `keep` of a conv kernel [KH, KW, C, F]. */
export function keepInputChannels(values: Float32Array, taps: number, C: number, F: number, keep: readonly number[]): Float32Array {
  const out = new Float32Array(taps * keep.length * F);
  for (let t = 0; t < taps; t++) {
    keep.forEach((c, i) => out.set(values.subarray((t * C + c) * F, (t * C + c + 1) * F), (t * keep.length + i) * F));
  }
  return out;
}

/**
 * The rows of a dense kernel that follow a flatten of [positions, C] channels: row p*C + c feeds
 * from channel c at position p (NHWC). Returns the row indices of the kept channels in new order.
 */
export function flattenedRows(positions: number, C: number, keepChannels: readonly number[]): number[] {
  const rows: number[] = [];
  for (let p = 0; p < positions; p++) for (const c of keepChannels) rows.push(p * C + c);
  return rows;
}

/**
 * Folds constant inputs into the next layer's bias: bias[j] += sum_i constants[i] * sum over the
 * rows of input i of kernel[row, j]. `rowsOf(i)` lists the kernel rows input i feeds (one row for
 * dense after dense, every tap for conv, every position after a flatten).
 */
export function foldConstantInputs(
  kernel: Float32Array, cols: number, bias: Float32Array, constants: ReadonlyMap<number, number>, rowsOf: (i: number) => number[],
): Float32Array {
  const out = Float64Array.from(bias);
  for (const [i, c] of constants) {
    if (c === 0) continue;
    for (const r of rowsOf(i)) for (let j = 0; j < cols; j++) out[j] += c * kernel[r * cols + j];
  }
  return Float32Array.from(out);
}

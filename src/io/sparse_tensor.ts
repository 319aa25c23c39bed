import { matrixShape, sparseColumns, type SparseColumns } from '../ops/sparse_columns.js';
import { ModelFileError } from './model_file_error.js';

/**
 * How a sparse tensor is stored in a model file: its matrix (see `matrixShape`) in compressed
 * sparse columns, with small delta-coded row indices. The tensor's bytes, at its entry's offset:
 *
 *   counts    [cols] nonzeros per column, unsigned little-endian of `countBytes` bytes each
 *   indices   `indexBytes` bytes: per nonzero, delta = row - (previous row in the column, or -1),
 *             so delta >= 1 and a 0 is a duplicated row:
 *               'delta8'  deltas >= 255 as that many 0xFF bytes (each adds 255) and a last byte < 255
 *               'delta16' one u16 per delta (every delta < 65536)
 *   padding   zero bytes up to a multiple of 4
 *   values    [nonzeros] f32 little-endian, column by column
 *
 * At 2-20% density row gaps are mostly below 255, so a nonzero costs its 4 value bytes and about one
 * index byte; CSC rather than CSR because the sparse kernel reads columns.
 */
export interface SparseStorage {
  form: 'csc';
  nonzeros: number;
  countBytes: 1 | 2 | 4;
  indexCoding: 'delta8' | 'delta16';
  indexBytes: number;
  /** Every byte of the tensor: counts, indices, padding, values. */
  bytes: number;
}

const align4 = (n: number): number => Math.ceil(n / 4) * 4;

/** Bytes of the delta8 stream of a CSC matrix's row indices. */
function delta8Bytes(s: SparseColumns): number {
  let bytes = 0;
  forEachDelta(s, (d) => (bytes += Math.floor(d / 255) + 1));
  return bytes;
}

function forEachDelta(s: SparseColumns, visit: (delta: number) => void): void {
  for (let j = 0; j < s.cols; j++) {
    let previous = -1;
    for (let p = s.colPtr[j]; p < s.colPtr[j + 1]; p++) {
      visit(s.rowIdx[p] - previous);
      previous = s.rowIdx[p];
    }
  }
}

/**
 * The smallest sparse form of a tensor and its bytes, or null when storing it dense (4 bytes a
 * value) is no larger.
 *
 * @example
 * const form = sparseForm(new Float32Array(1000), [100, 10]); // all zero: { storage: { nonzeros: 0, bytes: 12, ... }, bytes }
 */
export function sparseForm(values: Float32Array, shape: readonly number[]): { storage: SparseStorage; bytes: Uint8Array } | null {
  const [rows, cols] = matrixShape(shape);
  if (rows * cols !== values.length || values.length === 0) return null;
  const s = sparseColumns(values, rows, cols);
  const nonzeros = s.values.length;
  let maxCount = 0;
  let maxDelta = 0;
  for (let j = 0; j < cols; j++) maxCount = Math.max(maxCount, s.colPtr[j + 1] - s.colPtr[j]);
  forEachDelta(s, (d) => (maxDelta = Math.max(maxDelta, d)));
  const countBytes = maxCount < 256 ? 1 : maxCount < 65536 ? 2 : 4;
  const bytes8 = delta8Bytes(s);
  const indexCoding = maxDelta < 65536 && 2 * nonzeros < bytes8 ? 'delta16' : 'delta8';
  const indexBytes = indexCoding === 'delta16' ? 2 * nonzeros : bytes8;
  const total = align4(cols * countBytes + indexBytes) + 4 * nonzeros;
  if (total >= 4 * values.length) return null;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  for (let j = 0; j < cols; j++) {
    const count = s.colPtr[j + 1] - s.colPtr[j];
    if (countBytes === 1) out[j] = count;
    else if (countBytes === 2) view.setUint16(2 * j, count, true);
    else view.setUint32(4 * j, count, true);
  }
  let at = cols * countBytes;
  forEachDelta(s, (d) => {
    if (indexCoding === 'delta16') {
      view.setUint16(at, d, true);
      at += 2;
      return;
    }
    for (; d >= 255; d -= 255) out[at++] = 255;
    out[at++] = d;
  });
  const valuesAt = align4(cols * countBytes + indexBytes);
  for (let p = 0; p < nonzeros; p++) view.setFloat32(valuesAt + 4 * p, s.values[p], true);
  return { storage: { form: 'csc', nonzeros, countBytes, indexCoding, indexBytes, bytes: total }, bytes: out };
}

/**
 * Decodes a sparse tensor strictly: every field of `storage` checked against the shape and the bytes
 * (`data`: exactly `storage.bytes` bytes), every count and row index in range, rows strictly
 * ascending in each column, the index stream ending exactly where it says. A ModelFileError names
 * `what` (the file and the tensor) and what is wrong.
 */
export function decodeSparseTensor(data: Uint8Array, storage: SparseStorage, shape: readonly number[], what: string): Float32Array {
  const fail = (why: string): never => {
    throw new ModelFileError(`${what}: ${why}`);
  };
  if (storage === null || typeof storage !== 'object' || storage.form !== 'csc') fail(`sparse form ${JSON.stringify((storage as { form?: unknown })?.form)}: expected "csc"`);
  const { nonzeros, countBytes, indexCoding, indexBytes, bytes } = storage;
  const [rows, cols] = matrixShape(shape);
  const count = rows * cols;
  if (!Number.isInteger(nonzeros) || nonzeros < 0 || nonzeros > count) fail(`${JSON.stringify(nonzeros)} nonzeros: expected an integer from 0 to ${count} (shape [${shape}])`);
  if (countBytes !== 1 && countBytes !== 2 && countBytes !== 4) fail(`countBytes ${JSON.stringify(countBytes)}: expected 1, 2 or 4`);
  if (indexCoding !== 'delta8' && indexCoding !== 'delta16') fail(`indexCoding ${JSON.stringify(indexCoding)}: expected "delta8" or "delta16"`);
  if (!Number.isInteger(indexBytes) || indexBytes < 0) fail(`indexBytes ${JSON.stringify(indexBytes)}: expected a non-negative integer`);
  if (indexCoding === 'delta16' && indexBytes !== 2 * nonzeros) fail(`indexBytes ${indexBytes}: expected ${2 * nonzeros} (2 per nonzero)`);
  const valuesAt = align4(cols * countBytes + indexBytes);
  if (bytes !== valuesAt + 4 * nonzeros) fail(`${JSON.stringify(bytes)} bytes: expected ${valuesAt + 4 * nonzeros} (counts, indices, values)`);
  if (data.length !== bytes) fail(`truncated: ${data.length} bytes of its ${bytes}`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out = new Float32Array(count);
  let at = cols * countBytes;
  let p = 0;
  for (let j = 0; j < cols; j++) {
    const n = countBytes === 1 ? data[j] : countBytes === 2 ? view.getUint16(2 * j, true) : view.getUint32(4 * j, true);
    if (n > rows) fail(`column ${j} has ${n} nonzeros: more than its ${rows} rows`);
    if (p + n > nonzeros) fail(`the column counts add up to more than its ${nonzeros} nonzeros (at column ${j})`);
    let row = -1;
    for (let q = 0; q < n; q++) {
      let delta = 0;
      if (indexCoding === 'delta16') {
        delta = view.getUint16(at, true);
        at += 2;
      } else {
        for (;;) {
          if (at >= cols * countBytes + indexBytes) fail(`its index stream ends inside column ${j} (truncated)`);
          const b = data[at++];
          delta += b;
          if (b < 255) break;
        }
      }
      if (delta === 0) fail(`column ${j} repeats row ${row}: row indices must be strictly ascending, without duplicates`);
      row += delta;
      if (row >= rows) fail(`column ${j} has a nonzero at row ${row}: out of range (${rows} rows)`);
      out[row * cols + j] = view.getFloat32(valuesAt + 4 * p++, true);
    }
  }
  if (p !== nonzeros) fail(`the column counts add up to ${p}: expected its ${nonzeros} nonzeros`);
  if (at !== cols * countBytes + indexBytes) fail(`its index stream has ${cols * countBytes + indexBytes - at} bytes left over`);
  return out;
}

import type { NamedWeight } from '../model/sequential.js';
import { crc32 } from './crc32.js';
import { ModelFileError } from './model_file_error.js';
import { decodeSparseTensor, sparseForm, type SparseStorage } from './sparse_tensor.js';

export { ModelFileError };

/**
 * The container of slimtrain's model files and checkpoints: one self-describing blob.
 *
 *   bytes 0-7    magic "SLIMTRN\0"
 *   bytes 8-11   manifest length L (u32, little-endian)
 *   bytes 12-15  CRC-32 of everything after byte 15 (manifest and data)
 *   bytes 16..   manifest: UTF-8 JSON (a model's or a checkpoint's manifest), padded with spaces to a multiple of 4
 *   then         the tensor data, each tensor at its manifest offset (a multiple of 4): f32
 *                little-endian, or with `sparse` the tensors whose sparse form is smaller in that
 *                form (their entry's `storage`, see sparse_tensor.ts)
 *
 * The manifest names the format version, the model spec, and every tensor's name, shape, dtype,
 * offset and length; the checksum covers the manifest too, so that a flipped bit in the spec (an
 * activation's alpha, say) cannot load as a silently different model.
 */
const MAGIC = [0x53, 0x4c, 0x49, 0x4d, 0x54, 0x52, 0x4e, 0x00]; // "SLIMTRN\0"
const HEADER = 16;

/** A manifest's tensor entry: where one float32 tensor sits in the data section. */
export interface TensorEntry {
  name: string;
  shape: number[];
  dtype: 'float32';
  offset: number;
  /** Values (the product of the shape), however they are stored. */
  length: number;
  /** Absent: `length` f32 values. Present: the sparse form the tensor is stored in. */
  storage?: SparseStorage;
}

/** Options of encodeContainer. */
export interface ContainerOptions {
  /**
   * Store each tensor whose sparse form is smaller in that form, and then write this format
   * version instead of the fields' one (readers older than it would misread the sparse tensors).
   * Default: every tensor dense.
   */
  sparse?: { version: number };
}

/**
 * The container both model files and checkpoints use: magic, manifest length, CRC-32, the JSON
 * manifest (given fields plus `tensors` and `dataBytes`), then the float32 tensors.
 */
export function encodeContainer(fields: { format: string; version: number } & Record<string, unknown>, tensors: readonly NamedWeight[], options: ContainerOptions = {}): Uint8Array {
  let offset = 0;
  const sparse = tensors.map((w) => (options.sparse ? sparseForm(w.values, w.shape) : null));
  const entries: TensorEntry[] = tensors.map((w, i) => {
    const form = sparse[i];
    const entry: TensorEntry = { name: w.name, shape: [...w.shape], dtype: 'float32' as const, offset, length: w.values.length, ...(form ? { storage: form.storage } : {}) };
    offset += form ? form.bytes.length : w.values.length * 4;
    return entry;
  });
  const data = new Uint8Array(offset);
  const view = new DataView(data.buffer);
  for (const [i, w] of tensors.entries()) {
    const form = sparse[i];
    if (form) data.set(form.bytes, entries[i].offset);
    else for (let j = 0; j < w.values.length; j++) view.setFloat32(entries[i].offset + 4 * j, w.values[j], true);
  }
  const version = options.sparse && sparse.some(Boolean) ? options.sparse.version : fields.version;
  let json = JSON.stringify({ ...fields, version, tensors: entries, dataBytes: data.length });
  while (new TextEncoder().encode(json).length % 4) json += ' ';
  const text = new TextEncoder().encode(json);
  const out = new Uint8Array(HEADER + text.length + data.length);
  out.set(MAGIC, 0);
  out.set(text, HEADER);
  out.set(data, HEADER + text.length);
  const header = new DataView(out.buffer);
  header.setUint32(8, text.length, true);
  header.setUint32(12, crc32(out.subarray(HEADER)), true);
  return out;
}

/** Parses and checks a container: magic, manifest, format and version, the checksum and every tensor's bounds. */
export function decodeContainer<M extends { format: string; version: number; tensors: TensorEntry[]; dataBytes: number }>(
  bytes: Uint8Array,
  format: string,
  version: number,
  source: string,
): { manifest: M; tensors: NamedWeight[] } {
  if (!(bytes instanceof Uint8Array)) throw new ModelFileError(`${source}: expected the file's bytes as a Uint8Array`);
  if (bytes.length < HEADER || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new ModelFileError(`${source}: not a slimtrain ${format.replace('slimtrain-', '')} file (the first bytes are not "SLIMTRN")`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(8, true);
  if (HEADER + length > bytes.length) throw new ModelFileError(`${source}: truncated: the manifest claims ${length} bytes, the file has ${bytes.length - HEADER}`);
  let manifest: M;
  try {
    manifest = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(HEADER, HEADER + length)));
  } catch (e) {
    throw new ModelFileError(`${source}: the manifest is not valid JSON (${(e as Error).message})`);
  }
  if (manifest === null || typeof manifest !== 'object' || manifest.format !== format) {
    throw new ModelFileError(`${source}: the manifest's format is ${JSON.stringify((manifest as { format?: unknown })?.format)}: expected "${format}"`);
  }
  if (!Number.isInteger(manifest.version) || manifest.version < 1) throw new ModelFileError(`${source}: version ${JSON.stringify(manifest.version)}: expected a positive integer`);
  if (manifest.version > version) {
    throw new ModelFileError(`${source}: format version ${manifest.version} is newer than this slimtrain reads (${version}): upgrade slimtrain`);
  }
  const data = bytes.subarray(HEADER + length);
  if (data.length !== manifest.dataBytes) {
    throw new ModelFileError(`${source}: ${data.length} data bytes: expected ${manifest.dataBytes}${data.length < manifest.dataBytes ? ' (truncated)' : ''}`);
  }
  const sum = crc32(bytes.subarray(HEADER));
  const stored = view.getUint32(12, true);
  if (sum !== stored) throw new ModelFileError(`${source}: checksum ${sum.toString(16)} does not match the stored ${stored.toString(16)}: the file is corrupted`);
  if (!Array.isArray(manifest.tensors)) throw new ModelFileError(`${source}: the manifest has no tensor list`);
  const dataView = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const tensors = manifest.tensors.map((t, i) => {
    const count = Array.isArray(t.shape) ? t.shape.reduce((a, b) => a * b, 1) : NaN;
    const storage = t.storage;
    const bytes = storage === undefined ? 4 * t.length : (storage as { bytes?: unknown })?.bytes;
    if (
      typeof t.name !== 'string' || t.dtype !== 'float32' || !Array.isArray(t.shape) || !t.shape.every((d) => Number.isInteger(d) && d >= 0) || !Number.isInteger(t.offset) || t.offset < 0 || t.offset % 4 || t.length !== count ||
      !Number.isInteger(bytes) || t.offset + (bytes as number) > data.length
    ) {
      throw new ModelFileError(`${source}: tensor ${i} (${JSON.stringify(t.name)}) has an invalid name, dtype, shape, offset or length`);
    }
    if (storage !== undefined) {
      const values = decodeSparseTensor(data.subarray(t.offset, t.offset + (bytes as number)), storage, t.shape, `${source}: tensor ${JSON.stringify(t.name)} (sparse)`);
      return { name: t.name, shape: [...t.shape], values };
    }
    const values = new Float32Array(t.length);
    for (let j = 0; j < t.length; j++) values[j] = dataView.getFloat32(t.offset + 4 * j, true);
    return { name: t.name, shape: [...t.shape], values };
  });
  return { manifest, tensors };
}

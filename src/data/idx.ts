import { ArgumentError } from '../errors.js';
import { DataFormatError } from './data_format_error.js';
import { gunzip, isGzip, notGzip } from './gzip.js';

export { DataFormatError } from './data_format_error.js';

/** A parsed IDX file: unsigned bytes with their dimensions (images [N, 28, 28], labels [N]). */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/**
 * Parses an uncompressed IDX file of unsigned bytes (MNIST, Fashion-MNIST): magic 0x00 0x00 0x08 rank,
 * then rank big-endian u32 dimensions, then the data. Checks the magic number and that the length
 * matches the dimensions exactly.
 *
 * @example
 * const { dims, data } = parseIdx(bytes, 'train-images-idx3-ubyte'); // dims [60000, 28, 28]
 */
export function parseIdx(bytes: Uint8Array, source = 'IDX data'): IdxArray {
  if (!(bytes instanceof Uint8Array)) throw new ArgumentError('bytes', bytes, 'a Uint8Array');
  if (bytes.length < 4) throw new DataFormatError(`${source}: ${bytes.length} bytes is too short for an IDX header`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const gzip = bytes[0] === 0x1f && bytes[1] === 0x8b;
    throw new DataFormatError(`${source}: wrong magic number ${hex(bytes, 4)}: expected 00 00 08 0N${gzip ? ' (this is gzip data: decodeIdx decompresses it)' : ''}`);
  }
  if (bytes[2] !== 0x08) throw new DataFormatError(`${source}: data type 0x${bytes[2].toString(16)} is not supported: expected 0x08 (unsigned bytes)`);
  const rank = bytes[3];
  if (rank < 1 || rank > 4) throw new DataFormatError(`${source}: rank ${rank}: expected 1 to 4 dimensions`);
  const header = 4 + 4 * rank;
  if (bytes.length < header) throw new DataFormatError(`${source}: ${bytes.length} bytes is too short for a rank-${rank} header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) dims.push(view.getUint32(4 + 4 * i));
  const expected = dims.reduce((a, b) => a * b, 1);
  if (bytes.length - header !== expected) {
    throw new DataFormatError(`${source}: ${bytes.length - header} data bytes: expected ${expected} for dimensions [${dims.join(', ')}]${bytes.length - header < expected ? ' (truncated?)' : ''}`);
  }
  return { dims, data: bytes.subarray(header) };
}

/**
 * Parses an IDX file that may be gzip-compressed (as Fashion-MNIST and MNIST are published): gzip
 * is recognised by its magic number 1f 8b and decompressed with DecompressionStream, so this works
 * in Node and browsers alike. A `source` ending in .gz must hold gzip data.
 *
 * @example
 * const bytes = new Uint8Array(await (await fetch('train-labels-idx1-ubyte.gz')).arrayBuffer());
 * const { dims, data } = await decodeIdx(bytes, 'train-labels-idx1-ubyte.gz'); // dims [60000]
 */
export async function decodeIdx(bytes: Uint8Array, source = 'IDX data'): Promise<IdxArray> {
  if (!(bytes instanceof Uint8Array)) throw new ArgumentError('bytes', bytes, 'a Uint8Array');
  if (isGzip(bytes)) return parseIdx(await gunzip(bytes, source), source);
  if (/\.gz$/i.test(source)) throw notGzip(bytes, source);
  return parseIdx(bytes, source);
}

function hex(bytes: Uint8Array, n: number): string {
  return Array.from(bytes.subarray(0, n), (b) => b.toString(16).padStart(2, '0')).join(' ');
}

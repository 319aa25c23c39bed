import { UnsupportedError } from '../errors.js';
import { byteStream } from './byte_stream.js';
import { DataFormatError } from './data_format_error.js';

/** True when the bytes start with the gzip magic number 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Decompresses a stream of gzip data with the web-standard DecompressionStream (Node >= 18 and
 * browsers), so the same code runs everywhere. Reading the result rejects with a DataFormatError
 * naming `source` when the data is not gzip, is corrupt or is truncated.
 *
 * @example
 * const tar = gunzipStream((await fs.openAsBlob(path)).stream(), path);
 */
export function gunzipStream(compressed: ReadableStream<Uint8Array>, source = 'gzip data'): ReadableStream<Uint8Array> {
  const reader = decompress(compressed, source);
  // Pull-based, so backpressure holds: nothing is decompressed faster than it is read.
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (error) {
        controller.error(gzipError(error, source));
        return;
      }
      if (chunk.done) controller.close();
      else controller.enqueue(chunk.value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}

/**
 * Decompresses gzip bytes in memory (see gunzipStream).
 *
 * @example
 * const raw = await gunzip(bytes, 'train-labels-idx1-ubyte.gz');
 */
export async function gunzip(bytes: Uint8Array, source = 'gzip data'): Promise<Uint8Array> {
  if (!isGzip(bytes)) throw notGzip(bytes, source);
  const reader = decompress(byteStream(bytes), source);
  // The trailer's last four bytes give the size mod 2^32 (of the last member): a guess that lets
  // the chunks land in place. Truncated data has no trailer, so a guess beyond a plausible
  // compression ratio is not trusted; the buffer grows as needed either way.
  const trailer = bytes.length >= 18 ? new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 4, 4).getUint32(0, true) : 0;
  let out = new Uint8Array(trailer <= 16 * bytes.length + 65536 ? trailer : 4 * bytes.length);
  let length = 0;
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await reader.read();
    } catch (error) {
      throw gzipError(error, source);
    }
    if (chunk.done) break;
    if (length + chunk.value.length > out.length) {
      const grown = new Uint8Array(Math.max(2 * out.length, length + chunk.value.length));
      grown.set(out.subarray(0, length));
      out = grown;
    }
    out.set(chunk.value, length);
    length += chunk.value.length;
  }
  return length === out.length ? out : out.slice(0, length);
}

/** The raw reader of the decompressed data: its errors are the runtime's, for gzipError. */
function decompress(compressed: ReadableStream<Uint8Array>, source: string): ReadableStreamDefaultReader<Uint8Array> {
  const Decompression = (globalThis as { DecompressionStream?: typeof DecompressionStream }).DecompressionStream;
  if (!Decompression) throw new UnsupportedError(`${source}: decompressing gzip needs DecompressionStream (Node >= 18 or a current browser)`);
  return compressed.pipeThrough(new Decompression('gzip') as unknown as ReadableWritablePair<Uint8Array, Uint8Array>).getReader();
}

/** The error for bytes that were expected to be gzip but are not. */
export function notGzip(bytes: Uint8Array, source: string): DataFormatError {
  const start = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
  return new DataFormatError(`${source}: not gzip data: it starts with ${start || '(nothing: the file is empty)'}, expected the gzip magic number 1f 8b`);
}

/** Turns the runtime's decompression error (Node: zlib codes; browsers: a TypeError) into ours. */
function gzipError(error: unknown, source: string): DataFormatError {
  const { code, message } = (error ?? {}) as { code?: string; message?: string };
  if (code === 'Z_BUF_ERROR' || /unexpected end|truncat/i.test(message ?? '')) {
    return new DataFormatError(`${source}: the gzip data ends early (truncated file?): ${message}`);
  }
  if (code === 'Z_DATA_ERROR' && /incorrect header check/.test(message ?? '')) {
    return new DataFormatError(`${source}: not gzip data, or gzip data followed by other bytes (${message})`);
  }
  return new DataFormatError(`${source}: corrupt gzip data: ${message ?? String(error)}`);
}

/**
 * The stream decompressed when it starts with the gzip magic number, else the stream as it is.
 * A `source` ending in .gz must be gzip: anything else is a DataFormatError.
 *
 * @example
 * const tar = await gunzipIfCompressed(file.stream(), file.name); // .tar or .tar.gz alike
 */
export async function gunzipIfCompressed(stream: ReadableStream<Uint8Array>, source = 'data'): Promise<ReadableStream<Uint8Array>> {
  const reader = stream.getReader();
  const head: Uint8Array[] = [];
  let length = 0;
  while (length < 2) {
    const { done, value } = await reader.read();
    if (done) break;
    head.push(value);
    length += value.length;
  }
  const first = new Uint8Array(Math.min(length, 4));
  let at = 0;
  for (const chunk of head) {
    const n = Math.min(chunk.length, first.length - at);
    first.set(chunk.subarray(0, n), at);
    at += n;
  }
  // The chunks already read, then the rest of the stream.
  const replay = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = head.shift();
      if (next) return controller.enqueue(next);
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
  if (isGzip(first)) return gunzipStream(replay, source);
  if (/\.gz$/i.test(source)) {
    await reader.cancel().catch(() => undefined);
    throw notGzip(first, source);
  }
  return replay;
}

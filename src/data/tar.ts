import { DataFormatError } from './data_format_error.js';

/** One entry of a tar archive, as its header describes it. */
export interface TarEntry {
  /** Path inside the archive, e.g. 'cifar-10-batches-bin/data_batch_1.bin'. */
  name: string;
  /** Bytes of content. */
  size: number;
  type: 'file' | 'directory' | 'other';
}

/** A regular file read from a tar archive. */
export interface TarFile extends TarEntry {
  data: Uint8Array;
}

const BLOCK = 512;
const utf8 = new TextDecoder();

/**
 * Reads a tar archive (POSIX ustar, with GNU long names and pax path/size records) from a stream,
 * one entry at a time, and yields the regular files that `select` accepts with their bytes; every
 * other entry is skipped without being copied. Breaking out of the loop cancels the stream, so a
 * caller that has what it needs stops reading (and decompressing) there. Every header's checksum
 * is checked; a corrupt header or an archive that ends inside an entry throws a DataFormatError
 * naming `source`. Works on any ReadableStream, so in browsers too.
 *
 * @example
 * for await (const file of readTar(gunzipStream(blob.stream()), { select: (e) => e.name.endsWith('.bin') })) {
 *   console.log(file.name, file.data.length);
 * }
 */
export async function* readTar(
  stream: ReadableStream<Uint8Array>,
  options: { select?: (entry: TarEntry) => boolean; source?: string } = {},
): AsyncGenerator<TarFile, void, undefined> {
  const source = options.source ?? 'tar archive';
  const select = options.select ?? (() => true);
  const reader = new ChunkReader(stream.getReader());
  const header = new Uint8Array(BLOCK);
  let offset = 0;
  let longName: string | null = null;
  let paxName: string | null = null;
  let paxSize: number | null = null;
  let finished = false;
  try {
    for (;;) {
      const got = await reader.fill(header);
      if (got === 0 && offset > 0) break; // no end-of-archive blocks: accepted, as GNU tar does
      if (got < BLOCK) {
        throw new DataFormatError(offset === 0 && got === 0 ? `${source}: the archive is empty` : `${source}: the archive ends inside a header at byte ${offset} (truncated?)`);
      }
      if (header.every((b) => b === 0)) break; // end-of-archive marker
      checkHeader(header, offset, source);
      const type = String.fromCharCode(header[156]);
      let name = text(header, 0, 100);
      const prefix = text(header, 257, 6).startsWith('ustar') ? text(header, 345, 155) : '';
      if (prefix) name = `${prefix}/${name}`;
      let size = octal(header, 124, 12, `${source}: the header at byte ${offset} (${name})`);
      const bodyOffset = offset + BLOCK;
      const padded = Math.ceil(size / BLOCK) * BLOCK;
      offset = bodyOffset + padded;

      if (type === 'L' || type === 'x' || type === 'g') {
        // Metadata for the next entry: a GNU long name, or pax records (global ones are ignored).
        const body = new Uint8Array(padded);
        if ((await reader.fill(body)) < padded) throw truncated(source, `the ${type} header record at byte ${bodyOffset}`);
        if (type === 'L') longName = text(body, 0, size);
        if (type === 'x') ({ path: paxName, size: paxSize } = paxRecords(body.subarray(0, size), source, bodyOffset));
        continue;
      }
      name = paxName ?? longName ?? name;
      if (paxSize !== null) {
        size = paxSize;
        offset = bodyOffset + Math.ceil(size / BLOCK) * BLOCK;
      }
      longName = paxName = paxSize = null;
      const entry: TarEntry = { name, size, type: type === '0' || type === '\0' || type === '7' ? 'file' : type === '5' ? 'directory' : 'other' };
      if (entry.type === 'file' && select(entry)) {
        const data = new Uint8Array(size);
        if ((await reader.fill(data)) < size) throw truncated(source, name);
        if ((await reader.skip(offset - bodyOffset - size)) < offset - bodyOffset - size) throw truncated(source, name);
        yield { ...entry, data };
      } else if ((await reader.skip(offset - bodyOffset)) < offset - bodyOffset) {
        throw truncated(source, name);
      }
    }
    finished = true;
  } finally {
    // Stopped early (or failed): cancel, so the source stops reading and decompressing.
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.release();
  }
}

/** Exact reads and skips over a stream of chunks of any size. */
class ChunkReader {
  private chunk: Uint8Array = new Uint8Array(0);
  private at = 0;
  private done = false;

  constructor(private readonly reader: ReadableStreamDefaultReader<Uint8Array>) {}

  /** Fills `target` from the stream; returns how many bytes it got (fewer only at the end). */
  async fill(target: Uint8Array): Promise<number> {
    let filled = 0;
    while (filled < target.length && (await this.ensure())) {
      const n = Math.min(target.length - filled, this.chunk.length - this.at);
      target.set(this.chunk.subarray(this.at, this.at + n), filled);
      this.at += n;
      filled += n;
    }
    return filled;
  }

  /** Skips `count` bytes; returns how many it skipped (fewer only at the end). */
  async skip(count: number): Promise<number> {
    let skipped = 0;
    while (skipped < count && (await this.ensure())) {
      const n = Math.min(count - skipped, this.chunk.length - this.at);
      this.at += n;
      skipped += n;
    }
    return skipped;
  }

  cancel(): Promise<void> {
    return this.reader.cancel();
  }

  release(): void {
    this.reader.releaseLock();
  }

  /** True when there is an unread byte in the current chunk, after reading another if needed. */
  private async ensure(): Promise<boolean> {
    while (this.at >= this.chunk.length) {
      if (this.done) return false;
      const { done, value } = await this.reader.read();
      if (done) {
        this.done = true;
        return false;
      }
      this.chunk = value;
      this.at = 0;
    }
    return true;
  }
}

/** Checks the header checksum: the byte sum with the checksum field read as spaces. */
function checkHeader(header: Uint8Array, offset: number, source: string): void {
  const where = `${source}: the header at byte ${offset}`;
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : header[i];
    unsigned += b;
    signed += b < 128 ? b : b - 256; // some old tars summed signed chars
  }
  let stored: number;
  try {
    stored = octal(header, 148, 8, where, false);
  } catch {
    throw new DataFormatError(`${where} has no valid checksum field: not a tar archive, or a corrupt one`);
  }
  if (stored !== unsigned && stored !== signed) {
    throw new DataFormatError(`${where} has checksum ${stored}, but its bytes sum to ${unsigned}: not a tar archive, or a corrupt one`);
  }
}

/** A numeric header field: octal digits padded with spaces or NULs, or GNU base-256 for large values. */
function octal(header: Uint8Array, start: number, length: number, where: string, base256 = true): number {
  if (base256 && header[start] & 0x80) {
    let value = header[start] & 0x7f;
    for (let i = start + 1; i < start + length; i++) value = value * 256 + header[i];
    return value;
  }
  const field = text(header, start, length).trim();
  if (!/^[0-7]+$/.test(field)) throw new DataFormatError(`${where}: field "${field}" at header byte ${start}: expected an octal number`);
  return parseInt(field, 8);
}

/** The text of a NUL-terminated header field. */
function text(bytes: Uint8Array, start: number, length: number): string {
  let end = start;
  while (end < start + length && bytes[end] !== 0) end++;
  return utf8.decode(bytes.subarray(start, end));
}

/** The path and size of pax extended-header records: "<length> <key>=<value>\n" each, lengths in bytes. */
function paxRecords(body: Uint8Array, source: string, offset: number): { path: string | null; size: number | null } {
  let path: string | null = null;
  let size: number | null = null;
  let at = 0;
  while (at < body.length && body[at] !== 0) {
    let space = at;
    while (space < body.length && body[space] !== 0x20) space++;
    const length = Number(text(body, at, space - at));
    if (space >= body.length || !Number.isInteger(length) || length <= space - at || at + length > body.length) {
      throw new DataFormatError(`${source}: the pax record at byte ${offset + at} is malformed`);
    }
    const record = utf8.decode(body.subarray(space + 1, at + length - 1));
    const eq = record.indexOf('=');
    const key = record.slice(0, eq);
    const value = record.slice(eq + 1);
    if (key === 'path') path = value;
    if (key === 'size') {
      size = Number(value);
      if (!Number.isSafeInteger(size) || size < 0) throw new DataFormatError(`${source}: the pax record at byte ${offset + at} gives size "${value}": expected a byte count`);
    }
    at += length;
  }
  return { path, size };
}

function truncated(source: string, what: string): DataFormatError {
  return new DataFormatError(`${source}: the archive ends inside ${what} (truncated?)`);
}

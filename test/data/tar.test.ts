import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { byteStream } from '../../src/data/byte_stream.js';
import { DataFormatError } from '../../src/data/data_format_error.js';
import { gunzipStream } from '../../src/data/gzip.js';
import { readTar, type TarFile } from '../../src/data/tar.js';
import { tarArchive } from './tar_fixture.js';

const bytes = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 255);

async function collect(archive: Uint8Array, options: Parameters<typeof readTar>[1] = {}, chunkSize?: number): Promise<TarFile[]> {
  const files: TarFile[] = [];
  for await (const file of readTar(byteStream(archive, chunkSize), options)) files.push(file);
  return files;
}

describe('tar reader', () => {
  const longName = `${'deep/'.repeat(25)}file.bin`;
  const archive = tarArchive([
    { name: 'dir/', type: '5' },
    { name: 'dir/a.bin', data: bytes(1000) },
    { name: 'dir/empty.txt' },
    { name: longName, data: bytes(512, 7) },
    { name: 'dir/b.bin', data: bytes(3, 9) },
  ]);

  it('yields the regular files with their bytes, whatever the chunk size', async () => {
    for (const chunkSize of [1, 7, 512, 1 << 20]) {
      const files = await collect(archive, {}, chunkSize);
      expect(files.map((f) => [f.name, f.size, f.type])).toEqual([
        ['dir/a.bin', 1000, 'file'],
        ['dir/empty.txt', 0, 'file'],
        [longName, 512, 'file'],
        ['dir/b.bin', 3, 'file'],
      ]);
      expect(files[0].data).toEqual(bytes(1000));
      expect(files[2].data).toEqual(bytes(512, 7));
      expect(files[3].data).toEqual(bytes(3, 9));
    }
  });

  it('skips what select rejects and sees every entry', async () => {
    const seen: string[] = [];
    const files = await collect(archive, { select: (e) => (seen.push(`${e.type}:${e.name}`), e.name.endsWith('b.bin')) });
    expect(files.map((f) => f.name)).toEqual(['dir/b.bin']);
    expect(seen).toEqual(['file:dir/a.bin', 'file:dir/empty.txt', `file:${longName}`, 'file:dir/b.bin']);
  });

  it('accepts an archive without the end-of-archive blocks', async () => {
    const files = await collect(tarArchive([{ name: 'x', data: bytes(10) }], { endMarker: false }));
    expect(files.map((f) => f.name)).toEqual(['x']);
  });

  it('stops reading when the loop breaks: the stream is cancelled', async () => {
    let pulled = 0;
    let cancelled = false;
    const big = tarArchive([{ name: 'first', data: bytes(10) }, { name: 'second', data: bytes(1 << 20) }]);
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(big.subarray(pulled, pulled + 1024));
        pulled += 1024;
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const file of readTar(stream)) {
      expect(file.name).toBe('first');
      break;
    }
    expect(cancelled).toBe(true);
    expect(pulled).toBeLessThan(big.length / 4);
  });

  it('rejects a corrupt header with the archive name and the byte offset', async () => {
    const corrupt = archive.slice();
    corrupt[512 + 3] ^= 0xff; // the name of the second header: its checksum no longer matches
    await expect(collect(corrupt, { source: 'x.tar' })).rejects.toThrow(/^x\.tar: the header at byte 512 has checksum \d+, but its bytes sum to \d+: not a tar archive, or a corrupt one$/);
    await expect(collect(bytes(2048), { source: 'noise.tar' })).rejects.toThrow(/noise\.tar: the header at byte 0 has no valid checksum field: not a tar archive/);
    await expect(collect(new Uint8Array(0), { source: 'e.tar' })).rejects.toThrow(/e\.tar: the archive is empty/);
  });

  it('rejects a truncated archive, naming the entry', async () => {
    await expect(collect(archive.subarray(0, 512 + 512 + 700), { source: 't.tar' })).rejects.toThrow(new DataFormatError('t.tar: the archive ends inside dir/a.bin (truncated?)'));
    await expect(collect(archive.subarray(0, 512 + 100), { source: 't.tar' })).rejects.toThrow(/t\.tar: the archive ends inside a header at byte 512 \(truncated\?\)/);
  });

  it('reads through gzip, and a truncated .tar.gz fails with a gzip error instead of hanging', async () => {
    const gz = gzipSync(archive);
    const files: string[] = [];
    for await (const file of readTar(gunzipStream(byteStream(gz), 'a.tar.gz'))) files.push(file.name);
    expect(files).toHaveLength(4);
    const read = async () => {
      for await (const _ of readTar(gunzipStream(byteStream(gz.subarray(0, gz.length - 100)), 'a.tar.gz'))) void _;
    };
    await expect(read()).rejects.toThrow(/a\.tar\.gz: the gzip data ends early \(truncated file\?\)/);
  });
});

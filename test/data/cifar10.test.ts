import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cifar10FromArchive, parseCifar10 } from '../../src/data/cifar10.js';
import { DataFormatError } from '../../src/data/data_format_error.js';
import { DATASET_SHAPES, loadDataset } from '../../src/data/load_dataset.js';
import { tarArchive } from './tar_fixture.js';
import { tempDir } from '../support/temp_dir.js';

const RECORD = 3073;

/** A record whose pixel (r, c) has R = (r + c) % 256, G = label, B = 255 - R. */
function record(label: number): Uint8Array {
  const out = new Uint8Array(RECORD);
  out[0] = label;
  for (let p = 0; p < 1024; p++) {
    const v = (Math.floor(p / 32) + (p % 32)) % 256;
    out[1 + p] = v;
    out[1025 + p] = label;
    out[2049 + p] = 255 - v;
  }
  return out;
}

/** A batch file of `count` records; the first few hold `labels`, the rest label 0 and black pixels. */
function batchFile(labels: number[], count = 10_000): Uint8Array {
  const out = new Uint8Array(count * RECORD);
  labels.forEach((label, i) => out.set(record(label), i * RECORD));
  return out;
}

describe('parseCifar10: records to NHWC', () => {
  it('interleaves the R, G and B planes and scales to [0, 1]', () => {
    const data = parseCifar10(new Uint8Array([...record(7), ...record(2)]), 'two.bin');
    expect(data.shape).toEqual([32, 32, 3]);
    expect(data.classes).toBe(10);
    expect(Array.from(data.y)).toEqual([7, 2]);
    const pixel = (n: number, r: number, c: number) => Array.from(data.x.subarray(((n * 32 + r) * 32 + c) * 3, ((n * 32 + r) * 32 + c) * 3 + 3), (v) => Math.round(v * 255));
    expect(pixel(0, 0, 0)).toEqual([0, 7, 255]);
    expect(pixel(0, 3, 5)).toEqual([8, 7, 247]);
    expect(pixel(1, 31, 31)).toEqual([62, 2, 193]);
    expect(data.x[3 * (3 * 32 + 5)]).toBe(Math.fround(8 / 255));
    expect(parseCifar10(new Uint8Array([...record(7), ...record(2)]), 'two.bin', { limit: 1 }).y.length).toBe(1);
  });

  it('rejects partial records and labels beyond 9, naming the source', () => {
    expect(() => parseCifar10(new Uint8Array(RECORD + 5), 'odd.bin')).toThrow(new DataFormatError('odd.bin: 3078 bytes: expected a positive whole number of 3073-byte records (1 label byte + 3 * 1024 pixel bytes)'));
    expect(() => parseCifar10(new Uint8Array([...record(1), ...record(12)]), 'bad.bin')).toThrow(/^bad\.bin: record 1 has label 12: expected a class in \[0, 10\)/);
  });
});

describe('CIFAR-10 archives and folders (synthetic batch files)', () => {
  const train1 = batchFile([3, 1, 4, 1, 5]);
  const test = batchFile([9, 2, 6]);
  const entries = [
    { name: 'cifar-10-batches-bin/', type: '5' },
    { name: 'cifar-10-batches-bin/batches.meta.txt', data: new TextEncoder().encode('airplane\n') },
    { name: 'cifar-10-batches-bin/data_batch_1.bin', data: train1 },
    { name: 'cifar-10-batches-bin/test_batch.bin', data: test },
  ];
  let tar: Uint8Array;
  let tgz: Uint8Array;
  let dir: string;
  beforeAll(() => {
    tar = tarArchive(entries);
    tgz = gzipSync(tar, { level: 1 });
    dir = tempDir('slimtrain-cifar-');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const check = ({ train, test: t }: Awaited<ReturnType<typeof cifar10FromArchive>>) => {
    expect(Array.from(train.y)).toEqual([3, 1, 4, 1, 5]);
    expect(Array.from(t.y)).toEqual([9, 2]);
    expect(train.x.length).toBe(5 * 3072);
    expect({ shape: train.shape, classes: train.classes }).toEqual(DATASET_SHAPES.cifar10);
    expect(Array.from(train.x.subarray(0, 3), (v) => Math.round(v * 255))).toEqual([0, 3, 255]);
  };

  it('reads a .tar.gz from bytes, a Blob or a stream, and a plain .tar', async () => {
    check(await cifar10FromArchive(tgz, { limit: 5, testLimit: 2, source: 'c.tar.gz' }));
    check(await cifar10FromArchive(new Blob([tgz as Uint8Array<ArrayBuffer>]), { limit: 5, testLimit: 2 }));
    check(await cifar10FromArchive(new Blob([tgz as Uint8Array<ArrayBuffer>]).stream(), { limit: 5, testLimit: 2 }));
    check(await cifar10FromArchive(tar, { limit: 5, testLimit: 2, source: 'c.tar' }));
  });

  it('says which batch files an archive lacks', async () => {
    await expect(cifar10FromArchive(tgz, { limit: 10_001, source: 'c.tar.gz' })).rejects.toThrow(
      /^CIFAR-10: data_batch_2\.bin not found in c\.tar\.gz \(it holds cifar-10-batches-bin\/batches\.meta\.txt, cifar-10-batches-bin\/data_batch_1\.bin, cifar-10-batches-bin\/test_batch\.bin\)$/,
    );
  });

  it('rejects a batch file with the wrong record count', async () => {
    const short = tarArchive([{ name: 'b/data_batch_1.bin', data: batchFile([1], 9_999) }, { name: 'b/test_batch.bin', data: test }]);
    await expect(cifar10FromArchive(short, { limit: 1, source: 's.tar' })).rejects.toThrow(
      new DataFormatError('s.tar: b/data_batch_1.bin: 30726927 bytes: expected 10000 records of 3073 bytes = 30730000 (truncated?)'),
    );
  });

  it('rejects a corrupt tar, non-gzip bytes named .gz and a truncated .tar.gz', async () => {
    const corrupt = tar.slice();
    corrupt[1536 + 100] ^= 0x55; // the mode field of the third header (after a header-only directory and a one-block file)
    await expect(cifar10FromArchive(corrupt, { source: 'x.tar' })).rejects.toThrow(/^x\.tar: the header at byte 1536 has checksum \d+, but its bytes sum to \d+: not a tar archive, or a corrupt one$/);
    await expect(cifar10FromArchive(tar, { source: 'cifar-10-binary.tar.gz' })).rejects.toThrow(/^cifar-10-binary\.tar\.gz: not gzip data: it starts with 63 69 66 61, expected the gzip magic number 1f 8b$/);
    await expect(cifar10FromArchive(tgz.subarray(0, tgz.length >> 1), { source: 't.tar.gz' })).rejects.toThrow(/^t\.tar\.gz: the gzip data ends early \(truncated file\?\)/);
  });

  it('loads an unpacked cifar-10-batches-bin folder and an archive through loadDataset', async () => {
    mkdirSync(`${dir}/unpacked/cifar-10/cifar-10-batches-bin`, { recursive: true });
    writeFileSync(`${dir}/unpacked/cifar-10/cifar-10-batches-bin/data_batch_1.bin`, train1);
    writeFileSync(`${dir}/unpacked/cifar-10/cifar-10-batches-bin/test_batch.bin`, test);
    check(await loadDataset('cifar10', { dir: `${dir}/unpacked`, limit: 5, testLimit: 2 }));
    check(await loadDataset('cifar10', { dir: `${dir}/unpacked/cifar-10/cifar-10-batches-bin`, limit: 5, testLimit: 2 }));
    await expect(loadDataset('cifar10', { dir: `${dir}/unpacked`, limit: 10_001 })).rejects.toThrow(
      `cifar10: ${dir}/unpacked/cifar-10/cifar-10-batches-bin has some of the dataset's files but not data_batch_2.bin.`,
    );
    mkdirSync(`${dir}/archive`);
    writeFileSync(`${dir}/archive/cifar-10-binary.tar.gz`, tgz);
    check(await loadDataset('cifar10', { dir: `${dir}/archive`, limit: 5, testLimit: 2 }));
  });
});

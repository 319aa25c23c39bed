import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { idxBytes } from '../support/idx_bytes.js';
import { DataFormatError } from '../../src/data/data_format_error.js';
import { gunzip } from '../../src/data/gzip.js';
import { decodeIdx } from '../../src/data/idx.js';
import { datasetFromIdx } from '../../src/data/idx_dataset.js';

const idx = idxBytes;

const images = idx([3, 2, 2], [0, 255, 51, 102, 1, 2, 3, 4, 5, 6, 7, 8]);
const labels = idx([3], [4, 0, 9]);

describe('decodeIdx: raw or gzip, detected by magic number', () => {
  it('reads raw bytes, and gzip bytes with or without a .gz name', async () => {
    for (const [bytes, source] of [[images, 'x-idx3-ubyte'], [gzipSync(images), 'x-idx3-ubyte.gz'], [gzipSync(images), 'x-idx3-ubyte']] as const) {
      const { dims, data } = await decodeIdx(bytes, source);
      expect(dims).toEqual([3, 2, 2]);
      expect(Array.from(data)).toEqual([0, 255, 51, 102, 1, 2, 3, 4, 5, 6, 7, 8]);
    }
  });

  it('rejects a .gz name on bytes that are not gzip', async () => {
    await expect(decodeIdx(images, 'train-images-idx3-ubyte.gz')).rejects.toThrow(
      new DataFormatError('train-images-idx3-ubyte.gz: not gzip data: it starts with 00 00 08 03, expected the gzip magic number 1f 8b'),
    );
    await expect(decodeIdx(new Uint8Array(0), 'empty.gz')).rejects.toThrow(/empty\.gz: not gzip data: it starts with \(nothing: the file is empty\)/);
  });

  it('rejects truncated gzip with a clear error (and does not hang)', async () => {
    const gz = gzipSync(idx([1000], new Uint8Array(1000).map((_, i) => i % 10)));
    for (const keep of [gz.length - 1, gz.length - 8, Math.floor(gz.length / 2), 12]) {
      await expect(decodeIdx(gz.subarray(0, keep), 'labels.gz')).rejects.toThrow(/^labels\.gz: the gzip data ends early \(truncated file\?\)/);
    }
  });

  it('rejects corrupt gzip and gzip followed by junk', async () => {
    const gz = gzipSync(images);
    const corrupt = gz.slice();
    corrupt[12] ^= 0xff;
    await expect(decodeIdx(corrupt, 'c.gz')).rejects.toThrow(/^c\.gz: (corrupt gzip data|not gzip data|the gzip data ends early)/);
    await expect(decodeIdx(new Uint8Array([...gz, 1, 2, 3, 4]), 'j.gz')).rejects.toThrow(/^j\.gz: (corrupt gzip data|not gzip data, or gzip data followed by other bytes)/);
  });

  it('checks the IDX inside the gzip: wrong magic, truncated data', async () => {
    const wrongMagic = images.slice();
    wrongMagic[2] = 0x09;
    await expect(decodeIdx(gzipSync(wrongMagic), 'w.gz')).rejects.toThrow(/^w\.gz: data type 0x9 is not supported: expected 0x08/);
    await expect(decodeIdx(gzipSync(new Uint8Array([1, 2, 3, 4, 5])), 'm.gz')).rejects.toThrow(/^m\.gz: wrong magic number 01 02 03 04: expected 00 00 08 0N/);
    await expect(decodeIdx(gzipSync(images.subarray(0, images.length - 2)), 't.gz')).rejects.toThrow(/^t\.gz: 10 data bytes: expected 12 for dimensions \[3, 2, 2\] \(truncated\?\)/);
  });

  it('gunzip grows its output when the trailer under-states the size (multi-member gzip)', async () => {
    const a = new Uint8Array(5000).map((_, i) => i & 255);
    const b = new Uint8Array(10).fill(7);
    const out = await gunzip(new Uint8Array([...gzipSync(a), ...gzipSync(b)]), 'two members');
    expect(out.length).toBe(5010);
    expect(out.subarray(0, 5000)).toEqual(a);
    expect(out.subarray(5000)).toEqual(b);
  });
});

describe('datasetFromIdx', () => {
  it('pairs images with labels, scales pixels to [0, 1] and applies the limit', async () => {
    const all = await datasetFromIdx(gzipSync(images), labels, { imagesSource: 'i.gz', labelsSource: 'l' });
    expect(all.shape).toEqual([2, 2, 1]);
    expect(all.classes).toBe(10);
    expect(Array.from(all.y)).toEqual([4, 0, 9]);
    expect(Array.from(all.x.subarray(0, 4))).toEqual([0, 1, 51 / 255, 102 / 255].map(Math.fround));
    const two = await datasetFromIdx(images, labels, { limit: 2 });
    expect(two.x.length).toBe(8);
    expect(Array.from(two.y)).toEqual([4, 0]);
  });

  it('takes [n, h, w, c] images as they are', async () => {
    const rgb = await datasetFromIdx(idx([1, 1, 2, 3], [1, 2, 3, 4, 5, 6]), idx([1], [2]));
    expect(rgb.shape).toEqual([1, 2, 3]);
  });

  it('names both files when the label count is wrong, and checks labels against classes', async () => {
    await expect(datasetFromIdx(images, idx([2], [1, 2]), { imagesSource: 'train-images', labelsSource: 'train-labels' })).rejects.toThrow(
      new DataFormatError('train-labels: 2 labels, but train-images holds 3 images: expected one label per image'),
    );
    await expect(datasetFromIdx(images, labels, { classes: 5, labelsSource: 'l' })).rejects.toThrow(/^l: label 2 is 9: expected a class in \[0, 5\)/);
    await expect(datasetFromIdx(labels, labels, { imagesSource: 'i' })).rejects.toThrow(/^i: dimensions \[3\]: expected images \[n, height, width\]/);
    await expect(datasetFromIdx(images, images, { labelsSource: 'l' })).rejects.toThrow(/^l: dimensions \[3, 2, 2\]: expected labels \[n\]/);
    await expect(datasetFromIdx(images, labels, { limit: 0 })).rejects.toThrow(/limit = 0: expected a positive integer/);
  });
});

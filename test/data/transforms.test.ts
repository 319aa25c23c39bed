import { describe, expect, it } from 'vitest';
import { createDataset, sliceDataset } from '../../src/data/dataset.js';
import { channelStatistics, rescale, standardizeChannels, standardizeSplits } from '../../src/data/normalize.js';
import { shuffleDataset } from '../../src/data/shuffle.js';
import { splitDataset } from '../../src/data/split.js';
import { Random } from '../../src/random.js';

/** n samples of shape [1, 2, 2] (two pixels, two channels); sample i holds i*10 + 0..3, label i % 3. */
function numbered(n: number) {
  return createDataset({
    x: Float32Array.from({ length: n * 4 }, (_, k) => Math.floor(k / 4) * 10 + (k % 4)),
    y: Uint8Array.from({ length: n }, (_, i) => i % 3),
    shape: [1, 2, 2],
    classes: 3,
  });
}

describe('createDataset and sliceDataset', () => {
  it('checks lengths, shape and labels', () => {
    expect(numbered(3).shape).toEqual([1, 2, 2]);
    expect(() => createDataset({ x: new Float32Array(7), y: new Uint8Array(2), shape: [4], classes: 2 })).toThrow('x.length = 7: expected 2 labels * 4 values per sample of shape [4] = 8');
    expect(() => createDataset({ x: new Float32Array(2), y: Uint8Array.of(0, 2), shape: [1], classes: 2 })).toThrow('y[1] = 2: expected a label in [0, 2)');
    expect(() => createDataset({ x: new Float32Array(2), y: Uint8Array.of(0, 1), shape: [1, 0], classes: 2 })).toThrow('shape[1] = 0: expected a positive integer');
    expect(() => createDataset({ x: [1, 2] as unknown as Float32Array, y: Uint8Array.of(0, 1), shape: [1], classes: 2 })).toThrow('x = [1, 2]: expected a Float32Array');
  });

  it('slices samples as views', () => {
    const data = numbered(5);
    const middle = sliceDataset(data, 1, 3);
    expect(Array.from(middle.y)).toEqual([1, 2]);
    expect(Array.from(middle.x)).toEqual([10, 11, 12, 13, 20, 21, 22, 23]);
    middle.x[0] = -1;
    expect(data.x[4]).toBe(-1);
    expect(() => sliceDataset(data, 3, 6)).toThrow('[start, end) = [3, 6]: expected a range within [0, 5]');
  });
});

describe('normalisation', () => {
  it('computes exact per-channel statistics on a hand-made case', () => {
    // 2 images of 1x2 pixels, 2 channels: channel 0 holds 1, 3, 5, 7 (mean 4, variance 5);
    // channel 1 holds 10, 10, 10, 10 (mean 10, std 0).
    const data = createDataset({ x: Float32Array.of(1, 10, 3, 10, 5, 10, 7, 10), y: Uint8Array.of(0, 1), shape: [1, 2, 2], classes: 2 });
    const stats = channelStatistics(data);
    expect(stats).toEqual({ mean: [4, 10], std: [Math.sqrt(5), 0] });
    standardizeChannels(data, stats);
    // A channel with std 0 is only centred.
    expect(Array.from(data.x)).toEqual([-3, 0, -1, 0, 1, 0, 3, 0].map((v, i) => (i % 2 === 0 ? Math.fround(v / Math.sqrt(5)) : 0)));
    const after = channelStatistics(data);
    expect(after.mean[0]).toBeCloseTo(0, 7);
    expect(after.std[0]).toBeCloseTo(1, 6);
  });

  it('standardises every split with the training statistics', () => {
    const train = createDataset({ x: Float32Array.of(0, 4, 2, 8), y: Uint8Array.of(0, 0), shape: [2], classes: 1 });
    const test = createDataset({ x: Float32Array.of(1, 6), y: Uint8Array.of(0), shape: [2], classes: 1 });
    // Channels are the last axis: channel 0 = 0, 2 (mean 1, std 1); channel 1 = 4, 8 (mean 6, std 2).
    const stats = standardizeSplits({ train, test });
    expect(stats).toEqual({ mean: [1, 6], std: [1, 2] });
    expect(Array.from(train.x)).toEqual([-1, -1, 1, 1]);
    expect(Array.from(test.x)).toEqual([0, 0]);
  });

  it('rescales, and rejects statistics of the wrong size', () => {
    const data = createDataset({ x: Float32Array.of(0, 0.5, 1), y: Uint8Array.of(0, 0, 0), shape: [1], classes: 1 });
    expect(Array.from(rescale(data, 2, -1).x)).toEqual([-1, 0, 1]);
    expect(() => standardizeChannels(data, { mean: [0, 0], std: [1, 1] })).toThrow('stats.mean = [0, 0]: expected 1 finite numbers, one per channel');
    expect(() => standardizeChannels(data, { mean: [0], std: [-1] })).toThrow('stats.std = [-1]: expected standard deviations >= 0');
  });
});

describe('seeded shuffling and splitting', () => {
  it('moves every image with its label, in the order Random.shuffle gives', () => {
    const data = shuffleDataset(numbered(50), new Random(7));
    const order = new Random(7).shuffle(Int32Array.from({ length: 50 }, (_, i) => i));
    for (let i = 0; i < 50; i++) {
      const source = order[i];
      expect(data.y[i]).toBe(source % 3);
      expect(Array.from(data.x.subarray(i * 4, i * 4 + 4))).toEqual([0, 1, 2, 3].map((k) => source * 10 + k));
    }
    expect(Array.from(order)).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('is deterministic: same seed same order, another seed another', () => {
    const a = shuffleDataset(numbered(100), new Random(42));
    const b = shuffleDataset(numbered(100), new Random(42));
    const c = shuffleDataset(numbered(100), new Random(43));
    expect(a).toEqual(b);
    expect(a.x).not.toEqual(c.x);
    // The split of a seeded shuffle is deterministic too.
    expect(splitDataset(a, 0.2)).toEqual(splitDataset(b, 0.2));
  });

  it('splits off the last samples, by fraction or count, as views', () => {
    const data = numbered(10);
    const { train, validation } = splitDataset(data, 0.25);
    expect(train.y.length).toBe(8);
    expect(Array.from(validation.x.subarray(0, 4))).toEqual([80, 81, 82, 83]);
    expect(validation.x.buffer).toBe(data.x.buffer);
    expect(splitDataset(data, 3).validation.y.length).toBe(3);
    expect(() => splitDataset(data, 0.05)).toThrow('validation = 0.05: expected a share that leaves both parts non-empty (10 samples)');
    expect(() => splitDataset(data, 10)).toThrow(/validation = 10: expected a share that leaves both parts non-empty/);
    expect(() => splitDataset(data, 1.5)).toThrow('validation = 1.5: expected a fraction in (0, 1) or a whole number of samples');
  });
});

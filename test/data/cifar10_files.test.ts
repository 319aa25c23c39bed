import { beforeAll, describe, expect, it } from 'vitest';
import { CIFAR10_CLASSES } from '../../src/data/cifar10.js';
import type { Dataset } from '../../src/data/dataset.js';
import { loadDataset } from '../../src/data/load_dataset.js';
import { hasSharedFile, sharedData, titleFor } from '../support/shared_data.js';

const present = hasSharedFile('cifar-10/cifar-10-binary.tar.gz');

/** Per-channel sums of one image's original bytes, from the NHWC floats. */
function channelSums(x: Float32Array, image: number): number[] {
  const sums = [0, 0, 0];
  const from = image * 3072;
  for (let i = 0; i < 3072; i++) sums[i % 3] += Math.round(x[from + i] * 255);
  return sums;
}

// The 170 MB archive is decompressed twice in this file (a full load, then a limited one that
// still reads to test_batch, the last member): about 4 s together.
describe(titleFor('CIFAR-10 (binary tar.gz, streamed)', 'cifar-10'), () => {
  let train: Dataset;
  let test: Dataset;
  let seconds = 0;
  beforeAll(async () => {
    if (!present) return;
    const started = performance.now();
    ({ train, test } = await loadDataset('cifar10', { dir: sharedData }));
    seconds = (performance.now() - started) / 1000;
  }, 120_000);

  it.skipIf(!present)('has 50,000 + 10,000 images of [32, 32, 3] NHWC, scaled to [0, 1]', () => {
    console.log(`CIFAR-10 loaded from the tar.gz in ${seconds.toFixed(2)} s`);
    expect(train.shape).toEqual([32, 32, 3]);
    expect(train.classes).toBe(CIFAR10_CLASSES.length);
    expect(train.x.length).toBe(50_000 * 3072);
    expect(train.y.length).toBe(50_000);
    expect(test.x.length).toBe(10_000 * 3072);
    expect(test.y.length).toBe(10_000);
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < test.x.length; i++) {
      const v = test.x[i];
      if (v < min) min = v;
      if (v > max) max = v;
    }
    expect([min, max]).toEqual([0, 1]);
  });

  it.skipIf(!present)('has the official first labels, balanced classes and the original pixels in NHWC order', () => {
    expect(Array.from(train.y.subarray(0, 5))).toEqual([6, 9, 9, 4, 1]);
    expect(Array.from(test.y.subarray(0, 5))).toEqual([3, 8, 8, 0, 6]);
    const counts = new Array(10).fill(0);
    for (const label of train.y) counts[label]++;
    expect(counts).toEqual(new Array(10).fill(5000));
    // Image 0's pixel (0, 0) is R 59, G 62, B 63 and (0, 1) is 43, 46, 45 (the record's planes 1024 bytes apart).
    expect(Array.from(train.x.subarray(0, 6), (v) => Math.round(v * 255))).toEqual([59, 62, 63, 43, 46, 45]);
    // Per-channel byte sums computed from the archive with Python's tarfile: first and last image
    // of data_batch_1, first and last of data_batch_5 (samples 40,000 and 49,999), test_batch.
    expect(channelSums(train.x, 0)).toEqual([144594, 107622, 65574]);
    expect([train.y[9999], ...channelSums(train.x, 9999)]).toEqual([5, 140907, 143116, 96970]);
    expect(channelSums(train.x, 40_000)).toEqual([156887, 171559, 172909]);
    expect([train.y[49_999], ...channelSums(train.x, 49_999)]).toEqual([1, 142083, 132707, 130346]);
    expect(channelSums(test.x, 0)).toEqual([112665, 113426, 106871]);
    expect([test.y[9999], ...channelSums(test.x, 9999)]).toEqual([7, 115780, 116777, 99105]);
  });

  it.skipIf(!present)('limit and testLimit keep the first samples (archive folder given directly)', async () => {
    const small = await loadDataset('cifar10', { dir: `${sharedData}/cifar-10`, limit: 10, testLimit: 3 });
    expect(small.train.y).toEqual(train.y.slice(0, 10));
    expect(small.train.x).toEqual(train.x.slice(0, 10 * 3072));
    expect(small.test.y).toEqual(test.y.slice(0, 3));
    expect(small.test.x).toEqual(test.x.slice(0, 3 * 3072));
  }, 60_000);
});

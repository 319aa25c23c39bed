import { beforeAll, describe, expect, it } from 'vitest';
import type { Dataset } from '../../src/data/dataset.js';
import { DATASET_SHAPES, loadDataset } from '../../src/data/load_dataset.js';
import { hasSharedFile, sharedData, titleFor } from '../support/shared_data.js';

const present = hasSharedFile('fashion-mnist/train-images-idx3-ubyte.gz');

/** Per-image sums of the original bytes, to check pixels exactly without storing them. */
const byteSum = (x: Float32Array, from: number, n: number) => x.subarray(from, from + n).reduce((a, v) => a + Math.round(v * 255), 0);

describe(titleFor('Fashion-MNIST (gzip IDX)', 'fashion-mnist'), () => {
  let train: Dataset;
  let test: Dataset;
  let seconds = 0;
  beforeAll(async () => {
    if (!present) return;
    const started = performance.now();
    // The parent folder: loadDataset finds the fashion-mnist subfolder.
    ({ train, test } = await loadDataset('fashion-mnist', { dir: sharedData }));
    seconds = (performance.now() - started) / 1000;
  });

  it.skipIf(!present)('has 60,000 + 10,000 images of [28, 28, 1], scaled to [0, 1]', () => {
    console.log(`Fashion-MNIST loaded in ${seconds.toFixed(2)} s`);
    expect(train.shape).toEqual([28, 28, 1]);
    expect({ shape: train.shape, classes: train.classes }).toEqual(DATASET_SHAPES['fashion-mnist']);
    expect(train.classes).toBe(10);
    expect(train.x.length).toBe(60_000 * 784);
    expect(train.y.length).toBe(60_000);
    expect(test.x.length).toBe(10_000 * 784);
    expect(test.y.length).toBe(10_000);
    let min = Infinity;
    let max = -Infinity;
    for (const v of train.x) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    expect([min, max]).toEqual([0, 1]);
  });

  it.skipIf(!present)('has the published first labels, balanced classes and the original pixels', () => {
    expect(Array.from(train.y.subarray(0, 10))).toEqual([9, 0, 0, 3, 0, 2, 7, 2, 5, 5]);
    expect(Array.from(test.y.subarray(0, 5))).toEqual([9, 2, 1, 1, 6]);
    const counts = new Array(10).fill(0);
    for (const label of train.y) counts[label]++;
    expect(counts).toEqual(new Array(10).fill(6000));
    // Sums of the raw bytes of image 0 and the last image (computed from the files with Python's gzip).
    expect(byteSum(train.x, 0, 784)).toBe(76247);
    expect(byteSum(train.x, 59_999 * 784, 784)).toBe(16684);
    expect(train.x[14 * 28 + 14]).toBe(Math.fround(217 / 255));
    expect(byteSum(test.x, 0, 784)).toBe(33456);
  });

  it.skipIf(!present)('limit and testLimit keep the first samples (folder given directly)', async () => {
    const small = await loadDataset('fashion-mnist', { dir: `${sharedData}/fashion-mnist/`, limit: 10, testLimit: 5 });
    expect(small.train.y).toEqual(train.y.slice(0, 10));
    expect(small.train.x).toEqual(train.x.slice(0, 7840));
    expect(small.test.y).toEqual(test.y.slice(0, 5));
  });
});

import { createDataset, type Dataset } from '../../src/data/dataset.js';
import { rng, uniform } from './random.js';

/**
 * A seeded three-class problem of 8 features for sweep and experiment tests: class 2 when x0 > 0.3,
 * else 1 when x1 > 0, else 0. The training rows are drawn first, then the test rows.
 */
export function threeClassData(seed: number, trainRows: number, testRows: number): { train: Dataset; test: Dataset } {
  const random = rng(seed);
  const make = (n: number) => {
    const x = uniform(random, n * 8);
    const y = Uint8Array.from({ length: n }, (_, i) => (x[i * 8] > 0.3 ? 2 : x[i * 8 + 1] > 0 ? 1 : 0));
    return createDataset({ x, y, shape: [8], classes: 3 });
  };
  const train = make(trainRows);
  return { train, test: make(testRows) };
}

import { ArgumentError } from '../errors.js';
import { Random } from '../random.js';
import { type Dataset, sampleSize } from './dataset.js';

/**
 * Shuffles the samples of a dataset in place (Fisher-Yates over rows, moving each image with its
 * label) and returns it. The draws are those of `random.shuffle`, so sample i ends up where
 * `random.shuffle` would put index i: the same seed gives the same order on every platform.
 *
 * @example
 * shuffleDataset(train, Random.derive(seed, 'data'));
 */
export function shuffleDataset(dataset: Dataset, random: Random): Dataset {
  if (!(random instanceof Random)) throw new ArgumentError('random', random, 'a Random (new Random(seed))');
  const { x, y } = dataset;
  const size = sampleSize(dataset.shape);
  const row = new Float32Array(size);
  for (let i = y.length - 1; i > 0; i--) {
    const j = random.below(i + 1);
    if (j === i) continue;
    const label = y[i];
    y[i] = y[j];
    y[j] = label;
    row.set(x.subarray(i * size, (i + 1) * size));
    x.copyWithin(i * size, j * size, (j + 1) * size);
    x.set(row, j * size);
  }
  return dataset;
}

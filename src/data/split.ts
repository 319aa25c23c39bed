import { ArgumentError } from '../errors.js';
import { type Dataset, datasetSize, sliceDataset } from './dataset.js';

/**
 * Holds out the last samples for validation, as Keras's validationSplit does: `validation` is a
 * fraction in (0, 1) or a sample count. Both parts are views of the dataset (no copy); shuffle
 * first (shuffleDataset) for a random split.
 *
 * @example
 * const { train, validation } = splitDataset(shuffleDataset(all, new Random(1)), 0.1);
 */
export function splitDataset(dataset: Dataset, validation: number): { train: Dataset; validation: Dataset } {
  const n = datasetSize(dataset);
  if (typeof validation !== 'number' || !Number.isFinite(validation) || validation <= 0 || (validation >= 1 && !Number.isInteger(validation))) {
    throw new ArgumentError('validation', validation, 'a fraction in (0, 1) or a whole number of samples');
  }
  const held = validation < 1 ? Math.floor(n * validation) : validation;
  if (held < 1 || held >= n) throw new ArgumentError('validation', validation, `a share that leaves both parts non-empty (${n} samples)`);
  return { train: sliceDataset(dataset, 0, n - held), validation: sliceDataset(dataset, n - held, n) };
}

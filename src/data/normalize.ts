import { ArgumentError } from '../errors.js';
import { type Dataset, sampleSize } from './dataset.js';

/** Per-channel statistics of NHWC data, one entry per channel (plain numbers, so they save as JSON). */
export interface ChannelStatistics {
  mean: number[];
  /** Population standard deviation (divides by the count, as NumPy's std and Keras). */
  std: number[];
}

/**
 * The mean and standard deviation of every channel (the last axis of the sample shape) over all
 * samples and positions, summed in f64 in two passes.
 *
 * @example
 * const stats = channelStatistics(train); // CIFAR-10: mean ≈ [0.4914, 0.4822, 0.4465], std ≈ [0.2470, 0.2435, 0.2616]
 */
export function channelStatistics(dataset: Dataset): ChannelStatistics {
  const channels = channelCount(dataset);
  const { x } = dataset;
  const count = x.length / channels;
  if (count === 0) throw new ArgumentError('dataset', dataset, 'at least one sample to compute statistics from');
  const sum = new Float64Array(channels);
  for (let i = 0; i < x.length; i += channels) for (let c = 0; c < channels; c++) sum[c] += x[i + c];
  const mean = Array.from(sum, (s) => s / count);
  const squares = new Float64Array(channels);
  for (let i = 0; i < x.length; i += channels) {
    for (let c = 0; c < channels; c++) {
      const d = x[i + c] - mean[c];
      squares[c] += d * d;
    }
  }
  return { mean, std: Array.from(squares, (s) => Math.sqrt(s / count)) };
}

/**
 * Standardises every channel in place, x = (x - mean) / std; a channel with std 0 is only
 * centred. Returns the dataset.
 *
 * @example
 * const stats = channelStatistics(train);
 * standardizeChannels(train, stats);
 * standardizeChannels(test, stats); // the training statistics, never the test set's own
 */
export function standardizeChannels(dataset: Dataset, stats: ChannelStatistics): Dataset {
  const channels = channelCount(dataset);
  for (const key of ['mean', 'std'] as const) {
    const values = stats?.[key];
    if (!Array.isArray(values) || values.length !== channels || !values.every(Number.isFinite)) {
      throw new ArgumentError(`stats.${key}`, values, `${channels} finite numbers, one per channel`);
    }
  }
  if (stats.std.some((s) => s < 0)) throw new ArgumentError('stats.std', stats.std, 'standard deviations >= 0');
  const { x } = dataset;
  const mean = Float64Array.from(stats.mean);
  const divisor = Float64Array.from(stats.std, (s) => (s === 0 ? 1 : s));
  for (let i = 0; i < x.length; i += channels) {
    for (let c = 0; c < channels; c++) x[i + c] = (x[i + c] - mean[c]) / divisor[c];
  }
  return dataset;
}

/**
 * Standardises the splits of a dataset with the training split's statistics, in place, and
 * returns those statistics (keep them to standardise new inputs the same way).
 *
 * @example
 * const { train, test } = await loadDataset('cifar10', { dir });
 * const stats = standardizeSplits({ train, test });
 */
export function standardizeSplits(splits: { train: Dataset } & Record<string, Dataset>): ChannelStatistics {
  const stats = channelStatistics(splits.train);
  for (const dataset of Object.values(splits)) standardizeChannels(dataset, stats);
  return stats;
}

/**
 * Scales values in place, x = x * scale + offset (e.g. scale 2, offset -1 maps [0, 1] to [-1, 1]).
 * Returns the dataset.
 *
 * @example
 * rescale(train, 2, -1);
 */
export function rescale(dataset: Dataset, scale: number, offset = 0): Dataset {
  if (!Number.isFinite(scale)) throw new ArgumentError('scale', scale, 'a finite number');
  if (!Number.isFinite(offset)) throw new ArgumentError('offset', offset, 'a finite number');
  const { x } = dataset;
  for (let i = 0; i < x.length; i++) x[i] = x[i] * scale + offset;
  return dataset;
}

function channelCount(dataset: Dataset): number {
  if (!dataset || !(dataset.x instanceof Float32Array) || !Array.isArray(dataset.shape) || dataset.shape.length === 0) {
    throw new ArgumentError('dataset', dataset, 'a Dataset { x, y, shape, classes }');
  }
  const channels = dataset.shape[dataset.shape.length - 1];
  if (dataset.x.length % sampleSize(dataset.shape) !== 0) throw new ArgumentError('dataset.x.length', dataset.x.length, `a multiple of the sample size ${sampleSize(dataset.shape)}`);
  return channels;
}

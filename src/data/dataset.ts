import { ArgumentError } from '../errors.js';
import { nonNegativeInt, positiveInt, knownKeys } from '../validate.js';

/** A classification dataset: x [n, ...shape] as floats, y integer labels. */
export interface Dataset {
  x: Float32Array;
  y: Uint8Array;
  /** One sample's shape, e.g. [28, 28, 1]; images are NHWC, so the last entry is the channel count. */
  shape: number[];
  classes: number;
}

/** The number of samples in a dataset. */
export function datasetSize(dataset: Dataset): number {
  return dataset.y.length;
}

/**
 * A dataset from typed arrays you already have, checked: x holds y.length samples of `shape`, and
 * every label is an integer in [0, classes). The arrays are used as they are, not copied.
 *
 * @example
 * const data = createDataset({ x: new Float32Array(4 * 2), y: Uint8Array.of(0, 1, 1, 0), shape: [2], classes: 2 });
 */
export function createDataset(fields: { x: Float32Array; y: Uint8Array; shape: readonly number[]; classes: number }): Dataset {
  if (fields === null || typeof fields !== 'object') throw new ArgumentError('dataset', fields, '{ x, y, shape, classes }');
  knownKeys('createDataset', fields, ['x', 'y', 'shape', 'classes']);
  const { x, y, shape, classes } = fields;
  if (!(x instanceof Float32Array)) throw new ArgumentError('x', x, 'a Float32Array');
  if (!(y instanceof Uint8Array)) throw new ArgumentError('y', y, 'a Uint8Array of labels');
  if (!Array.isArray(shape) || shape.length === 0) throw new ArgumentError('shape', shape, 'a non-empty array of positive integers, e.g. [28, 28, 1]');
  shape.forEach((d, i) => positiveInt(`shape[${i}]`, d));
  positiveInt('classes', classes);
  const size = sampleSize(shape);
  if (x.length !== y.length * size) throw new ArgumentError('x.length', x.length, `${y.length} labels * ${size} values per sample of shape [${shape.join(', ')}] = ${y.length * size}`);
  for (let i = 0; i < y.length; i++) {
    if (y[i] >= classes) throw new ArgumentError(`y[${i}]`, y[i], `a label in [0, ${classes})`);
  }
  return { x, y, shape: [...shape], classes };
}

/**
 * Samples [start, end) of a dataset as views that share memory with it (no copy).
 *
 * @example
 * const first100 = sliceDataset(train, 0, 100);
 */
export function sliceDataset(dataset: Dataset, start: number, end = datasetSize(dataset)): Dataset {
  const n = datasetSize(dataset);
  nonNegativeInt('start', start);
  nonNegativeInt('end', end);
  if (start > end || end > n) throw new ArgumentError('[start, end)', [start, end], `a range within [0, ${n}]`);
  const size = sampleSize(dataset.shape);
  return { x: dataset.x.subarray(start * size, end * size), y: dataset.y.subarray(start, end), shape: [...dataset.shape], classes: dataset.classes };
}

/** Values per sample: the product of the shape. */
export function sampleSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

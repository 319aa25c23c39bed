import { ArgumentError } from '../errors.js';
import { knownKeys, positiveInt } from '../validate.js';
import type { Dataset } from './dataset.js';
import { DataFormatError } from './data_format_error.js';
import { decodeIdx, type IdxArray } from './idx.js';
import { UNIT_SCALE } from './pixel_scale.js';

export interface IdxDatasetOptions {
  /** Keep only the first `limit` samples. Default: all. */
  limit?: number;
  /** Number of classes; every label must be below it. Default 10. */
  classes?: number;
  /** Names for error messages. Defaults 'images' and 'labels'. */
  imagesSource?: string;
  labelsSource?: string;
}

/**
 * A dataset from an IDX image file and its IDX label file (MNIST, Fashion-MNIST), raw or gzip'd,
 * pixels scaled to [0, 1]. Images [n, h, w] give samples of shape [h, w, 1]; [n, h, w, c] give
 * [h, w, c]. Checks that both files hold the same number of samples and that the labels fit.
 * Works in browsers: pass the bytes you fetched.
 *
 * @example
 * const train = await datasetFromIdx(imageBytes, labelBytes, { imagesSource: 'train-images-idx3-ubyte.gz' });
 * train.shape; // [28, 28, 1]
 */
const IDX_DATASET_OPTIONS = ['limit', 'classes', 'imagesSource', 'labelsSource'];

export async function datasetFromIdx(images: Uint8Array, labels: Uint8Array, options: IdxDatasetOptions = {}): Promise<Dataset> {
  knownKeys('datasetFromIdx options', options, IDX_DATASET_OPTIONS);
  const pixels = await decodeIdx(images, options.imagesSource ?? 'images');
  const targets = await decodeIdx(labels, options.labelsSource ?? 'labels');
  return datasetFromIdxArrays(pixels, targets, options);
}

/** The same from IDX files already parsed (parseIdx / decodeIdx): checks shapes and labels, scales pixels. */
export function datasetFromIdxArrays(pixels: IdxArray, targets: IdxArray, options: IdxDatasetOptions = {}): Dataset {
  knownKeys('datasetFromIdx options', options, IDX_DATASET_OPTIONS);
  const classes = positiveInt('classes', options.classes ?? 10);
  if (classes > 256) throw new ArgumentError('classes', classes, 'at most 256 (labels are bytes)');
  const limit = options.limit === undefined ? Infinity : positiveInt('limit', options.limit);
  const imagesSource = options.imagesSource ?? 'images';
  const labelsSource = options.labelsSource ?? 'labels';
  if (pixels.dims.length !== 3 && pixels.dims.length !== 4) {
    throw new DataFormatError(`${imagesSource}: dimensions [${pixels.dims.join(', ')}]: expected images [n, height, width] or [n, height, width, channels]`);
  }
  if (targets.dims.length !== 1) throw new DataFormatError(`${labelsSource}: dimensions [${targets.dims.join(', ')}]: expected labels [n]`);
  const count = pixels.dims[0];
  if (targets.dims[0] !== count) {
    throw new DataFormatError(`${labelsSource}: ${targets.dims[0]} labels, but ${imagesSource} holds ${count} images: expected one label per image`);
  }
  const shape = pixels.dims.length === 3 ? [pixels.dims[1], pixels.dims[2], 1] : pixels.dims.slice(1);
  const n = Math.min(limit, count);
  const y = targets.data.slice(0, n);
  for (let i = 0; i < n; i++) {
    if (y[i] >= classes) throw new DataFormatError(`${labelsSource}: label ${i} is ${y[i]}: expected a class in [0, ${classes})`);
  }
  const size = shape[0] * shape[1] * shape[2];
  const x = new Float32Array(n * size);
  const data = pixels.data;
  const scale = UNIT_SCALE; // a local: hot loops should not go through a module binding
  for (let i = 0; i < x.length; i++) x[i] = scale[data[i]];
  return { x, y, shape, classes };
}

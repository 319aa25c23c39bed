import { ArgumentError } from '../errors.js';
import { Random } from '../random.js';
import { nonNegativeInt, positiveInt, knownKeys } from '../validate.js';

export interface ImageAugmentationOptions {
  /** One image's shape [height, width, channels] (NHWC). */
  shape: readonly number[];
  /**
   * Random crop: pad every side with `padding` zeros, then cut a height x width window at a
   * uniformly random offset, so content shifts by up to `padding` pixels each way. Default 0 (off).
   */
  padding?: number;
  /** Mirror left-right with probability 1/2. Default false. */
  flip?: boolean;
}

/**
 * Transforms the first n images of an NHWC batch, in place or into `out`, with draws from `random`.
 * This is the signature a training loop calls once per batch.
 */
export type BatchAugmentation = (batch: Float32Array, n: number, random: Random, out?: Float32Array) => void;

/**
 * A seeded image augmentation (random crop with zero padding, then horizontal flip), for training
 * batches: per image it draws, in this order, the crop offset (row, then column, each
 * `random.below(2 * padding + 1)`) and the flip (`random.next() < 0.5`). It allocates one image of
 * scratch once, here, and nothing per call.
 *
 * @example
 * const augment = imageAugmentation({ shape: [32, 32, 3], padding: 4, flip: true });
 * augment(batch, 64, Random.derive(seed, 'augment')); // batch: Float32Array of 64 * 32 * 32 * 3
 */
export function imageAugmentation(options: ImageAugmentationOptions): BatchAugmentation {
  if (options === null || typeof options !== 'object') throw new ArgumentError('options', options, '{ shape, padding?, flip? }');
  knownKeys('imageAugmentation', options, ['shape', 'padding', 'flip']);
  const shape = options.shape;
  if (!Array.isArray(shape) || shape.length !== 3) throw new ArgumentError('shape', shape, '[height, width, channels]');
  const [height, width, channels] = shape.map((d, i) => positiveInt(`shape[${i}]`, d));
  const padding = nonNegativeInt('padding', options.padding ?? 0);
  const flip = options.flip ?? false;
  if (typeof flip !== 'boolean') throw new ArgumentError('flip', flip, 'true or false');
  const size = height * width * channels;
  const rowSize = width * channels;
  const scratch = new Float32Array(size);

  return (batch, n, random, out = batch) => {
    if (!(batch instanceof Float32Array)) throw new ArgumentError('batch', batch, 'a Float32Array of NHWC images');
    if (!(out instanceof Float32Array)) throw new ArgumentError('out', out, 'a Float32Array');
    if (!(random instanceof Random)) throw new ArgumentError('random', random, 'a Random');
    nonNegativeInt('n', n);
    if (batch.length < n * size) throw new ArgumentError('batch.length', batch.length, `at least ${n} images of ${height}x${width}x${channels} = ${n * size}`);
    if (out.length < n * size) throw new ArgumentError('out.length', out.length, `at least ${n * size}`);
    for (let i = 0; i < n; i++) {
      const dy = padding > 0 ? random.below(2 * padding + 1) - padding : 0;
      const dx = padding > 0 ? random.below(2 * padding + 1) - padding : 0;
      const mirror = flip && random.next() < 0.5;
      const from = i * size;
      if (dy === 0 && dx === 0 && !mirror) {
        if (out !== batch) out.set(batch.subarray(from, from + size), from);
        continue;
      }
      // out(r, c) = in(r + dy, (mirror ? width - 1 - c : c) + dx), zero outside the image.
      const target = out === batch ? scratch : out;
      const base = out === batch ? 0 : from;
      for (let r = 0; r < height; r++) {
        const sr = r + dy;
        const rowStart = base + r * rowSize;
        if (sr < 0 || sr >= height) {
          target.fill(0, rowStart, rowStart + rowSize);
          continue;
        }
        const source = from + sr * rowSize;
        for (let c = 0; c < width; c++) {
          const sc = (mirror ? width - 1 - c : c) + dx;
          const at = rowStart + c * channels;
          if (sc < 0 || sc >= width) {
            for (let k = 0; k < channels; k++) target[at + k] = 0;
          } else {
            const s = source + sc * channels;
            for (let k = 0; k < channels; k++) target[at + k] = batch[s + k];
          }
        }
      }
      if (out === batch) batch.set(scratch, from);
    }
  };
}

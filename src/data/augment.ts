import { ArgumentError } from '../errors.js';
import { Random } from '../random.js';
import { nonNegativeInt, positiveInt, knownKeys, numberIn } from '../validate.js';

/**
 * Options of imageAugmentation: the random rotations, translations, crops and flips applied to
 * each training batch. Every transform is off unless asked for.
 */
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
  /**
   * Random rotation by an angle uniform in [-rotate, +rotate] degrees (0 to 180) about the image's
   * centre, counter-clockwise as displayed for positive angles, nearest-neighbour, zero fill:
   * torchvision's `RandomRotation(rotate)` on a PIL image. Default 0 (off).
   */
  rotate?: number;
  /**
   * Random translation by whole pixels, dx = round(u * translate * width) with u uniform in
   * [-1, 1) (dy likewise with the height), zero fill: torchvision's
   * `RandomAffine(degrees=0, translate=(translate, translate))`. A fraction in [0, 1). Default 0 (off).
   */
  translate?: number;
}

/** The transforms of an augmentation without the image shape: what an ExperimentSpec or a sweep config names. */
export type ImageTransforms = Omit<ImageAugmentationOptions, 'shape'>;

/**
 * Checks transforms named as data (an ExperimentSpec's or a sweep config's `augment`), errors
 * naming `at` + the key, and returns them with the defaults filled in.
 */
export function checkImageTransforms(at: string, transforms: unknown): Required<ImageTransforms> {
  const name = (key: string) => (at ? `${at}.${key}` : key);
  if (transforms === null || typeof transforms !== 'object') throw new ArgumentError(at || 'augment', transforms, '{ padding?, flip?, rotate?, translate? }');
  knownKeys(at || 'imageAugmentation', transforms, ['padding', 'flip', 'rotate', 'translate']);
  const t = transforms as ImageTransforms;
  const flip = t.flip ?? false;
  if (typeof flip !== 'boolean') throw new ArgumentError(name('flip'), flip, 'true or false');
  return {
    padding: nonNegativeInt(name('padding'), t.padding ?? 0),
    flip,
    rotate: numberIn(name('rotate'), t.rotate ?? 0, 0, 180),
    translate: numberIn(name('translate'), t.translate ?? 0, 0, 1, { openHigh: true }),
  };
}

/**
 * Transforms the first n images of an NHWC batch, in place or into `out`, with draws from `random`.
 * This is the signature a training loop calls once per batch.
 */
export type BatchAugmentation = (batch: Float32Array, n: number, random: Random, out?: Float32Array) => void;

/**
 * A seeded image augmentation for training batches, applied in this order: rotation, translation,
 * crop with zero padding, horizontal flip (rotation before translation as in the pAdam authors'
 * Fashion-MNIST pipeline; crop before flip as in the usual CIFAR recipe). Per image it draws, in this order and only for
 * the transforms that are on: the angle (`random.next()`), the translation (column, then row, each
 * `random.next()`), the crop offset (row, then column, each `random.below(2 * padding + 1)`) and
 * the flip (`random.next() < 0.5`). The four are composed into one resampling, so an image is read
 * once and every pixel of the result is a pixel of the input or 0. The rotation's sine and cosine
 * come from a fixed series of IEEE additions and multiplications, not `Math.sin`, whose last bit
 * may differ between JavaScript engines: the same seed gives the same images in Node, Bun, Deno
 * and browsers. It allocates one image of scratch once, here, and nothing per call.
 *
 * @example
 * const cifar = imageAugmentation({ shape: [32, 32, 3], padding: 4, flip: true });
 * cifar(batch, 64, Random.derive(seed, 'augment')); // batch: Float32Array of 64 * 32 * 32 * 3
 * const fashion = imageAugmentation({ shape: [28, 28, 1], rotate: 10, translate: 0.1 });
 */
export function imageAugmentation(options: ImageAugmentationOptions): BatchAugmentation {
  if (options === null || typeof options !== 'object') throw new ArgumentError('options', options, '{ shape, padding?, flip?, rotate?, translate? }');
  const { shape, ...transforms } = options;
  if (!Array.isArray(shape) || shape.length !== 3) throw new ArgumentError('shape', shape, '[height, width, channels]');
  const [height, width, channels] = shape.map((d, i) => positiveInt(`shape[${i}]`, d));
  const { padding, flip, rotate, translate } = checkImageTransforms('', transforms);
  const size = height * width * channels;
  const rowSize = width * channels;
  const scratch = new Float32Array(size);

  const check = (batch: Float32Array, n: number, random: Random, out: Float32Array) => {
    if (!(batch instanceof Float32Array)) throw new ArgumentError('batch', batch, 'a Float32Array of NHWC images');
    if (!(out instanceof Float32Array)) throw new ArgumentError('out', out, 'a Float32Array');
    if (!(random instanceof Random)) throw new ArgumentError('random', random, 'a Random');
    nonNegativeInt('n', n);
    if (batch.length < n * size) throw new ArgumentError('batch.length', batch.length, `at least ${n} images of ${height}x${width}x${channels} = ${n * size}`);
    if (out.length < n * size) throw new ArgumentError('out.length', out.length, `at least ${n * size}`);
  };

  if (rotate > 0 || translate > 0) {
    const centreRow = (height - 1) / 2;
    const centreColumn = (width - 1) / 2;
    const maxDx = translate * width;
    const maxDy = translate * height;
    return (batch, n, random, out = batch) => {
      check(batch, n, random, out);
      for (let i = 0; i < n; i++) {
        const angle = rotate > 0 ? (2 * random.next() - 1) * rotate * (Math.PI / 180) : 0;
        const tx = translate > 0 ? Math.round((2 * random.next() - 1) * maxDx) : 0;
        const ty = translate > 0 ? Math.round((2 * random.next() - 1) * maxDy) : 0;
        const dy = padding > 0 ? random.below(2 * padding + 1) - padding : 0;
        const dx = padding > 0 ? random.below(2 * padding + 1) - padding : 0;
        const mirror = flip && random.next() < 0.5;
        const [sin, cos] = sinCos(angle);
        const from = i * size;
        const target = out === batch ? scratch : out;
        const base = out === batch ? 0 : from;
        for (let r = 0; r < height; r++) {
          for (let c = 0; c < width; c++) {
            const at = base + (r * width + c) * channels;
            // Back through the flip and the crop to the translated image, through the
            // translation to the rotated one, through the rotation to the input: zero wherever
            // a stage reads outside its image.
            const cropRow = r + dy;
            const cropColumn = (mirror ? width - 1 - c : c) + dx;
            const rotRow = cropRow - ty;
            const rotColumn = cropColumn - tx;
            let source = -1;
            if (cropRow >= 0 && cropRow < height && cropColumn >= 0 && cropColumn < width && rotRow >= 0 && rotRow < height && rotColumn >= 0 && rotColumn < width) {
              const y = rotRow - centreRow;
              const x = rotColumn - centreColumn;
              const sr = Math.floor(centreRow + sin * x + cos * y + 0.5);
              const sc = Math.floor(centreColumn + cos * x - sin * y + 0.5);
              if (sr >= 0 && sr < height && sc >= 0 && sc < width) source = from + (sr * width + sc) * channels;
            }
            if (source < 0) for (let k = 0; k < channels; k++) target[at + k] = 0;
            else for (let k = 0; k < channels; k++) target[at + k] = batch[source + k];
          }
        }
        if (out === batch) batch.set(scratch, from);
      }
    };
  }

  return (batch, n, random, out = batch) => {
    check(batch, n, random, out);
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

/**
 * sin(x) and cos(x) for |x| <= pi from their Taylor series, 15 terms each, by IEEE additions and
 * multiplications only (error below 1e-15): the same bits on every JavaScript engine, where
 * `Math.sin` and `Math.cos` are only specified as approximations.
 */
export function sinCos(x: number): [number, number] {
  const x2 = x * x;
  let sin = x;
  let cos = 1;
  let sinTerm = x;
  let cosTerm = 1;
  for (let k = 1; k <= 14; k++) {
    sinTerm *= -x2 / ((2 * k) * (2 * k + 1));
    cosTerm *= -x2 / ((2 * k - 1) * (2 * k));
    sin += sinTerm;
    cos += cosTerm;
  }
  return [sin, cos];
}

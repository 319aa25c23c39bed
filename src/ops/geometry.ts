import type { WindowGeometry } from '../backend/backend.js';
import { ArgumentError } from '../errors.js';

/** Convolution and pooling padding, as TensorFlow: 'same' keeps ceil(size / stride), 'valid' uses no padding. */
export type Padding = 'same' | 'valid';

function positiveInt(name: string, value: unknown): number {
  if (!Number.isInteger(value) || (value as number) < 1) throw new ArgumentError(name, value, 'a positive integer');
  return value as number;
}

/**
 * The geometry of a convolution or pooling window over an NHWC input, with TensorFlow's padding
 * rules: 'valid' uses only full windows; 'same' gives ceil(size / stride) outputs and splits the
 * padding with the extra row/column at the bottom/right.
 *
 * @example
 * windowGeometry([64, 28, 28, 1], [5, 5], [1, 1], 'same') // { OH: 28, OW: 28, PT: 2, PL: 2, ... }
 */
export function windowGeometry(
  input: readonly number[],
  kernel: readonly number[],
  strides: readonly number[],
  padding: Padding,
): WindowGeometry {
  if (!Array.isArray(input) || input.length !== 4) throw new ArgumentError('input shape', input, '[N, H, W, C]');
  if (!Array.isArray(kernel) || kernel.length !== 2) throw new ArgumentError('kernel size', kernel, '[height, width]');
  if (!Array.isArray(strides) || strides.length !== 2) throw new ArgumentError('strides', strides, '[height, width]');
  const [N, H, W, C] = input.map((v, i) => positiveInt(`input shape[${i}]`, v));
  const [KH, KW] = kernel.map((v, i) => positiveInt(`kernel size[${i}]`, v));
  const [SH, SW] = strides.map((v, i) => positiveInt(`strides[${i}]`, v));
  let OH: number, OW: number, PT: number, PL: number;
  if (padding === 'valid') {
    if (KH > H || KW > W) throw new ArgumentError('kernel size', kernel, `at most the input's [${H}, ${W}] with 'valid' padding`);
    OH = Math.floor((H - KH) / SH) + 1;
    OW = Math.floor((W - KW) / SW) + 1;
    PT = 0;
    PL = 0;
  } else if (padding === 'same') {
    OH = Math.ceil(H / SH);
    OW = Math.ceil(W / SW);
    PT = Math.floor(Math.max((OH - 1) * SH + KH - H, 0) / 2);
    PL = Math.floor(Math.max((OW - 1) * SW + KW - W, 0) / 2);
  } else {
    throw new ArgumentError('padding', padding, '"same" or "valid"');
  }
  return { N, H, W, C, KH, KW, SH, SW, PT, PL, OH, OW };
}

/** The same geometry for a batch of `n` samples. */
export function withBatch(g: WindowGeometry, n: number): WindowGeometry {
  return { ...g, N: n };
}

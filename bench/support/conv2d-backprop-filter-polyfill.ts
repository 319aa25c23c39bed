// tfjs-backend-wasm has no Conv2DBackpropFilter kernel (so tf.grad of a conv2d with respect to its
// filter throws there). The bench measures the wasm backend on this polyfill instead, built from
// ops the wasm backend does have, and labels it as such. For stride 1:
//   dW[kh,kw,c,co] = sum over n,oh,ow of xpad[n,oh+kh,ow+kw,c] * dy[n,oh,ow,co]
// which is a 'valid' conv2d whose input is x as [C, H, W, N] (padded for 'same': C plays the batch,
// N the channels) and whose filter is dy as [OH, OW, N, CO]; its output [C, KH, KW, CO] is then
// transposed to [KH, KW, C, CO].
import * as tf from '@tensorflow/tfjs-core';

/** A one-line description of the polyfill, for reports. */
export const CONV2D_BACKPROP_FILTER_POLYFILL = 'polyfill: transpose x to [C,H,W,N], pad, conv2d with dy as [OH,OW,N,CO], transpose';

/**
 * dW of a stride-1 conv2d, x [N,H,W,C], dy [N,OH,OW,CO] -> dW [KH,KW,C,CO].
 *
 * @example
 * conv2dBackpropFilterPolyfill(x, dy, [5, 5], 'valid')
 */
export function conv2dBackpropFilterPolyfill(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  kernel: readonly [number, number],
  padding: 'same' | 'valid',
): tf.Tensor4D {
  return tf.tidy(() => {
    const [, H, W] = x.shape;
    const [, OH, OW] = dy.shape;
    const [KH, KW] = kernel;
    let columns = tf.transpose(x, [3, 1, 2, 0]) as tf.Tensor4D;
    if (padding === 'same') {
      // TensorFlow's 'same' split (stride 1): the odd pixel goes to the bottom/right.
      const padH = Math.max(OH - 1 + KH - H, 0);
      const padW = Math.max(OW - 1 + KW - W, 0);
      const top = Math.floor(padH / 2);
      const left = Math.floor(padW / 2);
      columns = tf.pad(columns, [
        [0, 0],
        [top, padH - top],
        [left, padW - left],
        [0, 0],
      ]);
    }
    const filter = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D;
    const dwByChannel = tf.conv2d(columns, filter, 1, 'valid');
    return tf.transpose(dwByChannel, [1, 2, 0, 3]) as tf.Tensor4D;
  });
}

/** The polyfill as a kernel, for training through tfjs-layers (whose conv2d gradient runs the kernel). */
export const CONV2D_BACKPROP_FILTER_KERNEL_POLYFILL = `wasm Conv2DBackpropFilter registered as the ${CONV2D_BACKPROP_FILTER_POLYFILL}`;

/** The kernel's call does not fit the polyfill: stride or layout other than what the bench models use. */
export class UnsupportedBackpropFilterError extends Error {
  constructor(attribute: string, value: unknown, expected: string) {
    super(`the wasm Conv2DBackpropFilter polyfill got ${attribute} = ${JSON.stringify(value)}: expected ${expected}`);
    this.name = 'UnsupportedBackpropFilterError';
  }
}

/**
 * Registers the polyfill as the wasm backend's Conv2DBackpropFilter kernel, so that tf.grad of a
 * conv2d, and with it tfjs-layers training of a CNN, runs on wasm. Stride 1, NHWC, 'same' or
 * 'valid' padding; anything else throws. A kernel already registered (tfjs' own, in a version that
 * has one, or this one from an earlier call) is left in place; returns whether this call registered.
 *
 * @example
 * registerConv2dBackpropFilterPolyfill();
 * await tfModel.trainOnBatch(xs, ys); // on the wasm backend
 */
export function registerConv2dBackpropFilterPolyfill(): boolean {
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm')) return false;
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs }) => {
      const { x, dy } = inputs;
      // Ops hand their kernels Tensors; the polyfill runs ops on them.
      if (!(x instanceof tf.Tensor) || !(dy instanceof tf.Tensor)) throw new UnsupportedBackpropFilterError('inputs', 'TensorInfo', 'tf.Tensor inputs');
      const { strides, pad, dataFormat, filterShape } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
      const [strideH, strideW] = typeof strides === 'number' ? [strides, strides] : strides;
      if (strideH !== 1 || strideW !== 1) throw new UnsupportedBackpropFilterError('strides', strides, '1');
      if (dataFormat !== 'NHWC') throw new UnsupportedBackpropFilterError('dataFormat', dataFormat, "'NHWC'");
      if (pad !== 'same' && pad !== 'valid') throw new UnsupportedBackpropFilterError('pad', pad, "'same' or 'valid'");
      return conv2dBackpropFilterPolyfill(x as tf.Tensor4D, dy as tf.Tensor4D, [filterShape[0], filterShape[1]], pad);
    },
  });
  return true;
}

import type { ModelSpec } from './sequential.js';

/**
 * The named models of `slimtrain train --model NAME`, for an input shape [H, W, C] and a class count.
 * - mlp: the implicit-sparsity paper's MNIST network: 1000 hidden units, batch norm before the ReLU;
 * - lenet-300-100: dense 300 -> 100 (the DeepHoyer paper's dense baseline);
 * - lenet5: conv 5x5x20, pool, conv 5x5x50, pool, dense 500, dense (Caffe's LeNet-5);
 * - cifar-cnn: conv3x3-32 x2, pool, conv3x3-64 x2, pool, dense 256, dense;
 * - fashion-cnn: conv3x3-32, pool, conv3x3-64, pool, dense 128, dropout 0.2, dense (the pWD
 *   paper's Fashion-MNIST network, about 420k parameters on 28x28 inputs).
 */
export const MODEL_PRESETS = ['mlp', 'lenet-300-100', 'lenet5', 'cifar-cnn', 'fashion-cnn'] as const;
/** A preset network name (MODEL_PRESETS). */
export type ModelPreset = (typeof MODEL_PRESETS)[number];

/**
 * The spec of a preset network for an input shape and class count.
 *
 * @example
 * const model = await Sequential.create(presetSpec('lenet-300-100', [784], 10, 1));
 */
export function presetSpec(name: ModelPreset, inputShape: number[], classes: number, seed: number): ModelSpec {
  const flat = inputShape.reduce((a, b) => a * b, 1);
  const image = inputShape.length === 3 ? inputShape : [inputShape[0], 1, 1];
  switch (name) {
    case 'mlp':
      return {
        inputShape: [flat],
        layers: [{ type: 'dense', units: 1000 }, { type: 'batchNorm' }, { type: 'relu' }, { type: 'dense', units: classes }],
        seed,
      };
    case 'lenet-300-100':
      return {
        inputShape: [flat],
        layers: [{ type: 'dense', units: 300 }, { type: 'relu' }, { type: 'dense', units: 100 }, { type: 'relu' }, { type: 'dense', units: classes }],
        seed,
      };
    case 'lenet5':
      return {
        inputShape: image,
        layers: [
          { type: 'conv2d', filters: 20, kernelSize: 5 }, { type: 'relu' }, { type: 'maxPool2d' },
          { type: 'conv2d', filters: 50, kernelSize: 5 }, { type: 'relu' }, { type: 'maxPool2d' },
          { type: 'flatten' }, { type: 'dense', units: 500 }, { type: 'relu' }, { type: 'dense', units: classes },
        ],
        seed,
      };
    case 'cifar-cnn':
      return {
        inputShape: image,
        layers: [
          { type: 'conv2d', filters: 32, kernelSize: 3, padding: 'same' }, { type: 'relu' },
          { type: 'conv2d', filters: 32, kernelSize: 3, padding: 'same' }, { type: 'relu' }, { type: 'maxPool2d' },
          { type: 'conv2d', filters: 64, kernelSize: 3, padding: 'same' }, { type: 'relu' },
          { type: 'conv2d', filters: 64, kernelSize: 3, padding: 'same' }, { type: 'relu' }, { type: 'maxPool2d' },
          { type: 'flatten' }, { type: 'dense', units: 256 }, { type: 'relu' }, { type: 'dense', units: classes },
        ],
        seed,
      };
    case 'fashion-cnn':
      return {
        inputShape: image,
        layers: [
          { type: 'conv2d', filters: 32, kernelSize: 3, padding: 'same' }, { type: 'relu' }, { type: 'maxPool2d' },
          { type: 'conv2d', filters: 64, kernelSize: 3, padding: 'same' }, { type: 'relu' }, { type: 'maxPool2d' },
          { type: 'flatten' }, { type: 'dense', units: 128 }, { type: 'relu' }, { type: 'dropout', rate: 0.2 }, { type: 'dense', units: classes },
        ],
        seed,
      };
  }
}

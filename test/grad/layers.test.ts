import { beforeAll, describe, expect, it } from 'vitest';
import { init, type Engine } from '../../src/backend/engine.js';
import type { LayerSpec } from '../../src/layers/layer.js';
import { Sequential } from '../../src/model/sequential.js';
import { sgd } from '../../src/optim/optimizers.js';
import { checkGradient } from '../support/finite_difference.js';
import { layerTypesMissing } from '../support/layer_coverage.js';
import { awayFromZero, rng, uniform } from '../support/random.js';

/**
 * Each case is a small model around the layer under test, trained with MSE against random targets
 * (so every output matters), checked at every trainable tensor and at the input.
 */
const CASES: [string, number[], LayerSpec[]][] = [
  ['dense', [7], [{ type: 'dense', units: 5 }]],
  ['dense without bias, glorotNormal', [6], [{ type: 'dense', units: 4, useBias: false, kernelInitializer: 'glorotNormal' }]],
  ['conv2d valid', [6, 5, 3], [{ type: 'conv2d', filters: 4, kernelSize: 3 }]],
  ['conv2d same, stride 2', [7, 6, 2], [{ type: 'conv2d', filters: 3, kernelSize: [3, 2], strides: 2, padding: 'same' }]],
  ['conv2d 1x1', [3, 4, 5], [{ type: 'conv2d', filters: 2, kernelSize: 1 }]],
  ['max pooling', [6, 6, 2], [{ type: 'conv2d', filters: 3, kernelSize: 3, padding: 'same' }, { type: 'maxPool2d', poolSize: 2 }]],
  ['max pooling same, stride 2, 3x3', [7, 7, 2], [{ type: 'conv2d', filters: 2, kernelSize: 1 }, { type: 'maxPool2d', poolSize: 3, strides: 2, padding: 'same' }]],
  ['average pooling same', [5, 5, 2], [{ type: 'conv2d', filters: 2, kernelSize: 2 }, { type: 'avgPool2d', poolSize: 2, strides: 1, padding: 'same' }]],
  ['flatten into dense', [3, 3, 2], [{ type: 'conv2d', filters: 2, kernelSize: 2 }, { type: 'flatten' }, { type: 'dense', units: 3 }]],
  ['batch norm after dense (training mode)', [5], [{ type: 'dense', units: 4 }, { type: 'batchNorm' }]],
  ['batch norm after conv (training mode)', [4, 4, 2], [{ type: 'conv2d', filters: 3, kernelSize: 3, padding: 'same' }, { type: 'batchNorm', epsilon: 0.01 }]],
  ['dropout (training mode, fixed mask: rate 0)', [6], [{ type: 'dense', units: 5 }, { type: 'dropout', rate: 0 }]],
  ['relu', [6], [{ type: 'dense', units: 5 }, { type: 'relu' }]],
  ['leaky relu', [6], [{ type: 'dense', units: 5 }, { type: 'leakyRelu', alpha: 0.2 }]],
  ['elu', [6], [{ type: 'dense', units: 5 }, { type: 'elu', alpha: 0.7 }]],
  ['tanh', [6], [{ type: 'dense', units: 5 }, { type: 'tanh' }]],
  ['sigmoid', [6], [{ type: 'dense', units: 5 }, { type: 'sigmoid' }]],
  [
    'a LeNet-like stack',
    [8, 8, 1],
    [
      { type: 'conv2d', filters: 3, kernelSize: 3 },
      { type: 'batchNorm' },
      { type: 'relu' },
      { type: 'maxPool2d' },
      { type: 'flatten' },
      { type: 'dense', units: 6 },
      { type: 'tanh' },
      { type: 'dense', units: 4 },
    ],
  ],
];

describe('layer gradients against finite differences', () => {
  it('cover every layer type of the registry', () => {
    expect(layerTypesMissing(...CASES.map(([, , layers]) => layers))).toEqual([]);
  });

  let engine: Engine;
  beforeAll(async () => {
    engine = await init();
  });

  it.each(CASES)('%s', (_name, inputShape, layers) => {
    const model = Sequential.build(engine, { inputShape, layers, seed: 3 });
    model.compile({ optimizer: sgd({ lr: 0.1 }), loss: 'meanSquaredError' });
    const n = 3;
    const random = rng(inputShape.reduce((a, b) => a * b, 1));
    // Inputs away from zero keep ReLU-like kinks and pooling ties out of the finite differences' reach.
    const x = awayFromZero(random, n * model.inputSize, 0.1);
    const y = uniform(random, n * model.outputSize);
    const { gradients, inputGradient } = model.lossAndGradients(x, y, { inputGradient: true });
    const weights = model.getWeights();
    checkGradient('input', x, (probe) => model.lossAndGradients(probe, y).loss, inputGradient!, { h: 1e-3, rtol: 2e-2, atol: 2e-4 });
    for (const g of gradients) {
      const w = weights.find((v) => v.name === g.name)!;
      const loss = (probe: Float32Array) => {
        model.setWeights({ [g.name]: probe });
        return model.lossAndGradients(x, y).loss;
      };
      checkGradient(g.name, w.values, loss, g.values, { h: 1e-3, rtol: 2e-2, atol: 2e-4 });
      model.setWeights({ [g.name]: w.values });
    }
    model.dispose();
  });

  it.each([
    ['batch norm after dense (inference mode)', [5], [{ type: 'dense', units: 4 }, { type: 'batchNorm' }, { type: 'tanh' }, { type: 'dense', units: 3 }]],
    ['batch norm after conv, dropout (inference mode)', [4, 4, 2], [{ type: 'conv2d', filters: 3, kernelSize: 3 }, { type: 'batchNorm' }, { type: 'dropout', rate: 0.5 }, { type: 'flatten' }, { type: 'dense', units: 2 }]],
  ] as [string, number[], LayerSpec[]][])('%s', (_name, inputShape, layers) => {
    const model = Sequential.build(engine, { inputShape, layers, seed: 4 });
    model.compile({ optimizer: sgd({ lr: 0.1 }), loss: 'meanSquaredError' });
    const random = rng(17);
    const n = 3;
    // Move the moving statistics away from (0, 1) so that inference mode is not the identity.
    const warm = uniform(random, 8 * model.inputSize, -2, 3);
    for (let i = 0; i < 20; i++) model.trainStep(warm, uniform(random, 8 * model.outputSize));
    const x = awayFromZero(random, n * model.inputSize, 0.1);
    const y = uniform(random, n * model.outputSize);
    const loss = (probe: Float32Array) => model.lossAndGradients(probe, y, { training: false }).loss;
    const { gradients, inputGradient } = model.lossAndGradients(x, y, { inputGradient: true, training: false });
    checkGradient('input', x, loss, inputGradient!, { h: 1e-3, rtol: 2e-2, atol: 2e-4 });
    const weights = model.getWeights();
    for (const g of gradients) {
      const w = weights.find((v) => v.name === g.name)!;
      checkGradient(g.name, w.values, (probe) => {
        model.setWeights({ [g.name]: probe });
        return model.lossAndGradients(x, y, { training: false }).loss;
      }, g.values, { h: 1e-3, rtol: 2e-2, atol: 2e-4 });
      model.setWeights({ [g.name]: w.values });
    }
    model.dispose();
  });

  it('cross-entropy from logits, with labels and one-hot targets, through a dense layer', () => {
    const model = Sequential.build(engine, { inputShape: [5], layers: [{ type: 'dense', units: 4 }], seed: 1 });
    model.compile({ optimizer: sgd({ lr: 0.1 }), loss: 'crossEntropy' });
    const random = rng(11);
    const x = uniform(random, 6 * 5);
    const labels = new Int32Array([0, 3, 1, 2, 2, 0]);
    const onehot = new Float32Array(24);
    labels.forEach((l, i) => (onehot[i * 4 + l] = 1));
    const a = model.lossAndGradients(x, labels, { inputGradient: true });
    const b = model.lossAndGradients(x, onehot, { inputGradient: true });
    expect(b.loss).toBeCloseTo(a.loss, 6);
    checkGradient('input', x, (probe) => model.lossAndGradients(probe, labels).loss, a.inputGradient!, { h: 1e-3, rtol: 2e-2, atol: 1e-4 });
    const kernel = model.getWeights()[0];
    checkGradient('kernel', kernel.values, (probe) => {
      model.setWeights({ 'dense_1/kernel': probe });
      return model.lossAndGradients(x, labels).loss;
    }, a.gradients.find((g) => g.name === 'dense_1/kernel')!.values, { h: 1e-3, rtol: 2e-2, atol: 1e-4 });
    model.dispose();
  });
});

// The jax-js side of bench:train: the weight shapes it expects and its first losses, which
// must match slimtrain's from the same initial weights (layout conversion, loss, L2 and Adam).
import { describe, expect, it } from 'vitest';
import { jaxjsTrainer, jaxjsUnsupported, trainModelWeightShapes } from '../../bench/support/jaxjs-train-models.js';
import { randomFloats, randomLabels } from '../../bench/support/seeded-random.js';
import { initWithThreads } from '../../bench/support/slimtrain-engines.js';
import { inputSize, slimtrainOptimizer, slimtrainSpec, TRAIN_MODELS, type TrainModel } from '../../bench/support/train-models.js';
import { Sequential } from '../../src/model/sequential.js';

/** A small CNN with both paddings, a pool before flatten and non-square channel counts. */
const TINY_CNN: TrainModel = {
  name: 'tiny-cnn',
  description: 'test',
  inputShape: [8, 8, 3],
  layers: [
    { kind: 'conv2d', filters: 4, kernelSize: 3, padding: 'same' },
    { kind: 'maxPool2d' },
    { kind: 'conv2d', filters: 5, kernelSize: 3, padding: 'valid' },
    { kind: 'flatten' },
    { kind: 'dense', units: 6, relu: true },
    { kind: 'dense', units: 3, relu: false },
  ],
  classes: 3,
};

async function slimtrainNet(model: TrainModel): Promise<Sequential> {
  const net = Sequential.build(await initWithThreads(1, { simd: 'plain' }), slimtrainSpec(model));
  net.compile({ optimizer: slimtrainOptimizer(), loss: 'crossEntropy' });
  return net;
}

describe('jax-js bench models', () => {
  it('expects the weight shapes slimtrain gives for every bench model', async () => {
    for (const model of [...TRAIN_MODELS, TINY_CNN]) {
      const net = await slimtrainNet(model);
      try {
        expect(trainModelWeightShapes(model)).toEqual(net.getWeights().map((w) => w.shape));
        expect(jaxjsUnsupported(model)).toBeNull();
      } finally {
        net.dispose();
        net.engine.dispose();
      }
    }
  });

  it('says why a max pool of an odd map cannot be expressed', () => {
    const odd: TrainModel = { ...TINY_CNN, inputShape: [7, 8, 3] };
    expect(jaxjsUnsupported(odd)).toBe('max pooling of an odd 7x8 map (the reshape pooling here needs even sizes)');
  });

  it('trains a small CNN to the same first three losses as slimtrain', async () => {
    const n = 4;
    const x = randomFloats(n * inputSize(TINY_CNN), 1);
    const labels = randomLabels(n, TINY_CNN.classes, 2);
    const net = await slimtrainNet(TINY_CNN);
    let weights;
    let expected: number[];
    try {
      weights = net.getWeights();
      expected = [net.trainStep(x, labels).loss, net.trainStep(x, labels).loss, net.trainStep(x, labels).loss];
    } finally {
      net.dispose();
      net.engine.dispose();
    }
    const trainer = await jaxjsTrainer(TINY_CNN, weights, x, labels);
    try {
      const losses = [await trainer.step(), await trainer.step(), await trainer.step()];
      // The steps must change the loss (Adam moved the weights), identically on both sides.
      expect(Math.abs(expected[2] - expected[0])).toBeGreaterThan(1e-3);
      for (let i = 0; i < 3; i++) expect(Math.abs(losses[i] - expected[i]) / expected[0]).toBeLessThan(1e-4);
    } finally {
      trainer.dispose();
    }
  });
});

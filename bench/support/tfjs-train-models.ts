// The bench:train models in tfjs-layers, compiled the way a TensorFlow.js user trains them, and one
// training step through model.trainOnBatch.
//
// - Loss: tfjs-layers has no from-logits crossentropy loss name; its 'categoricalCrossentropy'
//   takes probabilities (a softmax output layer). slimtrain's 'crossEntropy' works from logits, so
//   the tfjs models end in a linear dense layer and compile with the loss function
//   tf.losses.softmaxCrossEntropy on one-hot labels (mean over the batch), the same computation.
// - ReLU: the `activation: 'relu'` option of conv2d and dense (tfjs-layers fuses it into the op),
//   the natural Keras form; slimtrain has a separate relu layer.
// - Adam: tf.train.adam(1e-3) (beta1 0.9, beta2 0.999, epsilon 1e-7, as slimtrain's adam()).
// - L2: kernelRegularizer tf.regularizers.l2({ l2: 1e-4 }) on every conv2d and dense kernel.
//
// Gradients: tfjs-layers trains with optimizer.minimize -> tf.variableGrads, which needs the
// gradient functions of the ops registered. tfjs-core's Node build (dist/tf-core.node.js, what
// `import '@tensorflow/tfjs-core'` loads in Node) registers none, but tfjs-layers' Node build
// carries its own copy of tfjs-core's register_all_gradients and registers every gradient in the
// global registry when it is imported; importing this module is therefore enough.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { NamedWeight } from '../../src/model/sequential.js';
import { KERAS_L2, LEARNING_RATE, type TrainModel } from './train-models.js';

/** tf.losses.softmaxCrossEntropy(onehot, logits), reduced to the batch mean (SUM_BY_NONZERO_WEIGHTS without weights). */
function softmaxCrossEntropyFromLogits(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  return tf.losses.softmaxCrossEntropy(yTrue, yPred, undefined, 0, tf.Reduction.SUM_BY_NONZERO_WEIGHTS);
}

/** A compiled tfjs-layers model of `model`, on the active backend. */
export function buildTfjsModel(model: TrainModel): tfl.Sequential {
  const net = tfl.sequential();
  model.layers.forEach((layer, i) => {
    const first = i === 0 ? { inputShape: model.inputShape } : {};
    if (layer.kind === 'conv2d') {
      net.add(
        tfl.layers.conv2d({
          ...first,
          filters: layer.filters,
          kernelSize: layer.kernelSize,
          padding: layer.padding,
          activation: 'relu',
          kernelRegularizer: tfl.regularizers.l2({ l2: KERAS_L2 }),
        }),
      );
    } else if (layer.kind === 'dense') {
      net.add(
        tfl.layers.dense({
          ...first,
          units: layer.units,
          activation: layer.relu ? 'relu' : 'linear',
          kernelRegularizer: tfl.regularizers.l2({ l2: KERAS_L2 }),
        }),
      );
    } else if (layer.kind === 'maxPool2d') {
      net.add(tfl.layers.maxPooling2d({ ...first, poolSize: 2 }));
    } else {
      net.add(tfl.layers.flatten(first));
    }
  });
  net.compile({ optimizer: tf.train.adam(LEARNING_RATE), loss: softmaxCrossEntropyFromLogits });
  return net;
}

/**
 * Sets the tfjs model's weights to slimtrain's (`getWeights()`: per layer, kernel then bias, in
 * TensorFlow.js layouts), after checking that the layers with weights pair up with equal shapes.
 */
export function copyWeightsToTfjs(weights: readonly NamedWeight[], net: tfl.LayersModel): void {
  const tfWeights = net.layers.flatMap((l) => l.weights);
  const describe = (shapes: number[][]) => shapes.map((s) => `[${s}]`).join(' ');
  const mine = describe(weights.map((w) => w.shape));
  const theirs = describe(tfWeights.map((w) => w.shape as number[]));
  if (mine !== theirs) throw new Error(`slimtrain and tfjs weights do not pair up: slimtrain ${mine}, tfjs ${theirs}`);
  const tensors = weights.map((w) => tf.tensor(w.values, w.shape, 'float32'));
  net.setWeights(tensors);
  tf.dispose(tensors);
}

/** A batch as tfjs tensors: x [n, ...inputShape] and one-hot labels [n, classes]. Dispose both. */
export interface TfjsBatch {
  xs: tf.Tensor;
  ys: tf.Tensor;
}

export function tfjsBatch(model: TrainModel, x: Float32Array, labels: Int32Array): TfjsBatch {
  const xs = tf.tensor(x, [labels.length, ...model.inputShape], 'float32');
  const ys = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), model.classes), 'float32'));
  return { xs, ys };
}

/** One training step; resolves to the loss (with the L2 penalties) before the update. */
export async function tfjsTrainStep(net: tfl.LayersModel, batch: TfjsBatch): Promise<number> {
  const loss = await net.trainOnBatch(batch.xs, batch.ys);
  return Array.isArray(loss) ? loss[0] : loss;
}

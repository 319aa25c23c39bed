import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import type { Engine } from '../../src/backend/engine.js';
import type { LayerSpec } from '../../src/layers/layer.js';
import { Sequential } from '../../src/model/sequential.js';
import type { Chain } from '../../src/optim/transform.js';

/**
 * Runs a slimtrain model and a TensorFlow.js (tfjs-layers) model side by side from the same
 * initial weights on the same batches, and measures how far apart they are.
 *
 * Weight order: tfjs `model.getWeights()` lists every trainable weight before every non-trainable
 * one (batch-norm moving statistics come last), while slimtrain lists them per layer. So weights
 * are paired per layer: the i-th slimtrain layer that has weights with the i-th tfjs layer that has
 * weights, after checking that the weight names (kernel, bias, gamma, beta, moving_mean,
 * moving_variance) and shapes agree in order.
 */

const TINY = 1e-30;

/** Puts TensorFlow.js on its cpu backend, without its "install tfjs-node" banner. */
export async function useTfjsCpu(): Promise<void> {
  tf.env().set('PROD', true); // only silences tfjs' console warnings; the numerics are unchanged
  if (!(await tf.setBackend('cpu'))) throw new Error('TensorFlow.js: the cpu backend could not be set');
  await tf.ready();
}

/** max_i |a_i - b_i| / max(max_i |b_i|, tiny): the error relative to the reference tensor's scale. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / Math.max(scale, TINY);
}

const suffix = (name: string): string => name.slice(name.lastIndexOf('/') + 1);
const layerOf = (name: string): string => name.slice(0, name.lastIndexOf('/'));

/**
 * The tfjs variable holding each slimtrain tensor, by slimtrain name ('conv2d_1/kernel'), in
 * slimtrain's getWeights() order. Throws when the two models do not hold the same tensors.
 */
export function tfjsCounterparts(model: Sequential, tfModel: tfl.LayersModel): Map<string, tfl.LayerVariable> {
  const slimLayers: string[][] = [];
  for (const w of model.getWeights()) {
    const last = slimLayers[slimLayers.length - 1];
    if (last && layerOf(last[0]) === layerOf(w.name)) last.push(w.name);
    else slimLayers.push([w.name]);
  }
  const shapes = new Map(model.getWeights().map((w) => [w.name, w.shape]));
  const tfLayers = tfModel.layers.filter((l) => l.weights.length > 0);
  if (tfLayers.length !== slimLayers.length) {
    throw new Error(`slimtrain has ${slimLayers.length} layers with weights, the tfjs model ${tfLayers.length}`);
  }
  const map = new Map<string, tfl.LayerVariable>();
  slimLayers.forEach((names, i) => {
    const tfWeights = tfLayers[i].weights;
    const mine = names.map((n) => `${suffix(n)}[${shapes.get(n)}]`).join(', ');
    const theirs = tfWeights.map((w) => `${suffix(w.originalName)}[${w.shape}]`).join(', ');
    if (mine !== theirs) throw new Error(`${layerOf(names[0])}: slimtrain ${mine} vs tfjs ${tfLayers[i].name} ${theirs}`);
    names.forEach((n, j) => map.set(n, tfWeights[j]));
  });
  return map;
}

/** Copies slimtrain's current weights (trainable and moving statistics) into the tfjs model. */
export function copyWeights(model: Sequential, tfModel: tfl.LayersModel): void {
  const counterparts = tfjsCounterparts(model, tfModel);
  for (const w of model.getWeights()) {
    const t = tf.tensor(w.values, w.shape, 'float32');
    counterparts.get(w.name)!.write(t);
    t.dispose();
  }
}

/** The relative error (see relativeError) of every slimtrain tensor against its tfjs counterpart, by slimtrain name. */
export function compareWeights(model: Sequential, tfModel: tfl.LayersModel): Record<string, number> {
  const counterparts = tfjsCounterparts(model, tfModel);
  const errors: Record<string, number> = {};
  for (const w of model.getWeights()) errors[w.name] = relativeError(w.values, counterparts.get(w.name)!.read().dataSync());
  return errors;
}

/**
 * Mean softmax cross-entropy from logits over the batch, with one-hot targets: what slimtrain's
 * 'crossEntropy' computes. labelSmoothing 0; SUM_BY_NONZERO_WEIGHTS without weights is
 * sum / size over the per-row losses, i.e. the batch mean (tfjs-core computeWeightedLoss).
 */
export function softmaxCrossEntropyFromLogits(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  return tf.losses.softmaxCrossEntropy(yTrue, yPred, undefined, 0, tf.Reduction.SUM_BY_NONZERO_WEIGHTS);
}

export interface ModelPair {
  inputShape: number[];
  layers: LayerSpec[];
  seed: number;
  /** The same architecture in tfjs-layers, ending in linear logits; regularisers as kernelRegularizer. */
  tfModel: () => tfl.Sequential;
  /** Flat inputs, n * prod(inputShape), and integer labels. */
  x: Float32Array;
  labels: Int32Array;
  classes: number;
  batchSize: number;
  /** The slimtrain engine to build on (default: a new one from init()). */
  engine?: Engine;
}

function batch(o: ModelPair, index: number): { x: Float32Array; labels: Int32Array; xs: tf.Tensor; ys: tf.Tensor } {
  const size = o.inputShape.reduce((a, b) => a * b, 1);
  const [start, end] = [index * o.batchSize, (index + 1) * o.batchSize];
  if (end * size > o.x.length || end > o.labels.length) throw new Error(`batch ${index} of ${o.batchSize} needs more than ${o.labels.length} samples`);
  const x = o.x.subarray(start * size, end * size);
  const labels = o.labels.subarray(start, end);
  const xs = tf.tensor(x, [o.batchSize, ...o.inputShape], 'float32');
  const ys = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), o.classes), 'float32'));
  return { x, labels, xs, ys };
}

async function buildPair(o: ModelPair): Promise<{ model: Sequential; tfModel: tfl.Sequential }> {
  const model = await Sequential.create({ inputShape: o.inputShape, layers: o.layers, seed: o.seed }, { engine: o.engine });
  const tfModel = o.tfModel();
  copyWeights(model, tfModel);
  const copied = Math.max(...Object.values(compareWeights(model, tfModel)));
  if (copied !== 0) throw new Error(`copying the initial weights into tfjs was not exact (relative error ${copied})`);
  return { model, tfModel };
}

export interface GradientCheckResult {
  /** Relative error of the data loss (no penalties) on the batch. */
  lossError: number;
  /** Relative error of dLoss/dTensor for every trainable tensor, by slimtrain name. */
  gradientErrors: Record<string, number>;
  message: string;
}

/**
 * One forward/backward pass in training mode on batch 0, from the same weights: the data loss
 * (no regulariser) and its gradient with respect to every trainable tensor, slimtrain's
 * lossAndGradients against tf.variableGrads. No optimizer is involved, so a failure here is in the
 * layers or the loss, and a failure only over training steps is in the optimizer or regulariser.
 */
export async function gradientCheck(o: ModelPair): Promise<GradientCheckResult> {
  const { model, tfModel } = await buildPair(o);
  const { x, labels, xs, ys } = batch(o, 0);
  try {
    const { loss, gradients } = model.lossAndGradients(x, labels); // not compiled: no penalty in the loss
    const counterparts = tfjsCounterparts(model, tfModel);
    const variables = gradients.map((g) => counterparts.get(g.name)!.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(
      () => softmaxCrossEntropyFromLogits(ys, tfModel.apply(xs, { training: true }) as tf.Tensor) as tf.Scalar,
      variables,
    );
    const tfLoss = value.dataSync()[0];
    const gradientErrors: Record<string, number> = {};
    gradients.forEach((g, i) => {
      gradientErrors[g.name] = relativeError(g.values, grads[variables[i].name].dataSync());
    });
    tf.dispose([value, ...Object.values(grads)]);
    const lossError = Math.abs(loss - tfLoss) / Math.abs(tfLoss);
    const message =
      `loss slimtrain ${loss} vs tfjs ${tfLoss} (relative error ${lossError.toExponential(2)}); gradient relative errors: ` +
      Object.entries(gradientErrors).map(([n, e]) => `${n} ${e.toExponential(2)}`).join(', ');
    return { lossError, gradientErrors, message };
  } finally {
    tf.dispose([xs, ys]);
    model.dispose();
    tfModel.dispose();
  }
}

export interface TrainingCheckResult {
  losses: { slimtrain: number; tfjs: number }[];
  /** |loss_slimtrain - loss_tfjs| / |loss_tfjs| per step. */
  lossErrors: number[];
  /** weightErrors[step][name]: relative error of every tensor (moving statistics included) after step + 1 updates. */
  weightErrors: Record<string, number>[];
  worstLoss: number;
  worstWeight: number;
  message: string;
}

/**
 * Compiles both models, then takes `steps` training steps on both: batch i is rows
 * [i*batchSize, (i+1)*batchSize) for both libraries, one optimizer update each (slimtrain
 * trainStep, tfjs trainOnBatch). Records both losses and every tensor's error after each step.
 */
export async function trainingCheck(
  o: ModelPair & { steps: number; optimizer: () => Chain; tfOptimizer: () => tf.Optimizer },
): Promise<TrainingCheckResult> {
  const { model, tfModel } = await buildPair(o);
  try {
    model.compile({ optimizer: o.optimizer(), loss: 'crossEntropy' });
    tfModel.compile({ optimizer: o.tfOptimizer(), loss: softmaxCrossEntropyFromLogits });
    const losses: TrainingCheckResult['losses'] = [];
    const weightErrors: Record<string, number>[] = [];
    for (let step = 0; step < o.steps; step++) {
      const { x, labels, xs, ys } = batch(o, step);
      const slimtrain = model.trainStep(x, labels).loss;
      const tfjs = (await tfModel.trainOnBatch(xs, ys)) as number;
      tf.dispose([xs, ys]);
      losses.push({ slimtrain, tfjs });
      weightErrors.push(compareWeights(model, tfModel));
    }
    return summarize(losses, weightErrors);
  } finally {
    model.dispose();
    tfModel.dispose();
  }
}

/** The worst loss and weight errors, where they occurred, and a one-line account for assertion messages. */
function summarize(losses: TrainingCheckResult['losses'], weightErrors: Record<string, number>[]): TrainingCheckResult {
  const lossErrors = losses.map((l) => Math.abs(l.slimtrain - l.tfjs) / Math.abs(l.tfjs));
  const worstLoss = Math.max(...lossErrors);
  let worstWeight = 0;
  let where = '';
  weightErrors.forEach((errors, step) => {
    for (const [name, e] of Object.entries(errors)) {
      if (e >= worstWeight) {
        worstWeight = e;
        where = `${name} after step ${step + 1}`;
      }
    }
  });
  const firstBad = weightErrors.findIndex((errors) => Object.values(errors).some((e) => e > 1e-4));
  const final = Object.entries(weightErrors[weightErrors.length - 1]).map(([name, e]) => `${name} ${e.toExponential(2)}`).join(', ');
  const message =
    `worst relative loss error ${worstLoss.toExponential(3)} (step ${lossErrors.indexOf(worstLoss) + 1}); ` +
    `worst relative weight error ${worstWeight.toExponential(3)} (${where}); ` +
    `first step with a tensor off by more than 1e-4: ${firstBad < 0 ? 'none' : firstBad + 1}; ` +
    `per-tensor errors after the last step: ${final}; ` +
    `losses slimtrain/tfjs: ${losses.map((l) => `${l.slimtrain.toFixed(7)}/${l.tfjs.toFixed(7)}`).join(' ')}`;
  return { losses, lossErrors, weightErrors, worstLoss, worstWeight, message };
}

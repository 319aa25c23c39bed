// The three models bench:train trains, described once and translated for each library: to a
// slimtrain ModelSpec here, to a tfjs-layers model in tfjs-train-models.ts. This file imports no
// TensorFlow.js, so that the memory probe (slimtrain-memory-probe.ts) can use it without loading it.
import type { LayerSpec } from '../../src/layers/layer.js';
import type { ModelSpec } from '../../src/model/sequential.js';
import { adam } from '../../src/optim/optimizers.js';
import { chain, type Chain } from '../../src/optim/transform.js';
import { l2 } from '../../src/regularize/coupled.js';

/** One layer, as both libraries build it. Every conv2d and hidden dense is followed by a ReLU. */
export type TrainLayer =
  | { kind: 'conv2d'; filters: number; kernelSize: number; padding: 'valid' | 'same' }
  | { kind: 'maxPool2d' }
  | { kind: 'flatten' }
  | { kind: 'dense'; units: number; relu: boolean };

export interface TrainModel {
  name: string;
  description: string;
  /** One sample's shape: [features] or [height, width, channels]. */
  inputShape: number[];
  layers: TrainLayer[];
  classes: number;
}

const conv = (filters: number, kernelSize: number, padding: 'valid' | 'same'): TrainLayer => ({ kind: 'conv2d', filters, kernelSize, padding });
const pool: TrainLayer = { kind: 'maxPool2d' };
const flatten: TrainLayer = { kind: 'flatten' };
const dense = (units: number, relu = true): TrainLayer => ({ kind: 'dense', units, relu });

export const TRAIN_MODELS: readonly TrainModel[] = [
  {
    name: 'mlp',
    description: 'MLP 784-1000-500-10',
    inputShape: [784],
    layers: [dense(1000), dense(500), dense(10, false)],
    classes: 10,
  },
  {
    name: 'lenet5',
    description: 'LeNet-5 28x28x1: conv5x5x20 valid, pool, conv5x5x50 valid, pool, dense 500, dense 10',
    inputShape: [28, 28, 1],
    layers: [conv(20, 5, 'valid'), pool, conv(50, 5, 'valid'), pool, flatten, dense(500), dense(10, false)],
    classes: 10,
  },
  {
    name: 'cifar',
    description: 'CIFAR-10 CNN 32x32x3: conv3x3-32 same x2, pool, conv3x3-64 same x2, pool, dense 256, dense 10',
    inputShape: [32, 32, 3],
    layers: [conv(32, 3, 'same'), conv(32, 3, 'same'), pool, conv(64, 3, 'same'), conv(64, 3, 'same'), pool, flatten, dense(256), dense(10, false)],
    classes: 10,
  },
];

export const TRAIN_MODEL_NAMES = TRAIN_MODELS.map((m) => m.name);

/** Samples per training step, on both sides. */
export const TRAIN_BATCH = 128;

/** Adam's learning rate, on both sides. */
export const LEARNING_RATE = 1e-3;

/**
 * Keras' l2 coefficient c on kernels (penalty c * sum w^2). slimtrain's lambda is the gradient's
 * coefficient (penalty lambda/2 * sum w^2), so lambda = 2c.
 */
export const KERAS_L2 = 1e-4;

/** Seed of the slimtrain model's initial weights (the tfjs model gets a copy of them). */
const MODEL_SEED = 1;

export function trainModel(name: string): TrainModel {
  const model = TRAIN_MODELS.find((m) => m.name === name);
  if (!model) throw new Error(`unknown bench model ${JSON.stringify(name)}: expected one of ${TRAIN_MODEL_NAMES.join(', ')}`);
  return model;
}

export function inputSize(model: TrainModel): number {
  return model.inputShape.reduce((a, b) => a * b, 1);
}

/** The model as a slimtrain spec: ReLU as its own layer after each conv2d and hidden dense. */
export function slimtrainSpec(model: TrainModel): ModelSpec {
  const layers: LayerSpec[] = [];
  for (const layer of model.layers) {
    if (layer.kind === 'conv2d') {
      layers.push({ type: 'conv2d', filters: layer.filters, kernelSize: layer.kernelSize, padding: layer.padding }, { type: 'relu' });
    } else if (layer.kind === 'dense') {
      layers.push({ type: 'dense', units: layer.units });
      if (layer.relu) layers.push({ type: 'relu' });
    } else {
      layers.push({ type: layer.kind });
    }
  }
  return { inputShape: [...model.inputShape], layers, seed: MODEL_SEED };
}

/** Adam (lr 1e-3) with coupled L2 on kernels, slimtrain's way: the optimizer of every slimtrain model here. */
export function slimtrainOptimizer(): Chain {
  return chain(l2({ lambda: 2 * KERAS_L2 }), adam({ lr: LEARNING_RATE }));
}

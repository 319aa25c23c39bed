import { ArgumentError } from '../errors.js';
import { Activation } from './activation.js';
import { BatchNorm, type BatchNormOptions } from './batch_norm.js';
import { Conv2D, type Conv2DOptions } from './conv2d.js';
import { Dense, type DenseOptions } from './dense.js';
import { Dropout } from './dropout.js';
import { Flatten } from './flatten.js';
import type { Layer, LayerSpec } from './layer.js';
import { AvgPool2D, MaxPool2D, type Pool2DOptions } from './pooling.js';

// One factory per layer type: the public constructors and the spec parser share them.
/** A fully connected layer: `dense({ units: 10 })`. */
export const dense = (options: DenseOptions): Dense => new Dense(options);
/** A 2-D convolution (NHWC): `conv2d({ filters: 20, kernelSize: 5 })`. */
export const conv2d = (options: Conv2DOptions): Conv2D => new Conv2D(options);
/** Max pooling: `maxPool2d({ poolSize: 2 })`. */
export const maxPool2d = (options: Pool2DOptions = {}): MaxPool2D => new MaxPool2D(options);
/** Average pooling: `avgPool2d({ poolSize: 2 })`. */
export const avgPool2d = (options: Pool2DOptions = {}): AvgPool2D => new AvgPool2D(options);
/** Flattens [h, w, c] to [h * w * c]: `flatten()`. */
export const flatten = (options: { name?: string } = {}): Flatten => new Flatten(options);
/** Batch normalisation over the last axis: `batchNorm()`. */
export const batchNorm = (options: BatchNormOptions = {}): BatchNorm => new BatchNorm(options);
/** Dropout while training: `dropout({ rate: 0.5 })`. */
export const dropout = (options: { rate: number; name?: string }): Dropout => new Dropout(options);
/** ReLU activation: `relu()`. */
export const relu = (options: { name?: string } = {}): Activation => new Activation('relu', options);
/** Leaky ReLU activation: `leakyRelu({ alpha: 0.2 })`. */
export const leakyRelu = (options: { alpha?: number; name?: string } = {}): Activation => new Activation('leakyRelu', options);
/** ELU activation: `elu()`. */
export const elu = (options: { alpha?: number; name?: string } = {}): Activation => new Activation('elu', options);
/** tanh activation: `tanh()`. */
export const tanh = (options: { name?: string } = {}): Activation => new Activation('tanh', options);
/** Logistic sigmoid activation: `sigmoid()`. */
export const sigmoid = (options: { name?: string } = {}): Activation => new Activation('sigmoid', options);

const FACTORIES: Record<string, (options: never) => Layer> = {
  dense,
  conv2d,
  maxPool2d,
  avgPool2d,
  flatten,
  batchNorm,
  dropout,
  relu,
  leakyRelu,
  elu,
  tanh,
  sigmoid,
};

/** The layer types a spec may name. */
export const LAYER_TYPES = Object.keys(FACTORIES);

/** Builds a layer from its JSON spec, e.g. `{ type: 'dense', units: 10 }`. */
export function layerFromSpec(spec: LayerSpec, index: number): Layer {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) throw new ArgumentError(`layers[${index}]`, spec, 'a layer spec object');
  const factory = FACTORIES[spec.type];
  if (!factory) throw new ArgumentError(`layers[${index}].type`, spec.type, `one of ${LAYER_TYPES.join(', ')}`);
  return factory(spec as never);
}

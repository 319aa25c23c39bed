import { ArgumentError } from '../errors.js';
import { Activation } from './activation.js';
import { BatchNorm, type BatchNormOptions } from './batch_norm.js';
import { Conv2D, type Conv2DOptions } from './conv2d.js';
import { Dense, type DenseOptions } from './dense.js';
import { Dropout } from './dropout.js';
import { Flatten } from './flatten.js';
import type { LayerSpec } from './layer.js';
import { AvgPool2D, MaxPool2D, type Pool2DOptions } from './pooling.js';

/**
 * Every layer type, by the name a spec gives it, and the class that implements it: the one
 * declaration a new layer type is added to. Every per-type table (interchange, reduction, FLOPs,
 * tests) is a `LayerTable`, so the compiler lists each place a new type must be handled.
 */
export interface LayerByType {
  dense: Dense;
  conv2d: Conv2D;
  maxPool2d: MaxPool2D;
  avgPool2d: AvgPool2D;
  flatten: Flatten;
  batchNorm: BatchNorm;
  dropout: Dropout;
  relu: Activation;
  leakyRelu: Activation;
  elu: Activation;
  tanh: Activation;
  sigmoid: Activation;
}

/** A layer type a spec may name: 'dense', 'conv2d', ... */
export type LayerType = keyof LayerByType;

/** A layer of any registered type; `switch (layer.type)` narrows it to its class. */
export type AnyLayer = LayerByType[LayerType];

/** The layers that carry a kernel: their output units or channels are the groups of sparsity and reduction. */
export type WeightedLayer = Dense | Conv2D;

/** One entry per layer type, each receiving its own layer class: forgetting a type is a type error. */
export type LayerTable<R, A extends unknown[] = []> = { readonly [T in LayerType]: (layer: LayerByType[T], ...args: A) => R };

/** Calls the table's entry for the layer's type. */
export function byLayerType<R, A extends unknown[]>(table: LayerTable<R, A>, layer: AnyLayer, ...args: A): R {
  // The entry for layer.type takes exactly that layer's class; TypeScript cannot correlate the two.
  return (table[layer.type] as (l: AnyLayer, ...a: A) => R)(layer, ...args);
}

// One factory per layer type: the public constructors and the spec parser share them.
export const dense = (options: DenseOptions): Dense => new Dense(options);
export const conv2d = (options: Conv2DOptions): Conv2D => new Conv2D(options);
export const maxPool2d = (options: Pool2DOptions = {}): MaxPool2D => new MaxPool2D(options);
export const avgPool2d = (options: Pool2DOptions = {}): AvgPool2D => new AvgPool2D(options);
export const flatten = (options: { name?: string } = {}): Flatten => new Flatten(options);
export const batchNorm = (options: BatchNormOptions = {}): BatchNorm => new BatchNorm(options);
export const dropout = (options: { rate: number; name?: string }): Dropout => new Dropout(options);
export const relu = (options: { name?: string } = {}): Activation => new Activation('relu', options);
export const leakyRelu = (options: { alpha?: number; name?: string } = {}): Activation => new Activation('leakyRelu', options);
export const elu = (options: { alpha?: number; name?: string } = {}): Activation => new Activation('elu', options);
export const tanh = (options: { name?: string } = {}): Activation => new Activation('tanh', options);
export const sigmoid = (options: { name?: string } = {}): Activation => new Activation('sigmoid', options);

const FACTORIES = {
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
} satisfies { [T in LayerType]: (options: never) => LayerByType[T] };

/** The layer types a spec may name, in the registry's order. */
export const LAYER_TYPES = Object.keys(FACTORIES) as LayerType[];

export function isLayerType(type: unknown): type is LayerType {
  return typeof type === 'string' && Object.hasOwn(FACTORIES, type);
}

/** True for the layers whose output units are groups (dense and conv2d). */
export function isWeighted(layer: AnyLayer): layer is WeightedLayer {
  return layer.type === 'dense' || layer.type === 'conv2d';
}

/** Builds a layer from its JSON spec, e.g. `{ type: 'dense', units: 10 }`. */
export function layerFromSpec(spec: LayerSpec, index: number): AnyLayer {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) throw new ArgumentError(`layers[${index}]`, spec, 'a layer spec object');
  if (!isLayerType(spec.type)) throw new ArgumentError(`layers[${index}].type`, spec.type, `one of ${LAYER_TYPES.join(', ')}`);
  return (FACTORIES[spec.type] as (options: LayerSpec) => AnyLayer)(spec);
}

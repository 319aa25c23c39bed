import { activation } from '../backend/reference.js';
import type { Activation } from '../layers/activation.js';
import { byLayerType, type AnyLayer, type LayerTable } from '../layers/registry.js';

/** Weights by full name ('dense_1/kernel'), as getWeights() gives them. */
export type WeightMap = Map<string, { shape: number[]; values: Float32Array }>;

const through = (layer: Activation, v: number): number => activation(layer.type, v, layer.alpha);
const unchanged = (_layer: AnyLayer, v: number): number => v;
const weighted = (layer: AnyLayer): never => {
  throw new Error(`a constant never passes through the weighted layer ${layer.name}: it ends the segment`);
};

/**
 * What each layer makes of channel k's constant value v: batch norm and activations map it, pooling
 * of a constant map (padding never counted), dropout at inference and flatten keep it.
 */
const PROPAGATE: LayerTable<number, [v: number, k: number, weights: WeightMap]> = {
  dense: weighted,
  conv2d: weighted,
  batchNorm: (layer, v, k, weights) => {
    const get = (p: string) => weights.get(`${layer.name}/${p}`)!.values[k];
    return (get('gamma') * (v - get('moving_mean'))) / Math.sqrt(get('moving_variance') + layer.epsilon) + get('beta');
  },
  relu: through,
  leakyRelu: through,
  elu: through,
  tanh: through,
  sigmoid: through,
  maxPool2d: unchanged,
  avgPool2d: unchanged,
  dropout: unchanged,
  flatten: unchanged,
};

/**
 * The constant a removed unit k still outputs after the layers between two weighted layers: a unit
 * whose incoming weights are zero outputs its bias, and the layers between turn a constant into a
 * constant. Computed in f64 with the reference activation formulas; the layers' own f32 kernels
 * round it the same to ~1e-7 relative.
 */
export function propagateConstant(value: number, k: number, between: readonly AnyLayer[], weights: WeightMap): number {
  let v = value;
  for (const layer of between) v = byLayerType(PROPAGATE, layer, v, k, weights);
  return v;
}

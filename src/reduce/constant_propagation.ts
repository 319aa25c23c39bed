import type { Layer } from '../layers/layer.js';

/** Weights by full name ('dense_1/kernel'), as getWeights() gives them. */
export type WeightMap = Map<string, { shape: number[]; values: Float32Array }>;

/**
 * The constant a removed unit k still outputs after the layers between two weighted layers: a unit
 * whose incoming weights are zero outputs its bias, and batch norm, activations, pooling (of a
 * constant map, padding never counted) and dropout at inference turn a constant into a constant.
 * Computed in f64; the layers' own f32 kernels round it the same to ~1e-7 relative.
 */
export function propagateConstant(value: number, k: number, between: readonly Layer[], weights: WeightMap): number {
  let v = value;
  for (const layer of between) {
    switch (layer.type) {
      case 'batchNorm': {
        const get = (p: string) => weights.get(`${layer.name}/${p}`)!.values[k];
        const eps = (layer as unknown as { epsilon: number }).epsilon;
        v = (get('gamma') * (v - get('moving_mean'))) / Math.sqrt(get('moving_variance') + eps) + get('beta');
        break;
      }
      case 'relu':
        v = v > 0 ? v : 0;
        break;
      case 'leakyRelu':
        v = v > 0 ? v : (layer as unknown as { alpha: number }).alpha * v;
        break;
      case 'elu':
        v = v > 0 ? v : (layer as unknown as { alpha: number }).alpha * Math.expm1(v);
        break;
      case 'tanh':
        v = Math.tanh(v);
        break;
      case 'sigmoid':
        v = 1 / (1 + Math.exp(-v));
        break;
      case 'maxPool2d':
      case 'avgPool2d':
      case 'dropout':
      case 'flatten':
        break;
      default:
        throw new Error(`cannot propagate a constant through a ${layer.type} layer`);
    }
  }
  return v;
}

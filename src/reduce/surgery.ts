import { activation } from '../backend/reference.js';
import type { Activation } from '../layers/activation.js';
import type { LayerSpec } from '../layers/layer.js';
import type { AnyLayer, LayerByType, LayerType, WeightedLayer } from '../layers/registry.js';

/** Weights by full name ('dense_1/kernel'), as getWeights() gives them. */
export type WeightMap = Map<string, { shape: number[]; values: Float32Array }>;

// Surgery, in Torch-Pruning's split: how to cut a layer, one function per layer type and cut (cut
// outputs, cut inputs, cut channels, carry a constant through). Each works on weight arrays in
// TensorFlow.js layout (a WeightMap it updates) and on the layer's spec.

/** One cut: the units kept (ascending) out of `units`, applied to these weights and this layer's spec. */
export interface Cut {
  weights: WeightMap;
  spec: LayerSpec;
  units: number;
  keep: readonly number[];
}

/** Columns `keep` of a row-major [rows, cols] matrix (a dense kernel's output units, a conv kernel's filters). */
export function keepColumns(values: Float32Array, rows: number, cols: number, keep: readonly number[]): Float32Array {
  const out = new Float32Array(rows * keep.length);
  for (let r = 0; r < rows; r++) for (let j = 0; j < keep.length; j++) out[r * keep.length + j] = values[r * cols + keep[j]];
  return out;
}

/** Rows `keep` of a row-major [rows, cols] matrix, in the given order. */
export function keepRows(values: Float32Array, cols: number, keep: readonly number[]): Float32Array {
  const out = new Float32Array(keep.length * cols);
  keep.forEach((r, i) => out.set(values.subarray(r * cols, (r + 1) * cols), i * cols));
  return out;
}

/** Entries `keep` of a vector (bias, batch-norm gamma/beta/moving statistics). */
export function keepEntries(values: Float32Array, keep: readonly number[]): Float32Array {
  return Float32Array.from(keep, (k) => values[k]);
}

/**
 * Folds constant inputs into the next layer's bias: bias[j] += sum_i constants[i] * sum over the
 * rows of input i of kernel[row, j]. `rowsOf(i)` lists the kernel rows input i feeds (one row for
 * dense after dense, every tap for conv, every position after a flatten). Sums in f64.
 */
export function foldConstantInputs(
  kernel: Float32Array, cols: number, bias: Float32Array, constants: ReadonlyMap<number, number>, rowsOf: (i: number) => number[],
): Float32Array {
  const out = Float64Array.from(bias);
  for (const [i, c] of constants) {
    if (c === 0) continue;
    for (const r of rowsOf(i)) for (let j = 0; j < cols; j++) out[j] += c * kernel[r * cols + j];
  }
  return Float32Array.from(out);
}

function cutKernelColumns(layer: WeightedLayer, { weights, units, keep }: Cut): void {
  const kernel = weights.get(`${layer.name}/kernel`)!;
  weights.set(`${layer.name}/kernel`, { shape: [...kernel.shape.slice(0, -1), keep.length], values: keepColumns(kernel.values, kernel.values.length / units, units, keep) });
  const bias = weights.get(`${layer.name}/bias`);
  if (bias) weights.set(`${layer.name}/bias`, { shape: [keep.length], values: keepEntries(bias.values, keep) });
}

/** Cuts a weighted layer's output units: its kernel columns, its bias and its spec's unit count. */
export const CUT_OUTPUTS: { readonly [T in WeightedLayer['type']]: (layer: LayerByType[T], cut: Cut) => void } = {
  dense: (layer, cut) => {
    cutKernelColumns(layer, cut);
    cut.spec.units = cut.keep.length;
  },
  conv2d: (layer, cut) => {
    cutKernelColumns(layer, cut);
    cut.spec.filters = cut.keep.length;
  },
};

/**
 * Cuts a weighted layer's inputs to the kernel rows `rows` (in kernel order): the rows of a dense
 * kernel (one per input, or per position and channel after a flatten), the input channels of a conv.
 */
export const CUT_INPUTS: { readonly [T in WeightedLayer['type']]: (layer: LayerByType[T], weights: WeightMap, rows: readonly number[], keptInputs: number) => void } = {
  dense: (layer, weights, rows) => {
    const kernel = weights.get(`${layer.name}/kernel`)!;
    const cols = kernel.shape[1];
    weights.set(`${layer.name}/kernel`, { shape: [rows.length, cols], values: keepRows(kernel.values, cols, rows) });
  },
  conv2d: (layer, weights, rows, keptInputs) => {
    const kernel = weights.get(`${layer.name}/kernel`)!;
    const [kh, kw, , cols] = kernel.shape;
    weights.set(`${layer.name}/kernel`, { shape: [kh, kw, keptInputs, cols], values: keepRows(kernel.values, cols, rows) });
  },
};

/**
 * What reduction does with a layer that lies between two weighted layers, for the channels of the
 * groups flowing through it: `propagate` maps dead unit k's constant output v (batch norm and
 * activations transform it; pooling of a constant map, padding never counted, dropout at inference
 * and flatten keep it), `cutChannels` cuts its per-channel state (batch norm's four vectors).
 */
interface BetweenSurgery<L> {
  propagate(layer: L, v: number, k: number, weights: WeightMap): number;
  cutChannels(layer: L, cut: Cut): void;
}

const neverBetween: BetweenSurgery<WeightedLayer> = {
  propagate: (layer) => {
    throw new Error(`a constant never passes through the weighted layer ${layer.name}: it ends the segment`);
  },
  cutChannels: (layer) => {
    throw new Error(`the weighted layer ${layer.name} never lies between two weighted layers`);
  },
};
const activationBetween: BetweenSurgery<Activation> = { propagate: (layer, v) => activation(layer.type, v, layer.alpha), cutChannels: () => {} };
const keepsConstants: BetweenSurgery<AnyLayer> = { propagate: (_layer, v) => v, cutChannels: () => {} };

export const BETWEEN: { readonly [T in LayerType]: BetweenSurgery<LayerByType[T]> } = {
  dense: neverBetween,
  conv2d: neverBetween,
  batchNorm: {
    propagate: (layer, v, k, weights) => {
      const get = (p: string) => weights.get(`${layer.name}/${p}`)!.values[k];
      return (get('gamma') * (v - get('moving_mean'))) / Math.sqrt(get('moving_variance') + layer.epsilon) + get('beta');
    },
    cutChannels: (layer, { weights, keep }) => {
      for (const p of ['gamma', 'beta', 'moving_mean', 'moving_variance']) {
        const w = weights.get(`${layer.name}/${p}`)!;
        weights.set(`${layer.name}/${p}`, { shape: [keep.length], values: keepEntries(w.values, keep) });
      }
    },
  },
  relu: activationBetween,
  leakyRelu: activationBetween,
  elu: activationBetween,
  tanh: activationBetween,
  sigmoid: activationBetween,
  maxPool2d: keepsConstants,
  avgPool2d: keepsConstants,
  dropout: keepsConstants,
  flatten: keepsConstants,
};

function between(layer: AnyLayer): BetweenSurgery<AnyLayer> {
  // The entry for layer.type takes exactly that layer's class; TypeScript cannot correlate the two.
  return BETWEEN[layer.type] as BetweenSurgery<AnyLayer>;
}

/**
 * The constant a removed unit k still outputs after the layers between two weighted layers: a unit
 * whose incoming weights are zero outputs its bias, and the layers between turn a constant into a
 * constant. Computed in f64 with the reference activation formulas; the layers' own f32 kernels
 * round it the same to ~1e-7 relative.
 */
export function propagateConstant(value: number, k: number, layers: readonly AnyLayer[], weights: WeightMap): number {
  let v = value;
  for (const layer of layers) v = between(layer).propagate(layer, v, k, weights);
  return v;
}

/** Cuts the per-channel state of a layer between two weighted layers to the kept channels. */
export function cutChannels(layer: AnyLayer, cut: Cut): void {
  between(layer).cutChannels(layer, cut);
}

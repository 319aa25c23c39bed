import { sparseForm } from '../io/sparse_tensor.js';
import type { Sequential } from './sequential.js';

/** One layer's size: what it stores and what it computes. */
export interface LayerSize {
  name: string;
  type: string;
  /** Weights of every tensor of the layer (trainable and state, as Sequential.parameterCount counts). */
  parameters: number;
  /** Those of them that are not exactly 0. */
  nonzeros: number;
  /** Forward FLOPs per sample (2 per multiply-add). */
  flops: number;
  /** Bytes of its tensors' values as a model file stores them: each dense (4 a value) or sparse, whichever is smaller. */
  bytes: number;
}

/**
 * Parameters, nonzero parameters, stored bytes and FLOPs per layer, in model order (layers without weights
 * included, with 0 parameters). The parameters sum to model.parameterCount, the FLOPs to model.flops.
 *
 * @example
 * layerSizes(model)   // [{ name: 'dense_1', type: 'dense', parameters: 235500, nonzeros: 235500, flops: 470400, bytes: 942000 }, ...]
 */
export function layerSizes(model: Sequential): LayerSize[] {
  const counts = new Map<string, { parameters: number; nonzeros: number; bytes: number }>();
  for (const w of model.getWeights()) {
    const layer = w.name.slice(0, w.name.lastIndexOf('/'));
    const c = counts.get(layer) ?? { parameters: 0, nonzeros: 0, bytes: 0 };
    c.parameters += w.values.length;
    for (let i = 0; i < w.values.length; i++) if (w.values[i] !== 0) c.nonzeros++;
    c.bytes += sparseForm(w.values, w.shape)?.bytes.length ?? 4 * w.values.length;
    counts.set(layer, c);
  }
  return model.layers.map((l) => ({ name: l.name, type: l.type, ...(counts.get(l.name) ?? { parameters: 0, nonzeros: 0, bytes: 0 }), flops: l.flops() }));
}

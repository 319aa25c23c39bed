import type { Sequential } from '../model/sequential.js';
import { groupDependency } from './dependency.js';

/** Units whose activation does not vary on a data sample, for one weighted layer. */
export interface LayerActivationDeadness {
  layer: string;
  /** The layer whose output was inspected: the last one before the next weighted layer (after activation and pooling). */
  observed: string;
  units: number;
  /** Units that output exactly 0 for every sample (and every position, for conv channels). */
  zero: number[];
  /** Units that output one nonzero constant for every sample (within 1e-6 relative). */
  constant: number[];
}

/**
 * Dead units by activation, beside the weight-norm view: for every weighted layer but the last,
 * the units whose post-activation output is zero, or constant, on every sample of `x`. A unit can
 * be dead this way with nonzero weights (a ReLU that never fires on this data), and a unit with zero
 * weights shows up here as constant.
 *
 * @example
 * deadUnitsByActivation(model, test.x.subarray(0, 512 * 784))
 */
export function deadUnitsByActivation(model: Sequential, x: Float32Array): LayerActivationDeadness[] {
  const outputs = model.layerOutputs(x);
  const result: LayerActivationDeadness[] = [];
  for (const { layer, observedAt, units } of groupDependency(model).segments) {
    const observed = model.layers[observedAt];
    const values = outputs[observedAt];
    const lo = new Float64Array(units).fill(Infinity);
    const hi = new Float64Array(units).fill(-Infinity);
    for (let i = 0; i < values.length; i++) {
      const k = i % units;
      if (values[i] < lo[k]) lo[k] = values[i];
      if (values[i] > hi[k]) hi[k] = values[i];
    }
    const zero: number[] = [];
    const constant: number[] = [];
    for (let k = 0; k < units; k++) {
      if (lo[k] === 0 && hi[k] === 0) zero.push(k);
      else if (hi[k] - lo[k] <= 1e-6 * Math.max(Math.abs(hi[k]), Math.abs(lo[k]))) constant.push(k);
    }
    result.push({ layer: layer.name, observed: observed.name, units, zero, constant });
  }
  return result;
}

import { expect } from 'vitest';
import type { Sequential } from '../../src/model/sequential.js';
import { rng, uniform } from './random.js';

// Shared by the reduction tests (reduce, live reduction): dead groups made on purpose, and the
// check that a reduced model predicts what its reference does.

/** Sets the incoming group (kernel column / filter) of the given units of a layer to zero. */
export function killUnits(model: Sequential, layer: string, units: number[]): void {
  const kernel = model.getWeights().find((w) => w.name === `${layer}/kernel`)!;
  const cols = kernel.shape[kernel.shape.length - 1];
  for (let r = 0; r < kernel.values.length / cols; r++) for (const k of units) kernel.values[r * cols + k] = 0;
  model.setWeights({ [kernel.name]: kernel.values });
}

/** Sets biases, batch-norm statistics and the like to random values so constants are not trivial. */
export function randomizeNonKernels(model: Sequential, seed: number): void {
  const random = rng(seed);
  const values: Record<string, Float32Array> = {};
  for (const w of model.getWeights()) {
    if (w.name.endsWith('/bias') || w.name.endsWith('/beta') || w.name.endsWith('/moving_mean')) values[w.name] = uniform(random, w.values.length, -0.5, 0.5);
    if (w.name.endsWith('/gamma') || w.name.endsWith('/moving_variance')) values[w.name] = uniform(random, w.values.length, 0.5, 2);
  }
  model.setWeights(values);
}

export function maxAbs(a: Float32Array): number {
  return a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
}

export function expectSamePredictions(reduced: Sequential, reference: Sequential, x: Float32Array, label: string): number {
  const got = reduced.predict(x);
  const want = reference.predict(x);
  let worst = 0;
  for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
  expect(worst, `${label}: max |logit difference|`).toBeLessThanOrEqual(1e-5 * maxAbs(want));
  const k = reduced.outputSize;
  for (let r = 0; r < got.length / k; r++) {
    const arg = (v: Float32Array) => v.subarray(r * k, (r + 1) * k).reduce((b, x, i, a) => (x > a[b] ? i : b), 0);
    expect(arg(got), `${label}: argmax of row ${r}`).toBe(arg(want));
  }
  return worst;
}

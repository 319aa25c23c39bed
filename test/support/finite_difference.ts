import { expect } from 'vitest';

/**
 * Checks an analytic gradient against central finite differences of a scalar loss, at up to
 * `samples` evenly spread coordinates: |numeric - analytic| <= atol + rtol * max|analytic|.
 * The loss is evaluated on f32 kernels, so h is large (1e-2) and tolerances are a few 1e-3;
 * a wrong gradient is off by O(1).
 */
export function checkGradient(
  label: string,
  x: Float32Array,
  loss: (x: Float32Array) => number,
  analytic: ArrayLike<number>,
  { h = 1e-2, rtol = 1e-2, atol = 1e-3, samples = 60 }: { h?: number; rtol?: number; atol?: number; samples?: number } = {},
): void {
  expect(analytic.length, `${label}: gradient length`).toBe(x.length);
  let scale = 0;
  for (let i = 0; i < analytic.length; i++) scale = Math.max(scale, Math.abs(analytic[i]));
  const step = Math.max(1, Math.floor(x.length / samples));
  const probe = x.slice();
  for (let i = 0; i < x.length; i += step) {
    probe[i] = x[i] + h;
    const up = loss(probe);
    probe[i] = x[i] - h;
    const down = loss(probe);
    probe[i] = x[i];
    // The step actually taken in f32, not the nominal h.
    const numeric = (up - down) / (Math.fround(x[i] + h) - Math.fround(x[i] - h));
    const tolerance = atol + rtol * scale;
    if (!(Math.abs(numeric - analytic[i]) <= tolerance)) {
      expect.fail(`${label}: coordinate ${i}: finite difference ${numeric}, analytic ${analytic[i]} (tolerance ${tolerance})`);
    }
  }
}

/** sum_i r[i] * y[i] in f64: a scalar loss whose gradient with respect to y is r. */
export function dot(r: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < r.length; i++) s += r[i] * y[i];
  return s;
}

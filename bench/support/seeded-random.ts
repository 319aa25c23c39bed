import { Random } from '../../src/random.js';
// Deterministic inputs, so that every run (and every implementation) multiplies the same numbers.

/**
 * n floats uniform in [-1, 1) from a mulberry32 generator seeded with `seed`.
 *
 * @example
 * randomFloats(4, 1) // the same four values on every run
 */
export function randomFloats(n: number, seed: number): Float32Array {
  const random = new Random(seed);
  return Float32Array.from({ length: n }, () => random.uniform(-1, 1));
}

/**
 * n integer class labels uniform in [0, classes), from the same generator as randomFloats.
 *
 * @example
 * randomLabels(128, 10, 2) // the same 128 labels on every run
 */
export function randomLabels(n: number, classes: number, seed: number): Int32Array {
  const uniform = randomFloats(n, seed);
  const labels = new Int32Array(n);
  // uniform is in [-1, 1): map to [0, 1), then to a class.
  for (let i = 0; i < n; i++) labels[i] = Math.min(classes - 1, Math.floor(((uniform[i] + 1) / 2) * classes));
  return labels;
}

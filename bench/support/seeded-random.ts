// Deterministic inputs, so that every run (and every implementation) multiplies the same numbers.

/**
 * n floats uniform in [-1, 1) from a mulberry32 generator seeded with `seed`.
 *
 * @example
 * randomFloats(4, 1) // the same four values on every run
 */
export function randomFloats(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let state = seed >>> 0;
  for (let i = 0; i < n; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) / 2 ** 31 - 1;
  }
  return out;
}

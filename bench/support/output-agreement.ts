// The bench checks that slimtrain and TensorFlow.js computed the same thing before it trusts a
// speed comparison: a fast wrong answer (a transposed operand, a missed accumulate) is not a result.

/** max |actual - expected| / max |expected|: float32 rounding keeps this near 1e-6 for these sizes. */
export function relativeMaxError(actual: Float32Array, expected: Float32Array): number {
  if (actual.length !== expected.length) return Infinity;
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < actual.length; i++) {
    const diff = Math.abs(actual[i] - expected[i]);
    // NaN compares false: count it as a total mismatch.
    if (!(diff <= maxDiff)) maxDiff = Number.isNaN(diff) ? Infinity : diff;
    const ref = Math.abs(expected[i]);
    if (ref > maxRef) maxRef = ref;
  }
  return maxRef === 0 ? maxDiff : maxDiff / maxRef;
}

/** Largest relative error still counted as agreement (sums of up to ~10^4 float32 products). */
export const AGREEMENT_TOLERANCE = 1e-3;

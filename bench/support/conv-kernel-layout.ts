// Convolution kernels between the two layouts the benches meet: TensorFlow.js's (and slimtrain's
// getWeights()) [KH, KW, C_in, C_out] ("HWIO") and the [C_out, C_in, KH, KW] ("OIHW") that jax-js's
// lax.conv takes, as XLA's default convolution does.

/**
 * The HWIO kernel `values` of shape [kh, kw, cin, cout], reordered to OIHW [cout, cin, kh, kw].
 *
 * @example
 * hwioToOihw(new Float32Array([1, 2]), [1, 1, 1, 2]); // [1, 2]: two 1x1 filters on one channel
 */
export function hwioToOihw(values: Float32Array, shape: readonly number[]): Float32Array {
  if (shape.length !== 4 || shape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new Error(`hwioToOihw: shape must be 4 positive integers [kh, kw, cin, cout], got [${shape.join(', ')}]`);
  }
  const [kh, kw, cin, cout] = shape;
  if (values.length !== kh * kw * cin * cout) {
    throw new Error(`hwioToOihw: ${values.length} values do not fill a [${shape.join(', ')}] kernel (expected ${kh * kw * cin * cout})`);
  }
  const out = new Float32Array(values.length);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      for (let i = 0; i < cin; i++) {
        const from = ((y * kw + x) * cin + i) * cout;
        for (let o = 0; o < cout; o++) out[((o * cin + i) * kh + y) * kw + x] = values[from + o];
      }
    }
  }
  return out;
}

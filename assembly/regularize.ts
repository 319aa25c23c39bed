// Kernels of the coupled regularisers that the elementwise basics do not cover.

// g += lambda * sign(w), with sign(0) = 0: the L1 subgradient.
export function addL1Gradient(g: usize, w: usize, n: i32, lambda: f32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vl = f32x4.splat(lambda), zero = f32x4.splat(0);
    const vnl = f32x4.splat(-lambda);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const v = v128.load(w + o);
      // lambda where w > 0, -lambda where w < 0, 0 elsewhere (and for NaN).
      const s = v128.or(v128.and(vl, f32x4.gt(v, zero)), v128.and(vnl, f32x4.lt(v, zero)));
      v128.store(g + o, f32x4.add(v128.load(g + o), s));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(w + o);
    const s: f32 = v > 0 ? lambda : v < 0 ? -lambda : 0;
    store<f32>(g + o, load<f32>(g + o) + s);
  }
}

// out (f64) = sum of |x[i]|, accumulated in f64 (the L1 penalty).
export function sumAbs(x: usize, n: i32, out: usize): void {
  let s0: f64 = 0, s1: f64 = 0, s2: f64 = 0, s3: f64 = 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const p = x + (<usize>i << 2);
    s0 += Math.abs(<f64>load<f32>(p));
    s1 += Math.abs(<f64>load<f32>(p, 4));
    s2 += Math.abs(<f64>load<f32>(p, 8));
    s3 += Math.abs(<f64>load<f32>(p, 12));
  }
  let s = (s0 + s1) + (s2 + s3);
  for (; i < n; i++) s += Math.abs(<f64>load<f32>(x + (<usize>i << 2)));
  store<f64>(out, s);
}

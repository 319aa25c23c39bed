// Norms and counts for sparsity measurement and gradient clipping.

// out[k] = ||w[:, k]||_2, the group norms of a [rows, cols] weight matrix (column k = every weight
// feeding output unit k: rows = fan_in, cols = units). Rows are summed in order.
export function columnNorms(w: usize, out: usize, rows: i32, cols: i32): void {
  memory.fill(out, 0, <usize>cols << 2);
  const ld = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const row = w + <usize>r * ld;
    let c = 0;
    if (ASC_FEATURE_SIMD) {
      for (; c + 4 <= cols; c += 4) {
        const o = <usize>c << 2;
        const v = v128.load(row + o);
        v128.store(out + o, f32x4.add(v128.load(out + o), f32x4.mul(v, v)));
      }
    }
    for (; c < cols; c++) {
      const o = <usize>c << 2;
      const v = load<f32>(row + o);
      store<f32>(out + o, load<f32>(out + o) + v * v);
    }
  }
  for (let c = 0; c < cols; c++) {
    const o = <usize>c << 2;
    store<f32>(out + o, Mathf.sqrt(load<f32>(out + o)));
  }
}

// out[r] = ||w[r, :]||_2, the norms of the rows (input groups) of a [rows, cols] matrix.
export function rowNorms(w: usize, out: usize, rows: i32, cols: i32): void {
  const ld = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const row = w + <usize>r * ld;
    let s: f32 = 0;
    let c = 0;
    if (ASC_FEATURE_SIMD) {
      // Four interleaved partial sums, folded in a fixed order: deterministic, but a different order
      // from a plain loop, so the scalar build mirrors it exactly below.
      let acc = f32x4.splat(0);
      for (; c + 4 <= cols; c += 4) {
        const v = v128.load(row + (<usize>c << 2));
        acc = f32x4.add(acc, f32x4.mul(v, v));
      }
      s = (f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1)) + (f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3));
    } else {
      let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
      for (; c + 4 <= cols; c += 4) {
        const p = row + (<usize>c << 2);
        const v0 = load<f32>(p), v1 = load<f32>(p, 4), v2 = load<f32>(p, 8), v3 = load<f32>(p, 12);
        s0 += v0 * v0; s1 += v1 * v1; s2 += v2 * v2; s3 += v3 * v3;
      }
      s = (s0 + s1) + (s2 + s3);
    }
    for (; c < cols; c++) {
      const v = load<f32>(row + (<usize>c << 2));
      s += v * v;
    }
    store<f32>(out + (<usize>r << 2), Mathf.sqrt(s));
  }
}

// out (i32) = number of i in [0, n) with |x[i]| < eps.
export function countBelow(x: usize, n: i32, eps: f32, out: usize): void {
  let count = 0;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const ve = f32x4.splat(eps);
    let acc = i32x4.splat(0);
    for (; i + 4 <= n; i += 4) {
      // lt gives -1 per true lane, so subtracting counts.
      acc = i32x4.sub(acc, f32x4.lt(f32x4.abs(v128.load(x + (<usize>i << 2))), ve));
    }
    count = i32x4.extract_lane(acc, 0) + i32x4.extract_lane(acc, 1) + i32x4.extract_lane(acc, 2) + i32x4.extract_lane(acc, 3);
  }
  for (; i < n; i++) {
    if (Mathf.abs(load<f32>(x + (<usize>i << 2))) < eps) count++;
  }
  store<i32>(out, count);
}

// out (f64) = sum of x[i]^2, accumulated in f64 (the global gradient norm for clipping).
export function sumSquares(x: usize, n: i32, out: usize): void {
  let s: f64 = 0;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    let acc = f64x2.splat(0);
    for (; i + 4 <= n; i += 4) {
      const v = v128.load(x + (<usize>i << 2));
      const lo = f64x2.promote_low_f32x4(v);
      const hi = f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1));
      acc = f64x2.add(acc, f64x2.add(f64x2.mul(lo, lo), f64x2.mul(hi, hi)));
    }
    s = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  } else {
    let s0: f64 = 0, s1: f64 = 0;
    for (; i + 4 <= n; i += 4) {
      const p = x + (<usize>i << 2);
      const v0 = <f64>load<f32>(p), v1 = <f64>load<f32>(p, 4), v2 = <f64>load<f32>(p, 8), v3 = <f64>load<f32>(p, 12);
      s0 += v0 * v0 + v2 * v2;
      s1 += v1 * v1 + v3 * v3;
    }
    s = s0 + s1;
  }
  for (; i < n; i++) {
    const v = <f64>load<f32>(x + (<usize>i << 2));
    s += v * v;
  }
  store<f64>(out, s);
}

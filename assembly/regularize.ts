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

// out = sum |x|^p (f32 powers, summed in f64 over four chains): the p-norm decay's penalty.
export function sumAbsPow(x: usize, n: i32, p: f32, out: usize): void {
  let s0: f64 = 0, s1: f64 = 0, s2: f64 = 0, s3: f64 = 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const a = x + (<usize>i << 2);
    s0 += <f64>Mathf.pow(Mathf.abs(load<f32>(a)), p);
    s1 += <f64>Mathf.pow(Mathf.abs(load<f32>(a, 4)), p);
    s2 += <f64>Mathf.pow(Mathf.abs(load<f32>(a, 8)), p);
    s3 += <f64>Mathf.pow(Mathf.abs(load<f32>(a, 12)), p);
  }
  let s = (s0 + s1) + (s2 + s3);
  for (; i < n; i++) s += <f64>Mathf.pow(Mathf.abs(load<f32>(x + (<usize>i << 2))), p);
  store<f64>(out, s);
}

// Decoupled p-norm weight decay (pWD, Outmezguine & Levi 2024), in two halves around the step:
//   before: x = |w|^(2 - p)                       (from the weight before the optimizer's step)
//   after:  w = w * x / (x + c),  c = p * lr * lambda > 0
// Stable for 0 < p < 1: nothing is divided by zero, and w = 0 stays 0. p = 2 gives w / (1 + c).
export function pnormDecayPrepare(w: usize, x: usize, n: i32, exponent: f32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(x + o, Mathf.pow(Mathf.abs(load<f32>(w + o)), exponent));
  }
}

export function pnormDecayApply(w: usize, x: usize, n: i32, c: f32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vc = f32x4.splat(c);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const xi = v128.load(x + o);
      v128.store(w + o, f32x4.div(f32x4.mul(v128.load(w + o), xi), f32x4.add(xi, vc)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const xi = load<f32>(x + o);
    store<f32>(w + o, (load<f32>(w + o) * xi) / (xi + c));
  }
}

// Proximal L1 (soft thresholding): w = sign(w) * max(|w| - t, 0).
export function softThreshold(w: usize, n: i32, t: f32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(w + o);
    const m = Mathf.abs(v) - t;
    store<f32>(w + o, m > 0 ? (v > 0 ? m : -m) : 0);
  }
}

// w[r, c] *= s[c] over a [rows, cols] matrix: per-group (column) scaling.
export function scaleColumns(w: usize, s: usize, rows: i32, cols: i32): void {
  const ld = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const row = w + <usize>r * ld;
    let c = 0;
    if (ASC_FEATURE_SIMD) {
      for (; c + 4 <= cols; c += 4) {
        const o = <usize>c << 2;
        v128.store(row + o, f32x4.mul(v128.load(row + o), v128.load(s + o)));
      }
    }
    for (; c < cols; c++) {
      const o = <usize>c << 2;
      store<f32>(row + o, load<f32>(row + o) * load<f32>(s + o));
    }
  }
}

// w[r, c] *= s[r] over a [rows, cols] matrix: per-row scaling (the input groups of a dense kernel).
export function scaleRows(w: usize, s: usize, rows: i32, cols: i32): void {
  const ld = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const row = w + <usize>r * ld;
    const f = load<f32>(s + (<usize>r << 2));
    let c = 0;
    if (ASC_FEATURE_SIMD) {
      const vf = f32x4.splat(f);
      for (; c + 4 <= cols; c += 4) {
        const o = <usize>c << 2;
        v128.store(row + o, f32x4.mul(v128.load(row + o), vf));
      }
    }
    for (; c < cols; c++) {
      const o = <usize>c << 2;
      store<f32>(row + o, load<f32>(row + o) * f);
    }
  }
}

// Selective relevance-based decay (Bonetta et al. 2022), coupled:
//   g += twoGamma * exp(-|g| * invAlpha) * w
// with the relevance factor computed from the data gradient g before it is changed.
export function selectiveDecayGradient(g: usize, w: usize, n: i32, twoGamma: f32, invAlpha: f32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const gi = load<f32>(g + o);
    store<f32>(g + o, gi + twoGamma * Mathf.exp(-Mathf.abs(gi) * invAlpha) * load<f32>(w + o));
  }
}

// LOBSTER (Tartaglione et al.), after the step: w -= lambda * w * max(0, 1 - |g|).
export function lobsterDecay(w: usize, g: usize, n: i32, lambda: f32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vl = f32x4.splat(lambda), one = f32x4.splat(1), zero = f32x4.splat(0);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const insensitivity = f32x4.max(zero, f32x4.sub(one, f32x4.abs(v128.load(g + o))));
      const v = v128.load(w + o);
      v128.store(w + o, f32x4.sub(v, f32x4.mul(f32x4.mul(vl, v), insensitivity)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(w + o);
    const insensitivity = Mathf.max(<f32>0, <f32>1 - Mathf.abs(load<f32>(g + o)));
    store<f32>(w + o, v - lambda * v * insensitivity);
  }
}

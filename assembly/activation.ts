// Activations, forward and backward, over flat regions of n elements.
//
// Every pair has the same signature, so layers can hold one table of kernels:
//   xForward(x, y, n, alpha)            y = f(x)
//   xBackward(x, y, dy, dx, n, alpha)   dx = dy * f'(x), reading x or y, whichever is cheaper
// alpha is the slope of leaky ReLU and the scale of ELU, ignored elsewhere. dx may alias dy.

// --- ReLU: y = max(x, 0); f'(x) = 1 for x > 0, else 0 (0 at x = 0, as TensorFlow).

export function reluForward(x: usize, y: usize, n: i32, alpha: f32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const zero = f32x4.splat(0);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const v = v128.load(x + o);
      v128.store(y + o, v128.and(v, f32x4.gt(v, zero)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(x + o);
    store<f32>(y + o, v > 0 ? v : 0);
  }
}

export function reluBackward(x: usize, y: usize, dy: usize, dx: usize, n: i32, alpha: f32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const zero = f32x4.splat(0);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(dx + o, v128.and(v128.load(dy + o), f32x4.gt(v128.load(x + o), zero)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dx + o, load<f32>(x + o) > 0 ? load<f32>(dy + o) : 0);
  }
}

// --- Leaky ReLU: y = x for x > 0, alpha * x otherwise.

export function leakyReluForward(x: usize, y: usize, n: i32, alpha: f32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const zero = f32x4.splat(0);
    const a = f32x4.splat(alpha);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const v = v128.load(x + o);
      v128.store(y + o, v128.bitselect(v, f32x4.mul(v, a), f32x4.gt(v, zero)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(x + o);
    store<f32>(y + o, v > 0 ? v : v * alpha);
  }
}

export function leakyReluBackward(x: usize, y: usize, dy: usize, dx: usize, n: i32, alpha: f32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const zero = f32x4.splat(0);
    const a = f32x4.splat(alpha);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const g = v128.load(dy + o);
      v128.store(dx + o, v128.bitselect(g, f32x4.mul(g, a), f32x4.gt(v128.load(x + o), zero)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const g = load<f32>(dy + o);
    store<f32>(dx + o, load<f32>(x + o) > 0 ? g : g * alpha);
  }
}

// --- ELU: y = x for x > 0, alpha * (exp(x) - 1) otherwise; f' = 1, or y + alpha.

export function eluForward(x: usize, y: usize, n: i32, alpha: f32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(x + o);
    store<f32>(y + o, v > 0 ? v : alpha * (Mathf.exp(v) - 1));
  }
}

export function eluBackward(x: usize, y: usize, dy: usize, dx: usize, n: i32, alpha: f32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const zero = f32x4.splat(0);
    const a = f32x4.splat(alpha);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const g = v128.load(dy + o);
      const slope = f32x4.mul(g, f32x4.add(v128.load(y + o), a));
      v128.store(dx + o, v128.bitselect(g, slope, f32x4.gt(v128.load(x + o), zero)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const g = load<f32>(dy + o);
    store<f32>(dx + o, load<f32>(x + o) > 0 ? g : g * (load<f32>(y + o) + alpha));
  }
}

// --- tanh: f' = 1 - y^2.

export function tanhForward(x: usize, y: usize, n: i32, alpha: f32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, Mathf.tanh(load<f32>(x + o)));
  }
}

export function tanhBackward(x: usize, y: usize, dy: usize, dx: usize, n: i32, alpha: f32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const one = f32x4.splat(1);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const v = v128.load(y + o);
      v128.store(dx + o, f32x4.mul(v128.load(dy + o), f32x4.sub(one, f32x4.mul(v, v))));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(y + o);
    store<f32>(dx + o, load<f32>(dy + o) * (1 - v * v));
  }
}

// --- sigmoid: y = 1 / (1 + exp(-x)); f' = y * (1 - y).

export function sigmoidForward(x: usize, y: usize, n: i32, alpha: f32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, 1 / (1 + Mathf.exp(-load<f32>(x + o))));
  }
}

export function sigmoidBackward(x: usize, y: usize, dy: usize, dx: usize, n: i32, alpha: f32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const one = f32x4.splat(1);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const v = v128.load(y + o);
      v128.store(dx + o, f32x4.mul(v128.load(dy + o), f32x4.mul(v, f32x4.sub(one, v))));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(y + o);
    store<f32>(dx + o, load<f32>(dy + o) * (v * (1 - v)));
  }
}

// Elementwise basics over flat f32 regions of n elements. In-place where the signature says so.

import { madd, fmadd, flushed, flushedf, SMALLEST_NORMAL_BITS } from "./simd";

// x[0..n) = value
export function fill(x: usize, n: i32, value: f32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const v = f32x4.splat(value);
    for (; i + 4 <= n; i += 4) v128.store(x + (<usize>i << 2), v);
  }
  for (; i < n; i++) store<f32>(x + (<usize>i << 2), value);
}

// dst[0..n) = src[0..n); the regions may overlap.
export function copy(src: usize, dst: usize, n: i32): void {
  memory.copy(dst, src, <usize>n << 2);
}

// x[0..n) *= a
export function scale(x: usize, n: i32, a: f32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const va = f32x4.splat(a);
    for (; i + 4 <= n; i += 4) {
      const p = x + (<usize>i << 2);
      v128.store(p, f32x4.mul(v128.load(p), va));
    }
  }
  for (; i < n; i++) {
    const p = x + (<usize>i << 2);
    store<f32>(p, load<f32>(p) * a);
  }
}

// y[0..n) += a * x[0..n)
export function axpy(y: usize, x: usize, n: i32, a: f32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const va = f32x4.splat(a);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(y + o, madd(va, v128.load(x + o), v128.load(y + o)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, fmadd(a, load<f32>(x + o), load<f32>(y + o)));
  }
}

// x[0..n) *= mask[0..n): masks hold 0 (pruned or dropped) or a keep value (1, or 1/keepProb).
export function maskMultiply(x: usize, mask: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(x + o, f32x4.mul(v128.load(x + o), v128.load(mask + o)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(x + o, load<f32>(x + o) * load<f32>(mask + o));
  }
}

// x[0..n): every subnormal value (0 < |x| < 2^-126) becomes a zero of its sign. WebAssembly has no
// flush-to-zero mode, and x86 cores take a microcode assist (about 100 cycles) on each subnormal
// operand or result, so weights and optimizer moments that decay through the subnormal range slow
// every GEMM that reads them. NaN and infinities are kept.
export function flushSubnormals(x: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const limit = i32x4.splat(SMALLEST_NORMAL_BITS);
    for (; i + 4 <= n; i += 4) {
      const p = x + (<usize>i << 2);
      v128.store(p, flushed(v128.load(p), limit));
    }
  }
  for (; i < n; i++) {
    const p = x + (<usize>i << 2);
    store<f32>(p, flushedf(load<f32>(p), SMALLEST_NORMAL_BITS));
  }
}

// Build-variant switches shared by every kernel.
//
// One source compiles three ways (asconfig.json targets):
//   simd     plain f32x4 SIMD; the default, bit-identical on every machine;
//   relaxed  f32x4 SIMD plus relaxed-SIMD fused multiply-add (faster, not bit-identical);
//   scalar   no SIMD at all, for runtimes without it.
// Kernels put their vector loop under `if (ASC_FEATURE_SIMD)` and finish with a scalar loop that
// also serves as the whole kernel in the scalar build. The scalar loops use the same operation
// order per element as the vector lanes, so the simd and scalar builds give identical bits.

// a*b + c on four lanes: a fused multiply-add in the relaxed build, mul then add otherwise.
// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

// The scalar twin of madd: identical rounding to one lane of the plain-SIMD madd.
// @ts-ignore: decorator
@inline export function fmadd(a: f32, b: f32, c: f32): f32 {
  return c + a * b;
}

// v with each lane whose magnitude's bits are below `limit` (an i32x4 splat) replaced by a zero of
// its sign. With limit = SMALLEST_NORMAL_BITS that flushes the subnormals (0 < |x| < 2^-126) and
// leaves normal values, zeros, infinities and NaN as they are; limit 0 changes nothing. Every
// optimizer update stores its weights and state through this (flushedf in the scalar loops), so
// training leaves no subnormal behind, as a CPU's flush-to-zero mode would ensure (Chain.step in
// src/optim/transform.ts says why that matters). Four integer ops: a = |v|'s bits; where a < limit,
// xor clears them.
// @ts-ignore: decorator
@inline export function flushed(v: v128, limit: v128): v128 {
  const a = v128.and(v, i32x4.splat(0x7fffffff));
  return v128.xor(v, v128.and(a, i32x4.lt_s(a, limit)));
}

// The scalar twin of flushed, with limit a plain i32.
// @ts-ignore: decorator
@inline export function flushedf(x: f32, limit: i32): f32 {
  const bits = reinterpret<i32>(x);
  const a = bits & 0x7fffffff;
  return a < limit ? reinterpret<f32>(bits ^ a) : x;
}

// The bits of 2^-126, the smallest normal f32: flushed's limit that flushes subnormals.
export const SMALLEST_NORMAL_BITS: i32 = 0x00800000;

// dst[0..bytes) = src[0..bytes) for the short runs of a patch row (im2col, and the columns a
// convolution GEMM gathers): memory.copy costs a call per run, which dominates when a run is a few
// floats (5 floats per kernel row with C = 1).
// @ts-ignore: decorator
@inline export function copyRun(dst: usize, src: usize, bytes: usize): void {
  if (bytes > 128) {
    memory.copy(dst, src, bytes);
    return;
  }
  let o: usize = 0;
  if (ASC_FEATURE_SIMD) {
    for (; o + 16 <= bytes; o += 16) v128.store(dst + o, v128.load(src + o));
  }
  for (; o < bytes; o += 4) store<f32>(dst + o, load<f32>(src + o));
}

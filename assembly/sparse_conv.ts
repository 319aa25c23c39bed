// Direct sparse convolution, the kernel under pruned stride-1 convolutions at inference:
//
//   y[n, oh, ow, j] = sum over column j's nonzeros p of  x[n, oh - PT + kh, ow - PL + kw, c] * values[p]
//                  (+ bias[j], when bias is not 0; then max(., +0) as reluForward, when relu is 1)
// where rowIdx[p] = (kh * KW + kw) * C + c indexes the [KH*KW*C, CO] kernel matrix (as in im2col),
// stored in compressed sparse columns (colPtr i32 [CO+1], rowIdx i32 [nnz], values f32 [nnz]);
// x [N, H, W, C] and y [N, OH, OW, CO] are NHWC; positions outside x read 0 (zero padding).
//
// Why: im2col + sparseMatmul writes the column matrix (OH*OW*KH*KW*C floats) and then transposes it,
// which at 1-5% density costs ten times the multiplications. Here each sample is copied once into
// channel planes with the padding built in, xp[c][ih + PT][iw + PL] ([C, OH+KH-1, OW+KW-1], zero
// border), so tap (kh, kw, c) of output position i = oh * Wp + ow is xp[c * P + kh * Wp + kw + i]:
// one offset per nonzero, and consecutive output positions read consecutive floats. A channel's
// output is computed over the padded width Wp (the last KW-1 positions of each row are garbage and
// dropped) with f32x4 lanes over positions, 16 at a time in 4 accumulators, into a plane; four
// channels' planes go to y together, through 4x4 transposes.
//
// Summation order is that of sparseMatmul on the im2col matrix: y = 0 + x0*v0 + x1*v1 + ... over
// column j's nonzeros in storage order, each step a rounded multiply then a rounded add, padding taps
// included (as the zeros im2col writes). So this kernel, im2col + sparseMatmul, the scalar and the
// SIMD build all give the same bits; the bias is added last, as biasAdd after the product would
// (a sum that starts at +0 is never -0, so adding a zero bias changes no bit), and the ReLU after
// it, as reluForward would. Stride 1 only: strided convolutions keep im2col + sparseMatmul.
//
// work: sparseConvWorkFloats(...) floats: xp, then four channel planes, then the nonzeros' i32 offsets.

// @ts-ignore: decorator
@inline function roundUp16(n: i32): i32 {
  return (n + 15) & ~15;
}

// Floats of work for one call (or one thread's share of samples).
export function sparseConvWorkFloats(C: i32, KH: i32, KW: i32, OH: i32, OW: i32, nonzeros: i32): i32 {
  const Wp = OW + KW - 1, Hp = OH + KH - 1;
  // xp's tail: the last 16-wide block of positions reads up to KW + 14 floats past the planes.
  return roundUp16(C * Hp * Wp + KW + 16) + 4 * roundUp16(OH * Wp) + nonzeros;
}

// y = the convolution of N samples (see the top of this file).
export function sparseConvolution(
  x: usize, y: usize, colPtr: usize, rowIdx: usize, values: usize, bias: usize, relu: i32, work: usize,
  N: i32, H: i32, W: i32, C: i32, KH: i32, KW: i32, PT: i32, PL: i32, OH: i32, OW: i32, CO: i32,
): void {
  const Wp = OW + KW - 1, Hp = OH + KH - 1;
  const P = Hp * Wp;
  const xpFloats = roundUp16(C * P + KW + 16);
  const L = OH * Wp;
  const xp = work;
  const plane = xp + (<usize>xpFloats << 2);
  const Lr = <usize>roundUp16(L) << 2; // bytes per channel plane
  const offs = plane + 4 * Lr;
  const nonzeros = load<i32>(colPtr + (<usize>CO << 2));
  // The nonzeros' tap offsets into xp, from their rows of the kernel matrix.
  for (let p = 0; p < nonzeros; p++) {
    const k = load<i32>(rowIdx + (<usize>p << 2));
    const tap = k / C, c = k - tap * C;
    const kh = tap / KW, kw = tap - kh * KW;
    store<i32>(offs + (<usize>p << 2), c * P + kh * Wp + kw);
  }
  memory.fill(xp, 0, <usize>xpFloats << 2);
  const yRow = <usize>CO << 2;
  for (let n = 0; n < N; n++) {
    const image = x + (<usize>(n * H * W * C) << 2);
    const out = y + (<usize>(n * OH * OW * CO) << 2);
    // xp's interior = this sample's channels; the border stays zero from the fill above.
    for (let ih = 0; ih < H; ih++) {
      for (let iw = 0; iw < W; iw++) {
        const src = image + (<usize>((ih * W + iw) * C) << 2);
        const dst = xp + (<usize>((ih + PT) * Wp + iw + PL) << 2);
        for (let c = 0; c < C; c++) store<f32>(dst + (<usize>(c * P) << 2), load<f32>(src + (<usize>c << 2)));
      }
    }
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      // Four channels at a time, written to y through 4x4 transposes: one store per position.
      for (; j + 4 <= CO; j += 4) {
        for (let q = 0; q < 4; q++) {
          const p0 = load<i32>(colPtr + (<usize>(j + q) << 2));
          const p1 = load<i32>(colPtr + (<usize>(j + q + 1) << 2));
          channelPlane(xp, plane + <usize>q * Lr, offs, values, p0, p1, L);
        }
        const b4 = bias ? v128.load(bias + (<usize>j << 2)) : f32x4.splat(0);
        // relu: v & (v > 0), as reluForward computes it; else v & all ones.
        const keep = relu ? i32x4.splat(0) : i32x4.splat(-1);
        const zero = f32x4.splat(0);
        for (let oh = 0; oh < OH; oh++) {
          const src = plane + (<usize>(oh * Wp) << 2);
          const dst = out + (<usize>(oh * OW * CO + j) << 2);
          let ow = 0;
          for (; ow + 4 <= OW; ow += 4) {
            const o = src + (<usize>ow << 2);
            const a = v128.load(o), b = v128.load(o + Lr), c = v128.load(o + 2 * Lr), d = v128.load(o + 3 * Lr);
            const ab01 = v128.shuffle<f32>(a, b, 0, 4, 1, 5), ab23 = v128.shuffle<f32>(a, b, 2, 6, 3, 7);
            const cd01 = v128.shuffle<f32>(c, d, 0, 4, 1, 5), cd23 = v128.shuffle<f32>(c, d, 2, 6, 3, 7);
            const at = dst + <usize>ow * yRow;
            v128.store(at, rectify(f32x4.add(v128.shuffle<f32>(ab01, cd01, 0, 1, 4, 5), b4), keep, zero));
            v128.store(at + yRow, rectify(f32x4.add(v128.shuffle<f32>(ab01, cd01, 2, 3, 6, 7), b4), keep, zero));
            v128.store(at + 2 * yRow, rectify(f32x4.add(v128.shuffle<f32>(ab23, cd23, 0, 1, 4, 5), b4), keep, zero));
            v128.store(at + 3 * yRow, rectify(f32x4.add(v128.shuffle<f32>(ab23, cd23, 2, 3, 6, 7), b4), keep, zero));
          }
          for (; ow < OW; ow++) {
            const o = src + (<usize>ow << 2);
            const at = dst + <usize>ow * yRow;
            for (let q: usize = 0; q < 4; q++) {
              const b: f32 = bias ? load<f32>(bias + ((<usize>j + q) << 2)) : 0;
              store<f32>(at + (q << 2), rectifyOne(load<f32>(o + q * Lr) + b, relu));
            }
          }
        }
      }
    }
    for (; j < CO; j++) {
      const p0 = load<i32>(colPtr + (<usize>j << 2));
      const p1 = load<i32>(colPtr + (<usize>(j + 1) << 2));
      channelPlane(xp, plane, offs, values, p0, p1, L);
      const b: f32 = bias ? load<f32>(bias + (<usize>j << 2)) : 0;
      // Column j of y: the first OW positions of each padded row.
      for (let oh = 0; oh < OH; oh++) {
        const src = plane + (<usize>(oh * Wp) << 2);
        let dst = out + (<usize>(oh * OW * CO + j) << 2);
        for (let ow = 0; ow < OW; ow++) {
          store<f32>(dst, rectifyOne(load<f32>(src + (<usize>ow << 2)) + b, relu));
          dst += yRow;
        }
      }
    }
  }
}

// v with its non-positive lanes set to +0 where keep is all zeros (relu), v where keep is all ones.
// @ts-ignore: decorator
@inline function rectify(v: v128, keep: v128, zero: v128): v128 {
  return v128.and(v, v128.or(f32x4.gt(v, zero), keep));
}

// @ts-ignore: decorator
@inline function rectifyOne(v: f32, relu: i32): f32 {
  return relu && !(v > 0) ? 0 : v;
}

// plane[i] = 0 + xp[offs[p0] + i] * values[p0] + ... for i < L (SIMD: rounded up to 16).
// @ts-ignore: decorator
@inline function channelPlane(xp: usize, plane: usize, offs: usize, values: usize, p0: i32, p1: i32, L: i32): void {
  if (ASC_FEATURE_SIMD) {
    for (let i = 0; i < L; i += 16) {
      const base = xp + (<usize>i << 2);
      let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
      for (let p = p0; p < p1; p++) {
        const v = f32x4.splat(load<f32>(values + (<usize>p << 2)));
        const a = base + (<usize>load<i32>(offs + (<usize>p << 2)) << 2);
        s0 = f32x4.add(s0, f32x4.mul(v128.load(a), v));
        s1 = f32x4.add(s1, f32x4.mul(v128.load(a, 16), v));
        s2 = f32x4.add(s2, f32x4.mul(v128.load(a, 32), v));
        s3 = f32x4.add(s3, f32x4.mul(v128.load(a, 48), v));
      }
      const o = plane + (<usize>i << 2);
      v128.store(o, s0);
      v128.store(o, s1, 16);
      v128.store(o, s2, 32);
      v128.store(o, s3, 48);
    }
  } else {
    for (let i = 0; i < L; i++) {
      const base = xp + (<usize>i << 2);
      let s: f32 = 0;
      for (let p = p0; p < p1; p++) {
        s = s + load<f32>(base + (<usize>load<i32>(offs + (<usize>p << 2)) << 2)) * load<f32>(values + (<usize>p << 2));
      }
      store<f32>(plane + (<usize>i << 2), s);
    }
  }
}

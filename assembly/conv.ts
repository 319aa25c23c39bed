// im2col / col2im for NHWC convolution: convolution = im2col + GEMM with the kernel viewed as the
// [KH*KW*C, C_out] matrix, and its input gradient = GEMM + col2im.
//
// Geometry (shared by both kernels):
//   x:    [N, H, W, C]
//   cols: [N*OH*OW, KH*KW*C], row (n, oh, ow), column (kh, kw, c)
//   output position (oh, ow) reads input (oh*SH - PT + kh, ow*SW - PL + kw); outside = zero padding.

import { copyRun } from "./simd";

// Valid kernel taps [k0, k1) along one axis for output coordinate o.
// @ts-ignore: decorator
@inline function tapStart(o: i32, S: i32, P: i32): i32 {
  return max(0, P - o * S);
}
// @ts-ignore: decorator
@inline function tapEnd(o: i32, S: i32, P: i32, K: i32, size: i32): i32 {
  return min(K, size + P - o * S);
}


// cols = im2col(x); padded taps are written as zeros.
export function im2col(
  x: usize, cols: usize, N: i32, H: i32, W: i32, C: i32,
  KH: i32, KW: i32, SH: i32, SW: i32, PT: i32, PL: i32, OH: i32, OW: i32,
): void {
  const rowLen = <usize>(KH * KW * C) << 2;
  const tapLen = <usize>C << 2;
  let row = cols;
  for (let n = 0; n < N; n++) {
    const image = x + (<usize>(n * H * W * C) << 2);
    for (let oh = 0; oh < OH; oh++) {
      const kh0 = tapStart(oh, SH, PT), kh1 = tapEnd(oh, SH, PT, KH, H);
      for (let ow = 0; ow < OW; ow++) {
        const kw0 = tapStart(ow, SW, PL), kw1 = tapEnd(ow, SW, PL, KW, W);
        if (kh0 > 0 || kh1 < KH || kw0 > 0 || kw1 < KW) memory.fill(row, 0, rowLen);
        if (kw1 > kw0) {
          // Taps kw0..kw1 of one kernel row are contiguous in x (NHWC): copy them as one run.
          const run = <usize>(kw1 - kw0) * tapLen;
          for (let kh = kh0; kh < kh1; kh++) {
            const ih = oh * SH - PT + kh;
            const iw = ow * SW - PL + kw0;
            copyRun(row + <usize>(kh * KW + kw0) * tapLen, image + (<usize>((ih * W + iw) * C) << 2), run);
          }
        }
        row += rowLen;
      }
    }
  }
}

// dx = col2im(dcols): every column entry is added back to the input element it was copied from;
// padded taps are dropped. dx is overwritten. Rows are visited in order, so sums are deterministic.
export function col2im(
  cols: usize, dx: usize, N: i32, H: i32, W: i32, C: i32,
  KH: i32, KW: i32, SH: i32, SW: i32, PT: i32, PL: i32, OH: i32, OW: i32,
): void {
  memory.fill(dx, 0, <usize>N * H * W * C << 2);
  col2imRows(cols, <usize>(KH * KW * C) << 2, dx, 0, N * OH * OW, H, W, C, KH, KW, SH, SW, PT, PL, OH, OW);
}

// Adds rows [r0, r0+rows) of a column matrix (row stride ld bytes; row r0 at cols) into dx, row
// by row in order: what col2im does for those rows, in its order. dx is the whole batch's.
export function col2imRows(
  cols: usize, ld: usize, dx: usize, r0: i32, rows: i32, H: i32, W: i32, C: i32,
  KH: i32, KW: i32, SH: i32, SW: i32, PT: i32, PL: i32, OH: i32, OW: i32,
): void {
  const positions = OH * OW;
  const n0 = r0 / positions;
  let oh = (r0 - n0 * positions) / OW;
  let ow = r0 - n0 * positions - oh * OW;
  let image = dx + (<usize>(n0 * H * W * C) << 2);
  let row = cols;
  for (let r = 0; r < rows; r++) {
    const kh0 = tapStart(oh, SH, PT), kh1 = tapEnd(oh, SH, PT, KH, H);
    const kw0 = tapStart(ow, SW, PL), kw1 = tapEnd(ow, SW, PL, KW, W);
    const len = (kw1 - kw0) * C;
    for (let kh = kh0; kh < kh1; kh++) {
      const ih = oh * SH - PT + kh;
      const iw = ow * SW - PL + kw0;
      const src = row + (<usize>((kh * KW + kw0) * C) << 2);
      const dst = image + (<usize>((ih * W + iw) * C) << 2);
      let i = 0;
      if (ASC_FEATURE_SIMD) {
        for (; i + 4 <= len; i += 4) {
          const o = <usize>i << 2;
          v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(src + o)));
        }
      }
      for (; i < len; i++) {
        const o = <usize>i << 2;
        store<f32>(dst + o, load<f32>(dst + o) + load<f32>(src + o));
      }
    }
    row += ld;
    if (++ow == OW) {
      ow = 0;
      if (++oh == OH) {
        oh = 0;
        image += <usize>(H * W * C) << 2;
      }
    }
  }
}

// wt [KH, KW, CO, C] = w [KH, KW, C, CO] rotated half a turn in (kh, kw), channels swapped: the
// kernel of the transposed convolution, so that a stride-1 convolution's input gradient is
// the convolution of dy (padded by KH-1-PT, KW-1-PL) with wt.
export function flipKernel(w: usize, wt: usize, KH: i32, KW: i32, C: i32, CO: i32): void {
  for (let kh = 0; kh < KH; kh++) {
    for (let kw = 0; kw < KW; kw++) {
      const src = w + (<usize>((kh * KW + kw) * C * CO) << 2);
      const dst = wt + (<usize>(((KH - 1 - kh) * KW + KW - 1 - kw) * CO * C) << 2);
      for (let c = 0; c < C; c++) {
        for (let co = 0; co < CO; co++) {
          store<f32>(dst + (<usize>(co * C + c) << 2), load<f32>(src + (<usize>(c * CO + co) << 2)));
        }
      }
    }
  }
}

// General matrix multiply, the kernel under dense layers and (through im2col) convolutions.
//
//   C[M,N] = op(A)[M,K] * op(B)[K,N]      (accumulate = 0)
//   C[M,N] += op(A)[M,K] * op(B)[K,N]     (accumulate = 1)
// op(A) = A stored row-major [M,K], or A stored [K,M] when transA = 1;
// op(B) = B stored row-major [K,N], or B stored [N,K] when transB = 1.
//
// Goto/BLIS structure: op(B) is packed into KC x NR slivers, op(A) into MC x KC panels of MR-row
// slivers, and a register-tiled MR x NR micro-kernel runs over the packed data. Packing absorbs the
// transposes, so every form runs the same micro-kernel at the same speed. Row-major A is packed
// with 4x4 shuffle transposes: with few output columns (convolutions with 20-64 filters) a scalar
// packing loop would cost as much as the multiply itself.
//
// Why 4x8 and no unrolling: V8 keeps 16 xmm registers; a 6x8 or 4x12 tile, or a k loop unrolled
// twice, makes TurboFan hoist the loads and spill accumulators to the stack, 20-30% slower
// (measured). The micro-kernel's addresses are immediate offsets from two pointers and its loop
// ends on one of them, so a k step is 6 loads, 16 vector ops and 3 integer ops (two pointer adds
// and the compare): dropping the k counter made every GEMM form 6-10% faster (docs/benchmarks.md).
//
// Summation order is fixed: each C element is summed over k in order within a K block (K is split
// into equal blocks of at most KC), and the blocks are added into C in order. It depends only on
// (M, N, K), never on the machine.
//
// Convolutions run the same driver with op(A) = im2col(x) (forward) or im2col(x)^T (weight
// gradient) and no column matrix in memory: each A panel is packed straight from the NHWC input
// (packColumns forward, packColumnsT for the weight gradient), and only the rows or positions
// whose windows touch the padding are gathered first (gatherColumns). The packed values, the K
// blocks and the micro-kernel are those of im2col + gemm, so the bits are too; what goes is the
// column matrix's round trip through memory (written by im2col, read back by packA), which with
// 20-64 output columns weighs on the multiply: without it the deeper CNN layers' forward ran
// 1.05-1.3x faster, and without the gathered copy of the panel 1.0-1.1x more (docs/benchmarks.md).
//
// `work` is caller-provided scratch of GEMM_WORK_FLOATS floats (16-byte aligned): the kernel
// allocates nothing.

import { madd, fmadd, copyRun } from "./simd";
import { col2imRows } from "./conv";

// Micro-tile: 4 rows x 8 columns = eight f32x4 accumulators, two B vectors and one broadcast A
// value live in registers (11 of the 16 xmm registers V8 has on x64).
const MR: i32 = 4;
const NR: i32 = 8;
// K depth of a packed block: a B sliver (KC*NR floats = 8 KiB) stays in L1.
const KC: i32 = 256;
// Rows of A per packed panel: MC*KC floats = 96 KiB, resident in L2.
const MC: i32 = 96;
// Columns of B per packed block: KC*NC floats = 4 MiB at most.
const NC: i32 = 4096;

// A convolution whose kernel rows are runs of fewer floats of x than this (KW * C: a first layer
// with one input channel, or a small kernel over few channels) reads its A operand straight from x
// (microDirect): gathering and packing runs of 5 floats would cost as much as the multiply.
// Measured on LeNet-5's conv1 (KW * C = 5): forward 1.32-1.64x, weight gradient 1.38-1.56x over
// runs; on CIFAR's (KW * C = 9, 32 filters sharing each packed sliver) the packed path was the
// faster, 0.92x and 0.76-0.98x direct.
const DIRECT_RUN_FLOATS: i32 = 8;

// Taps of a direct convolution's patch at most (their offsets are a table in the scratch).
const DIRECT_TAPS: i32 = 1792;

// Floats of scratch the caller must provide: packed A panel, packed B block, one edge tile, a
// convolution's gathered window of columns (MC x KC or KC x MC), and a direct convolution's tables
// (tap offsets, and a K block's window bases).
export const GEMM_WORK_FLOATS: i32 = MC * KC + KC * NC + MR * NR + MC * KC + DIRECT_TAPS + KC;

// Where op(A) comes from: a stored matrix, the im2col matrix of an NHWC input, or its transpose.
const A_MATRIX: i32 = 0;
const A_COLUMNS: i32 = 1;
const A_COLUMNS_T: i32 = 2;

// The convolution's window geometry (as im2col takes it) for the current call; set by the exported
// entry points, read by gatherColumns. Each WebAssembly instance (thread) has its own.
let gH: i32 = 0, gW: i32 = 0, gC: i32 = 0, gKH: i32 = 0, gKW: i32 = 0;
let gSH: i32 = 0, gSW: i32 = 0, gPT: i32 = 0, gPL: i32 = 0, gOH: i32 = 0, gOW: i32 = 0;

// dst[r][q] = cols[r0 + r][c0 + q] for r < rows, q < width (row stride `width` floats), where cols
// is im2col(x) for the current geometry: row (n, oh, ow), column (kh, kw, c), padded taps zero.
// A kernel row's valid taps are one contiguous run of x, copied as such.
function gatherColumns(x: usize, dst: usize, r0: i32, rows: i32, c0: i32, width: i32): void {
  const C = gC, KWC = gKW * gC;
  const rowBytes = <usize>(gW * C) << 2;
  const imageBytes = <usize>(gH * gW * C) << 2;
  const c1 = c0 + width;
  const khFirst = c0 / KWC, khLast = (c1 - 1) / KWC;
  // Row r0's (n, oh, ow), then stepped row by row: no divisions per row.
  const positions = gOH * gOW;
  const n0 = r0 / positions;
  let oh = (r0 - n0 * positions) / gOW;
  let ow = r0 - n0 * positions - oh * gOW;
  let image = x + <usize>n0 * imageBytes;
  // The current row's output, biased by -c0 columns: column j of the window's row is at out + 4j.
  let out = dst - (<usize>c0 << 2);
  const outStride = <usize>width << 2;
  for (let r = 0; r < rows; r++) {
    const ihBase = oh * gSH - gPT, iwBase = ow * gSW - gPL;
    if (ihBase >= 0 && ihBase + gKH <= gH && iwBase >= 0 && iwBase + gKW <= gW) {
      // Every tap inside the image: kernel row kh is one run of KWC floats of x.
      let src = image + <usize>(ihBase * gW + iwBase) * (<usize>C << 2) + <usize>khFirst * rowBytes;
      for (let kh = khFirst; kh <= khLast; kh++) {
        const seg0 = max(c0, kh * KWC), seg1 = min(c1, kh * KWC + KWC);
        copyRun(out + (<usize>seg0 << 2), src + (<usize>(seg0 - kh * KWC) << 2), <usize>(seg1 - seg0) << 2);
        src += rowBytes;
      }
    } else {
      const kw0 = max(0, -iwBase), kw1 = min(gKW, gW - iwBase);
      for (let kh = khFirst; kh <= khLast; kh++) {
        const seg0 = max(c0, kh * KWC), seg1 = min(c1, kh * KWC + KWC);
        const ih = ihBase + kh;
        // The valid taps' columns [v0, v1) of this kernel row, within the window; zeros around.
        let v0 = seg1, v1 = seg1;
        if (ih >= 0 && ih < gH && kw1 > kw0) {
          v0 = min(seg1, max(seg0, kh * KWC + kw0 * C));
          v1 = max(v0, min(seg1, kh * KWC + kw1 * C));
        }
        if (v0 > seg0) memory.fill(out + (<usize>seg0 << 2), 0, <usize>(v0 - seg0) << 2);
        if (v1 > v0) {
          // Column kh*KWC + q (q = kw*C + c) is x[ih, iwBase + kw, c], at (ih*W + iwBase)*C + q.
          const src = image + (<usize>((ih * gW + iwBase) * C + v0 - kh * KWC) << 2);
          copyRun(out + (<usize>v0 << 2), src, <usize>(v1 - v0) << 2);
        }
        if (seg1 > v1) memory.fill(out + (<usize>v1 << 2), 0, <usize>(seg1 - v1) << 2);
      }
    }
    out += outStride;
    if (++ow == gOW) {
      ow = 0;
      if (++oh == gOH) {
        oh = 0;
        image += imageBytes;
      }
    }
  }
}


// Packs rows [r0, r0+mc) x columns [c0, c0+kc) of im2col(x) into MR-row slivers, as packA packs
// the gathered matrix, without gathering it: a row whose window lies inside the image reads each
// kernel row's run from x, and only a row whose window touches the padding is gathered first (into
// its own row of `scratch`, kc floats); rows past mc read zeros. Four rows' runs are then
// transposed 4x4 into the sliver, one kernel row at a time. The packed values are packA's, so the
// bits are those of gathering everything.
function packColumns(x: usize, r0: i32, mc: i32, c0: i32, kc: i32, dst: usize, scratch: usize): void {
  if (!ASC_FEATURE_SIMD) {
    gatherColumns(x, scratch, r0, mc, c0, kc);
    packA(0, mc, kc, scratch, 0, mc, 0, kc, dst);
    return;
  }
  const C = gC, KWC = gKW * gC;
  const rowBytes = <usize>(gW * C) << 2;
  const imageBytes = <usize>(gH * gW * C) << 2;
  const scratchRow = <usize>kc << 2;
  const c1 = c0 + kc;
  const khFirst = c0 / KWC, khLast = (c1 - 1) / KWC;
  const positions = gOH * gOW;
  const n0 = r0 / positions;
  let oh = (r0 - n0 * positions) / gOW;
  let ow = r0 - n0 * positions - oh * gOW;
  let image = x + <usize>n0 * imageBytes;
  // Per row of a group: where its window's columns [c0, c1) start, and whether that is x (the
  // window's first kernel row kh = khFirst, column c0 - khFirst*KWC) or its gathered scratch row.
  let w0: usize = 0, w1: usize = 0, w2: usize = 0, w3: usize = 0;
  let g0 = false, g1 = false, g2 = false, g3 = false;
  for (let ir = 0; ir < mc; ir += MR) {
    const mr = min(MR, mc - ir);
    for (let r = 0; r < MR; r++) {
      let start: usize, gathered = true;
      const own = scratch + <usize>r * scratchRow;
      if (r >= mr) {
        memory.fill(own, 0, scratchRow);
        start = own;
      } else {
        const ihBase = oh * gSH - gPT, iwBase = ow * gSW - gPL;
        if (ihBase >= 0 && ihBase + gKH <= gH && iwBase >= 0 && iwBase + gKW <= gW) {
          start = image + <usize>(ihBase * gW + iwBase) * (<usize>C << 2) + <usize>khFirst * rowBytes + (<usize>(c0 - khFirst * KWC) << 2);
          gathered = false;
        } else {
          gatherColumns(x, own, r0 + ir + r, 1, c0, kc);
          start = own;
        }
        if (++ow == gOW) {
          ow = 0;
          if (++oh == gOH) {
            oh = 0;
            image += imageBytes;
          }
        }
      }
      if (r == 0) { w0 = start; g0 = gathered; } else if (r == 1) { w1 = start; g1 = gathered; } else if (r == 2) { w2 = start; g2 = gathered; } else { w3 = start; g3 = gathered; }
    }
    const sliver = dst + (<usize>(ir * kc) << 2);
    for (let kh = khFirst; kh <= khLast; kh++) {
      const seg0 = max(c0, kh * KWC), seg1 = min(c1, kh * KWC + KWC);
      // Column seg0 of each row: in x, kernel row kh starts rowBytes further per row of the
      // kernel and column seg0 sits seg0 - kh*KWC floats in; gathered, seg0 - c0 floats in.
      const inX = <usize>(kh - khFirst) * rowBytes + (<usize>(seg0 - kh * KWC) << 2) - (<usize>(c0 - khFirst * KWC) << 2);
      const inScratch = <usize>(seg0 - c0) << 2;
      const s0 = w0 + (g0 ? inScratch : inX), s1 = w1 + (g1 ? inScratch : inX);
      const s2 = w2 + (g2 ? inScratch : inX), s3 = w3 + (g3 ? inScratch : inX);
      const out0 = sliver + (<usize>((seg0 - c0) * MR) << 2);
      const bytes = <usize>(seg1 - seg0) << 2;
      let q: usize = 0;
      for (; q + 16 <= bytes; q += 16) {
        const v0 = v128.load(s0 + q), v1 = v128.load(s1 + q), v2 = v128.load(s2 + q), v3 = v128.load(s3 + q);
        const t0 = v128.shuffle<f32>(v0, v1, 0, 4, 1, 5);
        const t1 = v128.shuffle<f32>(v0, v1, 2, 6, 3, 7);
        const t2 = v128.shuffle<f32>(v2, v3, 0, 4, 1, 5);
        const t3 = v128.shuffle<f32>(v2, v3, 2, 6, 3, 7);
        const out = out0 + (q << 2);
        v128.store(out, v128.shuffle<i64>(t0, t2, 0, 2));
        v128.store(out, v128.shuffle<i64>(t0, t2, 1, 3), 16);
        v128.store(out, v128.shuffle<i64>(t1, t3, 0, 2), 32);
        v128.store(out, v128.shuffle<i64>(t1, t3, 1, 3), 48);
      }
      for (; q < bytes; q += 4) {
        const out = out0 + (q << 2);
        store<f32>(out, load<f32>(s0 + q));
        store<f32>(out + 4, load<f32>(s1 + q));
        store<f32>(out + 8, load<f32>(s2 + q));
        store<f32>(out + 12, load<f32>(s3 + q));
      }
    }
  }
}

// Packs rows [t0, t0+mc) x depth [p0, p0+kc) of im2col(x)^T (rows: taps, depth: positions) into
// MR-row slivers, as packA packs the gathered window stored transposed, without gathering it
// where it can. Each position's window start goes into `bases` (a u32 per position): in x when the
// window lies inside the image, else the position's taps [t0, t0+mc) are gathered into a scratch
// row (mc floats) and its address, tagged with the low bit, goes there instead. Four taps of one
// kernel row are four consecutive floats of a window, so each position gives its sliver one
// vector; four taps across a kernel-row boundary, or a short last group, are read one by one.
function packColumnsT(x: usize, t0: i32, mc: i32, p0: i32, kc: i32, dst: usize, scratch: usize, bases: usize): void {
  const C = gC, KWC = gKW * gC;
  const imageBytes = <usize>(gH * gW * C) << 2;
  const positions = gOH * gOW;
  const n0 = p0 / positions;
  let oh = (p0 - n0 * positions) / gOW;
  let ow = p0 - n0 * positions - oh * gOW;
  let image = x + <usize>n0 * imageBytes;
  for (let k = 0; k < kc; k++) {
    const ih = oh * gSH - gPT, iw = ow * gSW - gPL;
    let base: usize;
    if (ih >= 0 && ih + gKH <= gH && iw >= 0 && iw + gKW <= gW) {
      base = image + (<usize>((ih * gW + iw) * C) << 2);
    } else {
      const row = scratch + (<usize>(k * mc) << 2);
      gatherColumns(x, row, p0 + k, 1, t0, mc);
      base = row | 1;
    }
    store<u32>(bases + (<usize>k << 2), <u32>base);
    if (++ow == gOW) {
      ow = 0;
      if (++oh == gOH) {
        oh = 0;
        image += imageBytes;
      }
    }
  }
  for (let ir = 0; ir < mc; ir += MR) {
    const mr = min(MR, mc - ir);
    const sliver = dst + (<usize>(ir * kc) << 2);
    const t = t0 + ir;
    const kh = t / KWC;
    // Tap t = (kh, q) sits (kh*W*C + q) floats from its window's start, q = t - kh*KWC; in a
    // gathered row, ir floats in.
    const inScratch = (<usize>ir << 2) - 1;
    if (ASC_FEATURE_SIMD && mr == MR && (t + MR - 1) / KWC == kh) {
      const inX = <usize>(kh * gW * C + t - kh * KWC) << 2;
      for (let k = 0; k < kc; k++) {
        const b = <usize>load<u32>(bases + (<usize>k << 2));
        v128.store(sliver + (<usize>(k * MR) << 2), v128.load(b + select<usize>(inScratch, inX, b & 1)));
      }
      continue;
    }
    for (let r = 0; r < MR; r++) {
      const out = sliver + (<usize>r << 2);
      if (r >= mr) {
        for (let k = 0; k < kc; k++) store<f32>(out + (<usize>(k * MR) << 2), 0);
        continue;
      }
      const tr = t + r, khr = tr / KWC;
      const inX = <usize>(khr * gW * C + tr - khr * KWC) << 2;
      const inRow = inScratch + (<usize>r << 2);
      for (let k = 0; k < kc; k++) {
        const b = <usize>load<u32>(bases + (<usize>k << 2));
        store<f32>(out + (<usize>(k * MR) << 2), load<f32>(b + select<usize>(inRow, inX, b & 1)));
      }
    }
  }
}

export function gemmWorkFloats(): i32 {
  return GEMM_WORK_FLOATS;
}

// Packs rows [i0, i0+mc) x depth [p0, p0+kc) of op(A) into MR-row slivers, each laid out
// [kc][MR], zero-padded past the last row.
function packA(transA: i32, M: i32, K: i32, a: usize, i0: i32, mc: i32, p0: i32, kc: i32, dst: usize): void {
  for (let ir = 0; ir < mc; ir += MR) {
    const mr = min(MR, mc - ir);
    const sliver = dst + (<usize>(ir * kc) << 2);
    if (transA) {
      // A stored [K, M]: the MR values of one k are contiguous.
      for (let k = 0; k < kc; k++) {
        const src = a + (<usize>((p0 + k) * M + i0 + ir) << 2);
        const out = sliver + (<usize>(k * MR) << 2);
        if (mr == MR) {
          if (ASC_FEATURE_SIMD) {
            v128.store(out, v128.load(src));
            continue;
          }
        }
        for (let r = 0; r < MR; r++) store<f32>(out + (<usize>r << 2), r < mr ? load<f32>(src + (<usize>r << 2)) : 0);
      }
    } else {
      // A stored [M, K]: four rows at a time, transposed 4x4 with shuffles into [k][MR].
      let k = 0;
      if (ASC_FEATURE_SIMD) {
        if (mr == MR) {
          const r0 = a + (<usize>((i0 + ir) * K + p0) << 2);
          const ld = <usize>K << 2;
          for (; k + 4 <= kc; k += 4) {
            const src = r0 + (<usize>k << 2);
            const v0 = v128.load(src), v1 = v128.load(src + ld), v2 = v128.load(src + 2 * ld), v3 = v128.load(src + 3 * ld);
            const t0 = v128.shuffle<f32>(v0, v1, 0, 4, 1, 5);
            const t1 = v128.shuffle<f32>(v0, v1, 2, 6, 3, 7);
            const t2 = v128.shuffle<f32>(v2, v3, 0, 4, 1, 5);
            const t3 = v128.shuffle<f32>(v2, v3, 2, 6, 3, 7);
            const out = sliver + (<usize>(k * MR) << 2);
            v128.store(out, v128.shuffle<i64>(t0, t2, 0, 2));
            v128.store(out, v128.shuffle<i64>(t0, t2, 1, 3), 16);
            v128.store(out, v128.shuffle<i64>(t1, t3, 0, 2), 32);
            v128.store(out, v128.shuffle<i64>(t1, t3, 1, 3), 48);
          }
        }
      }
      for (let r = 0; r < MR; r++) {
        const out = sliver + (<usize>r << 2);
        if (r < mr) {
          const src = a + (<usize>((i0 + ir + r) * K + p0) << 2);
          for (let kk = k; kk < kc; kk++) store<f32>(out + (<usize>(kk * MR) << 2), load<f32>(src + (<usize>kk << 2)));
        } else {
          for (let kk = k; kk < kc; kk++) store<f32>(out + (<usize>(kk * MR) << 2), 0);
        }
      }
    }
  }
}

// Packs depth [p0, p0+kc) x columns [j0, j0+nc) of op(B) into NR-column slivers, each laid out
// [kc][NR], zero-padded past the last column.
function packB(transB: i32, N: i32, K: i32, b: usize, p0: i32, kc: i32, j0: i32, nc: i32, dst: usize): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = min(NR, nc - jr);
    const sliver = dst + (<usize>(jr * kc) << 2);
    if (transB) {
      // B stored [N, K]: each column of op(B) is a contiguous row of B.
      for (let c = 0; c < NR; c++) {
        const out = sliver + (<usize>c << 2);
        if (c < nr) {
          const src = b + (<usize>((j0 + jr + c) * K + p0) << 2);
          for (let k = 0; k < kc; k++) store<f32>(out + (<usize>(k * NR) << 2), load<f32>(src + (<usize>k << 2)));
        } else {
          for (let k = 0; k < kc; k++) store<f32>(out + (<usize>(k * NR) << 2), 0);
        }
      }
    } else {
      // B stored [K, N]: the NR values of one k are contiguous.
      for (let k = 0; k < kc; k++) {
        const src = b + (<usize>((p0 + k) * N + j0 + jr) << 2);
        const out = sliver + (<usize>(k * NR) << 2);
        if (nr == NR) {
          if (ASC_FEATURE_SIMD) {
            v128.store(out, v128.load(src));
            v128.store(out, v128.load(src, 16), 16);
            continue;
          }
        }
        for (let c = 0; c < NR; c++) store<f32>(out + (<usize>c << 2), c < nr ? load<f32>(src + (<usize>c << 2)) : 0);
      }
    }
  }
}

// The MR x NR micro-kernel: tile[MR,NR] (+)= Ap[kc][MR]^T * Bp[kc][NR], tile row stride ldc bytes.
// add = 0 stores the product, add = 1 adds it to the tile.
function micro(kc: i32, pa: usize, pb: usize, c: usize, ldc: usize, add: i32): void {
  if (ASC_FEATURE_SIMD) {
    let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
    let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
    let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
    let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
    const pbEnd = pb + (<usize>(kc * NR) << 2);
    while (pb < pbEnd) {
      const b0 = v128.load(pb);
      const b1 = v128.load(pb, 16);
      let a = v128.load32_splat(pa);
      c00 = madd(a, b0, c00);
      c01 = madd(a, b1, c01);
      a = v128.load32_splat(pa, 4);
      c10 = madd(a, b0, c10);
      c11 = madd(a, b1, c11);
      a = v128.load32_splat(pa, 8);
      c20 = madd(a, b0, c20);
      c21 = madd(a, b1, c21);
      a = v128.load32_splat(pa, 12);
      c30 = madd(a, b0, c30);
      c31 = madd(a, b1, c31);
      pa += MR << 2;
      pb += NR << 2;
    }
    if (add) {
      c00 = f32x4.add(v128.load(c), c00);
      c01 = f32x4.add(v128.load(c, 16), c01);
      c10 = f32x4.add(v128.load(c + ldc), c10);
      c11 = f32x4.add(v128.load(c + ldc, 16), c11);
      c20 = f32x4.add(v128.load(c + 2 * ldc), c20);
      c21 = f32x4.add(v128.load(c + 2 * ldc, 16), c21);
      c30 = f32x4.add(v128.load(c + 3 * ldc), c30);
      c31 = f32x4.add(v128.load(c + 3 * ldc, 16), c31);
    }
    v128.store(c, c00);
    v128.store(c, c01, 16);
    v128.store(c + ldc, c10);
    v128.store(c + ldc, c11, 16);
    v128.store(c + 2 * ldc, c20);
    v128.store(c + 2 * ldc, c21, 16);
    v128.store(c + 3 * ldc, c30);
    v128.store(c + 3 * ldc, c31, 16);
  } else {
    // Scalar build: same order of operations per element as one SIMD lane above.
    for (let r = 0; r < MR; r++) {
      for (let j = 0; j < NR; j++) {
        let s: f32 = 0;
        for (let k = 0; k < kc; k++) {
          s = fmadd(load<f32>(pa + (<usize>(k * MR + r) << 2)), load<f32>(pb + (<usize>(k * NR + j) << 2)), s);
        }
        const dst = c + <usize>r * ldc + (<usize>j << 2);
        store<f32>(dst, add ? load<f32>(dst) + s : s);
      }
    }
  }
}

// The MR x 4 micro-kernel for a last sliver of at most 4 columns (N = 10, 20, 50, ...): it reads
// only the first half of each packed B row, so an edge sliver costs half a full one. Same operation
// order per element as micro().
function microHalf(kc: i32, pa: usize, pb: usize, c: usize, ldc: usize, add: i32): void {
  if (ASC_FEATURE_SIMD) {
    let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
    const pbEnd = pb + (<usize>(kc * NR) << 2);
    while (pb < pbEnd) {
      const b0 = v128.load(pb);
      c0 = madd(v128.load32_splat(pa), b0, c0);
      c1 = madd(v128.load32_splat(pa, 4), b0, c1);
      c2 = madd(v128.load32_splat(pa, 8), b0, c2);
      c3 = madd(v128.load32_splat(pa, 12), b0, c3);
      pa += MR << 2;
      pb += NR << 2;
    }
    if (add) {
      c0 = f32x4.add(v128.load(c), c0);
      c1 = f32x4.add(v128.load(c + ldc), c1);
      c2 = f32x4.add(v128.load(c + 2 * ldc), c2);
      c3 = f32x4.add(v128.load(c + 3 * ldc), c3);
    }
    v128.store(c, c0);
    v128.store(c + ldc, c1);
    v128.store(c + 2 * ldc, c2);
    v128.store(c + 3 * ldc, c3);
  } else {
    for (let r = 0; r < MR; r++) {
      for (let j = 0; j < 4; j++) {
        let s: f32 = 0;
        for (let k = 0; k < kc; k++) {
          s = fmadd(load<f32>(pa + (<usize>(k * MR + r) << 2)), load<f32>(pb + (<usize>(k * NR + j) << 2)), s);
        }
        const dst = c + <usize>r * ldc + (<usize>j << 2);
        store<f32>(dst, add ? load<f32>(dst) + s : s);
      }
    }
  }
}

// C[M,N] (+)= A[M,K] * B[K,N] for M < MR (a batch of 1-3 samples at inference), without packing:
// packing would copy all of B to use it once or twice. Same K blocks and the same per-element
// order of operations as the packed path, so results do not depend on the batch size.
function gemmFewRows(M: i32, N: i32, K: i32, a: usize, b: usize, c: usize, accumulate: i32, kDepth: i32): void {
  const ldb = <usize>N << 2;
  for (let m = 0; m < M; m++) {
    const arow = a + (<usize>(m * K) << 2);
    const crow = c + <usize>m * ldb;
    for (let pc = 0; pc < K; pc += kDepth) {
      const kc = min(kDepth, K - pc);
      const add = pc > 0 || accumulate;
      let j = 0;
      if (ASC_FEATURE_SIMD) {
        for (; j + 4 <= N; j += 4) {
          let acc = f32x4.splat(0);
          let pb = b + <usize>pc * ldb + (<usize>j << 2);
          for (let k = 0; k < kc; k++) {
            acc = madd(v128.load32_splat(arow + (<usize>(pc + k) << 2)), v128.load(pb), acc);
            pb += ldb;
          }
          const dst = crow + (<usize>j << 2);
          v128.store(dst, add ? f32x4.add(v128.load(dst), acc) : acc);
        }
      }
      for (; j < N; j++) {
        let acc: f32 = 0;
        for (let k = 0; k < kc; k++) {
          acc = fmadd(load<f32>(arow + (<usize>(pc + k) << 2)), load<f32>(b + <usize>(pc + k) * ldb + (<usize>j << 2)), acc);
        }
        const dst = crow + (<usize>j << 2);
        store<f32>(dst, add ? load<f32>(dst) + acc : acc);
      }
    }
  }
}

export function gemm(
  transA: i32, transB: i32, M: i32, N: i32, K: i32,
  a: usize, b: usize, c: usize, accumulate: i32, work: usize,
): void {
  gemmRows(transA, transB, M, N, K, a, b, c, accumulate, work, 0, M);
}

// Rows [i0, i1) of the same product: what one thread computes when a GEMM is split across
// threads by output rows. Each C element is summed exactly as gemm sums it (same K blocks, same
// order, same micro-kernel), so any split gives gemm's bits. i0 must be a multiple of MR.
export function gemmRows(
  transA: i32, transB: i32, M: i32, N: i32, K: i32,
  a: usize, b: usize, c: usize, accumulate: i32, work: usize, i0: i32, i1: i32,
): void {
  gemmDriver(A_MATRIX, transA, transB, M, N, K, a, b, c, accumulate, work, i0, i1);
}

// Rows [i0, i1) of y[N*OH*OW, CO] = im2col(x) * w, w the [KH*KW*C, CO] kernel matrix: the bits
// of im2col followed by gemmRows(0, 0, ...), without the column matrix. i0 a multiple of MR.
export function convGemmRows(
  x: usize, w: usize, y: usize, N: i32, H: i32, W: i32, C: i32,
  KH: i32, KW: i32, SH: i32, SW: i32, PT: i32, PL: i32, OH: i32, OW: i32,
  CO: i32, work: usize, i0: i32, i1: i32,
): void {
  setGeometry(H, W, C, KH, KW, SH, SW, PT, PL, OH, OW);
  gemmDriver(A_COLUMNS, 0, 0, N * OH * OW, CO, KH * KW * C, x, w, y, 0, work, i0, i1);
}

// Rows [i0, i1) of dw[KH*KW*C, CO] (+)= im2col(x)^T * dy, dy [N*OH*OW, CO]: the weight gradient,
// with the bits of im2col followed by gemmRows(1, 0, ...). i0 a multiple of MR.
export function convFilterGemmRows(
  x: usize, dy: usize, dw: usize, N: i32, H: i32, W: i32, C: i32,
  KH: i32, KW: i32, SH: i32, SW: i32, PT: i32, PL: i32, OH: i32, OW: i32,
  CO: i32, accumulate: i32, work: usize, i0: i32, i1: i32,
): void {
  setGeometry(H, W, C, KH, KW, SH, SW, PT, PL, OH, OW);
  gemmDriver(A_COLUMNS_T, 1, 0, KH * KW * C, CO, N * OH * OW, x, dy, dw, accumulate, work, i0, i1);
}

function setGeometry(H: i32, W: i32, C: i32, KH: i32, KW: i32, SH: i32, SW: i32, PT: i32, PL: i32, OH: i32, OW: i32): void {
  gH = H; gW = W; gC = C; gKH = KH; gKW = KW; gSH = SH; gSW = SW; gPT = PT; gPL = PL; gOH = OH; gOW = OW;
}

// The blocked product for rows [i0, i1) of C, op(A) taken from `aSource` (A_MATRIX: a is A;
// A_COLUMNS / A_COLUMNS_T: a is the NHWC input whose im2col matrix, or its transpose, is op(A)).
function gemmDriver(
  aSource: i32, transA: i32, transB: i32, M: i32, N: i32, K: i32,
  a: usize, b: usize, c: usize, accumulate: i32, work: usize, i0: i32, i1: i32,
): void {
  if (M <= 0 || N <= 0 || i1 <= i0) return;
  const ldc = <usize>N << 2;
  if (K <= 0) {
    if (!accumulate) memory.fill(c + <usize>i0 * ldc, 0, <usize>(i1 - i0) * ldc);
    return;
  }
  const packedA = work;
  const packedB = work + (<usize>(MC * KC) << 2);
  const tile = packedB + (<usize>(KC * NC) << 2);
  const gathered = tile + (<usize>(MR * NR) << 2);
  const kBlocks = (K + KC - 1) / KC;
  const kDepth = (K + kBlocks - 1) / kBlocks;
  if (aSource == A_MATRIX && M < MR && !transA && !transB) {
    gemmFewRows(M, N, K, a, b, c, accumulate, kDepth);
    return;
  }
  const offsets = gathered + (<usize>(MC * KC) << 2);
  const bases = offsets + (<usize>DIRECT_TAPS << 2);
  const taps = aSource == A_COLUMNS ? K : M;
  const direct = aSource != A_MATRIX && gKW * gC < DIRECT_RUN_FLOATS && taps <= DIRECT_TAPS;
  if (direct) {
    // Byte offset in x of tap t = (kh, kw, c) from a window's first tap: (kh*W + kw)*C + c.
    for (let t = 0; t < taps; t++) {
      const kh = t / (gKW * gC), kw = (t - kh * gKW * gC) / gC, ch = t - (kh * gKW + kw) * gC;
      store<i32>(offsets + (<usize>t << 2), ((kh * gW + kw) * gC + ch) << 2);
    }
  }
  for (let jc = 0; jc < N; jc += NC) {
    const nc = min(NC, N - jc);
    for (let pc = 0; pc < K; pc += kDepth) {
      const kc = min(kDepth, K - pc);
      const add = pc > 0 || accumulate ? 1 : 0;
      packB(transB, N, K, b, pc, kc, jc, nc, packedB);
      if (direct && aSource == A_COLUMNS) {
        directRows(a, pc, kc, i0, i1, packedB, c, ldc, jc, nc, add, tile, offsets, gathered, packedA);
        continue;
      }
      if (direct && windowBases(a, pc, kc, bases)) {
        directTapRows(kc, i0, i1, M, packedB, c, ldc, jc, nc, add, tile, offsets, bases);
        continue;
      }
      for (let ic = i0; ic < i1; ic += MC) {
        const mc = min(MC, i1 - ic);
        if (aSource == A_MATRIX) {
          packA(transA, M, K, a, ic, mc, pc, kc, packedA);
        } else if (aSource == A_COLUMNS) {
          // Rows [ic, ic+mc) x columns [pc, pc+kc) of im2col(x), as an mc x kc matrix.
          packColumns(a, ic, mc, pc, kc, packedA, gathered);
        } else {
          // op(A) = im2col(x)^T: its rows [ic, ic+mc) are columns of im2col(x), its depth
          // [pc, pc+kc) rows of it; gathered as the kc x mc matrix A stored transposed.
          packColumnsT(a, ic, mc, pc, kc, packedA, gathered, bases);
        }
        panelProduct(kc, packedA, packedB, c, ldc, ic, mc, jc, nc, add, tile);
      }
    }
  }
}

// C[ic.., jc..] (+)= a packed A panel (mc x kc) times a packed B block (kc x nc), tile by tile.
function panelProduct(
  kc: i32, packedA: usize, packedB: usize, c: usize, ldc: usize,
  ic: i32, mc: i32, jc: i32, nc: i32, add: i32, tile: usize,
): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = min(NR, nc - jr);
    const pb = packedB + (<usize>(jr * kc) << 2);
    for (let ir = 0; ir < mc; ir += MR) {
      const mr = min(MR, mc - ir);
      const pa = packedA + (<usize>(ir * kc) << 2);
      const dst = c + <usize>(ic + ir) * ldc + (<usize>(jc + jr) << 2);
      if (mr == MR && nr == NR) {
        micro(kc, pa, pb, dst, ldc, add);
      } else {
        // Edge tile: compute the tile into scratch (half of it when at most 4 columns are
        // real), then write the valid part.
        if (nr <= 4) microHalf(kc, pa, pb, tile, <usize>NR << 2, 0);
        else micro(kc, pa, pb, tile, <usize>NR << 2, 0);
        writeTile(tile, dst, ldc, mr, nr, add);
      }
    }
  }
}

// tile[mr, nr] (row stride NR floats) stored into, or added to, C at dst.
function writeTile(tile: usize, dst: usize, ldc: usize, mr: i32, nr: i32, add: i32): void {
  for (let r = 0; r < mr; r++) {
    for (let j = 0; j < nr; j++) {
      const t = load<f32>(tile + (<usize>(r * NR + j) << 2));
      const out = dst + <usize>r * ldc + (<usize>j << 2);
      store<f32>(out, add ? load<f32>(out) + t : t);
    }
  }
}

// Rows [i0, i1) x depth [pc, pc+kc) of a direct convolution product (see DIRECT_RUN_FLOATS): each
// group of MR rows whose windows lie inside the image runs microDirect on x itself; a group that
// touches the padding (or is short) is gathered and packed as usual. Same products, same order:
// the bits of the packed path. `offsets` holds tap k's byte offset in x (set by gemmDriver); a
// gathered group goes to `window`.
function directRows(
  x: usize, pc: i32, kc: i32, i0: i32, i1: i32, packedB: usize, c: usize, ldc: usize,
  jc: i32, nc: i32, add: i32, tile: usize, offsets: usize, window: usize, packedA: usize,
): void {
  const C = gC;
  const imageFloats = gH * gW * C;
  const positions = gOH * gOW;
  const n0 = i0 / positions;
  let oh = (i0 - n0 * positions) / gOW;
  let ow = i0 - n0 * positions - oh * gOW;
  let image = n0 * imageFloats;
  const off = offsets + (<usize>pc << 2);
  for (let r = i0; r < i1; r += MR) {
    const mr = min(MR, i1 - r);
    let inside = mr == MR;
    let x0: usize = 0, x1: usize = 0, x2: usize = 0, x3: usize = 0;
    for (let j = 0; j < mr; j++) {
      const ih = oh * gSH - gPT, iw = ow * gSW - gPL;
      if (ih < 0 || ih + gKH > gH || iw < 0 || iw + gKW > gW) inside = false;
      const base = x + (<usize>(image + (ih * gW + iw) * C) << 2);
      if (j == 0) x0 = base;
      else if (j == 1) x1 = base;
      else if (j == 2) x2 = base;
      else x3 = base;
      if (++ow == gOW) {
        ow = 0;
        if (++oh == gOH) {
          oh = 0;
          image += imageFloats;
        }
      }
    }
    if (inside) {
      directSlivers(kc, off, x0, x1, x2, x3, MR, packedB, c + <usize>r * ldc + (<usize>jc << 2), ldc, nc, add, tile);
    } else {
      gatherColumns(x, window, r, mr, pc, kc);
      packA(0, mr, kc, window, 0, mr, 0, kc, packedA);
      panelProduct(kc, packedA, packedB, c, ldc, r, mr, jc, nc, add, tile);
    }
  }
}

// One group of MR rows of a direct product against every B sliver of the block: microDirect on
// each, through the edge tile where the sliver is short (nc not a multiple of NR) or the group is
// (mr < MR; its missing rows' addresses are valid memory, and dropped).
function directSlivers(
  kc: i32, table: usize, a0: usize, a1: usize, a2: usize, a3: usize, mr: i32,
  packedB: usize, dstRow: usize, ldc: usize, nc: i32, add: i32, tile: usize,
): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = min(NR, nc - jr);
    const pb = packedB + (<usize>(jr * kc) << 2);
    const dst = dstRow + (<usize>jr << 2);
    if (mr == MR && nr == NR) {
      microDirect(kc, table, a0, a1, a2, a3, pb, dst, ldc, add, 8);
    } else {
      microDirect(kc, table, a0, a1, a2, a3, pb, tile, <usize>NR << 2, 0, nr <= 4 ? 4 : 8);
      writeTile(tile, dst, ldc, mr, nr, add);
    }
  }
}

// micro() with the A sliver read from x: row r's value at depth k is the float at ar + table[k].
// Forward, ar is row r's window in x and the table holds the taps' offsets in a window; for the
// weight gradient, ar is tap r's offset and the table holds the positions' windows. `width` 4
// computes only the first four columns (as microHalf). Per element the same operations in the
// same order as micro, so the same bits.
function microDirect(
  kc: i32, table: usize, x0: usize, x1: usize, x2: usize, x3: usize,
  pb: usize, c: usize, ldc: usize, add: i32, width: i32,
): void {
  if (ASC_FEATURE_SIMD) {
    let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
    let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
    let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
    let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
    const pbEnd = pb + (<usize>(kc * NR) << 2);
    let tp = table;
    if (width == 8) {
      while (pb < pbEnd) {
        const o = <usize>load<u32>(tp);
        tp += 4;
        const b0 = v128.load(pb);
        const b1 = v128.load(pb, 16);
        let a = v128.load32_splat(x0 + o);
        c00 = madd(a, b0, c00);
        c01 = madd(a, b1, c01);
        a = v128.load32_splat(x1 + o);
        c10 = madd(a, b0, c10);
        c11 = madd(a, b1, c11);
        a = v128.load32_splat(x2 + o);
        c20 = madd(a, b0, c20);
        c21 = madd(a, b1, c21);
        a = v128.load32_splat(x3 + o);
        c30 = madd(a, b0, c30);
        c31 = madd(a, b1, c31);
        pb += NR << 2;
      }
    } else {
      while (pb < pbEnd) {
        const o = <usize>load<u32>(tp);
        tp += 4;
        const b0 = v128.load(pb);
        c00 = madd(v128.load32_splat(x0 + o), b0, c00);
        c10 = madd(v128.load32_splat(x1 + o), b0, c10);
        c20 = madd(v128.load32_splat(x2 + o), b0, c20);
        c30 = madd(v128.load32_splat(x3 + o), b0, c30);
        pb += NR << 2;
      }
    }
    if (add) {
      c00 = f32x4.add(v128.load(c), c00);
      c10 = f32x4.add(v128.load(c + ldc), c10);
      c20 = f32x4.add(v128.load(c + 2 * ldc), c20);
      c30 = f32x4.add(v128.load(c + 3 * ldc), c30);
      if (width == 8) {
        c01 = f32x4.add(v128.load(c, 16), c01);
        c11 = f32x4.add(v128.load(c + ldc, 16), c11);
        c21 = f32x4.add(v128.load(c + 2 * ldc, 16), c21);
        c31 = f32x4.add(v128.load(c + 3 * ldc, 16), c31);
      }
    }
    v128.store(c, c00);
    v128.store(c + ldc, c10);
    v128.store(c + 2 * ldc, c20);
    v128.store(c + 3 * ldc, c30);
    if (width == 8) {
      v128.store(c, c01, 16);
      v128.store(c + ldc, c11, 16);
      v128.store(c + 2 * ldc, c21, 16);
      v128.store(c + 3 * ldc, c31, 16);
    }
  } else {
    for (let r = 0; r < MR; r++) {
      const xr = r == 0 ? x0 : r == 1 ? x1 : r == 2 ? x2 : x3;
      for (let j = 0; j < width; j++) {
        let s: f32 = 0;
        for (let k = 0; k < kc; k++) {
          const o = <usize>load<u32>(table + (<usize>k << 2));
          s = fmadd(load<f32>(xr + o), load<f32>(pb + (<usize>(k * NR + j) << 2)), s);
        }
        const dst = c + <usize>r * ldc + (<usize>j << 2);
        store<f32>(dst, add ? load<f32>(dst) + s : s);
      }
    }
  }
}

// The weight gradient's direct form: positions [pc, pc+kc) are the depth, so each gets its
// window's byte address in x (bases[k]); false if any of those windows touches the padding (the
// block is then gathered and packed as usual).
function windowBases(x: usize, pc: i32, kc: i32, bases: usize): bool {
  const C = gC;
  const imageFloats = gH * gW * C;
  const positions = gOH * gOW;
  const n0 = pc / positions;
  let oh = (pc - n0 * positions) / gOW;
  let ow = pc - n0 * positions - oh * gOW;
  let image = n0 * imageFloats;
  for (let k = 0; k < kc; k++) {
    const ih = oh * gSH - gPT, iw = ow * gSW - gPL;
    if (ih < 0 || ih + gKH > gH || iw < 0 || iw + gKW > gW) return false;
    store<u32>(bases + (<usize>k << 2), <u32>(x + (<usize>(image + (ih * gW + iw) * C) << 2)));
    if (++ow == gOW) {
      ow = 0;
      if (++oh == gOH) {
        oh = 0;
        image += imageFloats;
      }
    }
  }
  return true;
}

// Rows (taps) [i0, i1) of the weight gradient over depth (positions) [pc, pc+kc), every window
// inside the image: microDirect with the taps' offsets as the rows and the windows as the table.
function directTapRows(
  kc: i32, i0: i32, i1: i32, M: i32, packedB: usize, c: usize, ldc: usize,
  jc: i32, nc: i32, add: i32, tile: usize, offsets: usize, bases: usize,
): void {
  for (let r = i0; r < i1; r += MR) {
    // Rows past the last tap repeat it (valid memory); the tile path drops them.
    const o0 = <usize>load<u32>(offsets + (<usize>r << 2));
    const o1 = <usize>load<u32>(offsets + (<usize>min(r + 1, M - 1) << 2));
    const o2 = <usize>load<u32>(offsets + (<usize>min(r + 2, M - 1) << 2));
    const o3 = <usize>load<u32>(offsets + (<usize>min(r + 3, M - 1) << 2));
    directSlivers(kc, bases, o0, o1, o2, o3, min(MR, i1 - r), packedB, c + <usize>r * ldc + (<usize>jc << 2), ldc, nc, add, tile);
  }
}

// Patch taps (columns of the column matrix) the fused input gradient takes at most: a panel of MC
// rows of them and the packed kernel share the packed-B scratch.
const INPUT_GRADIENT_TAPS: i32 = 2048;

export function convInputGemmMaxTaps(): i32 {
  return INPUT_GRADIENT_TAPS;
}

// dx [N, H, W, C] = col2im(dy * w^T), dy [N*OH*OW, CO], w the [KH*KW*C, CO] kernel matrix: the
// input gradient, with the bits of gemm(0, 1, ...) into a column matrix followed by col2im, and
// no column matrix. Each panel of MC positions is multiplied into a scratch panel (L2-sized) and
// added into dx at once, positions in order, as col2im adds them. KH*KW*C <= INPUT_GRADIENT_TAPS.
export function convInputGemm(
  dy: usize, w: usize, dx: usize, N: i32, H: i32, W: i32, C: i32,
  KH: i32, KW: i32, SH: i32, SW: i32, PT: i32, PL: i32, OH: i32, OW: i32,
  CO: i32, work: usize,
): void {
  const taps = KH * KW * C;
  if (taps > INPUT_GRADIENT_TAPS) unreachable();
  memory.fill(dx, 0, <usize>N * H * W * C << 2);
  const M = N * OH * OW;
  if (M <= 0 || taps <= 0 || CO <= 0) return;
  const packedA = work;
  const packedB = work + (<usize>(MC * KC) << 2);
  const tile = packedB + (<usize>(KC * NC) << 2);
  const kBlocks = (CO + KC - 1) / KC;
  const kDepth = (CO + kBlocks - 1) / kBlocks;
  const width = (taps + NR - 1) / NR * NR;
  const ldp = <usize>width << 2;
  // op(B) = w^T, [CO, taps]: packed whole (every K block) when it fits beside the panel, else
  // block by block for each panel.
  const resident = CO * width + MC * width <= KC * NC;
  const panel = packedB + (<usize>((resident ? CO : KC) * width) << 2);
  if (resident) {
    for (let pc = 0; pc < CO; pc += kDepth) packB(1, taps, CO, w, pc, min(kDepth, CO - pc), 0, taps, packedB + (<usize>(pc * width) << 2));
  }
  for (let ic = 0; ic < M; ic += MC) {
    const mc = min(MC, M - ic);
    for (let pc = 0; pc < CO; pc += kDepth) {
      const kc = min(kDepth, CO - pc);
      let pb = packedB + (<usize>(pc * width) << 2);
      if (!resident) {
        pb = packedB;
        packB(1, taps, CO, w, pc, kc, 0, taps, pb);
      }
      packA(0, M, CO, dy, ic, mc, pc, kc, packedA);
      panelProduct(kc, packedA, pb, panel - (<usize>ic * ldp), ldp, ic, mc, 0, taps, pc > 0 ? 1 : 0, tile);
    }
    col2imRows(panel, ldp, dx, ic, mc, H, W, C, KH, KW, SH, SW, PT, PL, OH, OW);
  }
}

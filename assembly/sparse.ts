// Sparse-weight x dense-activation product, the kernel under pruned dense layers and (through
// im2col) pruned convolutions at inference:
//
//   C[M,N] = A[M,K] * S[K,N]
// A is row-major [M,K] (activations, or im2col columns); S is in compressed sparse columns:
// column j's nonzeros are values[colPtr[j] .. colPtr[j+1]) at rows rowIdx[...] (ascending), with
// colPtr i32 [N+1], rowIdx i32 [nnz], values f32 [nnz].
//
// Summation order is fixed and the same in every path and build: C[i,j] = 0 + A[i,k0]*v0 + A[i,k1]*v1
// + ... over column j's nonzeros in storage order, each step a rounded multiply then a rounded add
// (never fused, also in the relaxed build), so the simd, scalar and threaded results are identical.
//
// Batches of 4 rows or more: A's rows are transposed, panelRows(K) rows at a time, into `work`
// ([K, panelRows(K)] floats of `work`, sparseWorkFloats(K)), so that one nonzero multiplies 4 consecutive rows with one f32x4 load;
// blocks of 16 rows keep 4 accumulators in registers. Fewer rows (batch 1): a gather per nonzero,
// four columns interleaved so that four independent add chains hide the add latency.

// Rows [i0, i1) of C, by gathering A[i, k] (no transpose).
function gatherRows(N: i32, K: i32, colPtr: usize, rowIdx: usize, values: usize, a: usize, c: usize, i0: i32, i1: i32): void {
  for (let i = i0; i < i1; i++) {
    const row = a + (<usize>(i * K) << 2);
    const out = c + (<usize>(i * N) << 2);
    let j = 0;
    for (; j + 4 <= N; j += 4) {
      let p0 = load<i32>(colPtr + (<usize>j << 2));
      let p1 = load<i32>(colPtr + (<usize>(j + 1) << 2));
      let p2 = load<i32>(colPtr + (<usize>(j + 2) << 2));
      let p3 = load<i32>(colPtr + (<usize>(j + 3) << 2));
      const e0 = p1, e1 = p2, e2 = p3;
      const e3 = load<i32>(colPtr + (<usize>(j + 4) << 2));
      let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
      // Four chains for as many nonzeros as every column has (one loop test per step), then each column's rest.
      const common = min(min(e0 - p0, e1 - p1), min(e2 - p2, e3 - p3));
      for (let t = 0; t < common; t++) {
        s0 = s0 + load<f32>(row + (<usize>load<i32>(rowIdx + (<usize>p0 << 2)) << 2)) * load<f32>(values + (<usize>p0 << 2));
        s1 = s1 + load<f32>(row + (<usize>load<i32>(rowIdx + (<usize>p1 << 2)) << 2)) * load<f32>(values + (<usize>p1 << 2));
        s2 = s2 + load<f32>(row + (<usize>load<i32>(rowIdx + (<usize>p2 << 2)) << 2)) * load<f32>(values + (<usize>p2 << 2));
        s3 = s3 + load<f32>(row + (<usize>load<i32>(rowIdx + (<usize>p3 << 2)) << 2)) * load<f32>(values + (<usize>p3 << 2));
        p0++;
        p1++;
        p2++;
        p3++;
      }
      for (; p0 < e0; p0++) s0 = s0 + load<f32>(row + (<usize>load<i32>(rowIdx + (<usize>p0 << 2)) << 2)) * load<f32>(values + (<usize>p0 << 2));
      for (; p1 < e1; p1++) s1 = s1 + load<f32>(row + (<usize>load<i32>(rowIdx + (<usize>p1 << 2)) << 2)) * load<f32>(values + (<usize>p1 << 2));
      for (; p2 < e2; p2++) s2 = s2 + load<f32>(row + (<usize>load<i32>(rowIdx + (<usize>p2 << 2)) << 2)) * load<f32>(values + (<usize>p2 << 2));
      for (; p3 < e3; p3++) s3 = s3 + load<f32>(row + (<usize>load<i32>(rowIdx + (<usize>p3 << 2)) << 2)) * load<f32>(values + (<usize>p3 << 2));
      store<f32>(out + (<usize>j << 2), s0);
      store<f32>(out + (<usize>(j + 1) << 2), s1);
      store<f32>(out + (<usize>(j + 2) << 2), s2);
      store<f32>(out + (<usize>(j + 3) << 2), s3);
    }
    for (; j < N; j++) {
      const e = load<i32>(colPtr + (<usize>(j + 1) << 2));
      let s: f32 = 0;
      for (let p = load<i32>(colPtr + (<usize>j << 2)); p < e; p++) {
        s = s + load<f32>(row + (<usize>load<i32>(rowIdx + (<usize>p << 2)) << 2)) * load<f32>(values + (<usize>p << 2));
      }
      store<f32>(out + (<usize>j << 2), s);
    }
  }
}

// Rows per transposed panel: a panel of A^T ([K, rows] floats) stays in cache while every column
// of S runs over it. Transposing a whole large batch at once (a convolution's rows are batch x
// positions, tens of thousands) writes with a stride of the batch and misses the cache on every
// store. 64 rows, fewer for deep products, so that a panel stays within 256 KB (a dense layer with
// K = 3136 inputs at batch 64 ran at half speed with 64-row panels, 800 KB). A multiple of 16 rows
// (the register block); the panel size changes no sum's order, so no bit.
function panelRows(K: i32): i32 {
  return max(16, min(64, (65536 / max(K, 1)) & ~15));
}

// Floats of `work` one call (or one thread's share) needs for depth K.
export function sparseWorkFloats(K: i32): i32 {
  return panelRows(K) * K;
}

// t[k, r] = a[r, k] for r < m, k < K (a row-major [m, K], t [K, m]): 4x4 blocks through shuffles,
// the edges one float at a time. Requires the SIMD build.
function transposePanel(a: usize, t: usize, m: i32, K: i32): void {
  const rowBytes = <usize>K << 2, outBytes = <usize>m << 2;
  let r = 0;
  for (; r + 4 <= m; r += 4) {
    const src = a + <usize>r * rowBytes;
    let k = 0;
    for (; k + 4 <= K; k += 4) {
      const at = src + (<usize>k << 2);
      const r0 = v128.load(at), r1 = v128.load(at + rowBytes), r2 = v128.load(at + 2 * rowBytes), r3 = v128.load(at + 3 * rowBytes);
      const lo01 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5), hi01 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
      const lo23 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5), hi23 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
      const dst = t + (<usize>(k * m + r) << 2);
      v128.store(dst, v128.shuffle<f32>(lo01, lo23, 0, 1, 4, 5));
      v128.store(dst + outBytes, v128.shuffle<f32>(lo01, lo23, 2, 3, 6, 7));
      v128.store(dst + 2 * outBytes, v128.shuffle<f32>(hi01, hi23, 0, 1, 4, 5));
      v128.store(dst + 3 * outBytes, v128.shuffle<f32>(hi01, hi23, 2, 3, 6, 7));
    }
    for (; k < K; k++) {
      for (let q = 0; q < 4; q++) store<f32>(t + (<usize>(k * m + r + q) << 2), load<f32>(src + <usize>q * rowBytes + (<usize>k << 2)));
    }
  }
  for (; r < m; r++) {
    const src = a + <usize>r * rowBytes;
    for (let k = 0; k < K; k++) store<f32>(t + (<usize>(k * m + r) << 2), load<f32>(src + (<usize>k << 2)));
  }
}

// Rows [i0, i1) of C with f32x4 lanes over rows, in panels of panelRows(K) rows; requires the SIMD build.
function vectorRows(N: i32, K: i32, colPtr: usize, rowIdx: usize, values: usize, a: usize, c: usize, work: usize, i0: i32, i1: i32): void {
  const t = work;
  const panel = panelRows(K);
  for (let p0 = i0; p0 < i1; p0 += panel) {
    const m = min(panel, i1 - p0);
    if (m < 4) {
      gatherRows(N, K, colPtr, rowIdx, values, a, c, p0, p0 + m);
      break;
    }
    transposePanel(a + (<usize>(p0 * K) << 2), t, m, K);
    const stride = <usize>m << 2;
    const ld = <usize>N << 2;
    let r = 0;
    for (; r + 16 <= m; r += 16) {
      const base = t + (<usize>r << 2);
      for (let j = 0; j < N; j++) {
        const e = load<i32>(colPtr + (<usize>(j + 1) << 2));
        let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
        for (let p = load<i32>(colPtr + (<usize>j << 2)); p < e; p++) {
          const v = f32x4.splat(load<f32>(values + (<usize>p << 2)));
          const x = base + <usize>load<i32>(rowIdx + (<usize>p << 2)) * stride;
          s0 = f32x4.add(s0, f32x4.mul(v128.load(x), v));
          s1 = f32x4.add(s1, f32x4.mul(v128.load(x, 16), v));
          s2 = f32x4.add(s2, f32x4.mul(v128.load(x, 32), v));
          s3 = f32x4.add(s3, f32x4.mul(v128.load(x, 48), v));
        }
        const out = c + (<usize>((p0 + r) * N + j) << 2);
        storeLanes(out, ld, s0);
        storeLanes(out + 4 * ld, ld, s1);
        storeLanes(out + 8 * ld, ld, s2);
        storeLanes(out + 12 * ld, ld, s3);
      }
    }
    for (; r + 4 <= m; r += 4) {
      const base = t + (<usize>r << 2);
      for (let j = 0; j < N; j++) {
        const e = load<i32>(colPtr + (<usize>(j + 1) << 2));
        let s = f32x4.splat(0);
        for (let p = load<i32>(colPtr + (<usize>j << 2)); p < e; p++) {
          const v = f32x4.splat(load<f32>(values + (<usize>p << 2)));
          s = f32x4.add(s, f32x4.mul(v128.load(base + <usize>load<i32>(rowIdx + (<usize>p << 2)) * stride), v));
        }
        storeLanes(c + (<usize>((p0 + r) * N + j) << 2), ld, s);
      }
    }
    if (r < m) gatherRows(N, K, colPtr, rowIdx, values, a, c, p0 + r, p0 + m);
  }
}

// Writes the four lanes of s to out, out + ld, out + 2 ld, out + 3 ld (bytes).
// @ts-ignore: decorator
@inline function storeLanes(out: usize, ld: usize, s: v128): void {
  store<f32>(out, f32x4.extract_lane(s, 0));
  store<f32>(out + ld, f32x4.extract_lane(s, 1));
  store<f32>(out + 2 * ld, f32x4.extract_lane(s, 2));
  store<f32>(out + 3 * ld, f32x4.extract_lane(s, 3));
}

// Rows [i0, i1) of C = A S (a thread's share; `work`: sparseWorkFloats(K) floats of its own).
export function sparseMatmulRows(M: i32, N: i32, K: i32, colPtr: usize, rowIdx: usize, values: usize, a: usize, c: usize, work: usize, i0: i32, i1: i32): void {
  if (ASC_FEATURE_SIMD) {
    if (i1 - i0 >= 4) {
      vectorRows(N, K, colPtr, rowIdx, values, a, c, work, i0, i1);
      return;
    }
  }
  gatherRows(N, K, colPtr, rowIdx, values, a, c, i0, i1);
}

// C[M,N] = A[M,K] S[K,N] (see the top of this file); `work` holds sparseWorkFloats(K) floats.
export function sparseMatmul(M: i32, N: i32, K: i32, colPtr: usize, rowIdx: usize, values: usize, a: usize, c: usize, work: usize): void {
  sparseMatmulRows(M, N, K, colPtr, rowIdx, values, a, c, work, 0, M);
}

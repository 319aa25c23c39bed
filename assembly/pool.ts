// Max and average pooling over NHWC, forward and backward.
//
// Geometry: x [N, H, W, C] -> y [N, OH, OW, C]; window KH x KW, strides SH, SW; output (oh, ow)
// covers input rows oh*SH - PT .. +KH and columns ow*SW - PL .. +KW. Padded positions never win a
// max and are not counted by the average (as TensorFlow's 'same' padding).

// @ts-ignore: decorator
@inline function start(o: i32, S: i32, P: i32): i32 {
  return max(0, o * S - P);
}
// @ts-ignore: decorator
@inline function end(o: i32, S: i32, P: i32, K: i32, size: i32): i32 {
  return min(size, o * S - P + K);
}

// y = max over the window. argmax (i32, same shape as y) receives the flat index into x of each
// maximum (the first one on ties), for the backward pass; pass argmax = 0 to skip it (inference).
export function maxPoolForward(
  x: usize, y: usize, argmax: usize, N: i32, H: i32, W: i32, C: i32,
  KH: i32, KW: i32, SH: i32, SW: i32, PT: i32, PL: i32, OH: i32, OW: i32,
): void {
  maxPoolForwardImages(x, y, argmax, N, H, W, C, KH, KW, SH, SW, PT, PL, OH, OW, 0, N);
}

// Images [n0, n1) of maxPoolForward (x, y, argmax the whole batch's; argmax indices into all of
// x): what one thread computes when pooling is split by images.
export function maxPoolForwardImages(
  x: usize, y: usize, argmax: usize, N: i32, H: i32, W: i32, C: i32,
  KH: i32, KW: i32, SH: i32, SW: i32, PT: i32, PL: i32, OH: i32, OW: i32, n0: i32, n1: i32,
): void {
  let out = n0 * OH * OW * C;
  for (let n = n0; n < n1; n++) {
    const base = n * H * W;
    for (let oh = 0; oh < OH; oh++) {
      const h0 = start(oh, SH, PT), h1 = end(oh, SH, PT, KH, H);
      for (let ow = 0; ow < OW; ow++) {
        const w0 = start(ow, SW, PL), w1 = end(ow, SW, PL, KW, W);
        const first = (base + h0 * W + w0) * C;
        let c = 0;
        if (ASC_FEATURE_SIMD) {
          if (!argmax && h1 - h0 == 2 && w1 - w0 == 2) {
            // Inference on a whole 2x2 window (the common pooling): unrolled, without the indices,
            // the same comparisons in the same order.
            const right = <usize>C << 2, down = <usize>(W * C) << 2;
            for (; c + 4 <= C; c += 4) {
              const at = x + (<usize>(first + c) << 2);
              let best = v128.load(at);
              let v = v128.load(at + right);
              best = v128.bitselect(v, best, f32x4.gt(v, best));
              v = v128.load(at + down);
              best = v128.bitselect(v, best, f32x4.gt(v, best));
              v = v128.load(at + down + right);
              best = v128.bitselect(v, best, f32x4.gt(v, best));
              v128.store(y + (<usize>(out + c) << 2), best);
            }
          }
          for (; c + 4 <= C; c += 4) {
            let best = v128.load(x + (<usize>(first + c) << 2));
            let where = i32x4.add(i32x4.splat(first + c), i32x4(0, 1, 2, 3));
            for (let h = h0; h < h1; h++) {
              for (let w = w0; w < w1; w++) {
                const idx = (base + h * W + w) * C + c;
                const v = v128.load(x + (<usize>idx << 2));
                const better = f32x4.gt(v, best);
                best = v128.bitselect(v, best, better);
                where = v128.bitselect(i32x4.add(i32x4.splat(idx), i32x4(0, 1, 2, 3)), where, better);
              }
            }
            v128.store(y + (<usize>(out + c) << 2), best);
            if (argmax) v128.store(argmax + (<usize>(out + c) << 2), where);
          }
        }
        for (; c < C; c++) {
          let best = load<f32>(x + (<usize>(first + c) << 2));
          let where = first + c;
          for (let h = h0; h < h1; h++) {
            for (let w = w0; w < w1; w++) {
              const idx = (base + h * W + w) * C + c;
              const v = load<f32>(x + (<usize>idx << 2));
              if (v > best) { best = v; where = idx; }
            }
          }
          store<f32>(y + (<usize>(out + c) << 2), best);
          if (argmax) store<i32>(argmax + (<usize>(out + c) << 2), where);
        }
        out += C;
      }
    }
  }
}

// dx = 0, then dx[argmax[i]] += dy[i] for every output i, in order.   dy, argmax: [outSize]; dx: [inSize]
export function maxPoolBackward(dy: usize, argmax: usize, dx: usize, outSize: i32, inSize: i32): void {
  maxPoolBackwardRange(dy, argmax, dx, 0, outSize, 0, inSize);
}

// dx[i0, i1) = 0, then dx[argmax[i]] += dy[i] for outputs i in [o0, o1), in order: one thread's
// images, whose outputs' maxima all lie in its own inputs.
export function maxPoolBackwardRange(dy: usize, argmax: usize, dx: usize, o0: i32, o1: i32, i0: i32, i1: i32): void {
  memory.fill(dx + (<usize>i0 << 2), 0, <usize>(i1 - i0) << 2);
  for (let i = o0; i < o1; i++) {
    const dst = dx + (<usize>load<i32>(argmax + (<usize>i << 2)) << 2);
    store<f32>(dst, load<f32>(dst) + load<f32>(dy + (<usize>i << 2)));
  }
}

// y = mean over the in-bounds part of the window.
export function avgPoolForward(
  x: usize, y: usize, N: i32, H: i32, W: i32, C: i32,
  KH: i32, KW: i32, SH: i32, SW: i32, PT: i32, PL: i32, OH: i32, OW: i32,
): void {
  let out = y;
  for (let n = 0; n < N; n++) {
    const image = x + (<usize>(n * H * W * C) << 2);
    for (let oh = 0; oh < OH; oh++) {
      const h0 = start(oh, SH, PT), h1 = end(oh, SH, PT, KH, H);
      for (let ow = 0; ow < OW; ow++) {
        const w0 = start(ow, SW, PL), w1 = end(ow, SW, PL, KW, W);
        const inv: f32 = 1 / <f32>((h1 - h0) * (w1 - w0));
        memory.fill(out, 0, <usize>C << 2);
        for (let h = h0; h < h1; h++) {
          for (let w = w0; w < w1; w++) {
            const src = image + (<usize>((h * W + w) * C) << 2);
            let c = 0;
            if (ASC_FEATURE_SIMD) {
              for (; c + 4 <= C; c += 4) {
                const o = <usize>c << 2;
                v128.store(out + o, f32x4.add(v128.load(out + o), v128.load(src + o)));
              }
            }
            for (; c < C; c++) {
              const o = <usize>c << 2;
              store<f32>(out + o, load<f32>(out + o) + load<f32>(src + o));
            }
          }
        }
        let c = 0;
        if (ASC_FEATURE_SIMD) {
          const vinv = f32x4.splat(inv);
          for (; c + 4 <= C; c += 4) {
            const o = <usize>c << 2;
            v128.store(out + o, f32x4.mul(v128.load(out + o), vinv));
          }
        }
        for (; c < C; c++) {
          const o = <usize>c << 2;
          store<f32>(out + o, load<f32>(out + o) * inv);
        }
        out += <usize>C << 2;
      }
    }
  }
}

// dx = 0, then each dy / count is added to every in-bounds input of its window, in order.
export function avgPoolBackward(
  dy: usize, dx: usize, N: i32, H: i32, W: i32, C: i32,
  KH: i32, KW: i32, SH: i32, SW: i32, PT: i32, PL: i32, OH: i32, OW: i32,
): void {
  memory.fill(dx, 0, <usize>N * H * W * C << 2);
  let g = dy;
  for (let n = 0; n < N; n++) {
    const image = dx + (<usize>(n * H * W * C) << 2);
    for (let oh = 0; oh < OH; oh++) {
      const h0 = start(oh, SH, PT), h1 = end(oh, SH, PT, KH, H);
      for (let ow = 0; ow < OW; ow++) {
        const w0 = start(ow, SW, PL), w1 = end(ow, SW, PL, KW, W);
        const inv: f32 = 1 / <f32>((h1 - h0) * (w1 - w0));
        for (let h = h0; h < h1; h++) {
          for (let w = w0; w < w1; w++) {
            const dst = image + (<usize>((h * W + w) * C) << 2);
            let c = 0;
            if (ASC_FEATURE_SIMD) {
              const vinv = f32x4.splat(inv);
              for (; c + 4 <= C; c += 4) {
                const o = <usize>c << 2;
                v128.store(dst + o, f32x4.add(v128.load(dst + o), f32x4.mul(v128.load(g + o), vinv)));
              }
            }
            for (; c < C; c++) {
              const o = <usize>c << 2;
              store<f32>(dst + o, load<f32>(dst + o) + load<f32>(g + o) * inv);
            }
          }
        }
        g += <usize>C << 2;
      }
    }
  }
}

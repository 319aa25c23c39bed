// Batch normalisation over a [rows, C] activation: rows = N for dense layers, N*H*W for NHWC conv
// layers; statistics are per channel c.
//
// Per-channel sums run over up to N*H*W rows (131072 for a CIFAR batch), and the gradients batch
// norm passes back are small differences of such sums, so they are accumulated in f64 (in `work`,
// caller-provided scratch of 2*C f64), rows in order, vectorised across channels: deterministic and
// as precise as TensorFlow.js's cpu kernels.

// @ts-ignore: decorator
@inline function lowPair(v: v128): v128 {
  return f64x2.promote_low_f32x4(v);
}
// @ts-ignore: decorator
@inline function highPair(v: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1));
}

// acc[c] (f64) += x[r, c] - center[c] (center f64, or 0 when centerPtr = 0), squared when square.
function accumulate(x: usize, acc: usize, center: usize, rows: i32, C: i32, square: bool): void {
  memory.fill(acc, 0, <usize>C << 3);
  const ld = <usize>C << 2;
  for (let r = 0; r < rows; r++) {
    const row = x + <usize>r * ld;
    let c = 0;
    if (ASC_FEATURE_SIMD) {
      for (; c + 4 <= C; c += 4) {
        const v = v128.load(row + (<usize>c << 2));
        const a = acc + (<usize>c << 3);
        let lo = lowPair(v), hi = highPair(v);
        if (center) {
          lo = f64x2.sub(lo, v128.load(center + (<usize>c << 3)));
          hi = f64x2.sub(hi, v128.load(center + (<usize>c << 3), 16));
        }
        if (square) {
          lo = f64x2.mul(lo, lo);
          hi = f64x2.mul(hi, hi);
        }
        v128.store(a, f64x2.add(v128.load(a), lo));
        v128.store(a, f64x2.add(v128.load(a, 16), hi), 16);
      }
    }
    for (; c < C; c++) {
      let v = <f64>load<f32>(row + (<usize>c << 2));
      if (center) v -= load<f64>(center + (<usize>c << 3));
      if (square) v *= v;
      const a = acc + (<usize>c << 3);
      store<f64>(a, load<f64>(a) + v);
    }
  }
}

// y = gamma * (x - mean) / sqrt(var + eps) + beta, per channel, with the given f32 statistics.
function normalize(
  x: usize, y: usize, gamma: usize, beta: usize, mean: usize, variance: usize,
  rows: i32, C: i32, eps: f32,
): void {
  const ld = <usize>C << 2;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * ld, yr = y + <usize>r * ld;
    let c = 0;
    if (ASC_FEATURE_SIMD) {
      const veps = f32x4.splat(eps);
      for (; c + 4 <= C; c += 4) {
        const o = <usize>c << 2;
        const scale = f32x4.div(v128.load(gamma + o), f32x4.sqrt(f32x4.add(v128.load(variance + o), veps)));
        const v = f32x4.mul(f32x4.sub(v128.load(xr + o), v128.load(mean + o)), scale);
        v128.store(yr + o, f32x4.add(v, v128.load(beta + o)));
      }
    }
    for (; c < C; c++) {
      const o = <usize>c << 2;
      const scale = load<f32>(gamma + o) / Mathf.sqrt(load<f32>(variance + o) + eps);
      store<f32>(yr + o, (load<f32>(xr + o) - load<f32>(mean + o)) * scale + load<f32>(beta + o));
    }
  }
}

// Training mode: mean[C] and variance[C] (biased, two-pass, f64 sums) of this batch are written
// out, then y = gamma * (x - mean) / sqrt(variance + eps) + beta.   x, y: [rows, C]; y may alias x
// work: 2*C f64 of scratch.
export function batchNormForwardTrain(
  x: usize, y: usize, gamma: usize, beta: usize, mean: usize, variance: usize,
  rows: i32, C: i32, eps: f32, work: usize,
): void {
  const mean64 = work, acc = work + (<usize>C << 3);
  const inv: f64 = 1 / <f64>rows;
  accumulate(x, mean64, 0, rows, C, false);
  for (let c = 0; c < C; c++) {
    const m = load<f64>(mean64 + (<usize>c << 3)) * inv;
    store<f64>(mean64 + (<usize>c << 3), m);
    store<f32>(mean + (<usize>c << 2), <f32>m);
  }
  accumulate(x, acc, mean64, rows, C, true);
  for (let c = 0; c < C; c++) store<f32>(variance + (<usize>c << 2), <f32>(load<f64>(acc + (<usize>c << 3)) * inv));
  normalize(x, y, gamma, beta, mean, variance, rows, C, eps);
}

// Inference mode: the same transform with the moving statistics.
export function batchNormForwardInference(
  x: usize, y: usize, gamma: usize, beta: usize, movingMean: usize, movingVariance: usize,
  rows: i32, C: i32, eps: f32,
): void {
  normalize(x, y, gamma, beta, movingMean, movingVariance, rows, C, eps);
}

// Backward of training mode, given the batch statistics saved by the forward pass:
//   xhat = (x - mean) * istd,  istd = 1 / sqrt(variance + eps)
//   dbeta[c]  = sum_r dy                 (f64 sum)
//   dgamma[c] = sum_r dy * xhat          (f32 products, f64 sum)
//   dx = gamma * istd * (dy - dbeta / rows - xhat * dgamma / rows)
// dgamma and dbeta are overwritten (this batch's gradients); dx may alias dy. work: 2*C f64.
export function batchNormBackward(
  x: usize, dy: usize, gamma: usize, mean: usize, variance: usize,
  dx: usize, dgamma: usize, dbeta: usize, rows: i32, C: i32, eps: f32, work: usize,
): void {
  const ld = <usize>C << 2;
  const sumDy = work, sumDyXhat = work + (<usize>C << 3);
  memory.fill(work, 0, <usize>C << 4);
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * ld, gr = dy + <usize>r * ld;
    let c = 0;
    if (ASC_FEATURE_SIMD) {
      const veps = f32x4.splat(eps), one = f32x4.splat(1);
      for (; c + 4 <= C; c += 4) {
        const o = <usize>c << 2, o8 = <usize>c << 3;
        const istd = f32x4.div(one, f32x4.sqrt(f32x4.add(v128.load(variance + o), veps)));
        const xhat = f32x4.mul(f32x4.sub(v128.load(xr + o), v128.load(mean + o)), istd);
        const g = v128.load(gr + o);
        const gx = f32x4.mul(g, xhat);
        v128.store(sumDy + o8, f64x2.add(v128.load(sumDy + o8), lowPair(g)));
        v128.store(sumDy + o8, f64x2.add(v128.load(sumDy + o8, 16), highPair(g)), 16);
        v128.store(sumDyXhat + o8, f64x2.add(v128.load(sumDyXhat + o8), lowPair(gx)));
        v128.store(sumDyXhat + o8, f64x2.add(v128.load(sumDyXhat + o8, 16), highPair(gx)), 16);
      }
    }
    for (; c < C; c++) {
      const o = <usize>c << 2, o8 = <usize>c << 3;
      const istd: f32 = 1 / Mathf.sqrt(load<f32>(variance + o) + eps);
      const xhat = (load<f32>(xr + o) - load<f32>(mean + o)) * istd;
      const g = load<f32>(gr + o);
      store<f64>(sumDy + o8, load<f64>(sumDy + o8) + <f64>g);
      store<f64>(sumDyXhat + o8, load<f64>(sumDyXhat + o8) + <f64>(g * xhat));
    }
  }
  for (let c = 0; c < C; c++) {
    store<f32>(dbeta + (<usize>c << 2), <f32>load<f64>(sumDy + (<usize>c << 3)));
    store<f32>(dgamma + (<usize>c << 2), <f32>load<f64>(sumDyXhat + (<usize>c << 3)));
  }
  const invRows: f32 = 1 / <f32>rows;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * ld, gr = dy + <usize>r * ld, dr = dx + <usize>r * ld;
    let c = 0;
    if (ASC_FEATURE_SIMD) {
      const veps = f32x4.splat(eps), one = f32x4.splat(1), vinv = f32x4.splat(invRows);
      for (; c + 4 <= C; c += 4) {
        const o = <usize>c << 2;
        const istd = f32x4.div(one, f32x4.sqrt(f32x4.add(v128.load(variance + o), veps)));
        const xhat = f32x4.mul(f32x4.sub(v128.load(xr + o), v128.load(mean + o)), istd);
        let t = f32x4.sub(v128.load(gr + o), f32x4.mul(v128.load(dbeta + o), vinv));
        t = f32x4.sub(t, f32x4.mul(xhat, f32x4.mul(v128.load(dgamma + o), vinv)));
        v128.store(dr + o, f32x4.mul(f32x4.mul(v128.load(gamma + o), istd), t));
      }
    }
    for (; c < C; c++) {
      const o = <usize>c << 2;
      const istd: f32 = 1 / Mathf.sqrt(load<f32>(variance + o) + eps);
      const xhat = (load<f32>(xr + o) - load<f32>(mean + o)) * istd;
      let t = load<f32>(gr + o) - load<f32>(dbeta + o) * invRows;
      t = t - xhat * (load<f32>(dgamma + o) * invRows);
      store<f32>(dr + o, (load<f32>(gamma + o) * istd) * t);
    }
  }
}

// Backward of inference mode (moving statistics are constants):
//   xhat = (x - mean) * istd,  istd = 1 / sqrt(variance + eps)
//   dbeta[c] = sum_r dy,  dgamma[c] = sum_r dy * xhat     (f64 sums, overwritten)
//   dx = dy * gamma * istd                                 (dx may alias dy)
// work: 2*C f64.
export function batchNormBackwardInference(
  x: usize, dy: usize, gamma: usize, mean: usize, variance: usize,
  dx: usize, dgamma: usize, dbeta: usize, rows: i32, C: i32, eps: f32, work: usize,
): void {
  const ld = <usize>C << 2;
  const sumDy = work, sumDyXhat = work + (<usize>C << 3);
  memory.fill(work, 0, <usize>C << 4);
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * ld, gr = dy + <usize>r * ld, dr = dx + <usize>r * ld;
    for (let c = 0; c < C; c++) {
      const o = <usize>c << 2, o8 = <usize>c << 3;
      const istd: f32 = 1 / Mathf.sqrt(load<f32>(variance + o) + eps);
      const xhat = (load<f32>(xr + o) - load<f32>(mean + o)) * istd;
      const g = load<f32>(gr + o);
      store<f64>(sumDy + o8, load<f64>(sumDy + o8) + <f64>g);
      store<f64>(sumDyXhat + o8, load<f64>(sumDyXhat + o8) + <f64>(g * xhat));
      store<f32>(dr + o, g * (load<f32>(gamma + o) * istd));
    }
  }
  for (let c = 0; c < C; c++) {
    store<f32>(dbeta + (<usize>c << 2), <f32>load<f64>(sumDy + (<usize>c << 3)));
    store<f32>(dgamma + (<usize>c << 2), <f32>load<f64>(sumDyXhat + (<usize>c << 3)));
  }
}

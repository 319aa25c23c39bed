// Batch normalisation over a [rows, C] activation: rows = N for dense layers, N*H*W for NHWC conv
// layers; statistics are per channel c. Sums run over rows in order (f32, vectorised across
// channels), so they are deterministic.

// Per-channel sums of src[rows, C] (or of its squared deviations from `center` when center != 0)
// into out[C], then scaled by 1/rows.
function channelMean(src: usize, center: usize, out: usize, rows: i32, C: i32): void {
  memory.fill(out, 0, <usize>C << 2);
  const ld = <usize>C << 2;
  for (let r = 0; r < rows; r++) {
    const row = src + <usize>r * ld;
    let c = 0;
    if (ASC_FEATURE_SIMD) {
      for (; c + 4 <= C; c += 4) {
        const o = <usize>c << 2;
        let v = v128.load(row + o);
        if (center) {
          v = f32x4.sub(v, v128.load(center + o));
          v = f32x4.mul(v, v);
        }
        v128.store(out + o, f32x4.add(v128.load(out + o), v));
      }
    }
    for (; c < C; c++) {
      const o = <usize>c << 2;
      let v = load<f32>(row + o);
      if (center) {
        v = v - load<f32>(center + o);
        v = v * v;
      }
      store<f32>(out + o, load<f32>(out + o) + v);
    }
  }
  const inv: f32 = 1 / <f32>rows;
  for (let c = 0; c < C; c++) {
    const o = <usize>c << 2;
    store<f32>(out + o, load<f32>(out + o) * inv);
  }
}

// y = gamma * (x - mean) / sqrt(var + eps) + beta, per channel, with the given statistics.
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

// Training mode: mean[C], variance[C] (biased, two-pass) of this batch are written out, then
// y = gamma * (x - mean) / sqrt(variance + eps) + beta.          x, y: [rows, C]; y may alias x
export function batchNormForwardTrain(
  x: usize, y: usize, gamma: usize, beta: usize, mean: usize, variance: usize,
  rows: i32, C: i32, eps: f32,
): void {
  channelMean(x, 0, mean, rows, C);
  channelMean(x, mean, variance, rows, C);
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
//   dbeta[c]  = sum_r dy
//   dgamma[c] = sum_r dy * xhat
//   dx = gamma * istd * (dy - dbeta / rows - xhat * dgamma / rows)
// dgamma and dbeta are overwritten (this batch's gradients); dx may alias dy.
export function batchNormBackward(
  x: usize, dy: usize, gamma: usize, mean: usize, variance: usize,
  dx: usize, dgamma: usize, dbeta: usize, rows: i32, C: i32, eps: f32,
): void {
  const ld = <usize>C << 2;
  memory.fill(dgamma, 0, ld);
  memory.fill(dbeta, 0, ld);
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * ld, gr = dy + <usize>r * ld;
    let c = 0;
    if (ASC_FEATURE_SIMD) {
      const veps = f32x4.splat(eps), one = f32x4.splat(1);
      for (; c + 4 <= C; c += 4) {
        const o = <usize>c << 2;
        const istd = f32x4.div(one, f32x4.sqrt(f32x4.add(v128.load(variance + o), veps)));
        const xhat = f32x4.mul(f32x4.sub(v128.load(xr + o), v128.load(mean + o)), istd);
        const g = v128.load(gr + o);
        v128.store(dbeta + o, f32x4.add(v128.load(dbeta + o), g));
        v128.store(dgamma + o, f32x4.add(v128.load(dgamma + o), f32x4.mul(g, xhat)));
      }
    }
    for (; c < C; c++) {
      const o = <usize>c << 2;
      const istd: f32 = 1 / Mathf.sqrt(load<f32>(variance + o) + eps);
      const xhat = (load<f32>(xr + o) - load<f32>(mean + o)) * istd;
      const g = load<f32>(gr + o);
      store<f32>(dbeta + o, load<f32>(dbeta + o) + g);
      store<f32>(dgamma + o, load<f32>(dgamma + o) + g * xhat);
    }
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

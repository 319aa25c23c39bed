// Fused optimizer updates over one flat region of n parameters, with gradients g and state
// buffers of the same length. The TypeScript side computes every step-dependent scalar (bias
// corrections, scheduled learning rate), so each kernel is one pass over memory.
//
// `flush` says which stored values go through flushed (flushedf), so that the update leaves no
// subnormal behind: bit FLUSH_STATE the optimizer's state, bit FLUSH_WEIGHTS the weights. The
// update itself uses the values before the flush, so the bits equal an update followed by a
// flushSubnormals pass over each flushed region. The optimizers flush both, or only the state when
// transforms act on the weights after the update (they must see them as computed, and the chain
// flushes the weights after them); 0 stores everything as computed (bench:subnormal measures what
// that costs).

import { madd, fmadd, flushed, flushedf, SMALLEST_NORMAL_BITS } from "./simd";

const FLUSH_STATE: i32 = 1;
const FLUSH_WEIGHTS: i32 = 2;

// flushed's limit for the values `bit` of `flush` covers: the smallest normal's bits, or 0 (no change).
// @ts-ignore: decorator
@inline function limitFor(flush: i32, bit: i32): i32 {
  return flush & bit ? SMALLEST_NORMAL_BITS : 0;
}

// w -= lr * g
export function sgdUpdate(w: usize, g: usize, n: i32, lr: f32, flush: i32): void {
  let i = 0;
  const wl = limitFor(flush, FLUSH_WEIGHTS);
  if (ASC_FEATURE_SIMD) {
    const vwl = i32x4.splat(wl);
    const vlr = f32x4.splat(-lr);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(w + o, flushed(madd(vlr, v128.load(g + o), v128.load(w + o)), vwl));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(w + o, flushedf(fmadd(-lr, load<f32>(g + o), load<f32>(w + o)), wl));
  }
}

// Heavy-ball momentum (TensorFlow.js and PyTorch agree):
//   v = mu * v + g
//   w -= lr * v                      (nesterov = 0)
//   w -= lr * (g + mu * v)           (nesterov = 1)
export function momentumUpdate(w: usize, g: usize, v: usize, n: i32, lr: f32, mu: f32, nesterov: i32, flush: i32): void {
  let i = 0;
  const wl = limitFor(flush, FLUSH_WEIGHTS), sl = limitFor(flush, FLUSH_STATE);
  if (ASC_FEATURE_SIMD) {
    const vwl = i32x4.splat(wl), vsl = i32x4.splat(sl);
    const vlr = f32x4.splat(-lr), vmu = f32x4.splat(mu);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const gi = v128.load(g + o);
      const vi = f32x4.add(f32x4.mul(vmu, v128.load(v + o)), gi);
      v128.store(v + o, flushed(vi, vsl));
      const step = nesterov ? f32x4.add(gi, f32x4.mul(vmu, vi)) : vi;
      v128.store(w + o, flushed(madd(vlr, step, v128.load(w + o)), vwl));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const gi = load<f32>(g + o);
    const vi = mu * load<f32>(v + o) + gi;
    store<f32>(v + o, flushedf(vi, sl));
    const step = nesterov ? gi + mu * vi : vi;
    store<f32>(w + o, flushedf(fmadd(-lr, step, load<f32>(w + o)), wl));
  }
}

// Adam and AdamW in one kernel:
//   m = beta1 * m + oneMinusBeta1 * g
//   v = beta2 * v + oneMinusBeta2 * g^2
//   w = w - decay * w - stepSize * m / (sqrt(v) * denomScale + eps)
// The caller computes (1 - beta) in f64 (as TensorFlow.js does, not 1 - f32(beta)) and picks the
// form through the scalars, with t the 1-based step:
//   TensorFlow.js and PyTorch: stepSize = lr / (1 - beta1^t), denomScale = 1 / sqrt(1 - beta2^t)
//   TensorFlow (Python), "epsilon hat": stepSize = lr * sqrt(1 - beta2^t) / (1 - beta1^t), denomScale = 1
// decay = lr * weightDecay gives AdamW (decoupled, from the weight before the step); 0 gives Adam.
export function adamUpdate(
  w: usize, g: usize, m: usize, v: usize, n: i32,
  stepSize: f32, beta1: f32, beta2: f32, oneMinusBeta1: f32, oneMinusBeta2: f32, eps: f32, denomScale: f32, decay: f32, flush: i32,
): void {
  let i = 0;
  const wl = limitFor(flush, FLUSH_WEIGHTS), sl = limitFor(flush, FLUSH_STATE);
  if (ASC_FEATURE_SIMD) {
    const vwl = i32x4.splat(wl), vsl = i32x4.splat(sl);
    const b1 = f32x4.splat(beta1), c1 = f32x4.splat(oneMinusBeta1);
    const b2 = f32x4.splat(beta2), c2 = f32x4.splat(oneMinusBeta2);
    const ve = f32x4.splat(eps), vs = f32x4.splat(denomScale), va = f32x4.splat(stepSize);
    const vd = f32x4.splat(decay);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const gi = v128.load(g + o);
      const mi = f32x4.add(f32x4.mul(b1, v128.load(m + o)), f32x4.mul(c1, gi));
      const vi = f32x4.add(f32x4.mul(b2, v128.load(v + o)), f32x4.mul(c2, f32x4.mul(gi, gi)));
      v128.store(m + o, flushed(mi, vsl));
      v128.store(v + o, flushed(vi, vsl));
      const step = f32x4.div(f32x4.mul(va, mi), f32x4.add(f32x4.mul(f32x4.sqrt(vi), vs), ve));
      const wi = v128.load(w + o);
      v128.store(w + o, flushed(f32x4.sub(f32x4.sub(wi, f32x4.mul(vd, wi)), step), vwl));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const gi = load<f32>(g + o);
    const mi = beta1 * load<f32>(m + o) + oneMinusBeta1 * gi;
    const vi = beta2 * load<f32>(v + o) + oneMinusBeta2 * (gi * gi);
    store<f32>(m + o, flushedf(mi, sl));
    store<f32>(v + o, flushedf(vi, sl));
    const step = (stepSize * mi) / (Mathf.sqrt(vi) * denomScale + eps);
    const wi = load<f32>(w + o);
    store<f32>(w + o, flushedf((wi - decay * wi) - step, wl));
  }
}

// RMSprop (oneMinusRho = 1 - rho, computed by the caller in f64):
//   ms = rho * ms + oneMinusRho * g^2
//   mg = rho * mg + oneMinusRho * g                     (centered only)
//   d  = ms - mg^2 (centered) or ms
//   mom = momentum * mom + lr * g / sqrt(d + eps)       (TensorFlow.js: eps inside the root)
//   mom = momentum * mom + lr * g / (sqrt(d) + eps)     (epsOutside = 1, PyTorch's placement)
//   w -= mom
// With momentum = 0 this is w -= lr * g / denominator. mg may be 0 when not centered.
export function rmspropUpdate(
  w: usize, g: usize, ms: usize, mom: usize, mg: usize, n: i32,
  lr: f32, rho: f32, oneMinusRho: f32, momentum: f32, eps: f32, centered: i32, epsOutside: i32, flush: i32,
): void {
  let i = 0;
  const wl = limitFor(flush, FLUSH_WEIGHTS), sl = limitFor(flush, FLUSH_STATE);
  if (ASC_FEATURE_SIMD) {
    const vwl = i32x4.splat(wl), vsl = i32x4.splat(sl);
    const vr = f32x4.splat(rho), cr = f32x4.splat(oneMinusRho), vm = f32x4.splat(momentum);
    const ve = f32x4.splat(eps), vlr = f32x4.splat(lr);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const gi = v128.load(g + o);
      const msi = f32x4.add(f32x4.mul(vr, v128.load(ms + o)), f32x4.mul(cr, f32x4.mul(gi, gi)));
      v128.store(ms + o, flushed(msi, vsl));
      let d = msi;
      if (centered) {
        const mgi = f32x4.add(f32x4.mul(vr, v128.load(mg + o)), f32x4.mul(cr, gi));
        v128.store(mg + o, flushed(mgi, vsl));
        d = f32x4.sub(msi, f32x4.mul(mgi, mgi));
      }
      const denom = epsOutside ? f32x4.add(f32x4.sqrt(d), ve) : f32x4.sqrt(f32x4.add(d, ve));
      const mi = f32x4.add(f32x4.mul(vm, v128.load(mom + o)), f32x4.div(f32x4.mul(vlr, gi), denom));
      v128.store(mom + o, flushed(mi, vsl));
      v128.store(w + o, flushed(f32x4.sub(v128.load(w + o), mi), vwl));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const gi = load<f32>(g + o);
    const msi = rho * load<f32>(ms + o) + oneMinusRho * (gi * gi);
    store<f32>(ms + o, flushedf(msi, sl));
    let d = msi;
    if (centered) {
      const mgi = rho * load<f32>(mg + o) + oneMinusRho * gi;
      store<f32>(mg + o, flushedf(mgi, sl));
      d = msi - mgi * mgi;
    }
    const denom = epsOutside ? Mathf.sqrt(d) + eps : Mathf.sqrt(d + eps);
    const mi = momentum * load<f32>(mom + o) + (lr * gi) / denom;
    store<f32>(mom + o, flushedf(mi, sl));
    store<f32>(w + o, flushedf(load<f32>(w + o) - mi, wl));
  }
}

// Adagrad:
//   acc += g^2
//   w -= lr * g / sqrt(acc + eps)          (TensorFlow.js)
//   w -= lr * g / (sqrt(acc) + eps)        (epsOutside = 1, PyTorch)
export function adagradUpdate(w: usize, g: usize, acc: usize, n: i32, lr: f32, eps: f32, epsOutside: i32, flush: i32): void {
  let i = 0;
  const wl = limitFor(flush, FLUSH_WEIGHTS), sl = limitFor(flush, FLUSH_STATE);
  if (ASC_FEATURE_SIMD) {
    const vwl = i32x4.splat(wl), vsl = i32x4.splat(sl);
    const ve = f32x4.splat(eps), vlr = f32x4.splat(lr);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const gi = v128.load(g + o);
      const ai = f32x4.add(v128.load(acc + o), f32x4.mul(gi, gi));
      v128.store(acc + o, flushed(ai, vsl));
      const denom = epsOutside ? f32x4.add(f32x4.sqrt(ai), ve) : f32x4.sqrt(f32x4.add(ai, ve));
      v128.store(w + o, flushed(f32x4.sub(v128.load(w + o), f32x4.div(f32x4.mul(vlr, gi), denom)), vwl));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const gi = load<f32>(g + o);
    const ai = load<f32>(acc + o) + gi * gi;
    store<f32>(acc + o, flushedf(ai, sl));
    const denom = epsOutside ? Mathf.sqrt(ai) + eps : Mathf.sqrt(ai + eps);
    store<f32>(w + o, flushedf(load<f32>(w + o) - (lr * gi) / denom, wl));
  }
}

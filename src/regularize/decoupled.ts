import type { Ptr } from '../backend/arena.js';
import type { Engine } from '../backend/engine.js';
import { checkSelector, type ParamSet, type Selector } from '../model/param_set.js';
import type { StepContext, Transform } from '../optim/transform.js';
import { knownKeys, nonNegativeNumber, numberIn } from '../validate.js';

/**
 * Decoupled weight decay for any p-norm (pWD; Outmezguine & Levi 2024, methods page, method 3):
 * after the optimizer's step w_hat, w = w_hat * X / (X + p * lr * lambda) with X = |w|^(2 - p)
 * taken from the weight before the step. Stable for 0 < p < 1 (nothing divides by zero), w = 0
 * stays 0, and p = 2 is decoupled L2: w / (1 + 2 lr lambda). Kernels only by default.
 *
 * @example
 * chain(adam({ lr: 1e-3 }), pnormDecay({ lambda: 3e-3, p: 0.8 }))   // pAdam
 */
export function pnormDecay(options: { lambda: number; p: number; selector?: Selector }): Transform {
  knownKeys('pnormDecay', options, ['lambda', 'p', 'selector']);
  const lambda = nonNegativeNumber('pnormDecay.lambda', options.lambda);
  const p = numberIn('pnormDecay.p', options.p, 0, 2, { openLow: true });
  const selector = checkSelector('pnormDecay.selector', options.selector);
  let x: Ptr = 0;
  let engineRef: Engine;
  return {
    kind: 'transform',
    name: 'pnormDecay',
    spec: { type: 'pnormDecay', lambda, p, ...(options.selector ? { selector } : {}) },
    init(engine: Engine, params: ParamSet) {
      engineRef = engine;
      x = engine.arena.allocF32(params.size);
    },
    beforeUpdate({ engine, params, lr }: StepContext) {
      if (lambda === 0 || lr === 0) return;
      for (const [offset, length] of params.ranges(selector)) engine.backend.pnormDecayPrepare(params.ptr + offset * 4, x + offset * 4, length, 2 - p);
    },
    afterUpdate({ engine, params, lr }: StepContext) {
      if (lambda === 0 || lr === 0) return;
      for (const [offset, length] of params.ranges(selector)) engine.backend.pnormDecayApply(params.ptr + offset * 4, x + offset * 4, length, p * lr * lambda);
    },
    penalty(params: ParamSet) {
      let s = 0;
      for (const [offset, length] of params.ranges(selector)) s += params.engine.backend.sumAbsPow(params.ptr + offset * 4, length, p);
      return lambda * s;
    },
    dispose() {
      if (x) engineRef.arena.free(x);
      x = 0;
    },
  };
}

/**
 * Proximal L1 after the step: w = sign(w) * max(|w| - lr * lambda, 0), which sets small weights to
 * exactly 0 (the methods page's baseline after AdamW). Kernels only by default.
 */
export function proximalL1(options: { lambda: number; selector?: Selector }): Transform {
  knownKeys('proximalL1', options, ['lambda', 'selector']);
  const lambda = nonNegativeNumber('proximalL1.lambda', options.lambda);
  const selector = checkSelector('proximalL1.selector', options.selector);
  return {
    kind: 'transform',
    name: 'proximalL1',
    spec: { type: 'proximalL1', lambda, ...(options.selector ? { selector } : {}) },
    init() {},
    afterUpdate({ engine, params, lr }: StepContext) {
      for (const [offset, length] of params.ranges(selector)) engine.backend.softThreshold(params.ptr + offset * 4, length, lr * lambda);
    },
    penalty(params: ParamSet) {
      let s = 0;
      for (const [offset, length] of params.ranges(selector)) s += params.engine.backend.sumAbs(params.ptr + offset * 4, length);
      return lambda * s;
    },
  };
}

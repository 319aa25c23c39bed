import type { Ptr } from '../backend/arena.js';
import type { Backend } from '../backend/backend.js';
import { checkSelector, type ParamSet, type Selector } from '../model/param_set.js';
import type { StepContext, Transform } from '../optim/transform.js';
import { knownKeys, nonNegativeNumber } from '../validate.js';

/**
 * A coupled regulariser: before the optimizer, `addGradient(grad, w, length, lambda)` runs on each
 * selected range; the penalty reported with the loss is `lambda * penalty(w, length)` summed over
 * the ranges.
 */
function coupled(
  name: string,
  options: { lambda: number; selector?: Selector },
  addGradient: (b: Backend, grad: Ptr, w: Ptr, length: number, lambda: number) => void,
  penalty: (b: Backend, w: Ptr, length: number) => number,
): Transform {
  knownKeys(name, options, ['lambda', 'selector']);
  const lambda = nonNegativeNumber(`${name}.lambda`, options.lambda);
  const selector = checkSelector(`${name}.selector`, options.selector);
  return {
    kind: 'transform',
    name,
    spec: { type: name, lambda, ...(options.selector ? { selector } : {}) },
    init() {},
    beforeUpdate({ engine, params }: StepContext) {
      for (const [offset, length] of params.ranges(selector)) addGradient(engine.backend, params.grad + offset * 4, params.ptr + offset * 4, length, lambda);
    },
    penalty(params: ParamSet) {
      let s = 0;
      for (const [offset, length] of params.ranges(selector)) s += penalty(params.engine.backend, params.ptr + offset * 4, length);
      return lambda * s;
    },
  };
}

/**
 * Coupled L2: g += lambda * w before the optimizer (PyTorch's weight_decay, a Keras kernel
 * regularizer). The penalty reported with the loss is lambda/2 * sum(w^2), whose gradient that is;
 * Keras' `l2(c)` penalises c * sum(w^2), so it equals lambda = 2c. Kernels only by default.
 *
 * @example
 * chain(l2({ lambda: 1e-4 }), adam())
 */
export function l2(options: { lambda: number; selector?: Selector }): Transform {
  return coupled('l2', options, (b, g, w, n, lambda) => b.axpy(g, w, n, lambda), (b, w, n) => b.sumSquares(w, n) / 2);
}

/**
 * Coupled L1: g += lambda * sign(w) before the optimizer; penalty lambda * sum|w|. Kernels only by default.
 *
 * @example
 * chain(l1({ lambda: 1e-5 }), adam())
 */
export function l1(options: { lambda: number; selector?: Selector }): Transform {
  return coupled('l1', options, (b, g, w, n, lambda) => b.addL1Gradient(g, w, n, lambda), (b, w, n) => b.sumAbs(w, n));
}

import type { Engine } from '../backend/engine.js';
import { checkSelector, type ParamSet, type Selector } from '../model/param_set.js';
import type { StepContext, Transform } from '../optim/transform.js';
import { knownKeys, nonNegativeNumber } from '../validate.js';

/**
 * Coupled L2: g += lambda * w before the optimizer (PyTorch's weight_decay, a Keras kernel
 * regularizer). The penalty reported with the loss is lambda/2 * sum(w^2), whose gradient that is;
 * Keras' `l2(c)` penalises c * sum(w^2), so it equals lambda = 2c. Kernels only by default.
 *
 * @example
 * chain(l2({ lambda: 1e-4 }), adam())
 */
export function l2(options: { lambda: number; selector?: Selector }): Transform {
  knownKeys('l2', options, ['lambda', 'selector']);
  const lambda = nonNegativeNumber('l2.lambda', options.lambda);
  const selector = checkSelector('l2.selector', options.selector);
  return {
    kind: 'transform',
    name: 'l2',
    spec: { type: 'l2', lambda, ...(options.selector ? { selector } : {}) },
    init(_engine: Engine, _params: ParamSet) {},
    beforeUpdate({ engine, params }: StepContext) {
      for (const [offset, length] of params.ranges(selector)) {
        engine.backend.axpy(params.grad + offset * 4, params.ptr + offset * 4, length, lambda);
      }
    },
    penalty(params: ParamSet) {
      let s = 0;
      for (const [offset, length] of params.ranges(selector)) s += params.engine.backend.sumSquares(params.ptr + offset * 4, length);
      return (lambda / 2) * s;
    },
  };
}

/**
 * Coupled L1: g += lambda * sign(w) before the optimizer; penalty lambda * sum|w|. Kernels only by default.
 *
 * @example
 * chain(l1({ lambda: 1e-5 }), adam())
 */
export function l1(options: { lambda: number; selector?: Selector }): Transform {
  knownKeys('l1', options, ['lambda', 'selector']);
  const lambda = nonNegativeNumber('l1.lambda', options.lambda);
  const selector = checkSelector('l1.selector', options.selector);
  return {
    kind: 'transform',
    name: 'l1',
    spec: { type: 'l1', lambda, ...(options.selector ? { selector } : {}) },
    init() {},
    beforeUpdate({ engine, params }: StepContext) {
      for (const [offset, length] of params.ranges(selector)) {
        engine.backend.addL1Gradient(params.grad + offset * 4, params.ptr + offset * 4, length, lambda);
      }
    },
    penalty(params: ParamSet) {
      let s = 0;
      for (const [offset, length] of params.ranges(selector)) s += params.engine.backend.sumAbs(params.ptr + offset * 4, length);
      return lambda * s;
    },
  };
}

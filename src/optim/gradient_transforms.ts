import { checkSelector, type Selector } from '../model/param_set.js';
import { knownKeys, nonNegativeNumber, positiveNumber } from '../validate.js';
import type { StepContext, Transform } from './transform.js';

/**
 * Decoupled weight decay after the step: w -= lr * lambda * w on the selected tensors (kernels by
 * default). With adam this is AdamW up to the order of decay and step; `adamw` fuses them exactly.
 */
export function decoupledWeightDecay(options: { lambda: number; selector?: Selector }): Transform {
  knownKeys('decoupledWeightDecay', options, ['lambda', 'selector']);
  const lambda = nonNegativeNumber('decoupledWeightDecay.lambda', options.lambda);
  const selector = checkSelector('decoupledWeightDecay.selector', options.selector);
  return {
    kind: 'transform',
    name: 'decoupledWeightDecay',
    spec: { type: 'decoupledWeightDecay', lambda, ...(options.selector ? { selector } : {}) },
    init() {},
    afterUpdate({ engine, params, lr }: StepContext) {
      for (const [offset, length] of params.ranges(selector)) engine.backend.scale(params.ptr + offset * 4, length, 1 - lr * lambda);
    },
  };
}

/** Scales all gradients down so that their global L2 norm is at most maxNorm (before any other transform sees them). */
export function clipByGlobalNorm(options: { maxNorm: number }): Transform {
  knownKeys('clipByGlobalNorm', options, ['maxNorm']);
  const maxNorm = positiveNumber('clipByGlobalNorm.maxNorm', options.maxNorm);
  return {
    kind: 'transform',
    name: 'clipByGlobalNorm',
    spec: { type: 'clipByGlobalNorm', maxNorm },
    init() {},
    beforeUpdate({ engine, params }: StepContext) {
      const norm = Math.sqrt(engine.backend.sumSquares(params.grad, params.size));
      if (norm > maxNorm) engine.backend.scale(params.grad, params.size, maxNorm / norm);
    },
  };
}

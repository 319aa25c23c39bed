import type { Ptr } from '../backend/arena.js';
import type { Engine } from '../backend/engine.js';
import { ArgumentError } from '../errors.js';
import { checkSelector, type ParamSet, type Selector } from '../model/param_set.js';
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

/**
 * Holds chosen weights at zero: masks[name][i] = 0 removes weight i of tensor `name` ('dense_1/kernel').
 * Gradients are masked before the optimizer and weights after it, so a masked weight stays exactly 0.
 */
export function weightMask(options: { masks: Record<string, Float32Array | number[]> }): Transform {
  knownKeys('weightMask', options, ['masks']);
  if (options.masks === null || typeof options.masks !== 'object') throw new ArgumentError('weightMask.masks', options.masks, 'an object of tensor name -> 0/1 array');
  let region: Ptr = 0;
  let engineRef: Engine;
  return {
    kind: 'transform',
    name: 'weightMask',
    init(engine: Engine, params: ParamSet) {
      engineRef = engine;
      region = engine.arena.allocF32(params.size);
      engine.backend.fill(region, params.size, 1);
      for (const [name, values] of Object.entries(options.masks)) {
        const t = params.tensor(name);
        if (values.length !== t.size) throw new ArgumentError(`weightMask.masks["${name}"]`, values, `${t.size} values (the tensor's size)`);
        for (let i = 0; i < values.length; i++) {
          if (values[i] !== 0 && values[i] !== 1) throw new ArgumentError(`weightMask.masks["${name}"][${i}]`, values[i], '0 or 1');
        }
        engine.arena.f32(region + t.offset * 4, t.size).set(values);
      }
      engine.backend.maskMultiply(params.ptr, region, params.size);
    },
    beforeUpdate({ engine, params }: StepContext) {
      engine.backend.maskMultiply(params.grad, region, params.size);
    },
    afterUpdate({ engine, params }: StepContext) {
      engine.backend.maskMultiply(params.ptr, region, params.size);
    },
    dispose() {
      if (region) engineRef.arena.free(region);
      region = 0;
    },
  };
}

import { checkSelector, type Selector } from '../model/param_set.js';
import type { StepContext, Transform } from '../optim/transform.js';
import { knownKeys, nonNegativeNumber, positiveInt, positiveNumber } from '../validate.js';

/**
 * Selective, relevance-based weight decay (Bonetta, Ribero & Cancelliere 2022; methods page,
 * method 2), coupled: R(w) = gamma * sum_i exp(-|g_i| / alpha) * w_i^2, with the relevance factor
 * held constant, so before the optimizer
 *   g_i += 2 * gamma * exp(-|g_i| / alpha) * w_i.
 * Weights the loss is sensitive to (large |g|) are left alone; irrelevant ones decay toward zero.
 * The factor reads the data gradient, so put this transform first in the chain.
 *
 * `decaySteps` (optional) decays gamma linearly within each pruning interval:
 * gamma_t = gamma * max(0, 1 - t / decaySteps), t counted from the last prune (iterativePruning
 * restarts it) or from the start. Defaults from the authors' code: alpha = 1, gamma = 1e-3 for
 * LeNet-5 on MNIST. Applied to kernels and biases by default, as in the paper.
 *
 * No penalty is added to the reported loss: R depends on the gradient, which the loss precedes.
 *
 * @example
 * chain(selectiveDecay({ gamma: 1e-3, alpha: 1 }), adam({ lr: 1e-3 }), weightMask())
 */
export function selectiveDecay(options: { gamma: number; alpha?: number; decaySteps?: number; selector?: Selector }): Transform {
  knownKeys('selectiveDecay', options, ['gamma', 'alpha', 'decaySteps', 'selector']);
  const gamma = nonNegativeNumber('selectiveDecay.gamma', options.gamma);
  const alpha = positiveNumber('selectiveDecay.alpha', options.alpha ?? 1);
  const decaySteps = options.decaySteps === undefined ? undefined : positiveInt('selectiveDecay.decaySteps', options.decaySteps);
  const selector = checkSelector('selectiveDecay.selector', options.selector ?? { kinds: ['kernel', 'bias'] });
  let since = 0;
  return {
    kind: 'transform',
    name: 'selectiveDecay',
    spec: { type: 'selectiveDecay', gamma, alpha, ...(decaySteps ? { decaySteps } : {}), ...(options.selector ? { selector } : {}) },
    init() {
      since = 0;
    },
    beforeUpdate({ engine, params, step }: StepContext) {
      const current = decaySteps === undefined ? gamma : gamma * Math.max(0, 1 - (step - since) / decaySteps);
      if (current === 0) return;
      for (const [offset, length] of params.ranges(selector)) {
        engine.backend.selectiveDecayGradient(params.grad + offset * 4, params.ptr + offset * 4, length, 2 * current, 1 / alpha);
      }
    },
    onPrune(step: number) {
      since = step;
    },
    saveState: () => ({ since }),
    loadState(state: Record<string, Float32Array | number>) {
      since = Number(state.since);
    },
  };
}

/**
 * LOBSTER (Tartaglione et al. 2022), the methods page's baseline: after each step,
 *   w <- w - lambda * w * max(0, 1 - |g|),
 * which shrinks the weights the loss is insensitive to (|g| < 1). Meant for SGD; g is the gradient
 * the optimizer used, so put no coupled regulariser before it. Kernels only by default.
 *
 * @example
 * chain(sgd({ lr: 0.1 }), lobster({ lambda: 1e-4 }))
 */
export function lobster(options: { lambda: number; selector?: Selector }): Transform {
  knownKeys('lobster', options, ['lambda', 'selector']);
  const lambda = nonNegativeNumber('lobster.lambda', options.lambda);
  const selector = checkSelector('lobster.selector', options.selector);
  return {
    kind: 'transform',
    name: 'lobster',
    spec: { type: 'lobster', lambda, ...(options.selector ? { selector } : {}) },
    init() {},
    afterUpdate({ engine, params }: StepContext) {
      if (lambda === 0) return;
      for (const [offset, length] of params.ranges(selector)) engine.backend.lobsterDecay(params.ptr + offset * 4, params.grad + offset * 4, length, lambda);
    },
  };
}

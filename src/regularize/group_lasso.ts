import type { Ptr } from '../backend/arena.js';
import type { Engine } from '../backend/engine.js';
import { checkSelector, type ParamSet, type Selector, type TensorView } from '../model/param_set.js';
import type { StepContext, Transform } from '../optim/transform.js';
import { kernelGroups } from '../sparsity/dependency.js';
import { knownKeys, nonNegativeNumber, oneOf } from '../validate.js';

/** A kernel as its [fan_in, units] matrix: column k is the group of output unit k. */
function groupsOf(t: TensorView): { rows: number; cols: number } {
  const { fanIn, units } = kernelGroups(t.shape);
  return { rows: fanIn, cols: units };
}

/**
 * Group lasso (structured sparsity learning) over the output groups w_k of every selected kernel:
 * R = lambda * sum_k ||w_k||_2.
 * - 'coupled' (default): g_k += lambda * w_k / ||w_k|| before the optimizer (0 for a zero group);
 * - 'proximal': after the step, w_k *= max(0, 1 - lr * lambda / ||w_k||), which zeroes a group
 *   exactly when its norm is at most lr * lambda.
 *
 * @example
 * chain(groupLasso({ lambda: 1e-4 }), adam())
 */
export function groupLasso(options: { lambda: number; form?: 'coupled' | 'proximal'; selector?: Selector }): Transform {
  knownKeys('groupLasso', options, ['lambda', 'form', 'selector']);
  const lambda = nonNegativeNumber('groupLasso.lambda', options.lambda);
  const form = oneOf('groupLasso.form', options.form ?? 'coupled', ['coupled', 'proximal'] as const);
  const selector = checkSelector('groupLasso.selector', options.selector);
  let scale: Ptr = 0;
  let copy: Ptr = 0;
  let engineRef: Engine;
  const selected = (params: ParamSet) => params.select(selector);

  /** scale[k] = f(||w_k||) for each group of tensor t. */
  function groupScales(params: ParamSet, t: TensorView, f: (norm: number) => number): { rows: number; cols: number } {
    const { rows, cols } = groupsOf(t);
    params.engine.backend.columnNorms(params.ptrOf(t), scale, rows, cols);
    const s = params.engine.arena.f32(scale, cols);
    for (let k = 0; k < cols; k++) s[k] = f(s[k]);
    return { rows, cols };
  }

  return {
    kind: 'transform',
    name: 'groupLasso',
    spec: { type: 'groupLasso', lambda, form, ...(options.selector ? { selector } : {}) },
    init(engine: Engine, params: ParamSet) {
      engineRef = engine;
      const tensors = selected(params);
      scale = engine.arena.allocF32(Math.max(1, ...tensors.map((t) => groupsOf(t).cols)));
      copy = engine.arena.allocF32(Math.max(1, ...tensors.map((t) => t.size)));
    },
    beforeUpdate({ engine, params }: StepContext) {
      if (form !== 'coupled' || lambda === 0) return;
      for (const t of selected(params)) {
        const { rows, cols } = groupScales(params, t, (n) => (n > 0 ? lambda / n : 0));
        engine.backend.copy(params.ptrOf(t), copy, t.size);
        engine.backend.scaleColumns(copy, scale, rows, cols);
        engine.backend.axpy(params.ptrOf(t, params.grad), copy, t.size, 1);
      }
    },
    afterUpdate({ engine, params, lr }: StepContext) {
      if (form !== 'proximal' || lambda === 0) return;
      for (const t of selected(params)) {
        const { rows, cols } = groupScales(params, t, (n) => (n > 0 ? Math.max(0, 1 - (lr * lambda) / n) : 0));
        engine.backend.scaleColumns(params.ptrOf(t), scale, rows, cols);
      }
    },
    penalty(params: ParamSet) {
      let s = 0;
      for (const t of selected(params)) {
        const { cols } = groupScales(params, t, (n) => n);
        s += params.engine.arena.f32(scale, cols).reduce((a, b) => a + b, 0);
      }
      return lambda * s;
    },
    dispose() {
      if (scale) {
        engineRef.arena.free(scale);
        engineRef.arena.free(copy);
      }
      scale = copy = 0;
    },
  };
}

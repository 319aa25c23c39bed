import type { Ptr } from '../backend/arena.js';
import type { Engine } from '../backend/engine.js';
import { ArgumentError, SlimtrainError } from '../errors.js';
import { checkSelector, type ParamSet, type Selector } from '../model/param_set.js';
import type { Optimizer, StepContext, Transform } from '../optim/transform.js';
import { knownKeys } from '../validate.js';

/** A weight mask in an optimizer chain: pruned weights (mask 0) are held at exactly zero. */
export interface WeightMask extends Transform {
  readonly name: 'weightMask';
  /** The current 0/1 mask of one tensor ('dense_1/kernel'), as a copy. */
  get(name: string): Float32Array;
  /** The masks of every tensor that has at least one pruned weight, as copies. */
  masks(): Record<string, Float32Array>;
  /**
   * Replaces the masks of the named tensors (others keep theirs). The newly masked weights and
   * their optimizer state (moments, accumulators) are zeroed at once, so nothing carries them back.
   */
  set(masks: Record<string, ArrayLike<number>>): void;
  /** Kept (mask 1) and total weights over the tensors a selector picks (default: kernels). */
  count(selector?: Selector): { kept: number; total: number };
}

/**
 * Holds pruned weights at zero through further training: masks[name][i] = 0 removes weight i of
 * tensor `name` ('dense_1/kernel'). Each step masks the gradients before the optimizer and the
 * weights after it; setting a mask also zeroes the optimizer's state for the removed weights, so
 * Adam's moments cannot move them either. Without `masks` every weight starts kept, for pruning
 * to fill in later (magnitudePrune, iterativePruning).
 *
 * @example
 * const mask = weightMask();
 * model.compile({ optimizer: chain(adam(), mask), loss: 'crossEntropy' });
 * magnitudePrune(model, { fraction: 0.5 });          // writes into `mask`
 */
export function weightMask(options: { masks?: Record<string, Float32Array | number[]> } = {}): WeightMask {
  if (options === null || typeof options !== 'object') throw new ArgumentError('weightMask options', options, '{ masks? }');
  knownKeys('weightMask', options, ['masks']);
  if (options.masks !== undefined && (options.masks === null || typeof options.masks !== 'object')) {
    throw new ArgumentError('weightMask.masks', options.masks, 'an object of tensor name -> 0/1 array');
  }
  let region: Ptr = 0;
  let engineRef: Engine;
  let paramsRef: ParamSet;
  let optimizerRef: Optimizer | undefined;

  function ready(): ParamSet {
    if (!region) throw new SlimtrainError('the weight mask is not in use yet: compile a model with it in the optimizer chain first');
    return paramsRef;
  }

  /** Checks and writes masks, then zeroes the masked weights and optimizer state. */
  function write(masks: Record<string, ArrayLike<number>>, argument: string): void {
    const params = paramsRef;
    for (const [name, values] of Object.entries(masks)) {
      const t = params.tensor(name);
      if (!values || values.length !== t.size) throw new ArgumentError(`${argument}["${name}"]`, values, `${t.size} values (the tensor's size)`);
      for (let i = 0; i < values.length; i++) {
        if (values[i] !== 0 && values[i] !== 1) throw new ArgumentError(`${argument}["${name}"][${i}]`, values[i], '0 or 1');
      }
    }
    for (const [name, values] of Object.entries(masks)) {
      const t = params.tensor(name);
      engineRef.arena.f32(region + t.offset * 4, t.size).set(values);
    }
    engineRef.backend.maskMultiply(params.ptr, region, params.size);
    for (const state of optimizerRef?.stateRegions() ?? []) engineRef.backend.maskMultiply(state.ptr, region, Math.min(state.size, params.size));
  }

  return {
    kind: 'transform',
    name: 'weightMask',
    ...(options.masks === undefined ? { spec: { type: 'weightMask' } } : {}),
    init(engine: Engine, params: ParamSet, optimizer?: Optimizer, init?: { restoring?: boolean }) {
      if (region) engineRef.arena.free(region);
      engineRef = engine;
      paramsRef = params;
      optimizerRef = optimizer;
      region = engine.arena.allocF32(params.size);
      engine.backend.fill(region, params.size, 1);
      // Restoring (live reduction): the masks come next from loadState, in the new layout.
      if (!init?.restoring) write(options.masks ?? {}, 'weightMask.masks');
    },
    beforeUpdate({ engine, params }: StepContext) {
      engine.backend.maskMultiply(params.grad, region, params.size);
    },
    afterUpdate({ engine, params }: StepContext) {
      engine.backend.maskMultiply(params.ptr, region, params.size);
    },
    get(name: string) {
      const params = ready();
      const t = params.tensor(name);
      return engineRef.arena.f32(region + t.offset * 4, t.size).slice();
    },
    masks() {
      const params = ready();
      const out: Record<string, Float32Array> = {};
      for (const t of params.tensors) {
        const m = engineRef.arena.f32(region + t.offset * 4, t.size);
        if (m.includes(0)) out[t.name] = m.slice();
      }
      return out;
    },
    set(masks: Record<string, ArrayLike<number>>) {
      ready();
      if (masks === null || typeof masks !== 'object') throw new ArgumentError('masks', masks, 'an object of tensor name -> 0/1 array');
      write(masks, 'masks');
    },
    saveState() {
      const params = ready();
      return { mask: engineRef.arena.f32(region, params.size).slice() };
    },
    loadState(state: Record<string, Float32Array | number>) {
      const params = ready();
      const mask = state.mask;
      if (!(mask instanceof Float32Array) || mask.length !== params.size) throw new ArgumentError('weightMask state', mask, `${params.size} mask values`);
      engineRef.arena.f32(region, params.size).set(mask);
    },
    count(selector?: Selector) {
      const params = ready();
      let kept = 0;
      let total = 0;
      for (const t of params.select(checkSelector('selector', selector))) {
        const m = engineRef.arena.f32(region + t.offset * 4, t.size);
        for (let i = 0; i < m.length; i++) kept += m[i];
        total += t.size;
      }
      return { kept, total };
    },
    dispose() {
      if (region) engineRef.arena.free(region);
      region = 0;
    },
  };
}

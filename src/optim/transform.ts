import type { UpdateFlush } from '../backend/backend.js';
import type { Engine } from '../backend/engine.js';
import { ArgumentError } from '../errors.js';
import { relayout, type ParamSet } from '../model/param_set.js';

/** What every part of an optimizer chain sees at one training step. */
export interface StepContext {
  engine: Engine;
  params: ParamSet;
  /** Updates completed before this one (0 at the first update). */
  step: number;
  /** This step's learning rate, from the optimizer's schedule. */
  lr: number;
  /**
   * What an optimizer that flushes subnormals as it stores (flushesSubnormals) flushes in this
   * update; absent means 'all'. Chain.step sets 'state' when transforms act on the weights after
   * the update (afterUpdate): they must see the weights as computed, and the chain flushes the
   * weights after them.
   */
  flush?: UpdateFlush;
}

/**
 * A transform of the chain (design.md): coupled regularisers and gradient clipping act in
 * `beforeUpdate` (on the gradients, before the optimizer's scaling), decoupled decays in
 * `afterUpdate` (on the weights, after the step), masks in both. `penalty` is the term the
 * transform adds to the loss, reported with it (0 for transforms that add none).
 */
export interface Transform {
  readonly kind: 'transform';
  readonly name: string;
  /** The JSON that rebuilds this transform with `transformFromSpec` (undefined for ones holding arrays, like weightMask). */
  readonly spec?: { type: string; [option: string]: unknown };
  /**
   * Allocates the transform's state; `optimizer` is the chain's, for transforms that must reach its
   * state (masks). Called by compile, and again on the new parameter layout when live reduction
   * reshapes the model: then `restoring` is true and loadState follows at once, so initial state
   * given as options (a mask's arrays) must not be written.
   */
  init(engine: Engine, params: ParamSet, optimizer?: Optimizer, options?: { restoring?: boolean }): void;
  beforeUpdate?(context: StepContext): void;
  afterUpdate?(context: StepContext): void;
  penalty?(params: ParamSet): number;
  /** Called by pruning (magnitudePrune, iterativePruning) after weights were removed at `step`. */
  onPrune?(step: number): void;
  /**
   * State that must survive a checkpoint (masks, schedule positions): arrays and numbers. An array
   * of the parameter region's length is laid out like it: live reduction moves its entries with
   * their parameters. Other arrays cannot follow a reduction (it refuses them).
   */
  saveState?(): Record<string, Float32Array | number>;
  loadState?(state: Record<string, Float32Array | number>): void;
  dispose?(): void;
}

/** An optimizer: turns gradients into a step applied to the weights, with its own state regions. */
export interface Optimizer {
  readonly kind: 'optimizer';
  readonly name: string;
  /** The JSON that rebuilds this optimizer with `optimizerFromSpec`. */
  readonly spec: { type: string; [option: string]: unknown };
  learningRate(step: number, stepsPerEpoch: number): number;
  init(engine: Engine, params: ParamSet): void;
  update(context: StepContext): void;
  /** The optimizer's state regions (moments, accumulators), for checkpoints. */
  stateRegions(): { name: string; ptr: number; size: number }[];
  dispose(): void;
  /**
   * True when update() stores no subnormal value in the regions the context's `flush` names (the
   * built-in optimizers' kernels flush as they store); the chain then skips its own flush passes.
   * Leave it unset otherwise.
   */
  readonly flushesSubnormals?: boolean;
}

/** A chain's state copied out of one parameter layout (Chain.saveLayout). */
export interface ChainLayoutState {
  regions: { name: string; values: Float32Array }[];
  transforms: (Record<string, Float32Array | number> | null)[];
}

/**
 * Transforms around one optimizer: every beforeUpdate in order, the optimizer's update, then every
 * afterUpdate in order.
 *
 * @example
 * chain(l2({ lambda: 1e-4 }), adam({ lr: 1e-3 }))   // coupled L2 + Adam: the implicit-sparsity recipe
 * chain(adam({ lr: 1e-3 }), decoupledWeightDecay({ lambda: 1e-4 }))
 */
export class Chain {
  readonly kind = 'chain';
  readonly transforms: Transform[];
  readonly optimizer: Optimizer;
  /** The transforms that act on the weights after the update, in order. */
  private readonly afterUpdate: Transform[];

  constructor(parts: (Transform | Optimizer | Chain)[]) {
    const flat = parts.flatMap((p) => (p instanceof Chain ? [...p.transforms, p.optimizer] : [p]));
    flat.forEach((p, i) => {
      const methods = p?.kind === 'optimizer' ? ['init', 'update', 'learningRate', 'stateRegions', 'dispose'] : ['init'];
      if (p === null || typeof p !== 'object' || (p.kind !== 'transform' && p.kind !== 'optimizer') || methods.some((m) => typeof (p as unknown as Record<string, unknown>)[m] !== 'function')) {
        throw new ArgumentError(`chain argument ${i}`, p, 'a transform (l2, l1, clipByGlobalNorm, ...) or an optimizer (sgd, adam, ...)');
      }
    });
    const optimizers = flat.filter((p): p is Optimizer => p.kind === 'optimizer');
    if (optimizers.length !== 1) {
      throw new ArgumentError('chain', flat.map((p) => p.name), `exactly one optimizer (found ${optimizers.length})`);
    }
    this.optimizer = optimizers[0];
    this.transforms = flat.filter((p): p is Transform => p.kind === 'transform');
    this.afterUpdate = this.transforms.filter((t) => t.afterUpdate);
  }

  init(engine: Engine, params: ParamSet): void {
    this.optimizer.init(engine, params);
    for (const t of this.transforms) t.init(engine, params, this.optimizer);
  }

  /**
   * One update of the weights from the gradients in params.grad. Every subnormal weight and
   * optimizer-state value (0 < |x| < 2^-126) it leaves becomes zero, as CPU frameworks' flush-to-zero
   * mode does (TensorFlow sets it by default): weights that a regulariser decays toward zero pass
   * through the subnormal range, where x86 cores take a microcode assist on every operation that
   * reads them, and WebAssembly has no such mode to set. Values that small change no sum of
   * normal-sized terms. The built-in optimizers flush as they store (flushesSubnormals), which saves
   * a pass over the weights and one per state region. When transforms act on the weights after the
   * update, the optimizer stores the weights as computed (flush 'state'), the transforms see
   * them so, and the chain flushes the weights after them. For other optimizers the chain flushes
   * the weights and every state region. The bits are the same on every path: those of the update,
   * then the afterUpdate transforms, then a flush of the weights and the state.
   */
  step(context: StepContext): void {
    for (const t of this.transforms) t.beforeUpdate?.(context);
    const after = this.afterUpdate;
    this.optimizer.update(after.length ? { ...context, flush: 'state' } : context);
    for (const t of after) t.afterUpdate!(context);
    const b = context.engine.backend;
    const flushes = this.optimizer.flushesSubnormals === true;
    if (after.length || !flushes) b.flushSubnormals(context.params.ptr, context.params.size);
    if (!flushes) for (const r of this.optimizer.stateRegions()) b.flushSubnormals(r.ptr, r.size);
  }

  /** The sum of the transforms' penalties at the current weights. */
  penalty(params: ParamSet): number {
    let total = 0;
    for (const t of this.transforms) total += t.penalty?.(params) ?? 0;
    return total;
  }

  dispose(): void {
    this.optimizer.dispose();
    for (const t of this.transforms) t.dispose?.();
  }

  /** The chain's state in the layout of `params` (optimizer regions, transform state), for restoreLayout. */
  saveLayout(params: ParamSet): ChainLayoutState {
    return {
      regions: this.optimizer.stateRegions().map((r) => ({ name: r.name, values: params.engine.arena.f32(r.ptr, r.size).slice() })),
      transforms: this.transforms.map((t) => t.saveState?.() ?? null),
    };
  }

  /**
   * Starts the chain again on a new parameter layout and carries `saved` over to it: every entry
   * of the optimizer's regions and of the transforms' region-shaped arrays moves to where
   * `sources` (per tensor name, the old element index of each new element; -1 none) puts its
   * parameter. Entries with no source keep their initial value (0 moments, a mask of 1).
   */
  restoreLayout(engine: Engine, saved: ChainLayoutState, from: ParamSet, to: ParamSet, sources: ReadonlyMap<string, Int32Array>): void {
    this.dispose();
    this.optimizer.init(engine, to);
    for (const t of this.transforms) t.init(engine, to, this.optimizer, { restoring: true });
    for (const region of this.optimizer.stateRegions()) {
      const old = saved.regions.find((r) => r.name === region.name);
      if (old) relayout(old.values, from, engine.arena.f32(region.ptr, region.size), to, sources);
    }
    this.transforms.forEach((t, i) => {
      const state = saved.transforms[i];
      if (!state || !t.loadState) return;
      const fresh = t.saveState?.() ?? {};
      const moved: Record<string, Float32Array | number> = {};
      for (const [key, value] of Object.entries(state)) {
        if (!(value instanceof Float32Array)) {
          moved[key] = value;
          continue;
        }
        if (value.length !== from.size) throw new ArgumentError(`${t.name} state "${key}"`, `${value.length} values`, `an array laid out like the parameters (${from.size}) to follow a live reduction`);
        const target = fresh[key] instanceof Float32Array && fresh[key].length === to.size ? fresh[key] : new Float32Array(to.size);
        relayout(value, from, target, to, sources);
        moved[key] = target;
      }
      t.loadState(moved);
    });
  }

  /** The chain as JSON: the optimizer's spec with its transforms, or undefined if a transform has none. */
  toSpec(): ({ type: string; transforms: { type: string }[] } & Record<string, unknown>) | undefined {
    if (this.transforms.some((t) => !t.spec)) return undefined;
    return { ...this.optimizer.spec, transforms: this.transforms.map((t) => t.spec!) };
  }
}

/**
 * Composes transforms and one optimizer, applied in order (the optimizer last).
 *
 * @example
 * model.compile({ optimizer: chain(l2({ lambda: 1e-4 }), adam({ lr: 1e-3 })) });
 */
export function chain(...parts: (Transform | Optimizer | Chain)[]): Chain {
  return new Chain(parts);
}

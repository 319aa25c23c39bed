import { ArgumentError } from '../errors.js';
import { checkSelector, type Selector, type TensorView } from '../model/param_set.js';
import type { Sequential } from '../model/sequential.js';
import { knownKeys, numberIn, nonNegativeNumber, oneOf } from '../validate.js';
import type { WeightMask } from './mask.js';

/** How magnitude pruning picks the weights to remove: exactly one of the three criteria. */
export interface MagnitudePruneOptions {
  /** Remove |w| < threshold. */
  threshold?: number;
  /** Remove |w| < stdMultiple * std(W): the std of each tensor ('layer' scope) or of all selected weights ('global'). */
  stdMultiple?: number;
  /** Remove this fraction (0..1) of the weights still kept, smallest |w| first. */
  fraction?: number;
  /** 'layer' (default): each tensor on its own; 'global': one ranking or std across all selected tensors. */
  scope?: 'layer' | 'global';
  /** Which tensors to prune. Default: kernels. */
  selector?: Selector;
}

/** What magnitudePrune returns: weights removed and kept, per tensor and in all, and the masks after the call. */
export interface MagnitudePruneResult {
  /** Weights removed by this call. */
  removed: number;
  /** Kept and total weights over the selected tensors, after the call. */
  kept: number;
  total: number;
  /** Per tensor: kept and total. */
  tensors: { name: string; kept: number; total: number }[];
  /** The 0/1 masks of the selected tensors after the call (to fine-tune with weightMask({ masks })). */
  masks: Record<string, Float32Array>;
}

/** The weight mask in a model's optimizer chain, if it has one. */
export function maskOf(model: Sequential): WeightMask | undefined {
  return model.optimizer?.transforms.find((t): t is WeightMask => t.name === 'weightMask');
}

/**
 * Magnitude pruning. Weights already pruned stay pruned; the criterion picks more among the kept
 * ones. When the model's optimizer chain holds a weightMask, the new masks go into it (the pruned
 * weights and their optimizer state are zeroed and stay zero through training), and every
 * transform's onPrune hook runs; otherwise the weights are zeroed once and the masks returned.
 *
 * @example
 * magnitudePrune(model, { stdMultiple: 0.25 })                 // DeepHoyer: |w| < 0.25 std, per tensor
 * magnitudePrune(model, { fraction: 0.04, scope: 'global' })   // 4% of what is left, network-wide
 */
export function magnitudePrune(model: Sequential, options: MagnitudePruneOptions): MagnitudePruneResult {
  if (options === null || typeof options !== 'object') throw new ArgumentError('options', options, '{ threshold | stdMultiple | fraction, scope?, selector? }');
  knownKeys('magnitudePrune', options, ['threshold', 'stdMultiple', 'fraction', 'scope', 'selector']);
  const criteria = (['threshold', 'stdMultiple', 'fraction'] as const).filter((k) => options[k] !== undefined);
  if (criteria.length !== 1) {
    throw new ArgumentError('magnitudePrune criterion', criteria, 'exactly one of threshold, stdMultiple, fraction');
  }
  const criterion = criteria[0];
  const value =
    criterion === 'fraction' ? numberIn('magnitudePrune.fraction', options.fraction, 0, 1) : nonNegativeNumber(`magnitudePrune.${criterion}`, options[criterion]);
  const scope = oneOf('magnitudePrune.scope', options.scope ?? 'layer', ['layer', 'global'] as const);
  const selector = checkSelector('magnitudePrune.selector', options.selector);
  const params = model.params;
  const tensors = params.select(selector);
  if (tensors.length === 0) throw new ArgumentError('magnitudePrune.selector', selector, 'a selector that picks at least one tensor');

  const mask = maskOf(model);
  const values = new Map(tensors.map((t) => [t, params.values(t)]));
  const masks = new Map<TensorView, Float32Array>(tensors.map((t) => [t, mask ? mask.get(t.name) : Float32Array.from(values.get(t)!, (w) => (w === 0 ? 0 : 1))]));
  let removed = 0;

  // The groups ranked together: one per tensor, or all of them.
  const groups = scope === 'layer' ? tensors.map((t) => [t]) : [tensors];
  for (const group of groups) {
    let cut: (t: TensorView, i: number, w: number) => boolean;
    if (criterion === 'threshold') {
      cut = (_t, _i, w) => Math.abs(w) < value;
    } else if (criterion === 'stdMultiple') {
      // The std of the tensor's values as they are (pruned zeros included), in f64.
      let n = 0, sum = 0, squares = 0;
      for (const t of group) for (const w of values.get(t)!) (n++, (sum += w), (squares += w * w));
      const std = Math.sqrt(Math.max(0, squares / n - (sum / n) ** 2));
      cut = (_t, _i, w) => Math.abs(w) < value * std;
    } else {
      // Rank the kept weights by |w|; remove the smallest round(fraction * kept), ties by position.
      const kept: number[] = [];
      for (const t of group) {
        const m = masks.get(t)!;
        const w = values.get(t)!;
        for (let i = 0; i < w.length; i++) if (m[i] === 1) kept.push(Math.abs(w[i]));
      }
      const count = Math.round(value * kept.length);
      const sorted = Float32Array.from(kept).sort();
      const limit = count > 0 ? sorted[count - 1] : -1;
      let below = 0;
      for (const a of sorted) if (a < limit) below++;
      let ties = count - below;
      cut = (t, i, w) => {
        if (masks.get(t)![i] !== 1) return false;
        const a = Math.abs(w);
        if (a < limit) return true;
        if (a === limit && ties > 0) {
          ties--;
          return true;
        }
        return false;
      };
    }
    for (const t of group) {
      const m = masks.get(t)!;
      const w = values.get(t)!;
      for (let i = 0; i < w.length; i++) {
        if (m[i] === 1 && cut(t, i, Math.fround(w[i]))) {
          m[i] = 0;
          removed++;
        }
      }
    }
  }

  const record = Object.fromEntries(tensors.map((t) => [t.name, masks.get(t)!]));
  if (mask) {
    mask.set(record);
  } else {
    for (const t of tensors) {
      const w = params.values(t);
      const m = masks.get(t)!;
      for (let i = 0; i < w.length; i++) if (m[i] === 0) w[i] = 0;
    }
    model.weightsChanged();
  }
  for (const t of model.optimizer?.transforms ?? []) t.onPrune?.(model.step);

  const perTensor = tensors.map((t) => ({ name: t.name, kept: masks.get(t)!.reduce((a, b) => a + b, 0), total: t.size }));
  return {
    removed,
    kept: perTensor.reduce((s, t) => s + t.kept, 0),
    total: perTensor.reduce((s, t) => s + t.total, 0),
    tensors: perTensor,
    masks: record,
  };
}

import type { Ptr } from '../backend/arena.js';
import type { Engine } from '../backend/engine.js';
import { ArgumentError } from '../errors.js';
import type { ParamKind } from '../layers/layer.js';

/** One named tensor inside the model's flat regions. Offsets and sizes are in floats. */
export interface TensorView {
  /** 'dense_1/kernel', as TensorFlow.js names weights. */
  name: string;
  layer: string;
  kind: ParamKind;
  shape: number[];
  offset: number;
  size: number;
}

/** Which tensors a transform touches. Default for regularisers and decays: kernels only. */
export interface Selector {
  /** Parameter kinds; default ['kernel']. */
  kinds?: ParamKind[];
  /** Layer names; default all layers. */
  layers?: string[];
}

/** Each tensor starts on a 64-byte boundary (16 floats), so SIMD loads never straddle two tensors' lines. */
const TENSOR_ALIGN = 16;

/**
 * The trainable parameters of a model as ONE flat region, with their gradients in a second region of
 * the same layout (llm.c's design): an optimizer step is one SIMD loop over the whole region, and a
 * checkpoint is one copy. Kernels come first, then biases, then batch-norm scales and shifts, so the
 * default selector (kernels only) is a single contiguous range.
 */
export class ParamSet {
  readonly tensors: TensorView[];
  /** Floats in the region, including alignment gaps (which stay zero). */
  readonly size: number;
  readonly ptr: Ptr;
  readonly grad: Ptr;

  constructor(
    readonly engine: Engine,
    tensors: Omit<TensorView, 'offset'>[],
    /** False for inference-only models: no gradient region (grad is 0). */
    gradients = true,
  ) {
    const order: ParamKind[] = ['kernel', 'bias', 'gamma', 'beta', 'movingMean', 'movingVariance'];
    const sorted = [...tensors].sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind));
    let offset = 0;
    this.tensors = sorted.map((t) => {
      const view = { ...t, offset };
      offset += Math.ceil(t.size / TENSOR_ALIGN) * TENSOR_ALIGN;
      return view;
    });
    this.size = Math.max(offset, TENSOR_ALIGN);
    this.ptr = engine.arena.allocF32(this.size);
    this.grad = gradients ? engine.arena.allocF32(this.size) : 0;
    engine.backend.fill(this.ptr, this.size, 0);
    if (this.grad) engine.backend.fill(this.grad, this.size, 0);
  }

  /** Number of parameters (without alignment gaps). */
  get count(): number {
    return this.tensors.reduce((s, t) => s + t.size, 0);
  }

  tensor(name: string): TensorView {
    const t = this.tensors.find((v) => v.name === name);
    if (!t) throw new ArgumentError('tensor name', name, `one of ${this.tensors.map((v) => v.name).join(', ')}`);
    return t;
  }

  /** Pointer of a tensor's values (or its gradient) in the regions. */
  ptrOf(t: TensorView, region: Ptr = this.ptr): Ptr {
    return region + t.offset * 4;
  }

  /** The tensors a selector picks (default: kernels), in region order. */
  select(selector: Selector = {}): TensorView[] {
    const kinds = selector.kinds ?? ['kernel'];
    return this.tensors.filter((t) => kinds.includes(t.kind) && (!selector.layers || selector.layers.includes(t.layer)));
  }

  /** The selected tensors as [offset, length] float ranges, adjacent ones merged. */
  ranges(selector: Selector = {}): [number, number][] {
    const out: [number, number][] = [];
    for (const t of this.select(selector)) {
      const length = Math.ceil(t.size / TENSOR_ALIGN) * TENSOR_ALIGN;
      const last = out[out.length - 1];
      if (last && last[0] + last[1] === t.offset) last[1] += length;
      else out.push([t.offset, length]);
    }
    return out;
  }

  /** A fresh view of a tensor's values. */
  values(t: TensorView, region: Ptr = this.ptr): Float32Array {
    return this.engine.arena.f32(this.ptrOf(t, region), t.size);
  }

  dispose(): void {
    this.engine.arena.free(this.ptr);
    if (this.grad) this.engine.arena.free(this.grad);
  }
}

/**
 * Copies values laid out like the region of `from` (weights, optimizer moments, masks) into `out`,
 * laid out like `to`: element i of tensor T in `to` takes element sources.get(T)[i] of the
 * tensor of the same name in `from`. Elements with no source (-1, or a tensor `from` lacks) are
 * left as they are.
 */
export function relayout(values: Float32Array, from: ParamSet, out: Float32Array, to: ParamSet, sources: ReadonlyMap<string, Int32Array>): void {
  const old = new Map(from.tensors.map((t) => [t.name, t]));
  for (const t of to.tensors) {
    const o = old.get(t.name);
    const source = sources.get(t.name);
    if (!o || !source) continue;
    for (let i = 0; i < t.size; i++) {
      const j = source[i];
      if (j >= 0) out[t.offset + i] = values[o.offset + j];
    }
  }
}

/** Checks a selector given by a user. */
export function checkSelector(argument: string, selector: unknown): Selector {
  if (selector === undefined) return {};
  if (selector === null || typeof selector !== 'object') throw new ArgumentError(argument, selector, '{ kinds?: ParamKind[], layers?: string[] }');
  const s = selector as Selector;
  const kinds: ParamKind[] = ['kernel', 'bias', 'gamma', 'beta'];
  if (s.kinds !== undefined && (!Array.isArray(s.kinds) || s.kinds.some((k) => !kinds.includes(k)))) {
    throw new ArgumentError(`${argument}.kinds`, s.kinds, `an array of ${kinds.join(', ')}`);
  }
  if (s.layers !== undefined && (!Array.isArray(s.layers) || s.layers.some((l) => typeof l !== 'string'))) {
    throw new ArgumentError(`${argument}.layers`, s.layers, 'an array of layer names');
  }
  return s;
}

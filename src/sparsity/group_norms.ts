import type { Sequential } from '../model/sequential.js';
import { groupDependency, kernelGroups } from './dependency.js';

/** The group norms of one weighted layer: norms[k] = ||w_k||_2 over every weight feeding output unit k. */
export interface LayerGroupNorms {
  layer: string;
  /** 'dense' or 'conv2d'. */
  type: string;
  /** Output units (dense) or channels (conv). */
  units: number;
  norms: Float32Array;
}

/**
 * Group norms of every dense and conv layer, computed by the columnNorms kernel on the kernel viewed
 * as [fan_in, units] (methods page, method 1). Reads the model; never changes it.
 *
 * @example
 * groupNorms(model).map((l) => [l.layer, l.norms.filter((n) => n < 1e-6).length])
 */
export function groupNorms(model: Sequential): LayerGroupNorms[] {
  const out: LayerGroupNorms[] = [];
  const { engine, params } = model;
  const scratch = engine.arena.allocF32(Math.max(1, ...params.tensors.map((t) => t.shape[t.shape.length - 1] ?? 1)));
  try {
    for (const layer of groupDependency(model).weighted) {
      const kernel = params.tensor(`${layer.name}/kernel`);
      const { fanIn, units } = kernelGroups(kernel.shape);
      engine.backend.columnNorms(params.ptrOf(kernel), scratch, fanIn, units);
      out.push({ layer: layer.name, type: layer.type, units, norms: engine.arena.f32(scratch, units).slice() });
    }
  } finally {
    engine.arena.free(scratch);
  }
  return out;
}

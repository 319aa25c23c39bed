// The slimtrain engines a bench compares: the plain SIMD build always, the relaxed-SIMD build when
// this runtime validates it (Node 20 needs --experimental-wasm-relaxed-simd; bench/run.mjs adds it
// for --relaxed).
import type { Ptr } from '../../src/backend/arena.js';
import { init, type Engine } from '../../src/backend/engine.js';

export interface SlimtrainEngines {
  plain: Engine;
  /** null where relaxed SIMD does not validate. */
  relaxed: Engine | null;
}

/** Memory sized up front for the largest bench case, so it does not grow (and detach views) mid-run. */
const INITIAL_MEMORY_BYTES = 128 * 2 ** 20;

export async function createSlimtrainEngines(): Promise<SlimtrainEngines> {
  const plain = await init({ simd: 'plain', initialMemoryBytes: INITIAL_MEMORY_BYTES });
  const fastest = await init({ simd: 'fastest', initialMemoryBytes: INITIAL_MEMORY_BYTES });
  if (fastest.kernels === 'relaxed') return { plain, relaxed: fastest };
  fastest.dispose();
  return { plain, relaxed: null };
}

/** Copies `values` into a fresh region of the engine's memory and returns its pointer. */
export function uploadF32(engine: Engine, values: Float32Array): Ptr {
  const ptr = engine.arena.allocF32(values.length);
  engine.arena.f32(ptr, values.length).set(values);
  return ptr;
}

/** A copy of n floats at ptr. */
export function downloadF32(engine: Engine, ptr: Ptr, n: number): Float32Array {
  return engine.arena.f32(ptr, n).slice();
}

// The slimtrain engines a bench compares: the plain SIMD build at each thread count of --threads,
// and the relaxed-SIMD build (one thread: threads run the plain build) when this runtime validates
// it (Node 20 needs --experimental-wasm-relaxed-simd; bench/run.mjs adds it for --relaxed). Every
// engine is created with an explicit thread count: init's default ('auto') would use every core.
import type { Ptr } from '../../src/backend/arena.js';
import { init, type Engine, type InitOptions } from '../../src/backend/engine.js';

export interface SlimtrainEngines {
  /** The plain SIMD build, one engine per thread count of --threads, ascending; plain[0] is the reference output. */
  plain: Engine[];
  /** On one thread; null where relaxed SIMD does not validate. */
  relaxed: Engine | null;
}

/** Memory sized up front for the largest bench case, so it does not grow (and detach views) mid-run. */
const INITIAL_MEMORY_BYTES = 128 * 2 ** 20;

/**
 * init() with an explicit thread count, checked: the engine must really run that many threads.
 *
 * @example
 * const engine = await initWithThreads(2, { simd: 'plain' });
 */
export async function initWithThreads(threads: number, options: Omit<InitOptions, 'threads'> = {}): Promise<Engine> {
  const engine = await init({ ...options, threads });
  if (engine.threads !== threads) {
    engine.dispose();
    throw new Error(`init({ threads: ${threads} }) gave an engine on ${engine.threads} thread(s)`);
  }
  return engine;
}

export async function createSlimtrainEngines(threads: readonly number[]): Promise<SlimtrainEngines> {
  const plain: Engine[] = [];
  for (const t of threads) plain.push(await initWithThreads(t, { simd: 'plain', initialMemoryBytes: INITIAL_MEMORY_BYTES }));
  const fastest = await initWithThreads(1, { simd: 'fastest', initialMemoryBytes: INITIAL_MEMORY_BYTES });
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

/** True when the two arrays hold the same bits (NaNs included), not merely equal values. */
export function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

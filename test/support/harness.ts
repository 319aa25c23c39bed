import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { init, type Engine } from '../../src/backend/engine.js';
import type { Backend } from '../../src/backend/backend.js';
import { createReferenceBackend } from '../../src/backend/reference.js';
import type { Ptr } from '../../src/backend/arena.js';

/** The kernel builds every kernel test runs on: the two shipped defaults and the unoptimised debug build. */
export const BUILDS = ['simd', 'scalar', 'debug'] as const;
export type TestBuild = (typeof BUILDS)[number];

/**
 * One engine with the WebAssembly kernels of `build`, plus the reference backend on the same arena,
 * so both can run on the same regions.
 */
export class Harness {
  readonly ref: Backend;

  constructor(readonly engine: Engine) {
    this.ref = createReferenceBackend(engine.arena);
  }

  get wasm(): Backend {
    return this.engine.backend;
  }

  /** A region holding a copy of the values. */
  put(values: ArrayLike<number>): Ptr {
    const ptr = this.engine.arena.allocF32(values.length);
    this.engine.arena.f32(ptr, values.length).set(values);
    return ptr;
  }

  /** A region of i32 values. */
  putI32(values: ArrayLike<number>): Ptr {
    const ptr = this.engine.arena.alloc(values.length * 4);
    this.engine.arena.i32(ptr, values.length).set(values);
    return ptr;
  }

  /** A region of n floats, filled with a NaN so unwritten outputs show. */
  out(n: number): Ptr {
    const ptr = this.engine.arena.allocF32(n);
    this.engine.arena.f32(ptr, n).fill(NaN);
    return ptr;
  }

  /** A copy of n floats at ptr. */
  get(ptr: Ptr, n: number): Float32Array {
    return this.engine.arena.f32(ptr, n).slice();
  }

  getI32(ptr: Ptr, n: number): Int32Array {
    return this.engine.arena.i32(ptr, n).slice();
  }

  /**
   * Copies every region into fresh memory, runs `call` with their pointers on `backend`, and returns
   * the regions' contents afterwards (inputs, outputs and in-place state alike).
   */
  run<T extends Record<string, Float32Array | Int32Array>>(
    backend: Backend,
    regions: T,
    call: (b: Backend, p: Record<keyof T, Ptr>) => void,
  ): T {
    const ptrs = {} as Record<keyof T, Ptr>;
    for (const name in regions) {
      const values = regions[name];
      ptrs[name] = values instanceof Int32Array ? this.putI32(values) : this.put(values);
    }
    call(backend, ptrs);
    const out = {} as Record<string, Float32Array | Int32Array>;
    for (const name in regions) {
      const n = regions[name].length;
      out[name] = regions[name] instanceof Int32Array ? this.getI32(ptrs[name], n) : this.get(ptrs[name], n);
      this.engine.arena.free(ptrs[name]);
    }
    return out as T;
  }

  /** `run` on the WebAssembly kernels and on the reference: [wasm, reference]. */
  both<T extends Record<string, Float32Array | Int32Array>>(regions: T, call: (b: Backend, p: Record<keyof T, Ptr>) => void): [T, T] {
    return [this.run(this.wasm, regions, call), this.run(this.ref, regions, call)];
  }
}

/** n floats, all NaN: an output region whose unwritten elements will show. */
export function nans(n: number): Float32Array {
  return new Float32Array(n).fill(NaN);
}

export async function harness(build: TestBuild): Promise<Harness> {
  if (build === 'debug') {
    const bytes = readFileSync(new URL('../../build/slimtrain.debug.wasm', import.meta.url));
    return new Harness(await init({ wasm: new Uint8Array(bytes), simd: 'plain' }));
  }
  return new Harness(await init({ simd: build === 'simd' ? 'plain' : 'none' }));
}

/**
 * Asserts |actual - expected| <= atol + rtol * |expected| elementwise, reporting the worst element.
 */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  { rtol = 1e-5, atol = 1e-6, label = '' }: { rtol?: number; atol?: number; label?: string } = {},
): void {
  expect(actual.length, `${label} length`).toBe(expected.length);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < actual.length; i++) {
    const diff = Math.abs(actual[i] - expected[i]);
    const excess = diff - (atol + rtol * Math.abs(expected[i]));
    if (!(excess <= 0) && (worst < 0 || !(excess <= worstExcess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    expect.fail(
      `${label} element ${worst} of ${actual.length}: got ${actual[worst]}, expected ${expected[worst]} ` +
        `(atol ${atol}, rtol ${rtol})`,
    );
  }
}

/** Asserts two arrays are equal bit for bit (NaN payloads aside). */
export function expectBitIdentical(actual: Float32Array, expected: Float32Array, label = ''): void {
  expect(actual.length, `${label} length`).toBe(expected.length);
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const b = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i] && !(Number.isNaN(actual[i]) && Number.isNaN(expected[i]))) {
      expect.fail(`${label} element ${i}: ${actual[i]} !== ${expected[i]} (bits ${a[i].toString(16)} vs ${b[i].toString(16)})`);
    }
  }
}

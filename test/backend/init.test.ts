import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { init } from '../../src/backend/engine.js';
import { bytesOf, supportsBuild } from '../../src/backend/load.js';
import { ArgumentError, SlimtrainError } from '../../src/errors.js';

const simdFile = new URL('../../build/slimtrain.simd.wasm', import.meta.url);

/** [1 2; 3 4] * [5 6; 7 8] on an engine: a smoke test that its kernels run. */
async function product(engine: Awaited<ReturnType<typeof init>>): Promise<number[]> {
  const { arena, backend } = engine;
  const a = arena.allocF32(4);
  const b = arena.allocF32(4);
  const c = arena.allocF32(4);
  arena.f32(a, 4).set([1, 2, 3, 4]);
  arena.f32(b, 4).set([5, 6, 7, 8]);
  backend.gemm(false, false, 2, 2, 2, a, b, c, false);
  return Array.from(arena.f32(c, 4));
}

describe('init', () => {
  it('runs the plain-SIMD build by default, from the bytes inlined in the package', async () => {
    const engine = await init();
    expect(engine.kernels).toBe('simd');
    expect(engine.module).toBeInstanceOf(WebAssembly.Module);
    expect(await product(engine)).toEqual([19, 22, 43, 50]);
  });

  it('selects the scalar, relaxed and fastest builds', async () => {
    expect((await init({ simd: 'none' })).kernels).toBe('scalar');
    expect((await init({ simd: 'plain' })).kernels).toBe('simd');
    const fastest = await init({ simd: 'fastest' });
    expect(fastest.kernels).toBe(supportsBuild('relaxed') ? 'relaxed' : 'simd');
    expect(await product(fastest)).toEqual([19, 22, 43, 50]);
  });

  it('takes the kernels from bytes, an ArrayBuffer, a compiled module or a file URL', async () => {
    const bytes = new Uint8Array(readFileSync(simdFile));
    const sources = [bytes, bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), await WebAssembly.compile(bytes), simdFile, simdFile.href];
    for (const wasm of sources) {
      const engine = await init({ wasm });
      expect(await product(engine)).toEqual([19, 22, 43, 50]);
    }
  });

  it('shares one compiled module between engines, each with its own memory', async () => {
    const a = await init();
    const b = await init({ wasm: a.module });
    expect(b.module).toBe(a.module);
    expect(b.arena.memory).not.toBe(a.arena.memory);
    const pa = a.arena.allocF32(1);
    a.arena.f32(pa, 1)[0] = 42;
    const pb = b.arena.allocF32(1);
    b.arena.f32(pb, 1)[0] = -1;
    expect(a.arena.f32(pa, 1)[0]).toBe(42);
  });

  it('runs the reference backend on request', async () => {
    const engine = await init({ backend: 'reference' });
    expect(engine.kernels).toBe('reference');
    expect(await product(engine)).toEqual([19, 22, 43, 50]);
  });

  it('rejects bad options with errors naming the option and the value', async () => {
    await expect(init({ simd: 'avx' as never })).rejects.toThrow(ArgumentError);
    await expect(init({ simd: 'avx' as never })).rejects.toThrow(/simd = "avx": expected "auto", "plain", "relaxed", "fastest" or "none"/);
    await expect(init({ backend: 'gpu' as never })).rejects.toThrow(/backend = "gpu": expected "wasm" or "reference"/);
    await expect(init({ wasm: 42 as never })).rejects.toThrow(/wasm = 42: expected a WebAssembly.Module/);
    await expect(init({ wasm: new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]) })).rejects.toThrow(/wasm = .*gemm export/);
    await expect(init({ maximumMemoryBytes: 2 ** 40 })).rejects.toThrow(/maximumBytes/);
  });

  it('refuses to be used after dispose', async () => {
    const engine = await init();
    engine.dispose();
    expect(engine.isDisposed).toBe(true);
    expect(() => engine.backend).toThrow(SlimtrainError);
    expect(() => engine.arena).toThrow(/disposed/);
  });
});

describe('the thread count init chose, and why', () => {
  it("is silent and says why 'auto' ran one thread", async () => {
    const info = vi.spyOn(console, 'info');
    const scalar = await init({ simd: 'none' });
    expect(scalar.threads).toBe(1);
    expect(scalar.threadsReason).toBe('threads run the plain SIMD build, and this engine runs the scalar build');
    const auto = await init();
    // Node always has worker threads: no reason to give.
    expect(auto.threadsReason).toBeUndefined();
    expect((await init({ threads: 1 })).threadsReason).toBeUndefined();
    expect(info).not.toHaveBeenCalled();
    for (const e of [scalar, auto]) e.dispose();
    info.mockRestore();
  });
});

describe('the inlined kernel builds', () => {
  it('are the asc builds byte for byte; the threads build is derived from the simd one by its shared-memory flag', () => {
    for (const build of ['simd', 'relaxed', 'scalar', 'threads'] as const) {
      const file = new Uint8Array(readFileSync(new URL(`../../build/slimtrain.${build}.wasm`, import.meta.url)));
      expect(Buffer.from(bytesOf(build)).equals(Buffer.from(file)), build).toBe(true);
    }
    // Derived on every call, from a fresh decode: the simd bytes stay unshared.
    expect(Buffer.from(bytesOf('simd')).equals(Buffer.from(bytesOf('threads')))).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { Arena, ALIGN } from '../../src/backend/arena.js';
import { init } from '../../src/backend/engine.js';
import { ArgumentError, OutOfMemoryError } from '../../src/errors.js';
import { rng } from '../support/random.js';

describe('Arena', () => {
  it('hands out aligned, non-null, non-overlapping regions through random alloc/free sequences', () => {
    const arena = new Arena({ initialBytes: 65536 });
    const random = rng(42);
    const live = new Map<number, number>();
    for (let step = 0; step < 3000; step++) {
      if (live.size > 0 && random() < 0.45) {
        const ptrs = [...live.keys()];
        const ptr = ptrs[Math.floor(random() * ptrs.length)];
        arena.free(ptr);
        live.delete(ptr);
      } else {
        const bytes = Math.floor(random() * 5000);
        const ptr = arena.alloc(bytes);
        expect(ptr).toBeGreaterThan(0);
        expect(ptr % ALIGN).toBe(0);
        for (const [other, size] of live) {
          const overlaps = ptr < other + size && other < ptr + Math.max(bytes, 1);
          if (overlaps) expect.fail(`region ${ptr}+${bytes} overlaps ${other}+${size} at step ${step}`);
        }
        live.set(ptr, bytes);
        expect(ptr + bytes).toBeLessThanOrEqual(arena.byteLength);
      }
    }
    for (const ptr of live.keys()) arena.free(ptr);
    expect(arena.bytesInUse).toBe(0);
    // Everything was given back and coalesced: one large region fits at the bottom again.
    const big = arena.alloc(arena.byteLength / 2);
    expect(big).toBe(ALIGN);
  });

  it('reserveLow keeps every region above the given address', () => {
    const arena = new Arena({ initialBytes: 65536 });
    arena.reserveLow(100_001);
    const first = arena.alloc(10);
    expect(first).toBeGreaterThanOrEqual(100_001);
    expect(() => arena.reserveLow(5)).toThrow(/before the first alloc/);
  });

  it('grows the memory, and views taken after growth see the old contents', () => {
    const arena = new Arena({ initialBytes: 65536 });
    const a = arena.allocF32(1000);
    arena.f32(a, 1000).fill(7);
    const before = arena.byteLength;
    arena.allocF32(1 << 20);
    expect(arena.byteLength).toBeGreaterThan(before);
    expect(arena.f32(a, 1000).every((v) => v === 7)).toBe(true);
    expect(arena.heapF32()[a / 4 + 999]).toBe(7);
  });

  it('reports a clear error past maximumBytes, and for bad arguments', () => {
    const arena = new Arena({ initialBytes: 65536, maximumBytes: 4 * 65536 });
    expect(() => arena.alloc(10 * 65536)).toThrow(OutOfMemoryError);
    expect(() => arena.alloc(10 * 65536)).toThrow(/limited to 262144 bytes/);
    expect(() => arena.alloc(-1)).toThrow(ArgumentError);
    expect(() => arena.alloc(1.5)).toThrow(/bytes = 1.5: expected a non-negative integer/);
    expect(() => arena.free(12345)).toThrow(/ptr = 12345: expected a live region/);
    expect(() => new Arena({ maximumBytes: 8 * 2 ** 30 })).toThrow(/maximumBytes/);
  });

  it("keeps the kernel module's static data intact (the exp/log tables live below the arena)", async () => {
    const engine = await init();
    const { arena, backend } = engine;
    // Scribble over a large fresh region, then run kernels that read Mathf's tables.
    const junk = arena.allocF32(1 << 20);
    arena.f32(junk, 1 << 20).fill(-1e30);
    arena.free(junk);
    // A GEMM fills its packing scratch (the engine's first region) with the same junk.
    const [M, N, K] = [96, 64, 256];
    const a = arena.allocF32(M * K);
    const c = arena.allocF32(M * N);
    arena.f32(a, M * K).fill(-1e30);
    backend.gemm(false, false, M, N, K, a, a, c, false);
    const x = arena.allocF32(4);
    const y = arena.allocF32(4);
    arena.f32(x, 4).set([0, 1, -1, 2]);
    backend.activationForward('sigmoid', x, y, 4, 0);
    const got = Array.from(arena.f32(y, 4));
    const want = [0, 1, -1, 2].map((v) => 1 / (1 + Math.exp(-v)));
    got.forEach((v, i) => expect(v).toBeCloseTo(want[i], 6));
  });
});

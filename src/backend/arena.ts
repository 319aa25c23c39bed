import { ArgumentError, OutOfMemoryError, SlimtrainError } from '../errors.js';
import type { WasmMemory } from './wasm_types.js';

/** A byte offset into the engine's WebAssembly memory. 0 is never handed out: kernels read 0 as "absent". */
export type Ptr = number;

const PAGE = 65536;
/** Alignment of every region: a cache line, so f32x4 loads never split one. */
export const ALIGN = 64;
/** Bytes kept free at address 0, so that no region starts at the null pointer. */
const RESERVED = ALIGN;
const WASM32_MAX_PAGES = 65536;
/** The pattern of guard bands (guard mode). */
const GUARD_BYTE = 0xa5;

interface Block {
  start: number;
  size: number;
}

/**
 * The TypeScript side of the engine's one linear memory: hands out 64-byte-aligned regions and
 * takes them back (first fit, coalescing), growing the memory when it must.
 *
 * Typed-array views over a WebAssembly.Memory detach when it grows, so callers never keep one:
 * `f32(ptr, n)` makes a fresh view, and `heapF32()` re-derives the whole-memory view when needed.
 */
export class Arena {
  readonly memory: WasmMemory;
  private readonly maximumPages: number;
  private readonly freeBlocks: Block[] = [];
  private readonly sizes = new Map<Ptr, number>();
  private readonly guards = new Map<Ptr, { bytes: number; inner: number }>();
  private top = RESERVED;
  private viewBuffer: ArrayBufferLike | null = null;
  private viewF32 = new Float32Array(0);

  /** Guard mode: every region sits between two ALIGN-byte guard bands of a known pattern. */
  readonly guarded: boolean;

  constructor(options: { initialBytes?: number; maximumBytes?: number; shared?: boolean; guards?: boolean } = {}) {
    this.guarded = options.guards === true;
    const initialPages = Math.max(1, Math.ceil((options.initialBytes ?? 16 * 2 ** 20) / PAGE));
    const maximumPages = Math.ceil((options.maximumBytes ?? 4 * 2 ** 30) / PAGE);
    if (!(maximumPages >= initialPages && maximumPages <= WASM32_MAX_PAGES)) {
      throw new ArgumentError('maximumBytes', options.maximumBytes, `between initialBytes and 4 GiB (${WASM32_MAX_PAGES} pages)`);
    }
    this.maximumPages = maximumPages;
    this.memory = new WebAssembly.Memory({ initial: initialPages, maximum: maximumPages, ...(options.shared ? { shared: true } : {}) });
  }

  /**
   * Keeps [0, end) out of every region: the kernel module's static data lives there. Called once,
   * right after the kernels are instantiated and before anything is allocated.
   */
  reserveLow(end: number): void {
    if (this.sizes.size > 0) throw new ArgumentError('reserveLow', end, 'a call before the first alloc');
    if (!Number.isInteger(end) || end < 0) throw new ArgumentError('end', end, 'a non-negative integer');
    this.top = Math.max(RESERVED, Math.ceil(end / ALIGN) * ALIGN);
    this.ensure(this.top);
  }

  /** Bytes currently handed out (including alignment padding). */
  get bytesInUse(): number {
    let total = 0;
    for (const size of this.sizes.values()) total += size;
    return total;
  }

  /** Size of the linear memory in bytes. */
  get byteLength(): number {
    return this.memory.buffer.byteLength;
  }

  /** A region of at least `bytes` bytes, 64-byte aligned. Contents are unspecified. */
  alloc(bytes: number): Ptr {
    if (!Number.isInteger(bytes) || bytes < 0) throw new ArgumentError('bytes', bytes, 'a non-negative integer');
    if (this.guarded) {
      const inner = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
      const outer = this.allocRaw(inner + 2 * ALIGN);
      // The guard after the region starts right after the bytes asked for, not after the padding.
      const view = new Uint8Array(this.memory.buffer);
      view.fill(GUARD_BYTE, outer, outer + ALIGN);
      view.fill(GUARD_BYTE, outer + ALIGN + bytes, outer + 2 * ALIGN + inner);
      this.guards.set(outer + ALIGN, { bytes, inner });
      return outer + ALIGN;
    }
    return this.allocRaw(bytes);
  }

  /**
   * Guard mode: throws if any live region's guard bands changed, i.e. a kernel wrote outside the
   * region it was given. Also checked for each region when it is freed.
   */
  checkGuards(): void {
    for (const [ptr, region] of this.guards) this.checkGuard(ptr, region);
  }

  private checkGuard(ptr: Ptr, { bytes, inner }: { bytes: number; inner: number }): void {
    const view = new Uint8Array(this.memory.buffer);
    for (const [start, end] of [[ptr - ALIGN, ptr], [ptr + bytes, ptr + inner + ALIGN]]) {
      for (let i = start; i < end; i++) {
        if (view[i] !== GUARD_BYTE) {
          throw new SlimtrainError(`memory guard: byte ${i} (${i < ptr ? ptr - i : i - ptr - bytes + 1} bytes ${i < ptr ? 'before' : 'after'} the region at ${ptr} of ${bytes} bytes) was overwritten: a kernel wrote out of bounds`);
        }
      }
    }
  }

  private allocRaw(bytes: number): Ptr {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    for (let i = 0; i < this.freeBlocks.length; i++) {
      const block = this.freeBlocks[i];
      if (block.size < size) continue;
      const ptr = block.start;
      if (block.size === size) this.freeBlocks.splice(i, 1);
      else {
        block.start += size;
        block.size -= size;
      }
      this.sizes.set(ptr, size);
      return ptr;
    }
    const ptr = this.top;
    this.ensure(ptr + size);
    this.top = ptr + size;
    this.sizes.set(ptr, size);
    return ptr;
  }

  /** `alloc` for n f32 values. */
  allocF32(n: number): Ptr {
    return this.alloc(n * 4);
  }

  /** Returns a region to the arena. Freeing a pointer that is not live is an error. */
  free(ptr: Ptr): void {
    if (this.guarded) {
      const region = this.guards.get(ptr);
      if (region === undefined) throw new ArgumentError('ptr', ptr, 'a live region returned by alloc');
      this.guards.delete(ptr);
      this.checkGuard(ptr, region);
      ptr -= ALIGN;
    }
    const size = this.sizes.get(ptr);
    if (size === undefined) throw new ArgumentError('ptr', ptr, 'a live region returned by alloc');
    this.sizes.delete(ptr);
    if (ptr + size === this.top) {
      this.top = ptr;
      // The block below the top may now touch it: give it back to the bump pointer too.
      const last = this.freeBlocks[this.freeBlocks.length - 1];
      if (last && last.start + last.size === this.top) {
        this.top = last.start;
        this.freeBlocks.pop();
      }
      return;
    }
    // Insert in address order and coalesce with neighbours.
    let i = 0;
    while (i < this.freeBlocks.length && this.freeBlocks[i].start < ptr) i++;
    this.freeBlocks.splice(i, 0, { start: ptr, size });
    const next = this.freeBlocks[i + 1];
    if (next && ptr + size === next.start) {
      this.freeBlocks[i].size += next.size;
      this.freeBlocks.splice(i + 1, 1);
    }
    const prev = this.freeBlocks[i - 1];
    if (prev && prev.start + prev.size === ptr) {
      prev.size += this.freeBlocks[i].size;
      this.freeBlocks.splice(i, 1);
    }
  }

  /** Size in bytes of a live region. */
  sizeOf(ptr: Ptr): number {
    if (this.guarded) {
      const region = this.guards.get(ptr);
      if (region === undefined) throw new ArgumentError('ptr', ptr, 'a live region returned by alloc');
      return region.inner;
    }
    const size = this.sizes.get(ptr);
    if (size === undefined) throw new ArgumentError('ptr', ptr, 'a live region returned by alloc');
    return size;
  }

  /** A fresh Float32Array view of n floats at ptr. Do not keep it across allocations. */
  f32(ptr: Ptr, n: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, n);
  }

  /** A fresh Int32Array view of n ints at ptr. */
  i32(ptr: Ptr, n: number): Int32Array {
    return new Int32Array(this.memory.buffer, ptr, n);
  }

  /** A fresh Float64Array view of n doubles at ptr (ptr must be 8-byte aligned). */
  f64(ptr: Ptr, n: number): Float64Array {
    return new Float64Array(this.memory.buffer, ptr, n);
  }

  /** The whole memory as f32, re-derived only after the memory grew. Index = ptr / 4. */
  heapF32(): Float32Array {
    if (this.viewBuffer !== this.memory.buffer) {
      this.viewBuffer = this.memory.buffer;
      this.viewF32 = new Float32Array(this.memory.buffer);
    }
    return this.viewF32;
  }

  private ensure(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    const pages = Math.ceil((end - have) / PAGE);
    const current = have / PAGE;
    // Grow geometrically, so that many small allocations do not grow the memory many times.
    const wanted = Math.min(this.maximumPages, Math.max(current + pages, Math.ceil(current * 1.5)));
    if (current + pages > this.maximumPages) {
      throw new OutOfMemoryError(
        `cannot allocate ${end - this.top} bytes: the engine's memory is limited to ${this.maximumPages * PAGE} bytes ` +
          `(${this.top} in use or reserved); free regions or raise maximumBytes`,
      );
    }
    this.memory.grow(wanted - current);
  }
}

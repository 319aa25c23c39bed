import { knownKeys } from '../validate.js';
import { SlimtrainError, ArgumentError, UnsupportedError } from '../errors.js';
import { Arena } from './arena.js';
import type { Backend } from './backend.js';
import { chooseBuild, compileKernels, instantiateKernels, type KernelBuild, type SimdOption, type WasmSource } from './load.js';
import { createReferenceBackend } from './reference.js';
import { createWasmBackend } from './wasm.js';
import { availableThreads, ThreadPool } from './thread_pool.js';
import type { WasmModule } from './wasm_types.js';

/** Options of `init`. Every field is optional. */
export interface InitOptions {
  /** Which kernel build runs (see SimdOption). Default 'auto'. */
  simd?: SimdOption;
  /** Override where the kernels come from: a compiled module, bytes, or a URL. Default: the bytes inlined in the package. */
  wasm?: WasmSource;
  /** 'wasm' (default) runs the WebAssembly kernels; 'reference' runs the plain-TypeScript definitions. */
  backend?: 'wasm' | 'reference';
  /** Initial size of the engine's memory in bytes. Default 16 MiB; it grows as needed. */
  initialMemoryBytes?: number;
  /** Upper bound of the engine's memory in bytes. Default 4 GiB (the wasm32 limit). */
  maximumMemoryBytes?: number;
  /**
   * Kernel threads sharing the engine's memory: 'auto' (default) uses every core where the runtime
   * allows it (Node; browsers inside a worker of a cross-origin isolated page), else one thread,
   * silently: `engine.threadsReason` says why. Any count gives the same bits. Threads run the plain SIMD
   * build: with simd 'relaxed' or 'none', or a wasm override, 'auto' means one thread.
   */
  threads?: 'auto' | number;
  /**
   * Debugging: surround every allocation with guard bands checked on free and by
   * `engine.arena.checkGuards()`, to catch a kernel writing out of bounds (one thread, the plain
   * SIMD build). For tests and fuzzing.
   */
  guards?: boolean;
}

/**
 * An engine: one WebAssembly memory, the arena that hands out its regions, and a backend whose
 * kernels run on it. Models, optimizers and workspaces of one engine all live in its memory.
 */
export class Engine {
  private disposed = false;

  constructor(
    private readonly arenaRef: Arena,
    private readonly backendRef: Backend,
    /** The kernel build running ('simd', 'relaxed', 'scalar') or 'reference'. */
    readonly kernels: KernelBuild | 'reference',
    /** The compiled module, to hand to a worker instead of compiling again (undefined for 'reference'). */
    readonly module: WasmModule | undefined,
    private readonly pool: ThreadPool | null = null,
    /**
     * Why `threads: 'auto'` ran the kernels on one thread (e.g. "the page is not cross-origin
     * isolated ..."); undefined when the engine runs the threads asked for or the runtime's cores.
     */
    readonly threadsReason?: string,
  ) {}

  /** Threads the kernels run on (1 without a pool). See `threadsReason` for why 'auto' chose one. */
  get threads(): number {
    return this.pool?.threads ?? 1;
  }

  get arena(): Arena {
    this.check();
    return this.arenaRef;
  }

  get backend(): Backend {
    this.check();
    return this.backendRef;
  }

  /** Drops the engine's memory and stops its kernel threads. Using the engine afterwards throws. */
  dispose(): void {
    this.disposed = true;
    this.pool?.dispose();
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  private check(): void {
    if (this.disposed) throw new SlimtrainError('this engine was disposed: create a new one with init()');
  }
}

/**
 * Creates an engine. The same call works in Node, browsers and Web Workers.
 *
 * @example
 * const engine = await init();                 // plain SIMD kernels, inlined in the package
 * const fast = await init({ simd: 'fastest' }); // relaxed SIMD where the runtime has it
 */
export async function init(options: InitOptions = {}): Promise<Engine> {
  if (options === null || typeof options !== 'object') throw new ArgumentError('options', options, 'an options object');
  knownKeys('init options', options, ['simd', 'wasm', 'backend', 'initialMemoryBytes', 'maximumMemoryBytes', 'threads', 'guards']);
  const backend = options.backend ?? 'wasm';
  if (backend !== 'wasm' && backend !== 'reference') throw new ArgumentError('backend', backend, '"wasm" or "reference"');
  if (backend === 'reference') {
    const arena = new Arena({ initialBytes: options.initialMemoryBytes, maximumBytes: options.maximumMemoryBytes });
    return new Engine(arena, createReferenceBackend(arena), 'reference', undefined);
  }
  if (options.guards !== undefined && typeof options.guards !== 'boolean') throw new ArgumentError('guards', options.guards, 'true or false');
  if (options.guards) {
    const arena = new Arena({ initialBytes: options.initialMemoryBytes, maximumBytes: options.maximumMemoryBytes, guards: true });
    const module = await compileKernels('simd');
    const kernels = await instantiateKernels(module, arena.memory);
    return new Engine(arena, createWasmBackend('simd', kernels, arena), 'simd', module);
  }
  const build = options.wasm === undefined ? chooseBuild(options.simd ?? 'auto') : overrideBuild(options.simd);
  const { threads, reason } = threadCount(options.threads, build, options.wasm !== undefined);
  const shared = threads > 1;
  const arena = new Arena({ initialBytes: options.initialMemoryBytes, maximumBytes: options.maximumMemoryBytes, shared });
  const module = await compileKernels(shared ? 'threads' : build, shared ? undefined : options.wasm);
  const kernels = await instantiateKernels(module, arena.memory);
  const pool = shared ? await ThreadPool.create(module, arena.memory, threads) : null;
  return new Engine(arena, createWasmBackend(build, kernels, arena, pool ?? undefined), build, shared ? await compileKernels(build) : module, pool, reason);
}

/** The most kernel threads an engine runs ('auto' on a machine with more cores stops here). */
export const MAX_KERNEL_THREADS = 256;

/**
 * Resolves the threads option: a count of at least 1, checked against what the runtime and build
 * allow, and (for 'auto' limited to one thread) the reason.
 */
function threadCount(option: 'auto' | number | undefined, build: string, override: boolean): { threads: number; reason?: string } {
  if (option !== undefined && option !== 'auto' && !(Number.isInteger(option) && option >= 1 && option <= MAX_KERNEL_THREADS)) {
    throw new ArgumentError('threads', option, `"auto" or an integer from 1 to ${MAX_KERNEL_THREADS}`);
  }
  const { threads: available, reason } = availableThreads();
  if (option === undefined || option === 'auto') {
    if (build !== 'simd' || override) return { threads: 1, reason: `threads run the plain SIMD build, and this engine runs ${override ? 'a wasm override' : `the ${build} build`}` };
    return available === 1 && reason ? { threads: 1, reason } : { threads: Math.min(available, MAX_KERNEL_THREADS) };
  }
  if (option > 1) {
    if (build !== 'simd' || override) throw new ArgumentError('threads', option, `1 with ${override ? 'a wasm override' : `the ${build} build`} (threads run the plain SIMD build)`);
    if (reason) throw new UnsupportedError(`threads = ${option}: ${reason}`);
  }
  return { threads: option };
}

/** With a wasm override the caller says which build it is; 'auto' means plain SIMD. */
function overrideBuild(simd: SimdOption | undefined): KernelBuild {
  switch (simd ?? 'auto') {
    case 'auto':
    case 'plain':
      return 'simd';
    case 'relaxed':
    case 'fastest':
      return 'relaxed';
    case 'none':
      return 'scalar';
    default:
      throw new ArgumentError('simd', simd, '"auto", "plain", "relaxed", "fastest" or "none"');
  }
}

import { instantiate } from '@assemblyscript/loader';
import { scalar, simdAndRelaxed, threadsFromSimd } from '../../build/kernels.js';
import { ArgumentError, SlimtrainError, UnsupportedError } from '../errors.js';
import type { KernelExports } from './kernel_exports.js';
import type { WasmMemory, WasmModule } from './wasm_types.js';

/**
 * The kernel builds of asconfig.json that ship inside the package. 'threads' is the plain SIMD
 * build against a shared memory, which multi-threaded engines run.
 */
export type KernelBuild = 'simd' | 'relaxed' | 'scalar' | 'threads';

/**
 * Which build to run:
 * - 'auto' (default): plain SIMD where the runtime has it, else scalar;
 * - 'plain': plain SIMD, bit-identical everywhere (an error where SIMD is missing);
 * - 'relaxed': relaxed-SIMD fused multiply-add, faster but not bit-identical across machines
 *   (an error where the runtime does not validate it: Node 20 needs --experimental-wasm-relaxed-simd);
 * - 'fastest': relaxed where validated, else plain, else scalar;
 * - 'none': the scalar build.
 */
export type SimdOption = 'auto' | 'plain' | 'relaxed' | 'fastest' | 'none';

/** Where kernel bytes come from when not the copy inlined in the package. */
export type WasmSource = WasmModule | ArrayBuffer | Uint8Array | URL | string;

const compiled = new Map<KernelBuild, Promise<WebAssembly.Module>>();
const validity = new Map<KernelBuild, boolean>();

function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** The base64 of an inlined build (build.mjs interleaves simd and relaxed, slice by slice). */
function inlined(build: 'simd' | 'relaxed' | 'scalar'): string {
  if (build === 'scalar') return scalar;
  const parity = build === 'simd' ? 0 : 1;
  return simdAndRelaxed.filter((_, i) => i % 2 === parity).join('');
}

/** The inlined bytes of a build; 'threads' is derived from 'simd' (one byte apart, see build.mjs). */
export function bytesOf(build: KernelBuild): Uint8Array {
  if (build !== 'threads') return decodeBase64(inlined(build));
  const bytes = decodeBase64(inlined('simd'));
  const { offset, from, to } = threadsFromSimd;
  if (bytes[offset] !== from) throw new SlimtrainError(`the inlined kernels are inconsistent: byte ${offset} of the simd build is ${bytes[offset]}, expected ${from} (rebuild with npm run build)`);
  bytes[offset] = to;
  return bytes;
}

/** True when this runtime validates the given build (SIMD, relaxed SIMD). */
export function supportsBuild(build: KernelBuild): boolean {
  let ok = validity.get(build);
  if (ok === undefined) {
    ok = WebAssembly.validate(bytesOf(build) as BufferSource);
    validity.set(build, ok);
  }
  return ok;
}

/** Resolves the simd option to the build this runtime will run. */
export function chooseBuild(simd: SimdOption): KernelBuild {
  switch (simd) {
    case 'auto':
      return supportsBuild('simd') ? 'simd' : 'scalar';
    case 'fastest':
      return supportsBuild('relaxed') ? 'relaxed' : supportsBuild('simd') ? 'simd' : 'scalar';
    case 'none':
      return 'scalar';
    case 'plain':
    case 'relaxed': {
      const build = simd === 'plain' ? 'simd' : 'relaxed';
      if (!supportsBuild(build)) {
        throw new UnsupportedError(
          `simd = "${simd}": this runtime does not validate the ${simd === 'plain' ? 'SIMD' : 'relaxed-SIMD'} kernels; ` +
            `use simd: "auto" or "fastest" to fall back`,
        );
      }
      return build;
    }
    default:
      throw new ArgumentError('simd', simd, '"auto", "plain", "relaxed", "fastest" or "none"');
  }
}

async function fetchBytes(location: URL | string): Promise<ArrayBuffer> {
  const url = typeof location === 'string' ? new URL(location, globalThis.location?.href) : location;
  if (url.protocol === 'file:') {
    // Node only: reached without an import, so browser bundles never see a node: module.
    const fs = (globalThis as { process?: { getBuiltinModule?(id: string): unknown } }).process?.getBuiltinModule?.('node:fs') as
      | typeof import('node:fs')
      | undefined;
    if (!fs) throw new UnsupportedError(`wasm = ${url.href}: file URLs can only be read in Node >= 20.16`);
    const bytes = fs.readFileSync(url);
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }
  const response = await fetch(url);
  if (!response.ok) throw new UnsupportedError(`wasm = ${url.href}: fetch failed with HTTP ${response.status}`);
  return response.arrayBuffer();
}

/** The compiled kernel module, from the package's inlined bytes (compiled once per build) or an override. */
export async function compileKernels(build: KernelBuild, source?: WasmSource): Promise<WasmModule> {
  if (source === undefined) {
    let module = compiled.get(build);
    if (!module) {
      module = WebAssembly.compile(bytesOf(build) as BufferSource);
      compiled.set(build, module);
    }
    return module;
  }
  if (source instanceof WebAssembly.Module) return source;
  if (source instanceof ArrayBuffer || source instanceof Uint8Array) return WebAssembly.compile(source as BufferSource);
  if (source instanceof URL || typeof source === 'string') return WebAssembly.compile(await fetchBytes(source));
  throw new ArgumentError('wasm', source, 'a WebAssembly.Module, ArrayBuffer, Uint8Array, URL or URL string');
}

/** Instantiates the kernels against the engine's memory. */
export async function instantiateKernels(module: WasmModule, memory: WasmMemory): Promise<KernelExports> {
  const { exports } = await instantiate<Record<string, unknown>>(module, { env: { memory } });
  if (typeof (exports as Record<string, unknown>).gemm !== 'function') {
    throw new ArgumentError('wasm', 'a module without a gemm export', 'slimtrain kernels built from assembly/index.ts');
  }
  return exports as unknown as KernelExports;
}

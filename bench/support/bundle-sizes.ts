// What slimtrain costs to download: the kernel builds (build/slimtrain.*.wasm) and the minified
// browser bundles of the API and the trainer's worker, raw and gzipped (node:zlib, level 9).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';

/** Raw and gzip bytes of one file or bundle; null where the file is missing. */
export interface SizeRecord {
  kind: 'wasm' | 'bundle';
  /** The kernel build ('simd', ...) or the bundle's entry point (src/index.ts, ...). */
  name: string;
  /** The file measured, relative to the project root (for bundles: the entry point). */
  path: string;
  bytes: number | null;
  gzip_bytes: number | null;
  /** Bundles: bytes of the output that come from build/kernels.js (the inlined kernel builds, base64). */
  inlined_kernels_bytes: number | null;
  note: string | null;
}

/** The kernel builds that ship (build.mjs inlines these four; the debug build is for development only). */
export const KERNEL_BUILDS = ['simd', 'relaxed', 'threads', 'scalar'] as const;

/** The browser bundles that ship (dist/browser/index.js and worker.js). */
export const BROWSER_ENTRIES = ['src/index.ts', 'src/worker/worker_entry.ts'] as const;

const GZIP_LEVEL = 9;

function gzipBytes(bytes: Uint8Array): number {
  return gzipSync(bytes, { level: GZIP_LEVEL }).length;
}

/**
 * The size of build/slimtrain.<build>.wasm.
 *
 * @example
 * wasmSize(root, 'simd') // { kind: 'wasm', name: 'simd', bytes: 17439, gzip_bytes: ..., ... }
 */
export function wasmSize(root: string, build: string): SizeRecord {
  const path = `build/slimtrain.${build}.wasm`;
  if (!existsSync(join(root, path))) {
    return { kind: 'wasm', name: build, path, bytes: null, gzip_bytes: null, inlined_kernels_bytes: null, note: 'missing: run npm run build:kernels' };
  }
  const bytes = readFileSync(join(root, path));
  return { kind: 'wasm', name: build, path, bytes: bytes.length, gzip_bytes: gzipBytes(bytes), inlined_kernels_bytes: null, note: null };
}

/**
 * `entry` bundled for browsers as build.mjs bundles dist/browser (esm, es2022, everything bundled),
 * but minified and kept in memory (write: false).
 */
export async function browserBundleSize(root: string, entry: string): Promise<SizeRecord> {
  const result = await esbuild.build({
    entryPoints: [entry],
    absWorkingDir: root,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify: true,
    write: false,
    metafile: true,
    outdir: 'out',
    logLevel: 'warning',
  });
  const output = result.outputFiles.find((f) => f.path.endsWith('.js'));
  if (!output) throw new Error(`esbuild produced no .js output for ${entry}`);
  const meta = Object.values(result.metafile.outputs).find((o) => o.entryPoint !== undefined);
  const kernels = meta?.inputs['build/kernels.js']?.bytesInOutput ?? 0;
  return {
    kind: 'bundle',
    name: entry,
    path: entry,
    bytes: output.contents.length,
    gzip_bytes: gzipBytes(output.contents),
    inlined_kernels_bytes: kernels,
    note: null,
  };
}

export const SIZE_GZIP_LEVEL = GZIP_LEVEL;

// Runs one bench script: bundles bench/<name>.ts (with the src/ it imports) into
// build/bench/<name>.mjs with esbuild, then imports it and calls its main(args).
//   node bench/run.mjs gemm [--json] [--quick] [--relaxed] [--threads 1,2]
// With --relaxed on a Node whose V8 does not validate relaxed SIMD by default (Node 20), the runner
// restarts Node with --experimental-wasm-relaxed-simd so the relaxed columns are measured.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const [name, ...args] = process.argv.slice(2);
const RELAXED_FLAG = '--experimental-wasm-relaxed-simd';

if (!name || !/^[a-z][a-z0-9-]*$/.test(name) || !existsSync(join(root, 'bench', `${name}.ts`))) {
  process.stderr.write(`usage: node bench/run.mjs <name> [args]: expected a bench/<name>.ts, got ${JSON.stringify(name ?? '')}\n`);
  process.exit(2);
}

// The smallest module using f32x4.relaxed_madd: () -> v128 { relaxed_madd(0, 0, 0) }.
function relaxedSimdValidates() {
  const zero = [0xfd, 0x0c, ...new Array(16).fill(0)];
  const body = [0x00, ...zero, ...zero, ...zero, 0xfd, 0x85, 0x02, 0x0b];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type: () -> v128
    0x03, 0x02, 0x01, 0x00, // one function of type 0
    0x0a, body.length + 2, 0x01, body.length, ...body,
  ];
  return WebAssembly.validate(new Uint8Array(bytes));
}

if (args.includes('--relaxed') && !relaxedSimdValidates() && !process.execArgv.includes(RELAXED_FLAG)) {
  const child = spawnSync(process.execPath, [...process.execArgv, RELAXED_FLAG, fileURLToPath(import.meta.url), name, ...args], {
    stdio: 'inherit',
  });
  process.exit(child.status ?? 1);
}

// build/kernels.js is generated; the tests' pretest step makes it, a fresh checkout may not have it.
// Its output goes to stderr so that --json keeps stdout pure.
if (!existsSync(join(root, 'build', 'kernels.js'))) {
  execFileSync(process.execPath, ['build.mjs', '--kernels'], { cwd: root, stdio: ['ignore', 2, 2] });
}

const outfile = join(root, 'build', 'bench', `${name}.mjs`);
await esbuild.build({
  entryPoints: [join(root, 'bench', `${name}.ts`)],
  absWorkingDir: root,
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
});

const bench = await import(pathToFileURL(outfile).href);
if (typeof bench.main !== 'function') {
  process.stderr.write(`bench/${name}.ts must export main(args)\n`);
  process.exit(2);
}
try {
  await bench.main(args);
} catch (error) {
  // A bad flag (support/bench-options.ts) is the caller's mistake: its message, exit code 2, no stack.
  if (error?.name !== 'BenchArgumentError') throw error;
  process.stderr.write(`bench/${name}.ts: ${error.message}\n`);
  process.exit(2);
}

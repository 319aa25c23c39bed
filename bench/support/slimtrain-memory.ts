// slimtrain's peak memory while training, measured where it means something. The bench process
// also runs TensorFlow.js, whose wasm heap and tensors share the process's resident set and never
// give it back, so an RSS reading there says little about slimtrain. Instead each model is trained
// for a few steps in a fresh Node process that loads slimtrain alone (slimtrain-memory-probe.ts,
// bundled here with esbuild as bench/run.mjs bundles the benches), which reports its peak RSS,
// its RSS before the model existed, and the size of slimtrain's WebAssembly memory.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { projectRoot } from './project-root.js';
import type { MemoryProbeResult } from './slimtrain-memory-probe.js';

let probeFile: string | null = null;

/** Bundles the probe once per run, into build/bench/slimtrain-memory-probe.mjs. */
async function bundleProbe(): Promise<string> {
  if (probeFile) return probeFile;
  const root = projectRoot();
  const outfile = join(root, 'build', 'bench', 'slimtrain-memory-probe.mjs');
  await esbuild.build({
    stdin: {
      contents: "import { runMemoryProbe } from './bench/support/slimtrain-memory-probe.ts';\nawait runMemoryProbe(process.argv.slice(2));\n",
      resolveDir: root,
      sourcefile: 'slimtrain-memory-probe-entry.ts',
      loader: 'ts',
    },
    absWorkingDir: root,
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
  probeFile = outfile;
  return outfile;
}

/**
 * Trains `model` for `steps` steps of `batch` samples on an engine of `threads` kernel threads in a
 * fresh process and returns its memory.
 *
 * @example
 * const { peakRssBytes } = await measureSlimtrainMemory('lenet5', 128, 3, 1);
 */
export async function measureSlimtrainMemory(model: string, batch: number, steps: number, threads: number): Promise<MemoryProbeResult> {
  const file = await bundleProbe();
  // The same V8 flags as this process (--experimental-wasm-relaxed-simd under --relaxed).
  const child = spawnSync(process.execPath, [...process.execArgv, file, model, String(batch), String(steps), String(threads)], { encoding: 'utf8' });
  if (child.status !== 0) {
    throw new Error(`the slimtrain memory probe for ${model} on ${threads} thread(s) failed (exit ${child.status ?? child.signal}): ${child.stderr.trim()}`);
  }
  return JSON.parse(child.stdout.trim().split('\n').pop() ?? '') as MemoryProbeResult;
}

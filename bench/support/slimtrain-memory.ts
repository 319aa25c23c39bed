// slimtrain's (and jax-js's) peak memory while training, measured where it means something. The
// bench process also runs TensorFlow.js, whose wasm heap and tensors share the process's resident
// set and never give it back, so an RSS reading there says little about slimtrain. Instead each
// model is trained for a few steps in a fresh Node process that loads one library alone
// (slimtrain-memory-probe.ts, jaxjs-memory-probe.ts, bundled here with esbuild as bench/run.mjs
// bundles the benches), which reports its peak RSS and its RSS before the model existed (and for
// slimtrain the size of its WebAssembly memory).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import type { JaxjsMemoryProbeResult } from './jaxjs-memory-probe.js';
import { projectRoot } from './project-root.js';
import type { MemoryProbeResult } from './slimtrain-memory-probe.js';

/** A probe: its module under bench/support and the function that runs it on the command line's arguments. */
interface Probe {
  name: 'slimtrain-memory-probe' | 'jaxjs-memory-probe';
  run: 'runMemoryProbe' | 'runJaxjsMemoryProbe';
}

const probeFiles = new Map<string, string>();

/** Bundles a probe once per run, into build/bench/<name>.mjs. */
async function bundleProbe(probe: Probe): Promise<string> {
  const done = probeFiles.get(probe.name);
  if (done) return done;
  const root = projectRoot();
  const outfile = join(root, 'build', 'bench', `${probe.name}.mjs`);
  await esbuild.build({
    stdin: {
      contents: `import { ${probe.run} } from './bench/support/${probe.name}.ts';\nawait ${probe.run}(process.argv.slice(2));\n`,
      resolveDir: root,
      sourcefile: `${probe.name}-entry.ts`,
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
  probeFiles.set(probe.name, outfile);
  return outfile;
}

/** Runs `probe` in a fresh Node process with `args` and parses the JSON line it prints last. */
async function runProbe<T>(probe: Probe, args: readonly string[], what: string): Promise<T> {
  const file = await bundleProbe(probe);
  // The same V8 flags as this process (--experimental-wasm-relaxed-simd under --relaxed).
  const child = spawnSync(process.execPath, [...process.execArgv, file, ...args], { encoding: 'utf8' });
  if (child.status !== 0) {
    throw new Error(`the ${what} memory probe failed (exit ${child.status ?? child.signal}): ${child.stderr.trim()}`);
  }
  return JSON.parse(child.stdout.trim().split('\n').pop() ?? '') as T;
}

/**
 * Trains `model` for `steps` steps of `batch` samples on an engine of `threads` kernel threads in a
 * fresh process and returns its memory.
 *
 * @example
 * const { peakRssBytes } = await measureSlimtrainMemory('lenet5', 128, 3, 1);
 */
export async function measureSlimtrainMemory(model: string, batch: number, steps: number, threads: number): Promise<MemoryProbeResult> {
  return runProbe({ name: 'slimtrain-memory-probe', run: 'runMemoryProbe' }, [model, String(batch), String(steps), String(threads)], `slimtrain ${model} on ${threads} thread(s)`);
}

/**
 * Trains `model` for `steps` steps of `batch` samples with jax-js on its wasm device in a fresh
 * process that loads jax-js alone, and returns its memory.
 *
 * @example
 * const { peakRssBytes } = await measureJaxjsMemory('mlp', 128, 3);
 */
export async function measureJaxjsMemory(model: string, batch: number, steps: number): Promise<JaxjsMemoryProbeResult> {
  return runProbe({ name: 'jaxjs-memory-probe', run: 'runJaxjsMemoryProbe' }, [model, String(batch), String(steps)], `jax-js ${model}`);
}

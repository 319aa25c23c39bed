// The single-core WebAssembly SIMD peak of this machine, measured rather than assumed: a loop
// compiled from AssemblyScript at bench time that keeps 12 independent f32x4 accumulator chains in
// registers, each doing acc = acc * m + d per iteration (8 flops). 12 chains cover the latency of a
// dependent multiply and add on current x64 cores, so the loop is bound by SIMD throughput alone.
// It touches no memory, so no GEMM or convolution can beat it on one core.
import asc from 'assemblyscript/asc';

/** GFLOP/s of the register-only loops; null where the runtime does not validate relaxed SIMD. */
export interface SimdPeak {
  /** f32x4.add(f32x4.mul(acc, m), d): the peak for the plain SIMD kernels. */
  mulAddGflops: number;
  /** f32x4.relaxed_madd(acc, m, d) (a fused multiply-add where the CPU has one). */
  relaxedMaddGflops: number | null;
}

const CHAINS = 12;
/** One chain's update in the plain SIMD loop: acc * m + d as two instructions. */
const MUL_ADD_STEP = (a: string): string => `f32x4.add(f32x4.mul(${a}, m), d)`;
/** Runs and seconds per run of both measurements: a smoke run with --quick, else a measurement. */
export const PEAK_RUNS = { quick: { runs: 3, runSeconds: 0.05 }, full: { runs: 5, runSeconds: 0.1 } } as const;
const FLOPS_PER_ITERATION = CHAINS * 8;

/** AssemblyScript source of `peak(iterations, x, mul, add)`, with `step` the update of one chain. */
function peakSource(step: (acc: string) => string): string {
  const lines: string[] = [];
  lines.push('export function peak(iterations: i32, x: f32, mul: f32, add: f32): f32 {');
  lines.push('  const m = f32x4.splat(mul);');
  lines.push('  const d = f32x4.splat(add);');
  for (let i = 0; i < CHAINS; i++) lines.push(`  let a${i} = f32x4.splat(x + <f32>${i} * 0.01);`);
  lines.push('  for (let i = 0; i < iterations; i++) {');
  for (let i = 0; i < CHAINS; i++) lines.push(`    a${i} = ${step(`a${i}`)};`);
  lines.push('  }');
  // The result depends on every chain, so the optimizer cannot drop any of them.
  let sum = 'a0';
  for (let i = 1; i < CHAINS; i++) sum = `f32x4.add(${sum}, a${i})`;
  lines.push(`  const s = ${sum};`);
  lines.push('  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);');
  lines.push('}');
  return lines.join('\n');
}

/** Compiles in memory: asc's compileString reads no asconfig.json (the project's imports memory). */
async function compilePeak(step: (acc: string) => string, features: string[]): Promise<Uint8Array> {
  const result = await asc.compileString(peakSource(step), {
    optimizeLevel: 3,
    shrinkLevel: 0,
    runtime: 'stub',
    noAssert: true,
    enable: features,
  });
  if (result.error || !result.binary) {
    throw new Error(`compiling the SIMD peak loop failed: ${result.error?.message ?? 'no binary'}\n${result.stderr.toString()}`);
  }
  return result.binary;
}

type PeakFunction = (iterations: number, x: number, mul: number, add: number) => number;

/** Best GFLOP/s over `runs` runs of about `runSeconds` each, after warm-up calls that let V8 tier up. */
async function bestGflops(binary: Uint8Array, runs: number, runSeconds: number): Promise<number> {
  const { instance } = await WebAssembly.instantiate(binary as BufferSource, {});
  const peak = instance.exports.peak as PeakFunction;
  // m < 1 and d > 0 keep every accumulator near d / (1 - m) = 1: no overflow, no denormals.
  const call = (iterations: number): number => {
    const start = performance.now();
    peak(iterations, 1, 0.9999, 0.0001);
    return (performance.now() - start) / 1000;
  };
  for (let i = 0; i < 3; i++) call(100_000);
  const probe = 1_000_000;
  const iterations = Math.max(probe, Math.round((probe * runSeconds) / Math.max(call(probe), 1e-6)));
  let best = 0;
  for (let r = 0; r < runs; r++) best = Math.max(best, (iterations * FLOPS_PER_ITERATION) / call(iterations) / 1e9);
  return best;
}

/**
 * Measures both peaks.
 *
 * @example
 * const { mulAddGflops } = await measureSimdPeak({ runs: 5 });
 */
export async function measureSimdPeak(options: { runs: number; runSeconds: number }): Promise<SimdPeak> {
  const plain = await compilePeak(MUL_ADD_STEP, ['simd']);
  const relaxed = await compilePeak((a) => `f32x4.relaxed_madd(${a}, m, d)`, ['simd', 'relaxed-simd']);
  const mulAddGflops = await bestGflops(plain, options.runs, options.runSeconds);
  const relaxedMaddGflops = WebAssembly.validate(relaxed as BufferSource)
    ? await bestGflops(relaxed, options.runs, options.runSeconds)
    : null;
  return { mulAddGflops, relaxedMaddGflops };
}

/** What a worker of measurePeakScaling runs: instantiate the loop, then time it on every 'go'. */
const PEAK_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
WebAssembly.instantiate(workerData.binary, {}).then(({ instance }) => {
  const peak = instance.exports.peak;
  for (let i = 0; i < 3; i++) peak(100000, 1, 0.9999, 0.0001);
  parentPort.on('message', (iterations) => {
    const start = performance.now();
    peak(iterations, 1, 0.9999, 0.0001);
    parentPort.postMessage((performance.now() - start) / 1000);
  });
  parentPort.postMessage('ready');
});
`;

/**
 * The register-only loop on N threads at once against one thread: per round, every worker runs
 * the same iterations at the same moment and the round's GFLOP/s is the sum of the workers' own
 * rates; the best round of each count is kept, counts alternating round by round so that load
 * changes hit them alike. The result, best(N) / best(1) per count, is the most N kernel threads
 * can gain on this host for code that touches no memory (cores shared with other tenants, turbo
 * limits and SMT siblings all show up here). Node only (worker_threads).
 *
 * @example
 * const scaling = await measurePeakScaling([2], { runs: 5, runSeconds: 0.1 }); // { '2': 1.9 }
 */
export async function measurePeakScaling(counts: readonly number[], options: { runs: number; runSeconds: number }): Promise<Record<string, number>> {
  const { Worker } = await import('node:worker_threads');
  const binary = await compilePeak(MUL_ADD_STEP, ['simd']);
  const most = Math.max(1, ...counts);
  const workers = await Promise.all(
    Array.from({ length: most }, () => new Promise<InstanceType<typeof Worker>>((resolve, reject) => {
      const w = new Worker(PEAK_WORKER, { eval: true, workerData: { binary } });
      w.once('message', () => resolve(w));
      w.once('error', reject);
    })),
  );
  const round = (n: number, iterations: number): Promise<number> =>
    Promise.all(workers.slice(0, n).map((w) => new Promise<number>((resolve, reject) => {
      const failed = (e: Error): void => reject(e);
      w.once('error', failed);
      w.once('message', (seconds: number) => {
        w.off('error', failed);
        resolve((iterations * FLOPS_PER_ITERATION) / seconds / 1e9);
      });
      w.postMessage(iterations);
    }))).then((rates) => rates.reduce((a, b) => a + b, 0));
  try {
    const probe = 1_000_000;
    const perSecond = (await round(1, probe)) * 1e9 / FLOPS_PER_ITERATION;
    const iterations = Math.max(probe, Math.round(perSecond * options.runSeconds));
    const all = [1, ...counts.filter((c) => c > 1)];
    const best = new Map(all.map((c) => [c, 0]));
    for (let r = 0; r < options.runs; r++) {
      for (const c of all) best.set(c, Math.max(best.get(c)!, await round(c, iterations)));
    }
    return Object.fromEntries(all.filter((c) => c > 1).map((c) => [String(c), best.get(c)! / best.get(1)!]));
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

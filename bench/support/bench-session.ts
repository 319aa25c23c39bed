// What every bench run sets up once: options, slimtrain engines, TensorFlow.js, the SIMD peak, the
// timing budgets, and the header lines describing all of it.
import { cpus, loadavg } from 'node:os';
import { parseBenchOptions, type BenchOptions, type BenchOptionSpec } from './bench-options.js';
import { logProgress } from './progress-log.js';
import { measurePeakScaling, measureSimdPeak, PEAK_RUNS, type SimdPeak } from './simd-peak.js';
import { createSlimtrainEngines, type SlimtrainEngines } from './slimtrain-engines.js';
import { setUpTfjs, type TfjsSetup } from './tfjs-backends.js';

/** Seconds per measurement. tfjs cpu is orders of magnitude slower, so it gets less. */
export interface TimingBudget {
  /** Timed seconds per op for slimtrain and tfjs wasm. */
  targetSeconds: number;
  /** Timed seconds per op for tfjs cpu. */
  cpuTargetSeconds: number;
  /** tfjs cpu is skipped (null) where one call is estimated to take longer than this. */
  cpuMaxCallSeconds: number;
}

export interface BenchSession {
  options: BenchOptions;
  engines: SlimtrainEngines;
  tfjs: TfjsSetup;
  peak: SimdPeak;
  /**
   * With more than one thread count: the register-only loop on N threads at once over one thread,
   * per count ("2": 1.83): the host's own ceiling for an N-thread speedup. Null with one count.
   */
  peakScaling: Record<string, number> | null;
  budget: TimingBudget;
  /** Header lines for the human-readable report. */
  describe(): string[];
  /** The lines of describe() about the machine and the implementations, without the timing line. */
  describeSetup(): string[];
}

/** With several thread counts, each op's slimtrain timing is split into this many alternating rounds. */
export const THREAD_ROUNDS = 3;

/**
 * The rounds into which an op's timing on slimtrain (at each thread count) and on tfjs wasm is
 * split, taken in turn: on a host whose speed moves by a fifth within minutes, the ratio's two
 * sides then see the same host.
 */
export const ALTERNATE_ROUNDS = 4;

const FULL_BUDGET: TimingBudget = { targetSeconds: 0.8, cpuTargetSeconds: 0.3, cpuMaxCallSeconds: 2 };
const QUICK_BUDGET: TimingBudget = { targetSeconds: 0.1, cpuTargetSeconds: 0.1, cpuMaxCallSeconds: 0.5 };

/**
 * Parses the arguments and sets everything up; progress goes to stderr.
 *
 * @example
 * const session = await startBenchSession(['--quick']);
 */
export async function startBenchSession(args: readonly string[], spec: BenchOptionSpec = {}): Promise<BenchSession> {
  const options = parseBenchOptions(args, spec);
  const budget = options.quick ? QUICK_BUDGET : FULL_BUDGET;
  logProgress('measuring the single-core WASM SIMD peak');
  const peakRuns = options.quick ? PEAK_RUNS.quick : PEAK_RUNS.full;
  const peak = await measureSimdPeak(peakRuns);
  logProgress(
    `peak: mul+add ${peak.mulAddGflops.toFixed(2)} GFLOP/s, relaxed_madd ${
      peak.relaxedMaddGflops === null ? 'not validated' : `${peak.relaxedMaddGflops.toFixed(2)} GFLOP/s`
    }`,
  );
  const counts = options.threads.filter((t) => t > 1);
  const peakScaling = counts.length ? await measurePeakScaling(counts, peakRuns) : null;
  if (peakScaling) logProgress(`peak on N threads at once / 1: ${Object.entries(peakScaling).map(([n, x]) => `${n}: ${x.toFixed(2)}x`).join(', ')}`);
  const engines = await createSlimtrainEngines(options.threads);
  const tfjs = await setUpTfjs(Math.max(...options.threads));
  if (options.relaxed && !engines.relaxed) {
    logProgress('--relaxed: this runtime does not validate relaxed SIMD; the relaxed column stays empty');
  }
  if (tfjs.wasmThreadsNote) logProgress(tfjs.wasmThreadsNote);
  // Other processes on the machine share its cores: the load average says how much to trust the numbers.
  const loadAtStart = loadavg()[0];
  const threadList = options.threads.join(' and ');
  const describeSetup = (): string[] => [
    `machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, load average ${loadAtStart.toFixed(2)} at start, ${loadavg()[0].toFixed(2)} at end; Node ${process.version}`,
    `threads: slimtrain's plain build on ${threadList} kernel thread${options.threads.length === 1 && options.threads[0] === 1 ? '' : 's'} (--threads)${engines.relaxed ? ', its relaxed build on 1' : ''}; tfjs wasm on ${tfjs.wasmThreads}, tfjs cpu on 1`,
    ...(tfjs.wasmThreadsNote ? [tfjs.wasmThreadsNote] : []),
    `single-core WASM SIMD peak (12 f32x4 chains, register-only): mul+add ${peak.mulAddGflops.toFixed(2)} GFLOP/s; relaxed_madd ${
      peak.relaxedMaddGflops === null ? 'n/a (relaxed SIMD not validated; try --relaxed)' : `${peak.relaxedMaddGflops.toFixed(2)} GFLOP/s`
    }`,
    ...(peakScaling
      ? [`the same loop on N threads at once (summed GFLOP/s) over one thread, the host's ceiling for an N-thread speedup: ${Object.entries(peakScaling).map(([n, x]) => `${n} threads ${x.toFixed(2)}x`).join(', ')}`]
      : []),
    `slimtrain: plain SIMD build${engines.relaxed ? ' and relaxed-SIMD build ("relaxed" column)' : '; relaxed build not validated here (try --relaxed)'}`,
    `TensorFlow.js ${tfjs.version}: wasm backend (${tfjs.wasmSimd ? 'SIMD' : 'no SIMD'}, ${tfjs.wasmThreads} thread${tfjs.wasmThreads === 1 ? '' : 's'}) and cpu backend`,
  ];
  const describe = (): string[] => [
    ...describeSetup(),
    `timing: fastest of samples (each >= 10 ms) over ${budget.targetSeconds} s per op after warm-up (tfjs cpu ${budget.cpuTargetSeconds} s; skipped where a call is estimated over ${budget.cpuMaxCallSeconds} s)` +
      (options.quick ? ' [--quick: smoke run, not a measurement]' : ''),
    `  slimtrain${options.threads.length > 1 ? ' at each thread count' : ''} and tfjs wasm alternate (bench:gemm, bench:conv): ${ALTERNATE_ROUNDS} rounds of ${(budget.targetSeconds / ALTERNATE_ROUNDS).toFixed(2)} s each, fastest sample kept, so load changes hit them alike`,
  ];
  return { options, engines, tfjs, peak, peakScaling, budget, describe, describeSetup };
}

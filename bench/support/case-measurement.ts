// Measures one case (an op on one shape and form) on every implementation, and checks that
// slimtrain and TensorFlow.js agree on the result before their speeds are compared.
import type { Engine } from '../../src/backend/engine.js';
import type { BenchRecord } from './bench-report.js';
import { ALTERNATE_ROUNDS, type BenchSession } from './bench-session.js';
import { timeCalls, timeCallsAlternately, timeOneCall } from './call-timing.js';
import { AGREEMENT_TOLERANCE, relativeMaxError } from './output-agreement.js';
import { logProgress } from './progress-log.js';
import { sameBits } from './slimtrain-engines.js';
import { useTfjsBackend, type TfjsBackendName } from './tfjs-backends.js';

/** An operation with its inputs in place on one implementation. */
export interface PreparedOp {
  /** One call, complete when it returns. */
  run(): void;
  /** A copy of the op's result (TensorFlow.js runs the op once more to produce it). */
  output(): Float32Array;
  /** Frees the inputs, outputs and workspace. */
  dispose(): void;
}

export interface CaseSpec {
  /** For progress lines. */
  label: string;
  /** Flops of one call. */
  flops: number;
  slimtrain(engine: Engine): PreparedOp;
  /**
   * The op on the active TensorFlow.js backend. `shrink` > 1 asks for a copy whose cost is 1/shrink
   * of the full op (fewer samples or rows), used to estimate tfjs cpu's time before running it.
   */
  tfjs(backend: TfjsBackendName, shrink: number): PreparedOp;
  /** The op in jax-js on its wasm device (jit-compiled), where the bench runs jax-js; absent: not run. */
  jaxjs?(): PreparedOp;
  /**
   * Shrink factors for estimating tfjs cpu's time per call, largest (cheapest) first, each a
   * divisor of the batch or row count. Tiny copies overestimate (JIT warm-up, per-call overhead),
   * so a larger copy is tried when the estimate is over budget and that copy itself is affordable.
   */
  cpuEstimateShrinks: number[];
}

/** GFLOP/s of slimtrain's plain build at one kernel thread count. */
export interface ThreadResult {
  threads: number;
  gflops: number;
}

export interface CaseResult {
  /** GFLOP/s at the first (smallest) thread count of --threads: byThreads[0]. */
  slimtrain: number;
  /** One entry per thread count of --threads, ascending, timed alternately. */
  byThreads: ThreadResult[];
  /** Whether every thread count gave the same bits as the first; null with one count. */
  threadsBitIdentical: boolean | null;
  relaxed: number | null;
  wasm: number | null;
  cpu: number | null;
  /** jax-js wasm; null where the case has no jax-js op. */
  jaxjs: number | null;
  notes: string[];
}

function gflops(flops: number, seconds: number): number {
  return flops / seconds / 1e9;
}

/** Times `prepared` and returns GFLOP/s and its output; always disposes it. */
function measure(prepared: PreparedOp, flops: number, targetSeconds: number): { gflops: number; output: Float32Array } {
  try {
    const { secondsPerCall } = timeCalls(() => prepared.run(), { targetSeconds });
    return { gflops: gflops(flops, secondsPerCall), output: prepared.output() };
  } finally {
    prepared.dispose();
  }
}

function checkAgreement(what: string, actual: Float32Array, expected: Float32Array, notes: string[]): void {
  const error = relativeMaxError(actual, expected);
  if (error <= AGREEMENT_TOLERANCE) return;
  const message = `MISMATCH ${what}: relative max error ${error.toExponential(2)}`;
  notes.push(message);
  logProgress(`WARNING ${message}`);
  process.exitCode = 1;
}

/** tfjs cpu's estimated seconds per call of the full op, from shrunken copies run on the active backend. */
function estimateCpuCallSeconds(spec: CaseSpec, maxCallSeconds: number): { seconds: number; shrink: number } {
  const shrinks = spec.cpuEstimateShrinks;
  let seconds = 0;
  let shrink = 1;
  for (let i = 0; i < shrinks.length; i++) {
    shrink = shrinks[i];
    const small = spec.tfjs('cpu', shrink);
    try {
      seconds = timeOneCall(() => small.run()) * shrink;
    } finally {
      small.dispose();
    }
    const next = shrinks[i + 1];
    // Within budget, or no closer estimate that is itself affordable: decide on this one.
    if (seconds <= maxCallSeconds || next === undefined || seconds / next > maxCallSeconds) break;
  }
  return { seconds, shrink };
}

/**
 * The op on slimtrain's plain engines (one per thread count) and on tfjs wasm (the active backend),
 * timed alternately (see timeCallsAlternately), so that a change of the host's speed hits the
 * ratio's two sides alike; GFLOP/s and outputs, slimtrain's in the engines' order, then tfjs
 * wasm's. Always disposes the prepared ops.
 */
function measureAlternately(spec: CaseSpec, engines: readonly Engine[], targetSeconds: number): { gflops: number; output: Float32Array }[] {
  const prepared: PreparedOp[] = [];
  try {
    for (const engine of engines) prepared.push(spec.slimtrain(engine));
    prepared.push(spec.tfjs('wasm', 1));
    const timings = timeCallsAlternately(
      prepared.map((p) => () => p.run()),
      { targetSeconds },
      ALTERNATE_ROUNDS,
    );
    return timings.map((t, i) => ({ gflops: gflops(spec.flops, t.secondsPerCall), output: prepared[i].output() }));
  } finally {
    prepared.forEach((p) => p.dispose());
  }
}

/**
 * slimtrain (plain at each thread count) and tfjs wasm alternately, then slimtrain relaxed, jax-js
 * wasm (where the case has it) and tfjs cpu, each on its own inputs.
 *
 * @example
 * const result = await measureCase(session, gemmCase);
 */
export async function measureCase(session: BenchSession, spec: CaseSpec): Promise<CaseResult> {
  const { budget, engines } = session;
  const notes: string[] = [];

  const counts = engines.plain.map((e) => e.threads);
  logProgress(`${spec.label}: slimtrain${counts.length > 1 || counts[0] !== 1 ? ` on ${counts.join(' and ')} thread(s)` : ''} and tfjs wasm, alternately`);
  await useTfjsBackend('wasm');
  const alternated = measureAlternately(spec, engines.plain, budget.targetSeconds);
  const threaded = alternated.slice(0, counts.length);
  const wasm = alternated[counts.length];
  const plain = threaded[0];
  checkAgreement('slimtrain vs tfjs wasm', plain.output, wasm.output, notes);
  let threadsBitIdentical: boolean | null = null;
  if (threaded.length > 1) {
    threadsBitIdentical = threaded.every((t) => sameBits(t.output, plain.output));
    if (!threadsBitIdentical) {
      const message = `MISMATCH slimtrain on ${counts.join(' vs ')} threads: outputs differ in their bits`;
      notes.push(message);
      logProgress(`WARNING ${message}`);
      process.exitCode = 1;
    }
  }

  let relaxed: number | null = null;
  if (engines.relaxed) {
    logProgress(`${spec.label}: slimtrain relaxed`);
    const result = measure(spec.slimtrain(engines.relaxed), spec.flops, budget.targetSeconds);
    relaxed = result.gflops;
    checkAgreement('slimtrain relaxed vs plain', result.output, plain.output, notes);
  }

  let jaxjs: number | null = null;
  if (spec.jaxjs) {
    logProgress(`${spec.label}: jax-js wasm`);
    const result = measure(spec.jaxjs(), spec.flops, budget.targetSeconds);
    jaxjs = result.gflops;
    checkAgreement('slimtrain vs jax-js wasm', plain.output, result.output, notes);
  }

  logProgress(`${spec.label}: tfjs cpu`);
  await useTfjsBackend('cpu');
  let cpu: number | null = null;
  const estimate = estimateCpuCallSeconds(spec, budget.cpuMaxCallSeconds);
  if (estimate.seconds > budget.cpuMaxCallSeconds) {
    const seconds = estimate.seconds < 10 ? estimate.seconds.toFixed(1) : estimate.seconds.toFixed(0);
    notes.push(`tfjs cpu skipped: ~${seconds} s/call (estimated at 1/${estimate.shrink} size)`);
    logProgress(`${spec.label}: tfjs cpu skipped, ~${seconds} s per call`);
  } else {
    const result = measure(spec.tfjs('cpu', 1), spec.flops, budget.cpuTargetSeconds);
    cpu = result.gflops;
    checkAgreement('slimtrain vs tfjs cpu', plain.output, result.output, notes);
  }
  await useTfjsBackend('wasm');
  return {
    slimtrain: plain.gflops,
    byThreads: threaded.map((t, i) => ({ threads: counts[i], gflops: t.gflops })),
    threadsBitIdentical,
    relaxed,
    wasm: wasm.gflops,
    cpu,
    jaxjs,
    notes,
  };
}

/** What identifies a case in the report. */
export interface CaseIdentity {
  op: BenchRecord['op'];
  shape: string;
  form: string;
  layer: string | null;
  flops: number;
  tfjs_wasm_kernel: string | null;
}

/** The report record of a measured case. */
export function caseRecord(session: BenchSession, id: CaseIdentity, result: CaseResult): BenchRecord {
  const { peak } = session;
  return {
    op: id.op,
    shape: id.shape,
    form: id.form,
    slimtrain_gflops: round(result.slimtrain),
    slimtrain_threads: result.byThreads[0].threads,
    slimtrain_gflops_by_threads: Object.fromEntries(result.byThreads.map((t) => [String(t.threads), round(t.gflops)])),
    speedup_by_threads: speedups(result.byThreads),
    threads_bit_identical: result.threadsBitIdentical,
    tfjs_wasm_gflops: result.wasm === null ? null : round(result.wasm),
    tfjs_cpu_gflops: result.cpu === null ? null : round(result.cpu),
    peak_gflops: round(peak.mulAddGflops),
    slimtrain_relaxed_gflops: result.relaxed === null ? null : round(result.relaxed),
    peak_relaxed_gflops: peak.relaxedMaddGflops === null ? null : round(peak.relaxedMaddGflops),
    ratio_vs_tfjs_wasm: result.wasm === null ? null : round(result.slimtrain / result.wasm),
    jaxjs_wasm_gflops: result.jaxjs === null ? null : round(result.jaxjs),
    ratio_vs_jaxjs_wasm: result.jaxjs === null ? null : round(result.slimtrain / result.jaxjs),
    fraction_of_peak: round(result.slimtrain / peak.mulAddGflops),
    layer: id.layer,
    flops: id.flops,
    tfjs_wasm_kernel: id.tfjs_wasm_kernel,
    note: result.notes.length ? result.notes.join('; ') : null,
  };
}

/** GFLOP/s at each thread count above 1 over GFLOP/s at 1 thread; null without a 1-thread figure or a count above 1. */
function speedups(byThreads: readonly ThreadResult[]): Record<string, number> | null {
  const one = byThreads.find((t) => t.threads === 1);
  const more = byThreads.filter((t) => t.threads > 1);
  if (!one || more.length === 0) return null;
  return Object.fromEntries(more.map((t) => [String(t.threads), round(t.gflops / one.gflops)]));
}

/** Four significant digits: more than the run-to-run noise. */
function round(value: number): number {
  return Number(value.toPrecision(4));
}

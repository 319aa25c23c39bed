// Seconds per call of a synchronous operation: warm up (so V8 has tiered the wasm up and caches
// are warm), then time samples of several calls each and keep the fastest sample. Noise (a GC
// pause, another process taking the core) only ever adds time, so on a shared machine the fastest
// sample is the closest to the op's own speed; every implementation is timed the same way.

/** How long to time one operation. */
export interface TimingOptions {
  /** Time spent in timed samples, seconds. */
  targetSeconds: number;
  /** Time spent warming up before timing, seconds (at least one call). Default targetSeconds / 4. */
  warmupSeconds?: number;
}

export interface Timing {
  /** Minimum over samples of (sample seconds / calls in the sample). */
  secondsPerCall: number;
  /** Calls timed, warm-up excluded. */
  calls: number;
}

/** A sample lasts at least this long, so the clock's resolution does not matter. */
const MIN_SAMPLE_SECONDS = 0.01;

function now(): number {
  return performance.now() / 1000;
}

/**
 * Times `run`. A call slower than the whole target is timed once after one warm-up call.
 *
 * @example
 * const { secondsPerCall } = timeCalls(() => engine.backend.gemm(...), { targetSeconds: 0.4 });
 */
export function timeCalls(run: () => void, options: TimingOptions): Timing {
  const warmupSeconds = options.warmupSeconds ?? options.targetSeconds / 4;
  let start = now();
  run();
  let warmCalls = 1;
  const first = now() - start;
  if (first >= options.targetSeconds) {
    start = now();
    run();
    return { secondsPerCall: now() - start, calls: 1 };
  }
  while (now() - start < warmupSeconds) {
    run();
    warmCalls++;
  }
  const estimate = (now() - start) / warmCalls;
  const callsPerSample = Math.max(1, Math.ceil(MIN_SAMPLE_SECONDS / Math.max(estimate, 1e-9)));
  const perCall: number[] = [];
  const timedStart = now();
  do {
    const sampleStart = now();
    for (let i = 0; i < callsPerSample; i++) run();
    perCall.push((now() - sampleStart) / callsPerSample);
  } while (now() - timedStart < options.targetSeconds);
  return { secondsPerCall: Math.min(...perCall), calls: perCall.length * callsPerSample };
}

/**
 * Seconds of one call of `run`, for a cheap, scaled-down copy of an operation whose full size may
 * be too slow to run at all. A call under a quarter second is repeated and the faster one kept,
 * so first-call overheads (allocation, compilation) do not inflate it.
 */
export function timeOneCall(run: () => void): number {
  let start = now();
  run();
  const first = now() - start;
  if (first >= 0.25) return first;
  start = now();
  run();
  return Math.min(first, now() - start);
}

/**
 * Times several operations (the same op on engines with different thread counts) alternately:
 * `rounds` rounds, each timing every op for targetSeconds / rounds (timeCalls, with a shorter
 * warm-up after the first round), keeping each op's fastest sample over all rounds. A change in the
 * machine's load then hits all of them alike, so their ratios stay meaningful. One op, or one round,
 * is exactly timeCalls.
 *
 * @example
 * const [one, two] = timeCallsAlternately([() => gemmOn1(), () => gemmOn2()], { targetSeconds: 0.4 }, 3);
 * const speedup = one.secondsPerCall / two.secondsPerCall;
 */
export function timeCallsAlternately(runs: readonly (() => void)[], options: TimingOptions, rounds: number): Timing[] {
  if (runs.length <= 1 || rounds <= 1) return runs.map((run) => timeCalls(run, options));
  const targetSeconds = options.targetSeconds / rounds;
  const firstWarmup = options.warmupSeconds ?? options.targetSeconds / 4;
  const results: Timing[] = runs.map(() => ({ secondsPerCall: Infinity, calls: 0 }));
  for (let round = 0; round < rounds; round++) {
    runs.forEach((run, i) => {
      const t = timeCalls(run, { targetSeconds, warmupSeconds: round === 0 ? firstWarmup : targetSeconds / 4 });
      results[i] = { secondsPerCall: Math.min(results[i].secondsPerCall, t.secondsPerCall), calls: results[i].calls + t.calls };
    });
  }
  return results;
}

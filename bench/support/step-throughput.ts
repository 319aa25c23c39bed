// Steady-state throughput of repeated steps (one training step on one batch): warm up, then time
// windows of whole steps, each window lasting about a second, and keep every window's seconds per
// step. A window includes what a step leaves behind for later (garbage collection, allocator work),
// which timing single steps would miss. Steps may be asynchronous (tfjs-layers' trainOnBatch).
//
// Several implementations are timed interleaved, one window each per round, so that a change in
// the machine's load (other processes on a shared machine) hits all of them alike and their ratio
// stays meaningful even when the absolute numbers move.

export interface ThroughputOptions {
  /** Warm-up lasts at least this many steps... */
  warmupSteps: number;
  /** ...and at least this many seconds... */
  warmupSeconds: number;
  /** ...but stops after this many seconds even if fewer than warmupSteps steps ran (at least one). */
  maxWarmupSeconds: number;
  /** Each window runs whole steps for at least this long (at least one step). */
  windowSeconds: number;
  /** Rounds wanted (one window per implementation per round)... */
  windows: number;
  /** ...unless the timed rounds already took this long, all implementations together (at least one round runs). */
  maxTimedSeconds: number;
}

export interface Throughput {
  /** Seconds per step of the fastest window. */
  bestSecondsPerStep: number;
  /** Seconds per step of the median window. */
  medianSecondsPerStep: number;
  /** Timed steps, warm-up excluded. */
  steps: number;
  windows: number;
  /** Warm-up steps. */
  warmupSteps: number;
}

function now(): number {
  return performance.now() / 1000;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Warms `step` up; returns the steps run and the seconds of the last one. */
async function warmUp(step: () => unknown, options: ThroughputOptions): Promise<{ steps: number; lastStepSeconds: number }> {
  const warmupStart = now();
  let steps = 0;
  let lastStepSeconds = 0;
  for (;;) {
    const start = now();
    await step();
    lastStepSeconds = now() - start;
    steps++;
    const elapsed = now() - warmupStart;
    if (elapsed >= options.maxWarmupSeconds) break;
    if (steps >= options.warmupSteps && elapsed >= options.warmupSeconds) break;
  }
  return { steps, lastStepSeconds };
}

/**
 * Times every step function (one per implementation): each is warmed up in turn, then rounds of
 * one window per step function run until `windows` rounds or `maxTimedSeconds`. On a shared machine noise only adds time, so the
 * fastest window is the closest to a step's own speed; the median says how steady it was.
 *
 * @example
 * const [slim, tfjs] = await measureInterleavedThroughput([
 *   () => model.trainStep(x, labels),
 *   () => tfModel.trainOnBatch(xs, ys),
 * ], { warmupSteps: 2, warmupSeconds: 1, maxWarmupSeconds: 12, windowSeconds: 1, windows: 4, maxTimedSeconds: 16 });
 */
export async function measureInterleavedThroughput(steps: readonly (() => unknown)[], options: ThroughputOptions): Promise<Throughput[]> {
  const warm: { steps: number; lastStepSeconds: number }[] = [];
  for (const step of steps) warm.push(await warmUp(step, options));
  const stepsPerWindow = warm.map((w) => Math.max(1, Math.round(options.windowSeconds / Math.max(w.lastStepSeconds, 1e-6))));
  const perStep: number[][] = steps.map(() => []);
  const timedStart = now();
  let rounds = 0;
  do {
    for (let i = 0; i < steps.length; i++) {
      const start = now();
      for (let s = 0; s < stepsPerWindow[i]; s++) await steps[i]();
      perStep[i].push((now() - start) / stepsPerWindow[i]);
    }
    rounds++;
  } while (rounds < options.windows && now() - timedStart < options.maxTimedSeconds);
  return steps.map((_, i) => ({
    bestSecondsPerStep: Math.min(...perStep[i]),
    medianSecondsPerStep: median(perStep[i]),
    steps: rounds * stepsPerWindow[i],
    windows: rounds,
    warmupSteps: warm[i].steps,
  }));
}

/**
 * Times one step function alone (see measureInterleavedThroughput).
 *
 * @example
 * const t = await measureStepThroughput(() => model.trainStep(x, labels), options);
 * const samplesPerSecond = 128 / t.bestSecondsPerStep;
 */
export async function measureStepThroughput(step: () => unknown, options: ThroughputOptions): Promise<Throughput> {
  const [result] = await measureInterleavedThroughput([step], options);
  return result;
}

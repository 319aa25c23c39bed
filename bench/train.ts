// bench:train — steady-state training throughput (samples/s at batch 128) of three models, slimtrain
// at each kernel thread count of --threads beside TensorFlow.js tfjs-layers on its wasm (with the
// threads it can run here: one under Node) and cpu backends, in the same process, from the same
// initial weights; the speedup of N threads over 1; whether the weights after training are
// bit-identical at 1 and 2 threads (and every count of --threads); slimtrain's peak memory; and the
// arithmetic ceiling of each model at the single-core WASM SIMD peak. jax-js (@jax-js/jax) on its
// wasm device trains the same models from the same weights beside them (jaxjs-train-models.ts):
// its losses are checked against slimtrain's, its steps timed in the same interleaved windows, and
// its peak memory measured in a process of its own like slimtrain's.
//   npm run bench:train [-- --json] [-- --quick] [-- --relaxed] [-- --models mlp,lenet5,cifar] [-- --threads 1,2]
// With --profile it measures instead where slimtrain's training step spends its time (per layer and
// pass, per kernel, and grouped by kind of work) at each thread count, as time and as a share:
//   npm run bench:train -- --profile --threads 1,2 [-- --json]
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { Sequential, type NamedWeight } from '../src/model/sequential.js';
import { startBenchSession, type BenchSession } from './support/bench-session.js';
import { CONV2D_BACKPROP_FILTER_KERNEL_POLYFILL, registerConv2dBackpropFilterPolyfill } from './support/conv2d-backprop-filter-polyfill.js';
import { logProgress } from './support/progress-log.js';
import { formatTable } from './support/text-table.js';
import { profileByKind, profileTableRows, profileTrainingSteps, type StepProfile } from './support/step-profile.js';
import { measureSimdPeak, PEAK_RUNS } from './support/simd-peak.js';
import { randomFloats, randomLabels } from './support/seeded-random.js';
import { jaxjsTrainer, jaxjsUnsupported, type JaxjsTrainer } from './support/jaxjs-train-models.js';
import type { JaxjsMemoryProbeResult } from './support/jaxjs-memory-probe.js';
import { describeJaxjs, setUpJaxjs, type JaxjsSetup } from './support/jaxjs-wasm.js';
import { initWithThreads } from './support/slimtrain-engines.js';
import { measureJaxjsMemory, measureSlimtrainMemory } from './support/slimtrain-memory.js';
import type { MemoryProbeResult } from './support/slimtrain-memory-probe.js';
import { measureInterleavedThroughput, type Throughput, type ThroughputOptions } from './support/step-throughput.js';
import { useTfjsBackend, type TfjsBackendName } from './support/tfjs-backends.js';
import { buildTfjsModel, copyWeightsToTfjs, tfjsBatch, tfjsTrainStep } from './support/tfjs-train-models.js';
import { checkThreadIdentity } from './support/thread-identity.js';
import type { TrainRecord } from './support/train-report.js';
import { printTrainReport } from './support/train-report.js';
import {
  inputSize,
  KERAS_L2,
  LEARNING_RATE,
  slimtrainOptimizer,
  slimtrainSpec,
  TRAIN_BATCH,
  TRAIN_MODEL_NAMES,
  trainModel,
  type TrainModel,
} from './support/train-models.js';

interface TrainBudget {
  /** slimtrain and tfjs wasm at batch 128, interleaved (maxTimedSeconds counts both). */
  throughput: ThroughputOptions;
  /** tfjs cpu at batch 128, where a step is estimated to fit cpuMaxStepSeconds. */
  cpuThroughput: ThroughputOptions;
  /** tfjs cpu runs at the largest batch 128 / 2^k whose step is estimated to take at most this long. */
  cpuMaxStepSeconds: number;
  /** Samples in the loss-agreement check (two steps on each side, from the same weights). */
  checkBatch: number;
  /** Steps of the memory probe (the first one allocates everything; more show it stays flat). */
  memorySteps: number;
  /** Training steps before the weights at different thread counts are compared. */
  identitySteps: number;
}

const FULL_BUDGET: TrainBudget = {
  throughput: { warmupSteps: 2, warmupSeconds: 1, maxWarmupSeconds: 12, windowSeconds: 1, windows: 5, maxTimedSeconds: 14 },
  cpuThroughput: { warmupSteps: 1, warmupSeconds: 0, maxWarmupSeconds: 0, windowSeconds: 1, windows: 3, maxTimedSeconds: 8 },
  cpuMaxStepSeconds: 10,
  checkBatch: 2,
  memorySteps: 3,
  identitySteps: 50,
};

const QUICK_BUDGET: TrainBudget = {
  throughput: { warmupSteps: 1, warmupSeconds: 0.2, maxWarmupSeconds: 2, windowSeconds: 0.3, windows: 2, maxTimedSeconds: 2 },
  cpuThroughput: { warmupSteps: 1, warmupSeconds: 0, maxWarmupSeconds: 0, windowSeconds: 0.3, windows: 1, maxTimedSeconds: 0 },
  cpuMaxStepSeconds: 2,
  checkBatch: 1,
  memorySteps: 1,
  identitySteps: 5,
};

/**
 * Largest difference between the two libraries' losses over the check's two steps, relative to the
 * first loss, that still counts as agreement. The step-1 loss compares the forward pass and the L2 penalty, the
 * step-2 loss the gradients and the Adam update; float32 summation order alone gives ~1e-6.
 */
const LOSS_TOLERANCE = 1e-4;

const MB = 2 ** 20;

/** The same batch for every step and every implementation: random inputs in [-1, 1), random labels. */
interface TrainData {
  x: Float32Array;
  labels: Int32Array;
}

function trainData(model: TrainModel, n: number): TrainData {
  return { x: randomFloats(n * inputSize(model), 1), labels: randomLabels(n, model.classes, 2) };
}

/** The first n samples of `data`. */
function firstSamples(model: TrainModel, data: TrainData, n: number): TrainData {
  return { x: data.x.subarray(0, n * inputSize(model)), labels: data.labels.subarray(0, n) };
}

/** slimtrain's side of the agreement check: its initial weights and the losses of its first two steps. */
interface Reference {
  weights: NamedWeight[];
  losses: number[];
  forwardFlops: number;
}

async function slimtrainReference(model: TrainModel, check: TrainData): Promise<Reference> {
  const net = Sequential.build(await initWithThreads(1, { simd: 'plain' }), slimtrainSpec(model));
  try {
    net.compile({ optimizer: slimtrainOptimizer(), loss: 'crossEntropy' });
    const weights = net.getWeights();
    const losses = [net.trainStep(check.x, check.labels).loss, net.trainStep(check.x, check.labels).loss];
    return { weights, losses, forwardFlops: net.flops };
  } finally {
    net.dispose();
    net.engine.dispose();
  }
}

/** A compiled slimtrain model on a fresh engine of the given kernel build and thread count, and its training step. */
interface SlimtrainTrainer {
  step(): void;
  dispose(): void;
}

async function slimtrainTrainer(model: TrainModel, data: TrainData, simd: 'plain' | 'fastest', threads: number): Promise<SlimtrainTrainer> {
  const engine = await initWithThreads(threads, { simd });
  const net = Sequential.build(engine, slimtrainSpec(model));
  net.compile({ optimizer: slimtrainOptimizer(), loss: 'crossEntropy' });
  return {
    step: () => void net.trainStep(data.x, data.labels),
    dispose: () => {
      net.dispose();
      engine.dispose();
    },
  };
}

/**
 * max over steps of |loss - slimtrain's loss|, relative to slimtrain's first loss (~ln 10): the
 * loss's own scale. A later loss can be far smaller (two steps on one sample nearly fit it), and
 * relative to itself rounding differences would look large.
 */
function relativeLossError(losses: readonly number[], reference: readonly number[]): number {
  return Math.max(...losses.map((l, i) => (Number.isFinite(l) ? Math.abs(l - reference[i]) / Math.abs(reference[0]) : Infinity)));
}

/**
 * jax-js's side of the agreement check: its model from slimtrain's initial weights, two steps on
 * the check batch (the first compiles the step); returns the relative loss error (with a MISMATCH
 * note past LOSS_TOLERANCE) and the seconds of the second step.
 */
async function jaxjsLossError(model: TrainModel, reference: Reference, check: TrainData, notes: string[]): Promise<{ lossError: number; checkStepSeconds: number }> {
  const trainer = await jaxjsTrainer(model, reference.weights, check.x, check.labels);
  const losses: number[] = [];
  let checkStepSeconds = 0;
  try {
    losses.push(await trainer.step());
    const start = performance.now();
    losses.push(await trainer.step());
    checkStepSeconds = (performance.now() - start) / 1000;
  } finally {
    trainer.dispose();
  }
  const lossError = relativeLossError(losses, reference.losses);
  logProgress(`${model.name}: jax-js wasm losses ${losses.map((l) => l.toFixed(6)).join(', ')} vs slimtrain's ${reference.losses.map((l) => l.toFixed(6)).join(', ')}: relative error ${lossError.toExponential(1)}`);
  if (!(lossError <= LOSS_TOLERANCE)) {
    notes.push(`MISMATCH jax-js wasm vs slimtrain loss: relative error ${lossError.toExponential(2)} over the first two steps`);
    logProgress(`WARNING ${model.name}: jax-js wasm and slimtrain losses disagree (${lossError.toExponential(2)} > ${LOSS_TOLERANCE})`);
    process.exitCode = 1;
  }
  return { lossError, checkStepSeconds };
}

/** One tfjs backend's run: the agreement check's result, and what `measure` returned. */
interface TfjsRun<T> {
  lossError: number;
  /** Seconds of the check's second step (at checkBatch samples). */
  checkStepSeconds: number;
  result: T;
}

/**
 * Builds the tfjs model on `backend` with slimtrain's initial weights, runs the agreement check
 * (two steps at checkBatch), then `measure`; disposes the model and its optimizer and reports any
 * tensors left behind.
 */
async function withTfjsModel<T>(
  backend: TfjsBackendName,
  model: TrainModel,
  reference: Reference,
  check: TrainData,
  notes: string[],
  measure: (net: tfl.LayersModel, checkStepSeconds: number) => Promise<T>,
): Promise<TfjsRun<T>> {
  await useTfjsBackend(backend);
  const tensorsBefore = tf.memory().numTensors;
  const net = buildTfjsModel(model);
  try {
    copyWeightsToTfjs(reference.weights, net);
    const batch = tfjsBatch(model, check.x, check.labels);
    const losses: number[] = [];
    let checkStepSeconds = 0;
    try {
      losses.push(await tfjsTrainStep(net, batch));
      const start = performance.now();
      losses.push(await tfjsTrainStep(net, batch));
      checkStepSeconds = (performance.now() - start) / 1000;
    } finally {
      tf.dispose([batch.xs, batch.ys]);
    }
    const lossError = relativeLossError(losses, reference.losses);
    logProgress(`${model.name}: tfjs ${backend} losses ${losses.map((l) => l.toFixed(6)).join(', ')} vs slimtrain's ${reference.losses.map((l) => l.toFixed(6)).join(', ')}: relative error ${lossError.toExponential(1)}`);
    if (!(lossError <= LOSS_TOLERANCE)) {
      notes.push(`MISMATCH tfjs ${backend} vs slimtrain loss: relative error ${lossError.toExponential(2)} over the first two steps`);
      logProgress(`WARNING ${model.name}: tfjs ${backend} and slimtrain losses disagree (${lossError.toExponential(2)} > ${LOSS_TOLERANCE})`);
      process.exitCode = 1;
    }
    const result = await measure(net, checkStepSeconds);
    return { lossError, checkStepSeconds, result };
  } finally {
    net.optimizer?.dispose();
    net.dispose();
    const left = tf.memory().numTensors - tensorsBefore;
    if (left !== 0) logProgress(`WARNING ${model.name}: tfjs ${backend} left ${left} tensors behind`);
  }
}

/**
 * The tfjs model timed at batch 128 interleaved with `others` (slimtrain's steps, see
 * measureInterleavedThroughput); the tfjs result comes last.
 */
async function tfjsThroughput(net: tfl.LayersModel, model: TrainModel, data: TrainData, others: readonly (() => unknown)[], options: ThroughputOptions): Promise<Throughput[]> {
  const batch = tfjsBatch(model, data.x, data.labels);
  try {
    return await measureInterleavedThroughput([...others, () => tfjsTrainStep(net, batch)], options);
  } finally {
    tf.dispose([batch.xs, batch.ys]);
  }
}

interface CpuResult {
  samplesPerSecond: number;
  batch: number;
  estimated: boolean;
}

/** The fastest of `steps` tfjs steps at `n` samples (the first n of `data`), in seconds. */
async function timeTfjsSteps(net: tfl.LayersModel, model: TrainModel, data: TrainData, n: number, steps: number): Promise<number> {
  const part = firstSamples(model, data, n);
  const batch = tfjsBatch(model, part.x, part.labels);
  try {
    let fastest = Infinity;
    for (let i = 0; i < steps; i++) {
      const start = performance.now();
      await tfjsTrainStep(net, batch);
      fastest = Math.min(fastest, (performance.now() - start) / 1000);
    }
    return fastest;
  } finally {
    tf.dispose([batch.xs, batch.ys]);
  }
}

/**
 * Seconds of a step of n samples, a + b n, through the last two timed (batch, seconds) points: a
 * step has costs that do not shrink with the batch (the Adam update and the L2 penalty over every
 * weight), so a small batch's time scaled up proportionally can overestimate a large one's by 10x
 * or more. With one point, proportional (an overestimate, which is the safe side).
 */
function predictStepSeconds(points: readonly [number, number][], n: number): number {
  const [n1, t1] = points[points.length - 1];
  if (points.length === 1) return (t1 / n1) * n;
  const [n0, t0] = points[points.length - 2];
  const perSample = Math.max(0, (t1 - t0) / (n1 - n0));
  const fixed = Math.max(0, t1 - perSample * n1);
  return fixed + perSample * n;
}

/** The batch a slow implementation is timed at (see timeBoxedBatch), and the (batch, seconds) steps timed to choose it. */
interface BoxedBatch {
  batch: number;
  /** Predicted seconds of a batch-128 step. */
  fullStepSeconds: number;
  timed: [number, number][];
}

/**
 * Time-boxing for an implementation whose batch-128 step may take minutes (tfjs cpu; jax-js on the
 * CNNs). The check's second step (on a model two steps old, so still warming up) gives a first,
 * proportional prediction; then one step is timed at batch 4, 8, ... (doubling) while the
 * predicted batch-128 step (predictStepSeconds over the timed steps) is over `maxStepSeconds` and
 * the next batch is itself predicted to fit. The result is the largest batch 128 / 2^k predicted
 * to fit (128 itself when its step is).
 */
async function timeBoxedBatch(
  what: string,
  model: TrainModel,
  checkBatch: number,
  checkStepSeconds: number,
  maxStepSeconds: number,
  timeSteps: (n: number, steps: number) => Promise<number>,
): Promise<BoxedBatch> {
  const check: [number, number] = [checkBatch, checkStepSeconds];
  const probes: [number, number][] = [];
  const predict = (n: number): number => predictStepSeconds(probes.length ? probes : [check], n);
  for (let n = checkBatch * 2; n < TRAIN_BATCH; n *= 2) {
    if (predict(TRAIN_BATCH) <= maxStepSeconds || predict(n) > maxStepSeconds) break;
    logProgress(`${model.name}: ${what}: a batch-${TRAIN_BATCH} step predicted at ${predict(TRAIN_BATCH).toFixed(1)} s; timing one step at batch ${n}`);
    probes.push([n, await timeSteps(n, 1)]);
  }
  let batch = TRAIN_BATCH;
  while (batch > checkBatch && predict(batch) > maxStepSeconds) batch = Math.max(checkBatch, batch / 2);
  return { batch, fullStepSeconds: predict(TRAIN_BATCH), timed: [check, ...probes] };
}

/**
 * Samples/s at the chosen batch below 128, from the faster of two steps there (one of them may be
 * the step timed while choosing it), with a note that it is an estimate.
 */
async function estimatedRate(what: string, model: TrainModel, boxed: BoxedBatch, timeSteps: (n: number, steps: number) => Promise<number>, notes: string[]): Promise<CpuResult> {
  const { batch } = boxed;
  const fullStep = boxed.fullStepSeconds.toFixed(0);
  logProgress(`${model.name}: ${what}: a batch-${TRAIN_BATCH} step would take ~${fullStep} s; timing batch ${batch} instead`);
  const earlier = boxed.timed.find(([n]) => n === batch)?.[1];
  const seconds = earlier === undefined ? await timeSteps(batch, 2) : Math.min(earlier, await timeSteps(batch, 1));
  notes.push(`${what} estimated: a batch-${TRAIN_BATCH} step would take ~${fullStep} s, so samples/s are from the faster of two steps at batch ${batch}`);
  return { samplesPerSecond: batch / seconds, batch, estimated: true };
}

/**
 * tfjs cpu, time-boxed (timeBoxedBatch with cpuMaxStepSeconds): alone at batch 128 where its step
 * fits, otherwise estimated at the largest batch 128 / 2^k that does (estimatedRate).
 */
async function tfjsCpu(net: tfl.LayersModel, model: TrainModel, data: TrainData, checkStepSeconds: number, budget: TrainBudget, notes: string[]): Promise<CpuResult> {
  const timeSteps = (n: number, steps: number) => timeTfjsSteps(net, model, data, n, steps);
  const boxed = await timeBoxedBatch('tfjs cpu', model, budget.checkBatch, checkStepSeconds, budget.cpuMaxStepSeconds, timeSteps);
  if (boxed.batch === TRAIN_BATCH) {
    const [cpu] = await tfjsThroughput(net, model, data, [], budget.cpuThroughput);
    return { samplesPerSecond: TRAIN_BATCH / cpu.bestSecondsPerStep, batch: TRAIN_BATCH, estimated: false };
  }
  return estimatedRate('tfjs cpu', model, boxed, timeSteps, notes);
}

/**
 * The fastest of `steps` jax-js steps at `n` samples (the first n of `data`), in seconds, on a
 * fresh jax-js model from slimtrain's initial weights; its first step (which compiles the step for
 * this batch shape) is not timed.
 */
async function timeJaxjsSteps(model: TrainModel, weights: readonly NamedWeight[], data: TrainData, n: number, steps: number): Promise<number> {
  const part = firstSamples(model, data, n);
  const trainer = await jaxjsTrainer(model, weights, part.x, part.labels);
  try {
    await trainer.step();
    let fastest = Infinity;
    for (let i = 0; i < steps; i++) {
      const start = performance.now();
      await trainer.step();
      fastest = Math.min(fastest, (performance.now() - start) / 1000);
    }
    return fastest;
  } finally {
    trainer.dispose();
  }
}

function round(value: number): number {
  return Number(value.toPrecision(4));
}

/** The thread counts whose trained weights are compared: 1, 2 and every count of --threads. */
function identityThreads(threads: readonly number[]): number[] {
  return [...new Set([1, 2, ...threads])].sort((a, b) => a - b);
}

/** { "1": f(x1), "2": f(x2) } for values by thread count. */
function byThreads<T>(threads: readonly number[], values: readonly T[], f: (value: T) => number): Record<string, number> {
  return Object.fromEntries(threads.map((t, i) => [String(t), round(f(values[i]))]));
}

/**
 * The SIMD peak a ceiling uses, measured again right after the timed steps: the higher of that
 * and start-up's, so that a host slowed down at start-up cannot inflate "% of the ceiling".
 */
async function ceilingPeak(session: BenchSession): Promise<{ peakAfter: number; peakGflops: number }> {
  const peakAfter = (await measureSimdPeak(session.options.quick ? PEAK_RUNS.quick : PEAK_RUNS.full)).mulAddGflops;
  return { peakAfter, peakGflops: Math.max(session.peak.mulAddGflops, peakAfter) };
}

async function benchModel(session: BenchSession, jaxjs: JaxjsSetup, model: TrainModel, budget: TrainBudget, progress: string): Promise<TrainRecord> {
  const notes: string[] = [];
  const threads = session.options.threads;
  const data = trainData(model, TRAIN_BATCH);
  const check = firstSamples(model, data, budget.checkBatch);
  const hasConv = model.layers.some((l) => l.kind === 'conv2d');

  const memory: MemoryProbeResult[] = [];
  for (const t of threads) {
    logProgress(`${progress} ${model.name}: slimtrain memory on ${t} thread${t === 1 ? '' : 's'}, in a separate process`);
    memory.push(await measureSlimtrainMemory(model.name, TRAIN_BATCH, budget.memorySteps, t));
  }
  // A model jax-js cannot express is left out of its columns, with the reason in the notes.
  const jaxjsGap = jaxjsUnsupported(model);
  if (jaxjsGap) notes.push(`jax-js: not run, it cannot express this model here: ${jaxjsGap}`);

  logProgress(`${progress} ${model.name}: slimtrain reference losses (batch ${budget.checkBatch})`);
  const reference = await slimtrainReference(model, check);
  const jaxjsCheck = jaxjsGap ? null : await jaxjsLossError(model, reference, check, notes);
  // jax-js trains the CNNs far slower than the others: time-boxed like tfjs cpu. Where its batch-128
  // step fits, it joins the interleaved windows; otherwise it is timed alone at a smaller batch.
  const jaxjsSteps = (n: number, steps: number) => timeJaxjsSteps(model, reference.weights, data, n, steps);
  const jaxjsBoxed = jaxjsCheck ? await timeBoxedBatch('jax-js wasm', model, budget.checkBatch, jaxjsCheck.checkStepSeconds, budget.cpuMaxStepSeconds, jaxjsSteps) : null;
  const jaxjsInterleaved = jaxjsBoxed?.batch === TRAIN_BATCH;
  let jaxjsMemory: JaxjsMemoryProbeResult | null = null;
  if (jaxjsBoxed) {
    // Its memory is flat after the first step (which compiles and allocates): one step where steps are slow.
    const steps = jaxjsInterleaved ? budget.memorySteps : 1;
    logProgress(`${progress} ${model.name}: jax-js memory (${steps} step${steps === 1 ? '' : 's'} at batch ${TRAIN_BATCH}), in a separate process`);
    jaxjsMemory = await measureJaxjsMemory(model.name, TRAIN_BATCH, steps);
  }

  // slimtrain at each thread count (and relaxed, on one thread) and tfjs wasm are timed
  // interleaved, window by window (see step-throughput.ts).
  const trainers: SlimtrainTrainer[] = [];
  let jaxjsTimed: JaxjsTrainer | null = null;
  let wasm: TfjsRun<Throughput[]>;
  try {
    for (const t of threads) trainers.push(await slimtrainTrainer(model, data, 'plain', t));
    if (session.engines.relaxed) trainers.push(await slimtrainTrainer(model, data, 'fastest', 1));
    if (jaxjsInterleaved) jaxjsTimed = await jaxjsTrainer(model, reference.weights, data.x, data.labels);
    const names = [...threads.map((t) => `slimtrain ${t}T`), ...(session.engines.relaxed ? ['slimtrain relaxed'] : []), ...(jaxjsTimed ? ['jax-js wasm'] : [])];
    logProgress(`${progress} ${model.name}: ${names.join(', ')} and tfjs wasm${hasConv ? ' (Conv2DBackpropFilter polyfill)' : ''}, interleaved`);
    const timed = jaxjsTimed;
    wasm = await withTfjsModel('wasm', model, reference, check, notes, (net) =>
      tfjsThroughput(
        net,
        model,
        data,
        [...trainers.map((t) => () => t.step()), ...(timed ? [() => timed.step()] : [])],
        budget.throughput,
      ),
    );
  } finally {
    trainers.forEach((t) => t.dispose());
    jaxjsTimed?.dispose();
  }
  // In the order timed: slimtrain per thread count, relaxed, jax-js, tfjs wasm.
  const plain = wasm.result.slice(0, threads.length);
  const rest = wasm.result.slice(threads.length);
  const tfjsWasm = rest.pop()!;
  const jaxjsWasm = jaxjsTimed ? rest.pop()! : null;
  const relaxed = rest[0] ?? null;
  const samplesPerSecond = (t: Throughput) => TRAIN_BATCH / t.bestSecondsPerStep;
  logProgress(
    `${model.name}: ${plain.map((p, i) => `slimtrain ${threads[i]}T ${samplesPerSecond(p).toFixed(1)} samples/s (${(1000 * p.bestSecondsPerStep).toFixed(1)} ms/step)`).join(', ')}, ` +
      `tfjs wasm ${samplesPerSecond(tfjsWasm).toFixed(1)} samples/s (${(1000 * tfjsWasm.bestSecondsPerStep).toFixed(0)} ms/step)` +
      (jaxjsWasm ? `, jax-js wasm ${samplesPerSecond(jaxjsWasm).toFixed(1)} samples/s (${(1000 * jaxjsWasm.bestSecondsPerStep).toFixed(0)} ms/step)` : '') +
      `, ${tfjsWasm.windows} rounds`,
  );

  const { peakAfter, peakGflops } = await ceilingPeak(session);
  logProgress(`${model.name}: SIMD peak after its windows ${peakAfter.toFixed(2)} GFLOP/s (start-up ${session.peak.mulAddGflops.toFixed(2)}); the ceiling uses ${peakGflops.toFixed(2)}`);

  const jaxjsAlone = jaxjsBoxed && !jaxjsInterleaved ? await estimatedRate('jax-js wasm', model, jaxjsBoxed, jaxjsSteps, notes) : null;
  const jaxjsRate = jaxjsWasm ? samplesPerSecond(jaxjsWasm) : jaxjsAlone?.samplesPerSecond ?? null;
  if (jaxjsAlone) logProgress(`${model.name}: jax-js wasm ${jaxjsAlone.samplesPerSecond.toFixed(2)} samples/s (estimated at batch ${jaxjsAlone.batch})`);

  logProgress(`${progress} ${model.name}: tfjs cpu`);
  const cpu = await withTfjsModel('cpu', model, reference, check, notes, (net, checkStepSeconds) => tfjsCpu(net, model, data, checkStepSeconds, budget, notes));
  logProgress(`${model.name}: tfjs cpu ${cpu.result.samplesPerSecond.toFixed(2)} samples/s${cpu.result.estimated ? ` (estimated at batch ${cpu.result.batch})` : ''}`);
  await useTfjsBackend('wasm');

  const compared = identityThreads(threads);
  logProgress(`${progress} ${model.name}: weights after ${budget.identitySteps} steps on ${compared.join(', ')} threads`);
  const identity = await checkThreadIdentity(model, data.x, data.labels, compared, budget.identitySteps);
  logProgress(`${model.name}: weights ${identity.identical ? 'bit-identical' : 'DIFFER'} at ${compared.join(', ')} threads (sha256 ${Object.entries(identity.digests).map(([t, d]) => `${t}T ${d}`).join(', ')})`);
  if (!identity.identical) {
    notes.push(`MISMATCH slimtrain weights after ${budget.identitySteps} steps differ between ${compared.join(', ')} threads`);
    process.exitCode = 1;
  }

  const rates = plain.map(samplesPerSecond);
  const one = threads.indexOf(1);
  const slimtrain = rates[0];
  const wasmRate = samplesPerSecond(tfjsWasm);
  const trainingFlops = 3 * reference.forwardFlops;
  const ceiling = (peakGflops * 1e9) / trainingFlops;
  const speedups = one >= 0 && threads.some((t) => t > 1) ? Object.fromEntries(threads.map((t, i) => [String(t), round(rates[i] / rates[one])]).filter(([t]) => Number(t) > 1)) : null;
  return {
    model: model.name,
    slimtrain_samples_per_s: round(slimtrain),
    slimtrain_threads: threads[0],
    slimtrain_samples_per_s_by_threads: byThreads(threads, rates, (r) => r),
    slimtrain_median_samples_per_s_by_threads: byThreads(threads, plain, (p) => TRAIN_BATCH / p.medianSecondsPerStep),
    slimtrain_speedup_by_threads: speedups,
    host_peak_scaling_by_threads: session.peakScaling,
    threads_bit_identical: identity.identical,
    threads_check_threads: identity.threads,
    threads_check_steps: identity.steps,
    threads_weights_sha256: identity.digests,
    tfjs_wasm_samples_per_s: round(wasmRate),
    tfjs_wasm_threads: session.tfjs.wasmThreads,
    tfjs_wasm_threads_requested: session.tfjs.wasmThreadsRequested,
    tfjs_wasm_threads_note: session.tfjs.wasmThreadsNote,
    tfjs_cpu_samples_per_s: round(cpu.result.samplesPerSecond),
    slimtrain_peak_rss_mb: round(memory[0].peakRssBytes / MB),
    slimtrain_peak_rss_mb_by_threads: byThreads(threads, memory, (m) => m.peakRssBytes / MB),
    slimtrain_rss_baseline_mb: round(memory[0].baselineRssBytes / MB),
    slimtrain_wasm_memory_mb: round(memory[0].wasmMemoryBytes / MB),
    slimtrain_wasm_memory_mb_by_threads: byThreads(threads, memory, (m) => m.wasmMemoryBytes / MB),
    slimtrain_relaxed_samples_per_s: relaxed === null ? null : round(samplesPerSecond(relaxed)),
    slimtrain_median_samples_per_s: round(TRAIN_BATCH / plain[0].medianSecondsPerStep),
    tfjs_wasm_median_samples_per_s: round(TRAIN_BATCH / tfjsWasm.medianSecondsPerStep),
    ratio_vs_tfjs_wasm: round(slimtrain / wasmRate),
    ratio_vs_tfjs_cpu: round(slimtrain / cpu.result.samplesPerSecond),
    tfjs_wasm_conv2d_backprop_filter: hasConv ? CONV2D_BACKPROP_FILTER_KERNEL_POLYFILL : null,
    tfjs_cpu_batch: cpu.result.batch,
    tfjs_cpu_estimated: cpu.result.estimated,
    tfjs_wasm_loss_error: Number(wasm.lossError.toPrecision(2)),
    tfjs_cpu_loss_error: Number(cpu.lossError.toPrecision(2)),
    jaxjs_wasm_samples_per_s: jaxjsRate === null ? null : round(jaxjsRate),
    jaxjs_wasm_median_samples_per_s: jaxjsWasm ? round(TRAIN_BATCH / jaxjsWasm.medianSecondsPerStep) : null,
    ratio_vs_jaxjs_wasm: jaxjsRate === null ? null : round(slimtrain / jaxjsRate),
    jaxjs_wasm_batch: jaxjsBoxed?.batch ?? null,
    jaxjs_wasm_estimated: jaxjsAlone !== null,
    jaxjs_peak_rss_mb: jaxjsMemory ? round(jaxjsMemory.peakRssBytes / MB) : null,
    jaxjs_rss_baseline_mb: jaxjsMemory ? round(jaxjsMemory.baselineRssBytes / MB) : null,
    jaxjs_loss_error: jaxjsCheck === null ? null : Number(jaxjsCheck.lossError.toPrecision(2)),
    jaxjs_version: jaxjs.version,
    jaxjs_wasm_threads: jaxjs.threads,
    jaxjs_unsupported: jaxjsGap,
    batch: TRAIN_BATCH,
    description: model.description,
    forward_flops_per_sample: reference.forwardFlops,
    training_flops_per_sample: trainingFlops,
    ceiling_samples_per_s: round(ceiling),
    peak_gflops: round(peakGflops),
    peak_gflops_after_timing: round(peakAfter),
    slimtrain_fraction_of_peak: round(slimtrain / ceiling),
    note: notes.length ? notes.join('; ') : null,
  };
}

/** Runs the bench; `args` are the command-line flags (see support/bench-options.ts). */
export async function main(args: readonly string[]): Promise<void> {
  const started = performance.now();
  const session = await startBenchSession(args, { models: TRAIN_MODEL_NAMES, profile: true });
  if (session.options.profile) return profileMain(session, started);
  const budget = session.options.quick ? QUICK_BUDGET : FULL_BUDGET;
  const jaxjs = await setUpJaxjs();
  logProgress(describeJaxjs(jaxjs));
  const registered = registerConv2dBackpropFilterPolyfill();
  logProgress(registered ? 'registered the Conv2DBackpropFilter polyfill kernel on tfjs wasm' : 'tfjs wasm already has a Conv2DBackpropFilter kernel: not polyfilled');
  const models = (session.options.models ?? TRAIN_MODEL_NAMES).map(trainModel);
  const records: TrainRecord[] = [];
  for (const model of models) {
    records.push(await benchModel(session, jaxjs, model, budget, `(${records.length + 1}/${models.length})`));
  }
  const seconds = (performance.now() - started) / 1000;
  logProgress(`done in ${seconds.toFixed(0)} s`);
  const t = budget.throughput;
  printTrainReport(
    records,
    {
      title: `bench:train — training samples/s at batch ${TRAIN_BATCH}, slimtrain beside TensorFlow.js tfjs-layers, same models, same process`,
      lines: [
        ...session.describeSetup(),
        describeJaxjs(jaxjs),
        `timing: warm-up per implementation (>= ${t.warmupSteps} steps and ${t.warmupSeconds} s, at most ${t.maxWarmupSeconds} s); then slimtrain (each thread count), jax-js wasm and tfjs wasm alternate windows of whole steps of >= ${t.windowSeconds} s,`,
        `  up to ${t.windows} rounds (fewer once ${t.maxTimedSeconds} s are timed), so load changes hit both alike; samples/s of each one's fastest window (JSON also has the median)` +
          (session.options.quick ? ' [--quick: smoke run, not a measurement]' : ''),
        `tfjs cpu: alone, at batch ${TRAIN_BATCH} where a step is predicted (from single steps at growing batches) under ${budget.cpuMaxStepSeconds} s, otherwise the faster of two steps`,
        '  at the largest batch 128/2^k that is (marked est.: samples/s at that batch)',
        `jax-js wasm: in the interleaved windows where its batch-${TRAIN_BATCH} step is predicted the same way under ${budget.cpuMaxStepSeconds} s; otherwise alone, as tfjs cpu (est.),`,
        '  each batch on a fresh jit-compiled model whose first (compiling) step is not timed',
        `agreement: each tfjs and jax-js model starts from slimtrain's initial weights; the losses of the first two steps on ${budget.checkBatch} sample(s) must agree to ${LOSS_TOLERANCE} of the first loss`,
        `threads: each model trained ${budget.identitySteps} steps at batch ${TRAIN_BATCH} on fresh engines of ${identityThreads(session.options.threads).join(', ')} threads; SHA-256 of getWeights() bytes compared` +
          (session.options.quick ? ` [--quick: ${budget.identitySteps} steps, not 50]` : ''),
        `run took ${seconds.toFixed(0)} s`,
      ],
      footnotes: [
        `slimtrain: Sequential.trainStep; chain(l2({ lambda: ${2 * KERAS_L2} }), adam({ lr: ${LEARNING_RATE} })), loss 'crossEntropy' (softmax CE from logits) on integer labels; a relu layer after every conv2d and hidden dense.`,
        `tfjs: tfjs-layers model.trainOnBatch; tf.train.adam(${LEARNING_RATE}); kernelRegularizer l2({ l2: ${KERAS_L2} }) on every kernel (slimtrain's lambda = 2 x Keras' l2);`,
        "  conv2d/dense with activation 'relu', maxPooling2d 2x2, a linear last dense, and loss tf.losses.softmaxCrossEntropy on one-hot labels",
        "  (the from-logits loss slimtrain computes; tfjs-layers' own 'categoricalCrossentropy' would need a softmax layer).",
        "  tfjs-core's Node build registers no gradients; tfjs-layers' Node build registers its own copy of all of them on import, which",
        '  tf.variableGrads (inside optimizer.minimize) uses; no extra import is needed.',
        `(polyfill): tfjs-backend-wasm has no Conv2DBackpropFilter kernel, so CNN training on wasm needs one: ${CONV2D_BACKPROP_FILTER_KERNEL_POLYFILL}.`,
        'jax-js: the same layers as jax-js functions (lax.conv on NCHW with OIHW kernels converted once from slimtrain\'s HWIO, ReLU, 2x2 max pool as a',
        '  reshape and max, matmul), loss mean(-log_softmax(logits) . onehot) + 1e-4 x sum of squared kernels; the step is one jit(...) of',
        "  valueAndGrad(loss) and slimtrain's bias-corrected Adam written out (w -= lr/(1-b1^t) m / (sqrt(v)/sqrt(1-b2^t) + 1e-7)), on the wasm device.",
        '  Batch and weights are uploaded once; a timed step includes reading back its scalar loss (await loss.data()), no other host transfer.',
        '  Its peak RSS: the same few steps in a fresh Node process that loads jax-js alone (its own VmHWM, like slimtrain\'s).',
        'ceiling: training FLOPs per sample = 3 x forward (model.flops: forward, input gradient, weight gradient); samples/s = SIMD mul+add peak / that,',
        `  the peak being the higher of start-up's and one measured right after the model's timing windows (${records.map((r) => `${r.model} ${r.peak_gflops.toFixed(2)}`).join(', ')} GFLOP/s).`,
        'memory: each model trained for a few steps at batch 128 (at each thread count) in a fresh Node process that loads slimtrain alone (TensorFlow.js shares this',
        "  process's RSS and never returns it): peak RSS = that process's high-water mark (Linux VmHWM; its RSS before the model existed is in",
        "  the JSON as slimtrain_rss_baseline_mb); wasm mem = size of slimtrain's WebAssembly memory (parameters, gradients, Adam moments,",
        '  activations, im2col buffers).',
        'data: seeded random inputs in [-1, 1) and labels; the same batch every step.',
        'threads: slimtrain splits GEMMs by rows of the output, im2col/col2im by images and optimizer updates by parameter ranges (above THREAD_THRESHOLDS);',
        '  activations, bias adds and max pooling by element ranges, rows and images (above THREAD_THRESHOLDS.elementwise); the rest of a step (average pooling, loss, bias gradients, batch norm) runs on the calling thread.',
      ],
    },
    session.options.json,
  );
}

/** One model's profile at one thread count, and the same grouped by kind of work. */
interface ProfileRecord {
  model: string;
  threads: number;
  samplesPerSecond: number;
  /** The SIMD peak the fraction uses: the higher of start-up's and one right after the profiled steps. */
  peakGflops: number;
  fractionOfPeak: number;
  profile: StepProfile;
  byKind: Record<string, number>;
}

/** Steps profiled per model and thread count after the warm-up: about 3 s of a step each (at least 5). */
async function profileModel(session: BenchSession, model: TrainModel, threads: number): Promise<ProfileRecord> {
  const engine = await initWithThreads(threads, { simd: 'fastest' });
  const net = Sequential.build(engine, slimtrainSpec(model));
  try {
    net.compile({ optimizer: slimtrainOptimizer(), loss: 'crossEntropy' });
    const data = trainData(model, TRAIN_BATCH);
    const t0 = performance.now();
    for (let i = 0; i < 3; i++) net.trainStep(data.x, data.labels);
    const stepSeconds = (performance.now() - t0) / 3000;
    const steps = session.options.quick ? 2 : Math.max(5, Math.round(3 / stepSeconds));
    const profile = profileTrainingSteps(net, data.x, data.labels, steps);
    const layerTypes = new Map(net.layers.map((l) => [`${l.name} (${l.type})`, l.type]));
    const samplesPerSecond = TRAIN_BATCH / (profile.stepMs / 1000);
    const { peakGflops } = await ceilingPeak(session);
    const ceiling = (peakGflops * 1e9) / (3 * net.flops);
    return { model: model.name, threads, samplesPerSecond, peakGflops, fractionOfPeak: samplesPerSecond / ceiling, profile, byKind: profileByKind(profile, layerTypes) };
  } finally {
    net.dispose();
    engine.dispose();
  }
}

async function profileMain(session: BenchSession, started: number): Promise<void> {
  const models = (session.options.models ?? TRAIN_MODEL_NAMES).map(trainModel);
  const records: ProfileRecord[] = [];
  for (const model of models) {
    for (const threads of session.options.threads) {
      logProgress(`profile (${records.length + 1}/${models.length * session.options.threads.length}) ${model.name} at ${threads} thread(s)`);
      records.push(await profileModel(session, model, threads));
    }
  }
  const seconds = (performance.now() - started) / 1000;
  if (session.options.json) {
    process.stdout.write(`${JSON.stringify({ bench: 'train-profile', batch: TRAIN_BATCH, peak_gflops: session.peak.mulAddGflops, seconds, records }, null, 2)}\n`);
    return;
  }
  const lines = [
    `bench:train --profile — where a slimtrain training step (batch ${TRAIN_BATCH}, Adam + L2) spends its time; peak mul+add ${session.peak.mulAddGflops.toFixed(2)} GFLOP/s`,
    ...session.describeSetup(),
    'Each kernel call and each layer pass is timed with performance.now() around it (a few microseconds of overhead per call, which the',
    "step's wall time includes: samples/s here are a little below bench:train's). A kernel counts for the layer pass it runs in; a layer",
    "backward's calls are split by what they compute (x^T dy and im2col: weight gradient; dy w^T and col2im: input gradient).",
    '',
  ];
  for (const r of records) {
    lines.push(`${r.model} at ${r.threads} thread(s): ${r.profile.stepMs.toFixed(2)} ms/step, ${r.samplesPerSecond.toFixed(0)} samples/s, ${(100 * r.fractionOfPeak).toFixed(0)}% of the arithmetic ceiling at a peak of ${r.peakGflops.toFixed(2)} GFLOP/s (${r.profile.steps} steps)`);
    lines.push(formatTable(
      [{ header: 'part' }, { header: 'pass' }, { header: 'ms/step', align: 'right' }, { header: 'share', align: 'right' }, { header: 'kernels (ms/step)' }],
      profileTableRows(r.profile),
    ));
    lines.push('');
    lines.push('  by kind of work:');
    const kinds = Object.entries(r.byKind).filter(([, v]) => v >= 0.005).sort((a, b) => b[1] - a[1]);
    lines.push(formatTable(
      [{ header: '  kind' }, { header: 'ms/step', align: 'right' }, { header: 'share', align: 'right' }],
      kinds.map(([k, v]) => [`  ${k}`, v.toFixed(2), `${((100 * v) / r.profile.stepMs).toFixed(1)}%`]),
    ));
    lines.push('');
  }
  lines.push(`run took ${seconds.toFixed(0)} s`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

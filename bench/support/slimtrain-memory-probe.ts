// The child side of slimtrain's memory measurement (see slimtrain-memory.ts): a fresh Node process
// that loads only slimtrain (no TensorFlow.js), trains one bench model for a few steps and prints
// one JSON line with its memory. Run as `node build/bench/slimtrain-memory-probe.mjs <model> <batch> <steps> <threads>`.
import { Sequential } from '../../src/model/sequential.js';
import { highWaterMark } from './process-peak-rss.js';
import { randomFloats, randomLabels } from './seeded-random.js';
import { initWithThreads } from './slimtrain-engines.js';
import { inputSize, slimtrainOptimizer, slimtrainSpec, trainModel } from './train-models.js';

/** What the probe prints. Bytes. */
export interface MemoryProbeResult {
  model: string;
  batch: number;
  steps: number;
  /** Kernel threads of the engine (its worker threads are part of the process's RSS). */
  threads: number;
  /** Resident set size after loading slimtrain and creating its engine, before the model exists. */
  baselineRssBytes: number;
  /** High-water resident set size of the whole process after the steps (see peakRssSource). */
  peakRssBytes: number;
  /** 'VmHWM': Linux's high-water mark of this process image; 'sampled': the largest RSS read after each step. */
  peakRssSource: 'VmHWM' | 'sampled';
  /** Size of the engine's WebAssembly.Memory after the steps (it only grows). */
  wasmMemoryBytes: number;
  /** Bytes the engine's arena had handed out after the steps (model, optimizer state, workspace). */
  arenaInUseBytes: number;
}

/**
 * @example
 * await runMemoryProbe(['cifar', '128', '3', '1']); // prints {"model":"cifar",...}
 */
export async function runMemoryProbe(args: readonly string[]): Promise<void> {
  const [name, batchArg, stepsArg, threadsArg] = args;
  const model = trainModel(name);
  const [batch, steps, threads] = [batchArg, stepsArg, threadsArg].map(Number);
  if (![batch, steps, threads].every((n) => Number.isInteger(n) && n >= 1)) {
    throw new Error(`memory probe: expected <model> <batch> <steps> <threads> with positive integers, got ${JSON.stringify(args)}`);
  }
  // The same data as the timed run: the inputs are part of what a training process holds.
  const x = randomFloats(batch * inputSize(model), 1);
  const labels = randomLabels(batch, model.classes, 2);
  const engine = await initWithThreads(threads, { simd: 'plain' });
  const baselineRssBytes = process.memoryUsage().rss;
  const net = Sequential.build(engine, slimtrainSpec(model));
  net.compile({ optimizer: slimtrainOptimizer(), loss: 'crossEntropy' });
  // slimtrain allocates its memory when the model is built and at the first step, and nothing per
  // step after that, so the RSS after each step also bounds the peak where VmHWM is missing.
  let sampled = process.memoryUsage().rss;
  for (let i = 0; i < steps; i++) {
    net.trainStep(x, labels);
    sampled = Math.max(sampled, process.memoryUsage().rss);
  }
  const hwm = highWaterMark();
  const result: MemoryProbeResult = {
    model: name,
    batch,
    steps,
    threads,
    baselineRssBytes,
    peakRssBytes: hwm ?? sampled,
    peakRssSource: hwm === null ? 'sampled' : 'VmHWM',
    wasmMemoryBytes: engine.arena.byteLength,
    arenaInUseBytes: engine.arena.bytesInUse,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

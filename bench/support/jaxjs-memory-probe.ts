// The child side of jax-js's memory measurement (see slimtrain-memory.ts, whose design this
// mirrors): a fresh Node process that loads only jax-js (no slimtrain engine, no TensorFlow.js),
// trains one bench model on jax-js's wasm device for a few steps and prints one JSON line with its
// memory. Run as `node build/bench/jaxjs-memory-probe.mjs <model> <batch> <steps>`.
import { jaxjsTrainer, trainModelWeightShapes } from './jaxjs-train-models.js';
import { startJaxjsWasm } from './jaxjs-wasm.js';
import { highWaterMark } from './process-peak-rss.js';
import { randomFloats, randomLabels } from './seeded-random.js';
import { inputSize, trainModel } from './train-models.js';

/** What the probe prints. Bytes. */
export interface JaxjsMemoryProbeResult {
  model: string;
  batch: number;
  steps: number;
  /** Resident set size after loading jax-js and starting its wasm device, before the model exists. */
  baselineRssBytes: number;
  /** High-water resident set size of the whole process after the steps (see peakRssSource). */
  peakRssBytes: number;
  /** 'VmHWM': Linux's high-water mark of this process image; 'sampled': the largest RSS read after each step. */
  peakRssSource: 'VmHWM' | 'sampled';
}

/**
 * @example
 * await runJaxjsMemoryProbe(['mlp', '128', '3']); // prints {"model":"mlp",...}
 */
export async function runJaxjsMemoryProbe(args: readonly string[]): Promise<void> {
  const [name, batchArg, stepsArg] = args;
  const model = trainModel(name);
  const [batch, steps] = [batchArg, stepsArg].map(Number);
  if (![batch, steps].every((n) => Number.isInteger(n) && n >= 1)) {
    throw new Error(`jax-js memory probe: expected <model> <batch> <steps> with positive integers, got ${JSON.stringify(args)}`);
  }
  // The same data as the timed run; weights of the model's shapes (their values do not change the memory).
  const x = randomFloats(batch * inputSize(model), 1);
  const labels = randomLabels(batch, model.classes, 2);
  const weights = trainModelWeightShapes(model).map((shape, i) => ({ values: randomFloats(shape.reduce((a, b) => a * b, 1), 10 + i).map((v) => 0.05 * v), shape }));
  await startJaxjsWasm();
  const baselineRssBytes = process.memoryUsage().rss;
  const trainer = await jaxjsTrainer(model, weights, x, labels);
  let sampled = process.memoryUsage().rss;
  for (let i = 0; i < steps; i++) {
    await trainer.step();
    sampled = Math.max(sampled, process.memoryUsage().rss);
  }
  const hwm = highWaterMark();
  trainer.dispose();
  const result: JaxjsMemoryProbeResult = {
    model: name,
    batch,
    steps,
    baselineRssBytes,
    peakRssBytes: hwm ?? sampled,
    peakRssSource: hwm === null ? 'sampled' : 'VmHWM',
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

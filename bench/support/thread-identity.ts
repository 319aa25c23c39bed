// The engine promises the same bits at every kernel thread count (kernels split by output rows,
// images and parameter ranges, never inside a sum). bench:train checks it where it matters, after
// real training: each model trained for some steps from the same initial weights and batch on
// engines of different thread counts, then a digest of its weights' bytes compared.
import { createHash } from 'node:crypto';
import { Sequential } from '../../src/model/sequential.js';
import { initWithThreads } from './slimtrain-engines.js';
import { slimtrainOptimizer, slimtrainSpec, type TrainModel } from './train-models.js';

export interface ThreadIdentity {
  /** The thread counts compared, ascending. */
  threads: number[];
  /** Training steps before the weights were compared. */
  steps: number;
  /** SHA-256 of the weights' bytes (getWeights(), in order), by thread count; the first 16 hex digits. */
  digests: Record<string, string>;
  /** Whether every digest is the same. */
  identical: boolean;
}

/** SHA-256 of every weight's float32 bytes, in getWeights() order. */
function weightsDigest(net: Sequential): string {
  const hash = createHash('sha256');
  for (const w of net.getWeights()) hash.update(new Uint8Array(w.values.buffer, w.values.byteOffset, w.values.byteLength));
  return hash.digest('hex');
}

/** `steps` training steps of `model` on one batch, on a fresh plain-SIMD engine of `threads` threads; the weights' digest. */
async function trainedDigest(model: TrainModel, x: Float32Array, labels: Int32Array, threads: number, steps: number): Promise<string> {
  const engine = await initWithThreads(threads, { simd: 'plain' });
  try {
    const net = Sequential.build(engine, slimtrainSpec(model));
    net.compile({ optimizer: slimtrainOptimizer(), loss: 'crossEntropy' });
    for (let i = 0; i < steps; i++) net.trainStep(x, labels);
    const digest = weightsDigest(net);
    net.dispose();
    return digest;
  } finally {
    engine.dispose();
  }
}

/**
 * Trains `model` for `steps` steps at each thread count and compares the weights' digests.
 *
 * @example
 * const { identical } = await checkThreadIdentity(model, x, labels, [1, 2], 50);
 */
export async function checkThreadIdentity(model: TrainModel, x: Float32Array, labels: Int32Array, threads: readonly number[], steps: number): Promise<ThreadIdentity> {
  const counts = [...new Set(threads)].sort((a, b) => a - b);
  const digests: Record<string, string> = {};
  for (const t of counts) digests[String(t)] = await trainedDigest(model, x, labels, t, steps);
  const values = Object.values(digests);
  return {
    threads: counts,
    steps,
    digests: Object.fromEntries(Object.entries(digests).map(([t, d]) => [t, d.slice(0, 16)])),
    identical: values.every((d) => d === values[0]),
  };
}

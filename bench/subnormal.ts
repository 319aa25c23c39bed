// bench:subnormal — what weights in the subnormal range cost, and what flushing them buys.
//   npm run bench:subnormal [-- --json] [--quick] [--threads 1] [--files run.ckpt,...]
//
// Regularisers decay weights toward zero; on their way they pass through the float32 subnormal
// range (0 < |w| < 2^-126), where x86 cores take a microcode assist on every operation that reads
// or yields such a value, and WebAssembly has no flush-to-zero mode to turn that off. This bench
// builds LeNet-300-100 with a decayed tail like the one a Group-HS run leaves (a share of each
// hidden kernel, and the first kernel's rows of the pixels blank in every training image,
// log-uniform over [1e-45, 1e-20]: at epoch 192 of deephoyer-lenet-300-100-250's
// Group-HS 3e-4 run, 13,166 of the first kernel's 235,200 entries were subnormal and 33,000 below
// 1e-20), then times, in one process with interleaved rounds (the fastest of each):
// - prediction on the MNIST test images with clean weights, with the decayed ones, and with those
//   after flushSubnormals (what training now leaves), in slimtrain and in TensorFlow.js wasm;
// - training steps (Adam lr 1e-3 + coupled L2 1e-4 + Group-HS 3e-4, batch 100) from the decayed
//   weights, as slimtrain trains now (Adam's update kernel stores weights and moments flushed) and
//   with the flush turned off (the behaviour before 2026-12-02).
// --files also takes sweep checkpoints of LeNet-300-100 runs trained with that chain (a sweep's
// <name>.checkpoints/<run>.ckpt): their weights and Adam moments are the real decayed state, and the
// same two trainings and the prediction run from them.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { init } from '../src/backend/engine.js';
import { loadMnist } from '../src/data/mnist.js';
import { Sequential, type NamedWeight } from '../src/model/sequential.js';
import { presetSpec } from '../src/model/presets.js';
import { restoreCheckpoint } from '../src/io/checkpoint.js';
import { readFileSync } from 'node:fs';
import { Random } from '../src/random.js';
import type { OptimizerSpec } from '../src/optim/spec.js';
import { parseBenchOptions } from './support/bench-options.js';
import { logProgress } from './support/progress-log.js';
import { formatTable } from './support/text-table.js';
import { runTfjsOp, setUpTfjs } from './support/tfjs-backends.js';

const SMALLEST_NORMAL = 2 ** -126;
const OPTIMIZER: OptimizerSpec = {
  type: 'adam', lr: 1e-3, epsilon: 1e-8,
  transforms: [{ type: 'l2', lambda: 1e-4, selector: { kinds: ['kernel', 'bias'] } }, { type: 'groupHoyer', lambda: 3e-4 }],
};

/**
 * The weights with `share` of each hidden kernel's entries, and every first-kernel row of an input
 * pixel that is 0 in all `x` (MNIST's border: no data gradient reaches those weights, only the
 * regularisers', so in training they stay tiny), log-uniform in [1e-45, 1e-20], signs random.
 */
function decayed(weights: NamedWeight[], share: number, x: Float32Array, random: () => number): NamedWeight[] {
  const blank = new Uint8Array(784).fill(1);
  for (let i = 0; i < x.length; i++) if (x[i] !== 0) blank[i % 784] = 0;
  const tiny = () => (random() < 0.5 ? -1 : 1) * 10 ** (-45 + 25 * random());
  return weights.map((w) => {
    const values = w.values.slice();
    if (w.name === 'dense_1/kernel' || w.name === 'dense_2/kernel') {
      const cols = w.shape[1];
      for (let i = 0; i < values.length; i++) {
        if (random() < share || (w.name === 'dense_1/kernel' && blank[Math.floor(i / cols)])) values[i] = tiny();
      }
    }
    return { ...w, values };
  });
}

function flushed(weights: NamedWeight[]): NamedWeight[] {
  return weights.map((w) => ({ ...w, values: w.values.map((v) => (Math.abs(v) < SMALLEST_NORMAL ? 0 : v)) }));
}

function subnormalCount(weights: NamedWeight[]): number {
  let n = 0;
  for (const w of weights) for (const v of w.values) if (v !== 0 && Math.abs(v) < SMALLEST_NORMAL) n++;
  return n;
}

/** A tfjs-layers LeNet-300-100 (ReLU fused into the dense layers) holding `weights`. */
function tfjsNet(weights: NamedWeight[]): tfl.Sequential {
  const net = tfl.sequential();
  net.add(tfl.layers.dense({ inputShape: [784], units: 300, activation: 'relu' }));
  net.add(tfl.layers.dense({ units: 100, activation: 'relu' }));
  net.add(tfl.layers.dense({ units: 10 }));
  net.setWeights(weights.map((w) => tf.tensor(w.values, w.shape)));
  return net;
}

interface Row {
  case: string;
  subnormalWeights: number;
  slimtrainMs: number;
  tfjsWasmMs: number | null;
}

export async function main(args: string[]): Promise<void> {
  const options = parseBenchOptions(args, { files: true });
  const threads = options.threads[options.threads.length - 1];
  const rounds = options.quick ? 2 : 6;
  const share = 0.1;
  const { test, train } = loadMnist({ limit: 10000, testLimit: options.quick ? 2000 : 10000 });
  const engine = await init({ threads });
  const tfjs = await setUpTfjs(1);
  const generator = new Random(7);
  const random = () => generator.uniform(0, 1);
  const spec = presetSpec('lenet-300-100', [784], 10, 1);
  const fresh = Sequential.build(engine, spec);
  const clean = fresh.getWeights();
  fresh.dispose();
  const tail = decayed(clean, share, train.x, random);
  const cases: [string, NamedWeight[]][] = [['clean weights', clean], [`decayed: ${share * 100}% of the hidden kernels and the blank pixels' rows`, tail], ['the same, subnormals flushed', flushed(tail)]];
  const x = tf.tensor2d(test.x, [test.x.length / 784, 784]);

  // Prediction: one model per case and library, timed in turns.
  const ours = cases.map(([, w]) => {
    const m = Sequential.build(engine, spec);
    m.setWeights(w);
    return m;
  });
  const theirs = cases.map(([, w]) => tfjsNet(w));
  const best = { ours: cases.map(() => Infinity), theirs: cases.map(() => Infinity) };
  for (let r = 0; r < rounds; r++) {
    cases.forEach((_, i) => {
      let t = performance.now();
      ours[i].predict(test.x);
      best.ours[i] = Math.min(best.ours[i], performance.now() - t);
      t = performance.now();
      runTfjsOp(() => theirs[i].predict(x) as tf.Tensor);
      best.theirs[i] = Math.min(best.theirs[i], performance.now() - t);
    });
    logProgress(`bench:subnormal: prediction round ${r + 1}/${rounds}`);
  }
  const samples = test.x.length / 784;
  const rows: Row[] = cases.map(([name, w], i) => ({
    case: name, subnormalWeights: subnormalCount(w), slimtrainMs: best.ours[i] / samples * 1000, tfjsWasmMs: best.theirs[i] / samples * 1000,
  }));
  for (const m of ours) m.dispose();
  for (const n of theirs) n.dispose();
  x.dispose();

  // Training from the decayed weights (or a checkpoint's state), with and without the chain's flush.
  const steps = options.quick ? 20 : 100;
  const batch = 100;
  const backend = engine.backend;
  const { flushSubnormals, adamUpdate } = backend;
  const train1 = async (on: boolean, checkpoint: Uint8Array | null): Promise<number> => {
    const m = Sequential.build(engine, spec);
    m.compile({ optimizer: OPTIMIZER, loss: 'crossEntropy' });
    if (checkpoint) restoreCheckpoint(m, checkpoint);
    else m.setWeights(tail);
    if (!on) {
      // No flush anywhere: the chain's pass is a no-op and Adam stores its results as computed.
      backend.flushSubnormals = () => {};
      backend.adamUpdate = (w, g, mo, v, n, stepSize, beta1, beta2, eps, denomScale, decay) =>
        adamUpdate(w, g, mo, v, n, stepSize, beta1, beta2, eps, denomScale, decay, 'none');
    }
    try {
      const t = performance.now();
      await m.fit(train.x.subarray(0, steps * batch * 784), train.y.subarray(0, steps * batch), { epochs: 1, batchSize: batch, seed: 1 });
      return (performance.now() - t) / 1000;
    } finally {
      Object.assign(backend, { flushSubnormals, adamUpdate });
      m.dispose();
    }
  };
  const sources: [string, Uint8Array | null][] = [['the decayed weights, fresh Adam state', null], ...options.files.map((f): [string, Uint8Array] => [f, new Uint8Array(readFileSync(f))])];
  const training = [];
  for (const [source, bytes] of sources) {
    const seconds = { on: Infinity, off: Infinity };
    for (let r = 0; r < Math.max(2, rounds / 2); r++) {
      seconds.off = Math.min(seconds.off, await train1(false, bytes));
      seconds.on = Math.min(seconds.on, await train1(true, bytes));
      logProgress(`bench:subnormal: training from ${source}, round ${r + 1}`);
    }
    training.push({
      source, steps, batch,
      withoutFlushSamplesPerSecond: (steps * batch) / seconds.off,
      withFlushSamplesPerSecond: (steps * batch) / seconds.on,
      speedup: seconds.off / seconds.on,
    });
  }
  engine.dispose();

  if (options.json) {
    process.stdout.write(`${JSON.stringify({ bench: 'subnormal', threads, tfjs: tfjs.version, share, prediction: rows, training }, null, 2)}\n`);
    return;
  }
  const cleanRow = rows[0];
  process.stdout.write(`bench:subnormal: LeNet-300-100, MNIST test images, ${threads} thread(s); tfjs ${tfjs.version} wasm (simd ${tfjs.wasmSimd}); fastest of ${rounds} rounds\n\n`);
  process.stdout.write(`${formatTable(
    [{ header: 'weights' }, { header: 'subnormal weights', align: 'right' }, { header: 'slimtrain us/sample', align: 'right' }, { header: 'vs clean', align: 'right' },
      { header: 'tfjs wasm us/sample', align: 'right' }, { header: 'vs clean', align: 'right' }],
    rows.map((r) => [r.case, String(r.subnormalWeights), r.slimtrainMs.toFixed(1), `${(r.slimtrainMs / cleanRow.slimtrainMs).toFixed(2)}x`,
      r.tfjsWasmMs!.toFixed(1), `${(r.tfjsWasmMs! / cleanRow.tfjsWasmMs!).toFixed(2)}x`]),
  )}\n\n`);
  process.stdout.write(`training (Adam + coupled L2 1e-4 + Group-HS 3e-4, batch ${batch}, ${steps} steps), samples/s:\n\n${formatTable(
    [{ header: 'from' }, { header: 'without the flush', align: 'right' }, { header: 'with it', align: 'right' }, { header: 'speedup', align: 'right' }],
    training.map((t) => [t.source, String(Math.round(t.withoutFlushSamplesPerSecond)), String(Math.round(t.withFlushSamplesPerSecond)), `${t.speedup.toFixed(2)}x`]),
  )}\n`);
}

import { beforeAll, describe, expect, it } from 'vitest';
import { init, type Engine } from '../../src/backend/engine.js';
import { ArgumentError } from '../../src/errors.js';
import { encodeCheckpoint } from '../../src/io/checkpoint.js';
import type { LayerSpec } from '../../src/layers/layer.js';
import { Sequential, type ModelSpec } from '../../src/model/sequential.js';
import { adam, sgd } from '../../src/optim/optimizers.js';
import { chain } from '../../src/optim/transform.js';
import { weightMask } from '../../src/prune/mask.js';
import { reduceInPlace } from '../../src/reduce/live.js';
import { zeroRemovedGroups } from '../../src/reduce/reduce.js';
import { l2 } from '../../src/regularize/coupled.js';
import { rng, uniform } from '../support/random.js';
import { expectSamePredictions, killUnits, randomizeNonKernels } from '../support/reduction.js';

/** Zeroes everything unit k of a dense layer reads and feeds: a unit no gradient can revive (dead and unused). */
function silence(model: Sequential, layer: string, next: string, units: number[]): void {
  killUnits(model, layer, units);
  const kernel = model.getWeights().find((w) => w.name === `${next}/kernel`)!;
  const cols = kernel.shape[1];
  for (const k of units) kernel.values.fill(0, k * cols, (k + 1) * cols);
  const bias = model.getWeights().find((w) => w.name === `${layer}/bias`)!;
  for (const k of units) bias.values[k] = 0;
  model.setWeights({ [kernel.name]: kernel.values, [bias.name]: bias.values });
}

/** n samples of a small classification task: labels from a random linear teacher. */
function task(inputs: number, classes: number, n: number, seed: number): { x: Float32Array; y: Int32Array } {
  const x = uniform(rng(seed), n * inputs, -1, 1);
  const w = uniform(rng(seed + 1), inputs * classes, -1, 1);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bestScore = -Infinity;
    for (let c = 0; c < classes; c++) {
      let s = 0;
      for (let j = 0; j < inputs; j++) s += x[i * inputs + j] * w[j * classes + c];
      if (s > bestScore) [best, bestScore] = [c, s];
    }
    y[i] = best;
  }
  return { x, y };
}

const MLP: ModelSpec = {
  inputShape: [12], seed: 4,
  layers: [{ type: 'dense', units: 16 }, { type: 'batchNorm' }, { type: 'relu' }, { type: 'dense', units: 10 }, { type: 'relu' }, { type: 'dense', units: 3 }],
};

function copyOf(model: Sequential): Sequential {
  const copy = model.derive(model.toSpec());
  copy.setWeights(model.getWeights());
  return copy;
}

function weightsOf(model: Sequential): Record<string, number[]> {
  return Object.fromEntries(model.getWeights().map((w) => [w.name, Array.from(w.values)]));
}

describe('live reduction: dead units leave the network during fit', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await init({ threads: 1 });
  });

  const CASES: [string, number[], LayerSpec[], Record<string, number[]>][] = [
    ['dense -> batchNorm -> relu -> dense -> relu -> dense', MLP.inputShape, MLP.layers, { dense_1: [1, 5, 6], dense_2: [0, 9] }],
    [
      'conv -> batchNorm -> relu -> maxPool -> conv -> relu -> flatten -> dense',
      [8, 8, 2],
      [
        { type: 'conv2d', filters: 5, kernelSize: 3 }, { type: 'batchNorm' }, { type: 'relu' }, { type: 'maxPool2d' },
        { type: 'conv2d', filters: 4, kernelSize: 2 }, { type: 'relu' }, { type: 'flatten' }, { type: 'dense', units: 3 },
      ],
      { conv2d_1: [0, 3], conv2d_2: [2] },
    ],
  ];

  it.each(CASES)('%s: at the cut, the model predicts what the unreduced one does with the removed groups zeroed, and trains on', async (_name, inputShape, layers, kill) => {
    const model = Sequential.build(engine, { inputShape, layers, seed: 2 });
    model.compile({ optimizer: chain(l2({ lambda: 1e-4 }), adam({ lr: 1e-3 })) });
    const { x, y } = task(model.inputSize, 3, 64, 7);
    await model.fit(x, y, { epochs: 1, batchSize: 16 });
    randomizeNonKernels(model, 5); // nonzero constants for the dead units to fold
    for (const [layer, units] of Object.entries(kill)) killUnits(model, layer, units);
    const before = copyOf(model);
    const parameters = model.parameterCount;
    const cut = reduceInPlace(model, { xi: 1e-6 });
    expect(cut).not.toBeNull();
    for (const [layer, units] of Object.entries(kill)) {
      expect(cut!.record.layers.find((l) => l.layer === layer)!.removed.map((r) => r.unit).sort()).toEqual(units);
    }
    expect(cut!.parameters).toEqual({ before: parameters, after: model.parameterCount });
    expect(model.parameterCount).toBeLessThan(parameters);
    const reference = zeroRemovedGroups(before, cut!.record);
    expectSamePredictions(model, reference, uniform(rng(3), 9 * model.inputSize, -1, 1), 'after the cut');
    // The same object trains on, evaluates and checkpoints as the smaller network.
    const history = await model.fit(x, y, { epochs: 1, batchSize: 16 });
    expect(Number.isFinite(history.epochs[0].loss)).toBe(true);
    expect(history.epochs[0].parameters).toBe(model.parameterCount);
    expect(model.reducedFrom?.layers).toEqual(before.toSpec().layers);
    expect(encodeCheckpoint(model).length).toBeGreaterThan(0);
    for (const m of [before, reference, model]) m.dispose();
  });

  it("carries Adam's moments to the kept units: training on matches the unreduced model's kept weights", async () => {
    // Silenced units get no gradient and stay exactly zero, so the unreduced model's other weights
    // follow the same updates as the reduced model's, if the moments moved with their weights.
    const build = () => {
      const m = Sequential.build(engine, MLP);
      silence(m, 'dense_1', 'dense_2', [2, 3, 11]);
      m.compile({ optimizer: chain(l2({ lambda: 1e-3 }), adam({ lr: 1e-2 })) });
      return m;
    };
    const { x, y } = task(12, 3, 96, 1);
    const full = build();
    const live = build();
    const options = { epochs: 4, batchSize: 16, shuffle: true, seed: 3 };
    await full.fit(x, y, options);
    const history = await live.fit(x, y, { ...options, reduce: { everySteps: 5, xi: 1e-6 } });
    expect(history.reductions.map((c) => [c.step, c.removed])).toEqual([[5, 3]]);
    expect(live.layers[0].toSpec().units).toBe(13);
    // The reduced model's weights are the unreduced model's with the silenced rows and columns taken out.
    const kept = history.reductions[0].record.layers[0].kept;
    const fullWeights = weightsOf(full);
    const got = weightsOf(live);
    const k1 = fullWeights['dense_1/kernel'];
    const want = Array.from({ length: 12 * kept.length }, (_, i) => k1[Math.floor(i / kept.length) * 16 + kept[i % kept.length]]);
    const diff = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));
    expect(diff(got['dense_1/kernel'], want)).toBeLessThan(1e-5);
    const k2 = fullWeights['dense_2/kernel'];
    expect(diff(got['dense_2/kernel'], kept.flatMap((r) => k2.slice(r * 10, (r + 1) * 10)))).toBeLessThan(1e-5);
    expect(diff(got['dense_3/kernel'], fullWeights['dense_3/kernel'])).toBeLessThan(1e-5);
    for (const m of [full, live]) m.dispose();
  });

  it('moves a pruning mask with its weights', () => {
    const model = Sequential.build(engine, MLP);
    const mask = weightMask();
    model.compile({ optimizer: chain(mask, adam()) });
    const m1 = new Float32Array(12 * 16).map((_, i) => (i % 3 === 0 ? 0 : 1));
    mask.set({ 'dense_1/kernel': m1 });
    silence(model, 'dense_1', 'dense_2', [4]);
    const cut = reduceInPlace(model, { xi: 1e-6 })!;
    const kept = cut.record.layers[0].kept;
    expect(kept).not.toContain(4);
    const want = Array.from({ length: 12 * 15 }, (_, i) => m1[Math.floor(i / 15) * 16 + kept[i % 15]]);
    expect(Array.from(mask.get('dense_1/kernel'))).toEqual(want);
    model.dispose();
  });

  it('checkpoints the current architecture; resuming after a cut is bit-identical to the run that never stopped', async () => {
    const { x, y } = task(12, 3, 80, 2);
    const fresh = () => {
      const m = Sequential.build(engine, MLP);
      silence(m, 'dense_1', 'dense_2', [0, 7]);
      m.compile({ optimizer: chain(l2({ lambda: 1e-4 }), adam({ lr: 5e-3 })) });
      return m;
    };
    const options = { epochs: 3, batchSize: 16, reduce: { everyEpochs: 1, xi: 1e-6 } };
    const whole = fresh();
    const wholeHistory = await whole.fit(x, y, options);
    expect(wholeHistory.reductions.length).toBeGreaterThan(0);

    let saved: Uint8Array | null = null;
    const interrupted = fresh();
    await interrupted.fit(x, y, {
      ...options,
      checkpoint: { everySteps: 7, save: (bytes, at) => { if (at.step === 7) saved = bytes; } },
      onBatchEnd: () => (interrupted.step === 8 ? 'stop' : undefined),
    });
    expect(saved).not.toBeNull();
    const resumed = fresh(); // the original architecture: the checkpoint reshapes it
    const resumedHistory = await resumed.fit(x, y, { ...options, resume: saved! });
    expect(resumed.toSpec()).toEqual(whole.toSpec());
    expect(weightsOf(resumed)).toEqual(weightsOf(whole));
    expect(resumedHistory.reductions.map((c) => c.step)).toEqual(wholeHistory.reductions.map((c) => c.step));
    for (const m of [whole, interrupted, resumed]) m.dispose();
  });

  it('gives the same bits at 1 and 2 threads', async () => {
    const { x, y } = task(12, 3, 64, 5);
    const run = async (threads: number) => {
      const e = await init({ threads });
      const m = Sequential.build(e, MLP);
      silence(m, 'dense_1', 'dense_2', [3, 9]);
      m.compile({ optimizer: chain(l2({ lambda: 1e-4 }), adam({ lr: 5e-3 })) });
      await m.fit(x, y, { epochs: 2, batchSize: 16, reduce: { everySteps: 3, xi: 1e-6 } });
      const w = weightsOf(m);
      m.dispose();
      return w;
    };
    expect(await run(2)).toEqual(await run(1));
  });

  it('early stopping restores the best weights in the architecture they were taken in', async () => {
    const { x, y } = task(12, 3, 64, 3);
    const model = Sequential.build(engine, MLP);
    silence(model, 'dense_1', 'dense_2', [1]);
    model.compile({ optimizer: chain(l2({ lambda: 1e-4 }), sgd({ lr: 0.05 })) });
    let bestSpec: ModelSpec | null = null;
    let best: Record<string, number[]> = {};
    const history = await model.fit(x, y, {
      epochs: 4, batchSize: 16, shuffle: false, reduce: { everyEpochs: 1, xi: 1e-6 },
      earlyStopping: { monitor: 'loss', patience: 0, restoreBestWeights: true },
      callbacks: {
        onEpochEnd: (epoch) => {
          if (epoch === 0) [bestSpec, best] = [model.toSpec(), weightsOf(model)];
        },
        onEpochBegin: (epoch) => {
          if (epoch !== 1) return;
          // Epoch 1 is made worse (large noise), and a second unit is silenced for the next cut.
          const noisy: Record<string, Float32Array> = {};
          for (const w of model.getWeights()) if (w.name.endsWith('kernel')) noisy[w.name] = w.values.map((v, i) => v + (v === 0 ? 0 : 3 * Math.sin(i)));
          model.setWeights(noisy);
          silence(model, 'dense_1', 'dense_2', [0]);
        },
      },
    });
    expect(history.stoppedEarly).toBe(true);
    expect(history.reductions.map((c) => [c.epoch, c.removed])).toEqual([[1, 1], [2, 1]]);
    expect(model.toSpec()).toEqual(bestSpec);
    expect(weightsOf(model)).toEqual(best);
    expect(model.predict(x.subarray(0, 24)).every(Number.isFinite)).toBe(true);
    model.dispose();
  });

  it('refuses a bad reduce option by name before training', async () => {
    const model = Sequential.build(engine, MLP);
    model.compile({ optimizer: adam() });
    const { x, y } = task(12, 3, 16, 1);
    const bad: [unknown, RegExp][] = [
      [{}, /reduce.*exactly one of everyEpochs and everySteps/],
      [{ everyEpochs: 1, everySteps: 2 }, /exactly one of everyEpochs and everySteps/],
      [{ everyEpochs: 0 }, /reduce\.everyEpochs/],
      [{ everySteps: 1.5 }, /reduce\.everySteps/],
      [{ everyEpochs: 1, xi: -1 }, /reduce\.xi/],
      [{ everyEpochs: 1, xi: Number.NaN }, /reduce\.xi/],
      [{ everyEpochs: 1, every: 2 }, /every/],
      [3, /reduce/],
    ];
    for (const [value, message] of bad) {
      await expect(model.fit(x, y, { reduce: value as never }), JSON.stringify(value)).rejects.toThrow(ArgumentError);
      await expect(model.fit(x, y, { reduce: value as never })).rejects.toThrow(message);
    }
    expect(model.step).toBe(0);
    model.dispose();
  });

  it('keeps one unit of a layer whose every unit is dead', () => {
    const model = Sequential.build(engine, MLP);
    model.compile({ optimizer: adam() });
    killUnits(model, 'dense_2', Array.from({ length: 10 }, (_, i) => i));
    const before = copyOf(model);
    const cut = reduceInPlace(model, { xi: 1e-6 })!;
    expect(model.layers[3].toSpec().units).toBe(1);
    expectSamePredictions(model, zeroRemovedGroups(before, cut.record), uniform(rng(1), 5 * 12, -1, 1), 'one unit kept');
    model.dispose();
    before.dispose();
  });
});

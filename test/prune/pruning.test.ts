import { beforeAll, describe, expect, it } from 'vitest';
import { init, type Engine } from '../../src/backend/engine.js';
import { Sequential, type ModelSpec } from '../../src/model/sequential.js';
import { adam, momentum, rmsprop } from '../../src/optim/optimizers.js';
import { chain } from '../../src/optim/transform.js';
import { pruneAndFineTune } from '../../src/prune/fine_tune.js';
import { iterativePruning } from '../../src/prune/iterative.js';
import { magnitudePrune } from '../../src/prune/magnitude.js';
import { weightMask } from '../../src/prune/mask.js';
import { selectiveDecay } from '../../src/regularize/selective.js';
import { rng, uniform } from '../support/random.js';

const SPEC: ModelSpec = {
  inputShape: [12],
  layers: [{ type: 'dense', units: 32 }, { type: 'relu' }, { type: 'dense', units: 3 }],
  seed: 7,
};

/** Three classes from a random linear teacher on 12 features: learnable, and hurt by over-pruning. */
function teacherData(n: number, seed: number): { x: Float32Array; y: Int32Array } {
  const random = rng(seed);
  const teacher = uniform(rng(99), 12 * 3);
  const x = uniform(random, n * 12);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bestScore = -Infinity;
    for (let c = 0; c < 3; c++) {
      let s = 0;
      for (let f = 0; f < 12; f++) s += x[i * 12 + f] * teacher[f * 3 + c];
      if (s > bestScore) (bestScore = s), (best = c);
    }
    y[i] = best;
  }
  return { x, y };
}

describe('magnitude pruning and masks', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await init();
  });

  function model(): Sequential {
    return Sequential.build(engine, SPEC);
  }
  const kernelValues = (m: Sequential, name: string) => m.params.values(m.params.tensor(name));

  it('by threshold, by std multiple (per tensor and global) and by fraction (exact counts, ties by position)', () => {
    const m = model();
    const k1 = kernelValues(m, 'dense_1/kernel');
    const k2 = kernelValues(m, 'dense_2/kernel');
    // Distinct magnitudes 1..384 for dense_1 (12x32) and 1..96 / 100 for dense_2 (32x3).
    k1.set(Float32Array.from({ length: 384 }, (_, i) => ((i % 2 ? -1 : 1) * (i + 1)) / 100));
    k2.set(Float32Array.from({ length: 96 }, (_, i) => (i + 1) / 1000));
    const byThreshold = magnitudePrune(m, { threshold: 0.05 });
    // dense_1: 0.01..0.04 (4); dense_2: every value < 0.05 except 0.05..0.096 (49 below).
    expect(byThreshold.removed).toBe(4 + 49);
    expect(byThreshold.tensors).toEqual([{ name: 'dense_1/kernel', kept: 380, total: 384 }, { name: 'dense_2/kernel', kept: 47, total: 96 }]);
    expect(k1[3]).toBe(0);
    expect(k1[4]).not.toBe(0);
    m.dispose();

    const s = model();
    const w = Float32Array.from({ length: 384 }, (_, i) => (i - 191.5) / 100);
    kernelValues(s, 'dense_1/kernel').set(w);
    kernelValues(s, 'dense_2/kernel').fill(0.5);
    const mean = w.reduce((a, b) => a + b, 0) / w.length;
    const std = Math.sqrt(w.reduce((a, b) => a + (b - mean) ** 2, 0) / w.length);
    const expected = w.filter((v) => Math.abs(v) < 0.25 * std).length;
    const perTensor = magnitudePrune(s, { stdMultiple: 0.25 });
    expect(perTensor.removed).toBe(expected); // dense_2 is constant: std 0, nothing below 0
    s.dispose();

    const f = model();
    kernelValues(f, 'dense_1/kernel').set(Float32Array.from({ length: 384 }, (_, i) => (i % 4) + 1)); // ties: 96 of each of 1, 2, 3, 4
    kernelValues(f, 'dense_2/kernel').set(Float32Array.from({ length: 96 }, () => 2.5));
    const global = magnitudePrune(f, { fraction: 0.25, scope: 'global' });
    expect(global.removed).toBe(120); // round(0.25 * 480): all 96 ones, then 24 twos, earliest first
    const v = kernelValues(f, 'dense_1/kernel');
    expect(Array.from(v.subarray(0, 8))).toEqual([0, 0, 3, 4, 0, 0, 3, 4]);
    expect(v.filter((x) => x === 2).length).toBe(96 - 24);
    // A second call takes the fraction of what is left: 0.5 * 360 = 180.
    expect(magnitudePrune(f, { fraction: 0.5, scope: 'global' }).removed).toBe(180);
    expect(() => magnitudePrune(f, { fraction: 0.5, threshold: 1 })).toThrow(/exactly one of threshold, stdMultiple, fraction/);
    expect(() => magnitudePrune(f, { fraction: 1.5 })).toThrow(/magnitudePrune.fraction = 1.5/);
    f.dispose();
  });

  it('masks hold pruned weights at exactly zero through momentum, RMSprop and Adam, moments included', async () => {
    const { x, y } = teacherData(256, 1);
    for (const make of [() => adam({ lr: 1e-2 }), () => momentum({ lr: 0.05 }), () => rmsprop({ lr: 1e-2 })]) {
      const m = model();
      const mask = weightMask();
      m.compile({ optimizer: chain(make(), mask), loss: 'crossEntropy' });
      await m.fit(x, y, { epochs: 1, batchSize: 32 });
      const result = magnitudePrune(m, { fraction: 0.5, scope: 'global' });
      expect(result.kept).toBe(result.total - 240);
      const pruned = mask.get('dense_1/kernel');
      const t = m.params.tensor('dense_1/kernel');
      // The optimizer's state for pruned weights is zero right after pruning.
      for (const region of m.optimizer!.optimizer.stateRegions()) {
        const state = engine.arena.f32(region.ptr + t.offset * 4, t.size);
        for (let i = 0; i < t.size; i++) if (pruned[i] === 0) expect(Math.abs(state[i]), region.name).toBe(0);
      }
      await m.fit(x, y, { epochs: 2, batchSize: 32 });
      const after = kernelValues(m, 'dense_1/kernel');
      let moved = 0;
      for (let i = 0; i < t.size; i++) {
        if (pruned[i] === 0) expect(Math.abs(after[i])).toBe(0);
        else if (after[i] !== 0) moved++;
      }
      expect(moved).toBeGreaterThan(100);
      expect(mask.count()).toEqual({ kept: result.kept, total: result.total });
      m.dispose();
    }
  });

  it('prune then fine-tune: the pruned weights stay zero and accuracy recovers', async () => {
    const { x, y } = teacherData(1024, 2);
    const test = teacherData(512, 3);
    const m = model();
    m.compile({ optimizer: chain(adam({ lr: 1e-2 })), loss: 'crossEntropy' });
    await m.fit(x, y, { epochs: 8, batchSize: 32 });
    const dense = m.evaluate(test.x, test.y).accuracy;
    const { pruned } = await pruneAndFineTune(m, x, y, { prune: { fraction: 0.6, scope: "global" }, optimizer: adam({ lr: 3e-3 }), fit: { epochs: 8, batchSize: 32 } });
    expect(pruned.kept).toBe(480 - Math.round(0.6 * 480));
    let nonzero = 0;
    for (const name of ['dense_1/kernel', 'dense_2/kernel']) nonzero += kernelValues(m, name).filter((v) => v !== 0).length;
    expect(nonzero).toBeLessThanOrEqual(pruned.kept);
    const tuned = m.evaluate(test.x, test.y).accuracy;
    expect(dense).toBeGreaterThan(0.85);
    expect(tuned).toBeGreaterThan(dense - 0.05);
    m.dispose();
  });

  it('iterative pruning prunes while validation accuracy holds the floor, stops on patience and restores the best checkpoint', async () => {
    const { x, y } = teacherData(2048, 4);
    const m = model();
    const mask = weightMask();
    m.compile({ optimizer: chain(selectiveDecay({ gamma: 1e-3, decaySteps: 16 }), adam({ lr: 1e-2 }), mask), loss: 'crossEntropy' });
    const result = await iterativePruning(m, x, y, { validationSplit: 0.25, interval: 16, fraction: 0.2, floor: 0.9, patience: 6, epochs: 60, batchSize: 32 });
    const best = result.best!;
    expect(best).not.toBeNull();
    expect(result.stoppedBy).toBe('patience');
    // It pruned many times (each prune keeps 80%), went below the floor, then could not recover.
    const prunes = result.evaluations.filter((e) => e.pruned);
    expect(prunes.length).toBeGreaterThan(5);
    expect(best.remaining).toBeLessThan(0.8 ** 5);
    expect(result.evaluations.some((e) => e.valAccuracy < 0.9)).toBe(true);
    // Every evaluation that met the floor had at least the best's remaining fraction.
    for (const e of prunes) expect(e.remaining).toBeGreaterThanOrEqual(best.remaining);
    expect(best.valAccuracy).toBeGreaterThanOrEqual(0.9);
    // The model now is the best checkpoint: its mask and its validation accuracy.
    expect(mask.count()).toEqual({ kept: best.kept, total: best.total });
    const validation = { x: x.subarray(1536 * 12), y: y.slice(1536) };
    expect(m.evaluate(validation.x, validation.y, { batchSize: 256 }).accuracy).toBe(best.valAccuracy);
    m.dispose();
  });

  it('iterative pruning: warmupEpochs train plainly first; a selector with biases prunes (and counts) them too', async () => {
    const { x, y } = teacherData(512, 6);
    const m = model();
    const mask = weightMask();
    m.compile({ optimizer: chain(adam({ lr: 1e-2 }), mask), loss: 'crossEntropy' });
    const all = { kinds: ['kernel', 'bias'] as ('kernel' | 'bias')[] };
    const steps = 384 / 32;
    const result = await iterativePruning(m, x, y, { validationSplit: 0.25, interval: 4, fraction: 0.2, floor: 0, patience: 0, epochs: 5, warmupEpochs: 2, batchSize: 32, selector: all });
    // No evaluation in the first two epochs (12 steps each), then one every 4 steps: 3 epochs x 3.
    expect(result.evaluations.map((e) => e.step)).toEqual(Array.from({ length: 9 }, (_, i) => 2 * steps + 4 * (i + 1)));
    expect(result.evaluations.every((e) => e.epoch >= 2 && e.pruned)).toBe(true);
    // The floor 0 is always met: 9 prunes of 20% of what is left, ranked over kernels and biases
    // together. The best (sparsest at the floor) is the last evaluation's model, before its own
    // prune: 8 prunes in. It is restored, masks included.
    const total = m.params.select(all).reduce((n, t) => n + t.size, 0);
    let before = total;
    for (let i = 0; i < 8; i++) before -= Math.round(0.2 * before);
    expect(result.best).toMatchObject({ kept: before, total });
    expect(mask.count(all)).toEqual({ kept: before, total });
    expect(m.params.select({ kinds: ['bias'] }).some((t) => mask.get(t.name).includes(0))).toBe(true);
    await expect(iterativePruning(m, x, y, { validationSplit: 0.25, interval: 4, floor: 0.5, epochs: 2, warmupEpochs: 2 })).rejects.toThrow(/^iterativePruning.warmupEpochs = 2: expected fewer than the 2 epochs, else the loop never evaluates/);
    m.dispose();
  });

  it('iterative pruning asks for a weight mask in the chain and for validation rows', async () => {
    const { x, y } = teacherData(64, 5);
    const m = model();
    m.compile({ optimizer: chain(adam()), loss: 'crossEntropy' });
    await expect(iterativePruning(m, x, y, { validationSplit: 0.25, interval: 4, floor: 0.5, epochs: 1 })).rejects.toThrow(/a chain with a weightMask\(\)/);
    m.compile({ optimizer: chain(adam(), weightMask()), loss: 'crossEntropy' });
    await expect(iterativePruning(m, x, y, { interval: 4, floor: 0.5, epochs: 1 })).rejects.toThrow(/validationData or validationSplit/);
    m.dispose();
  });
});

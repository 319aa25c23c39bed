import { beforeAll, describe, expect, it, vi } from 'vitest';
import { init, type Engine } from '../../src/backend/engine.js';
import { imageAugmentation } from '../../src/data/augment.js';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/io/checkpoint.js';
import { ModelFileError } from '../../src/io/container.js';
import { modelFromCheckpoint } from '../../src/io/model_file.js';
import { Sequential, type ModelSpec } from '../../src/model/sequential.js';
import { adam, sgd } from '../../src/optim/optimizers.js';
import { chain } from '../../src/optim/transform.js';
import { magnitudePrune } from '../../src/prune/magnitude.js';
import { weightMask } from '../../src/prune/mask.js';
import { selectiveDecay } from '../../src/regularize/selective.js';
import type { FitOptions } from '../../src/train/fit.js';
import { rng, uniform } from '../support/random.js';

// Everything that carries state across steps: batch norm statistics, dropout's generator, Adam's
// moments, a cosine schedule's position, pruning masks, selective decay's schedule, augmentation's
// generator, the shuffle order, and early stopping's best weights.
const spec = (seed: number): ModelSpec => ({
  inputShape: [8, 8, 1],
  layers: [
    { type: 'conv2d', filters: 4, kernelSize: 3 }, { type: 'batchNorm' }, { type: 'relu' }, { type: 'maxPool2d' },
    { type: 'flatten' }, { type: 'dropout', rate: 0.3 }, { type: 'dense', units: 10 }, { type: 'relu' }, { type: 'dense', units: 3 },
  ],
  seed,
});

const bits = (m: Sequential) => m.getWeights().map((w) => Buffer.from(w.values.buffer, w.values.byteOffset, w.values.byteLength).toString('hex')).join('');

describe('checkpoints', () => {
  let engine: Engine;
  const x = uniform(rng(1), 120 * 64, 0, 1);
  const y = Int32Array.from({ length: 120 }, (_, i) => (x[i * 64 + 9] > 0.5 ? 1 : 0) + (x[i * 64 + 30] > 0.7 ? 1 : 0));
  beforeAll(async () => {
    engine = await init();
  });

  function model(seed = 1): Sequential {
    const m = Sequential.build(engine, spec(seed));
    m.compile({
      optimizer: chain(selectiveDecay({ gamma: 1e-3, decaySteps: 9 }), adam({ lr: { type: 'cosine', initial: 0.01, totalSteps: 40, warmupSteps: 3 } }), weightMask()),
      loss: 'crossEntropy',
    });
    magnitudePrune(m, { fraction: 0.3 });
    return m;
  }
  const options = (): FitOptions => ({
    epochs: 4, batchSize: 16, validationSplit: 0.2, seed: 7,
    augment: imageAugmentation({ shape: [8, 8, 1], padding: 1, flip: true }),
    earlyStopping: { patience: 10, restoreBestWeights: true },
  });

  it('resuming from a checkpoint inside an epoch or at its end gives weights bit-identical to an uninterrupted run', async () => {
    const a = model();
    const full = await a.fit(x, y, options());
    const want = bits(a);

    for (const every of [{ everySteps: 5 }, { everyEpochs: 1 }] as const) {
      const b = model();
      const saved: { bytes: Uint8Array; step: number }[] = [];
      // Interrupted after step 13 (inside epoch 2 of 4), as a crash would.
      await b.fit(x, y, { ...options(), checkpoint: { ...every, save: (bytes, at) => void saved.push({ bytes, step: at.step }) }, onBatchEnd: () => (b.step >= 13 ? 'stop' : undefined) });
      const last = saved[saved.length - 1];
      expect(last.step).toBe('everySteps' in every ? 10 : 12);
      // A fresh model with other initial weights and masks: everything must come from the checkpoint.
      const c = model(99);
      const resumed = await c.fit(x, y, { ...options(), resume: last.bytes });
      expect(bits(c), JSON.stringify(every)).toBe(want);
      expect(resumed.epochs.map((e) => e.loss)).toEqual(full.epochs.map((e) => e.loss));
      expect(resumed.epochs.map((e) => e.valAccuracy)).toEqual(full.epochs.map((e) => e.valAccuracy));
      expect(c.step).toBe(a.step);
      b.dispose();
      c.dispose();
    }
    a.dispose();
  });

  it("a resumed fit's rate and ETA count only its own steps: a step that takes 1 s gives 16 rows/s and 1 s per step left", async () => {
    // A fake clock that moves 1 s at every batch: the only time that passes is the batches'.
    let clock = 0;
    const now = vi.spyOn(performance, 'now').mockImplementation(() => clock);
    try {
      const tick = { onBatchBegin: () => void (clock += 1000) };
      const a = model();
      const saved: Uint8Array[] = [];
      await a.fit(x, y, { ...options(), callbacks: tick, checkpoint: { everySteps: 10, save: (bytes) => void saved.push(bytes) }, onBatchEnd: () => (a.step >= 11 ? 'stop' : undefined) });
      // 96 training rows in batches of 16: 6 steps per epoch, 24 in all; the checkpoint at step 10
      // is inside epoch 1 (batch 4 next).
      expect(saved).toHaveLength(1);
      const b = model(99);
      const seen: { position: number; eta: number; rate: number }[] = [];
      const resumed = await b.fit(x, y, {
        ...options(), callbacks: tick, resume: saved[0],
        onBatchEnd: (p) => void seen.push({ position: p.epoch * 6 + p.batch + 1, eta: p.eta, rate: p.samplesPerSecond }),
      });
      expect(seen.map((s) => s.position)).toEqual(Array.from({ length: 14 }, (_, i) => 11 + i));
      for (const s of seen) {
        expect(s.eta).toBeCloseTo(24 - s.position, 9);
        expect(s.rate).toBeCloseTo(16, 9);
      }
      expect(resumed.epochs.map((e) => [e.epoch, e.seconds, e.samplesPerSecond])).toEqual([[0, expect.any(Number), expect.any(Number)], [1, 2, 16], [2, 6, 16], [3, 6, 16]]);
      a.dispose();
      b.dispose();
    } finally {
      now.mockRestore();
    }
  });

  it('a checkpoint is written after the last epoch too, and resuming that finished run ends at once with the same weights and history', async () => {
    const a = model();
    const saved: { bytes: Uint8Array; epoch: number; step: number }[] = [];
    const full = await a.fit(x, y, { ...options(), epochs: 1, checkpoint: { everyEpochs: 1, save: (bytes, at) => void saved.push({ bytes, ...at }) } });
    // One epoch of 96 training rows in batches of 16: one checkpoint, after step 6 (it was none before).
    expect(saved.map((s) => [s.epoch, s.step])).toEqual([[1, 6]]);
    const b = model(99);
    let batches = 0;
    const resumed = await b.fit(x, y, { ...options(), epochs: 1, resume: saved[0].bytes, onBatchEnd: () => void batches++ });
    expect(batches).toBe(0);
    expect(bits(b)).toBe(bits(a));
    expect(b.step).toBe(6);
    expect(resumed.epochs).toEqual(full.epochs);
    a.dispose();
    b.dispose();
  });

  it('aborting a fit with a checkpoint option saves the position reached first; resuming there matches an uninterrupted run', async () => {
    const a = model();
    await a.fit(x, y, options());
    const want = bits(a);
    const b = model();
    const controller = new AbortController();
    const saved: { bytes: Uint8Array; step: number }[] = [];
    const error = await b.fit(x, y, {
      ...options(), signal: controller.signal,
      checkpoint: { everySteps: 1000, save: (bytes, at) => void saved.push({ bytes, step: at.step }) },
      onBatchEnd: () => void (b.step === 9 && controller.abort(new Error('stop here'))),
    }).catch((e) => e);
    expect(error.message).toBe('stop here');
    // Aborted after step 9 (inside epoch 2): saved at step 9, nothing else (everySteps 1000 never fired).
    expect(saved.map((s) => s.step)).toEqual([9]);
    const c = model(99);
    await c.fit(x, y, { ...options(), resume: saved[0].bytes });
    expect(bits(c)).toBe(want);
    for (const m of [a, b, c]) m.dispose();
  });

  it('modelFromCheckpoint rebuilds and compiles the model; its continuation matches', async () => {
    const a = model();
    await a.fit(x, y, { ...options(), epochs: 2 });
    const bytes = encodeCheckpoint(a, null, { note: 'x' });
    const { model: b, manifest, cursor } = modelFromCheckpoint(engine, bytes);
    expect(cursor).toBeNull();
    expect(manifest.metadata).toEqual({ note: 'x' });
    expect(manifest.chain).toEqual(['selectiveDecay', 'weightMask', 'adam']);
    expect(bits(b)).toBe(bits(a));
    expect(b.step).toBe(a.step);
    // The same next steps from both (same optimizer state, schedule position, masks, dropout stream).
    for (const m of [a, b]) m.trainStep(x.subarray(0, 16 * 64), y.subarray(0, 16));
    expect(bits(b)).toBe(bits(a));
    a.dispose();
    b.dispose();
  });

  it('refuses a checkpoint of another model, chain, batch size or a damaged one, saying which', async () => {
    const a = model();
    const saved: Uint8Array[] = [];
    await a.fit(x, y, { ...options(), epochs: 2, checkpoint: { everyEpochs: 1, save: (bytes) => void saved.push(bytes) } });
    const bytes = saved[0];
    const other = model();
    await expect(other.fit(x, y, { ...options(), batchSize: 8, resume: bytes })).rejects.toThrow(/resume = "a checkpoint of 96 rows in batches of 16": expected the same data and batch size \(96 rows, batch 8\)/);
    const plain = Sequential.build(engine, spec(1));
    plain.compile({ optimizer: chain(sgd({ lr: 0.1 })), loss: 'crossEntropy' });
    await expect(plain.fit(x, y, { ...options(), resume: bytes })).rejects.toThrow(/taken with the chain \[selectiveDecay, weightMask, adam\], this model is compiled with \[sgd\]/);
    const wider = Sequential.build(engine, { ...spec(1), layers: spec(1).layers.map((l) => (l.type === 'dense' && l.units === 10 ? { ...l, units: 11 } : l)) });
    wider.compile({ optimizer: chain(selectiveDecay({ gamma: 1e-3 }), adam(), weightMask()), loss: 'crossEntropy' });
    await expect(wider.fit(x, y, { ...options(), resume: bytes })).rejects.toThrow(/holds a different model/);
    const damaged = bytes.slice();
    damaged[damaged.length - 100] ^= 4;
    await expect(other.fit(x, y, { ...options(), resume: damaged })).rejects.toThrow(ModelFileError);
    expect(() => decodeCheckpoint(bytes.slice(0, 40))).toThrow(/truncated/);
    expect(() => encodeCheckpoint(plain, null)).not.toThrow();
    const uncompiled = Sequential.build(engine, spec(1));
    expect(() => encodeCheckpoint(uncompiled)).toThrow(/a compiled model/);
    for (const m of [a, other, plain, wider, uncompiled]) m.dispose();
  });
});

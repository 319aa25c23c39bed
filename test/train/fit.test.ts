import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { init, type Engine } from '../../src/backend/engine.js';
import { NonFiniteLossError, Sequential, type ModelSpec } from '../../src/model/sequential.js';
import { adam, sgd } from '../../src/optim/optimizers.js';
import { chain } from '../../src/optim/transform.js';
import { l2 } from '../../src/regularize/coupled.js';
import { rng, uniform } from '../support/random.js';

/** A separable toy problem: the label is which of 3 input blocks has the largest sum. */
function toy(n: number, seed: number): { x: Float32Array; y: Int32Array } {
  const random = rng(seed);
  const x = uniform(random, n * 12, 0, 1);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const sums = [0, 1, 2].map((b) => x.subarray(i * 12 + b * 4, i * 12 + b * 4 + 4).reduce((s, v) => s + v, 0));
    y[i] = sums.indexOf(Math.max(...sums));
  }
  return { x, y };
}

const SPEC: ModelSpec = {
  inputShape: [12],
  layers: [{ type: 'dense', units: 16 }, { type: 'batchNorm' }, { type: 'relu' }, { type: 'dropout', rate: 0.1 }, { type: 'dense', units: 3 }],
  seed: 7,
};

function weightsOf(model: Sequential): Float32Array {
  const all = model.getWeights();
  const out = new Float32Array(all.reduce((s, w) => s + w.values.length, 0));
  let o = 0;
  for (const w of all) {
    out.set(w.values, o);
    o += w.values.length;
  }
  return out;
}

describe('fit', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await init();
  });

  it('learns a toy problem, with validation scores per epoch', async () => {
    const { x, y } = toy(600, 1);
    const model = Sequential.build(engine, SPEC);
    model.compile({ optimizer: chain(l2({ lambda: 1e-4 }), adam({ lr: 0.01 })), loss: 'crossEntropy' });
    const batches: number[] = [];
    const history = await model.fit(x, y, { epochs: 8, batchSize: 32, validationSplit: 0.2, onBatchEnd: (b) => batches.push(b.batch) });
    expect(history.epochs).toHaveLength(8);
    expect(batches.length).toBe(8 * Math.ceil(480 / 32));
    const last = history.epochs[7];
    expect(last.valAccuracy!).toBeGreaterThan(0.85);
    expect(last.loss).toBeLessThan(history.epochs[0].loss);
    model.dispose();
  });

  it('gives bit-identical weights for the same seed, twice in one process', async () => {
    const { x, y } = toy(200, 2);
    const runs = [];
    for (let r = 0; r < 2; r++) {
      const model = Sequential.build(engine, SPEC);
      model.compile({ optimizer: chain(l2({ lambda: 1e-3 }), adam({ lr: 0.01 })), loss: 'crossEntropy' });
      await model.fit(x, y, { epochs: 3, batchSize: 16 });
      runs.push(weightsOf(model));
      model.dispose();
    }
    expect(Buffer.from(runs[0].buffer).equals(Buffer.from(runs[1].buffer))).toBe(true);
  });

  it('gives bit-identical weights across processes', async () => {
    const script = `
      import { Sequential, chain, l2, adam } from 'slimtrain';
      const n = 200, x = new Float32Array(n * 12), y = new Int32Array(n);
      for (let i = 0; i < x.length; i++) x[i] = ((i * 2654435761) % 1000) / 1000;
      for (let i = 0; i < n; i++) y[i] = i % 3;
      const model = await Sequential.create(${JSON.stringify(SPEC)});
      model.compile({ optimizer: chain(l2({ lambda: 1e-3 }), adam({ lr: 0.01 })), loss: 'crossEntropy' });
      await model.fit(x, y, { epochs: 2, batchSize: 16 });
      const bytes = model.getWeights().flatMap((w) => Array.from(new Uint8Array(w.values.buffer)));
      let h = 2166136261; for (const b of bytes) h = Math.imul(h ^ b, 16777619) >>> 0;
      console.log(h);
    `;
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const hashes = [0, 1].map(() => execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' }).trim());
    expect(hashes[0]).toMatch(/^\d+$/);
    expect(hashes[1]).toBe(hashes[0]);
  });

  it('stops early when the monitored score stops improving', async () => {
    const { x, y } = toy(200, 3);
    const model = Sequential.build(engine, { ...SPEC, layers: SPEC.layers.filter((l) => l.type !== 'dropout') });
    // A learning rate too small to move the loss by minDelta.
    model.compile({ optimizer: sgd({ lr: 1e-9 }), loss: 'crossEntropy' });
    const history = await model.fit(x, y, { epochs: 50, batchSize: 50, shuffle: false, earlyStopping: { monitor: 'loss', patience: 2, minDelta: 1e-3 } });
    expect(history.stoppedEarly).toBe(true);
    expect(history.epochs.length).toBe(4);
    model.dispose();
  });

  it('stops between batches when aborted, keeping the weights of the last finished step', async () => {
    const { x, y } = toy(400, 4);
    const model = Sequential.build(engine, SPEC);
    model.compile({ optimizer: adam({ lr: 0.01 }), loss: 'crossEntropy' });
    const controller = new AbortController();
    const run = model.fit(x, y, {
      epochs: 5,
      batchSize: 10,
      signal: controller.signal,
      onBatchEnd: (b) => {
        if (b.epoch === 1 && b.batch === 3) controller.abort(new Error('user cancelled'));
      },
    });
    await expect(run).rejects.toThrow('user cancelled');
    expect(model.step).toBe(40 + 4);
    model.dispose();
  });

  it('a NaN/Inf loss stops training with a clear error and restores the last good weights', async () => {
    const { x, y } = toy(64, 5);
    const model = Sequential.build(engine, { inputShape: [12], layers: [{ type: 'dense', units: 8 }, { type: 'relu' }, { type: 'dense', units: 3 }], seed: 1 });
    // Absurd learning rate: the weights blow up to Inf within a few steps.
    model.compile({ optimizer: sgd({ lr: 1e30 }), loss: 'crossEntropy' });
    let good: Float32Array | null = null;
    let error: unknown = null;
    for (let i = 0; i < 20 && !error; i++) {
      const before = weightsOf(model);
      try {
        model.trainStep(x, y);
        good = before;
      } catch (e) {
        error = e;
      }
    }
    expect(error).toBeInstanceOf(NonFiniteLossError);
    expect((error as Error).message).toMatch(/loss = (NaN|Infinity) at step \d+: expected a finite loss/);
    // The restored weights are the last ones whose loss was finite: the ones before the failing step's update.
    const restored = weightsOf(model);
    expect(restored.every(Number.isFinite)).toBe(true);
    expect(good).not.toBeNull();
    expect(Array.from(restored)).toEqual(Array.from(good!));
    model.dispose();
  });

  it('keeps WebAssembly memory flat over many epochs', async () => {
    const { x, y } = toy(256, 6);
    const model = Sequential.build(engine, SPEC);
    model.compile({ optimizer: adam({ lr: 0.01 }), loss: 'crossEntropy' });
    await model.fit(x, y, { epochs: 1, batchSize: 32 });
    const inUse = engine.arena.bytesInUse;
    const size = engine.arena.byteLength;
    await model.fit(x, y, { epochs: 10, batchSize: 32 });
    expect(engine.arena.bytesInUse).toBe(inUse);
    expect(engine.arena.byteLength).toBe(size);
    model.dispose();
  });

  it('passes every training batch, and only training batches, through augment', async () => {
    const { x, y } = toy(100, 8);
    const model = Sequential.build(engine, SPEC);
    model.compile({ optimizer: adam({ lr: 0.01 }), loss: 'crossEntropy' });
    const seen: number[] = [];
    await model.fit(x, y, {
      epochs: 2, batchSize: 32, validationSplit: 0.2,
      augment: (batch, n, random) => {
        expect(batch.length).toBe(n * 12);
        seen.push(n);
        batch.fill(random.next());
      },
    });
    // 80 training rows: batches of 32, 32, 16 in each of 2 epochs.
    expect(seen).toEqual([32, 32, 16, 32, 32, 16]);
    await expect(model.fit(x, y, { epochs: 1, augment: 3 as never })).rejects.toThrow(/augment = 3: expected a function/);
    model.dispose();
  });

  it('rejects bad arguments, naming them', async () => {
    const { x, y } = toy(20, 7);
    const model = Sequential.build(engine, SPEC);
    expect(() => model.trainStep(x, y)).toThrow(/not compiled/);
    model.compile({ optimizer: adam(), loss: 'crossEntropy' });
    await expect(model.fit(x, y, { epochs: 0 })).rejects.toThrow(/epochs = 0: expected a positive integer/);
    await expect(model.fit(x, y, { epochs: 1, batchSize: -4 })).rejects.toThrow(/batchSize = -4/);
    await expect(model.fit(x.subarray(1), y, { epochs: 1 })).rejects.toThrow(/x.length = 239: expected a positive multiple of the input size 12/);
    await expect(model.fit(x, y.subarray(1), { epochs: 1 })).rejects.toThrow(/y.length = 19/);
    await expect(model.fit(x, y, { epochs: 1, validationSplit: 1.5 })).rejects.toThrow(/validationSplit = 1.5/);
    await expect(model.fit(x, y, { epochs: 1, epoch: 3 } as never)).rejects.toThrow(/fit options.epoch = 3: expected no such option/);
    expect(() => model.trainStep(x, new Int32Array(20).fill(3))).toThrow(/y\[0\] = 3: expected an integer class label in \[0, 3\)/);
    expect(() => model.compile({ optimizer: adam(), loss: 'hinge' as never })).toThrow(/loss = "hinge"/);
    model.dispose();
    expect(() => model.predict(x)).toThrow(/disposed/);
  });
});

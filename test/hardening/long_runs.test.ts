import { describe, expect, it } from 'vitest';
import { init } from '../../src/backend/engine.js';
import { decodeCheckpoint } from '../../src/io/checkpoint.js';
import { Sequential, NonFiniteLossError, type ModelSpec } from '../../src/model/sequential.js';
import { adam, sgd } from '../../src/optim/optimizers.js';
import { chain } from '../../src/optim/transform.js';
import { l2 } from '../../src/regularize/coupled.js';
import { createTrainer } from '../../src/worker/client.js';
import { rng, uniform } from '../support/random.js';

const SPEC: ModelSpec = { inputShape: [16], seed: 3, layers: [{ type: 'dense', units: 32 }, { type: 'batchNorm' }, { type: 'relu' }, { type: 'dropout', rate: 0.1 }, { type: 'dense', units: 4 }] };
const bits = (weights: { values: Float32Array }[]) => weights.map((w) => Buffer.from(w.values.buffer, w.values.byteOffset, w.values.byteLength).toString('hex')).join('');

function data(n: number, seed: number) {
  const x = uniform(rng(seed), n * 16);
  const y = Int32Array.from({ length: n }, (_, i) => (x[i * 16] > 0 ? 1 : 0) + (x[i * 16 + 1] > 0 ? 2 : 0));
  return { x, y };
}

describe('long runs stay flat', () => {
  it('20,000 training steps, 1,000 predictions and 100 build/dispose cycles: memory stops growing after warm-up', async () => {
    const engine = await init({ threads: 1 });
    const { x, y } = data(512, 1);
    const model = Sequential.build(engine, SPEC);
    model.compile({ optimizer: chain(l2({ lambda: 1e-4 }), adam({ lr: 1e-3 })), loss: 'crossEntropy' });
    const heap = () => process.memoryUsage().heapUsed;
    const batch = 16;
    const steps = 20_000;
    let warm = { wasm: 0, arena: 0, heap: 0 };
    for (let s = 0; s < steps; s++) {
      const start = (s * batch) % 512;
      model.trainStep(x.subarray(start * 16, (start + batch) * 16), y.subarray(start, start + batch));
      if (s === 1000) {
        globalThis.gc?.();
        warm = { wasm: engine.arena.byteLength, arena: engine.arena.bytesInUse, heap: heap() };
      }
    }
    globalThis.gc?.();
    const after = { wasm: engine.arena.byteLength, arena: engine.arena.bytesInUse, heap: heap() };
    expect(after.wasm).toBe(warm.wasm);
    expect(after.arena).toBe(warm.arena);
    // The JS heap: no per-step garbage that survives (a leak of even 100 bytes a step would be 1.9 MB).
    expect(after.heap - warm.heap).toBeLessThan(1.5 * 2 ** 20);
    const trainArena = after.arena;

    // Predicting at a larger batch sizes the workspace once; then 999 more calls change nothing.
    model.predict(x.subarray(0, 64 * 16), { batchSize: 64 });
    const predictArena = engine.arena.bytesInUse;
    const predictWasm = engine.arena.byteLength;
    const heapBefore = heap();
    for (let i = 0; i < 999; i++) model.predict(x.subarray(0, 64 * 16), { batchSize: 64 });
    expect(engine.arena.bytesInUse).toBe(predictArena);
    expect(engine.arena.byteLength).toBe(predictWasm);
    globalThis.gc?.();
    expect(heap() - heapBefore).toBeLessThan(2 ** 20);
    model.dispose();

    const empty = engine.arena.bytesInUse;
    for (let i = 0; i < 100; i++) {
      const m = Sequential.build(engine, SPEC);
      m.compile({ optimizer: chain(adam()), loss: 'crossEntropy' });
      m.trainStep(x.subarray(0, 64 * 16), y.subarray(0, 64));
      m.dispose();
    }
    expect(engine.arena.bytesInUse).toBe(empty);
    expect(engine.arena.byteLength).toBe(predictWasm);
    console.log(`soak: ${steps} steps; wasm memory ${warm.wasm} bytes from step 1,000 to the end; arena in use ${trainArena} bytes, unchanged; ` +
      `JS heap ${((after.heap - warm.heap) / 1024).toFixed(0)} KiB over 19,000 steps; after 100 build/dispose cycles the arena is back to ${empty} bytes`);
    engine.dispose();
  }, 120_000);
});

describe('divergence', () => {
  it('a learning rate that blows up stops with NonFiniteLossError and leaves the weights of the last good step (= its checkpoint)', async () => {
    const engine = await init({ threads: 1 });
    const { x, y } = data(256, 2);
    const model = Sequential.build(engine, { inputShape: [16], seed: 1, layers: [{ type: 'dense', units: 32 }, { type: 'relu' }, { type: 'dense', units: 4 }] });
    model.compile({ optimizer: chain(sgd({ lr: 1e4 })), loss: 'crossEntropy' });
    const checkpoints = new Map<number, Uint8Array>();
    const error = await model.fit(x, y, { epochs: 50, batchSize: 16, checkpoint: { everySteps: 1, save: (bytes, at) => void checkpoints.set(at.step, bytes) } }).catch((e) => e);
    expect(error).toBeInstanceOf(NonFiniteLossError);
    const [, , step] = error.message.match(/^loss = (NaN|Infinity|-Infinity) at step (\d+): expected a finite loss/);
    // The loss of the weights after `step` updates was not finite: the model is back at the weights
    // after step - 1 updates, the last that gave a finite loss, which the checkpoint of that step holds.
    expect(Number(step)).toBeGreaterThan(1);
    const saved = decodeCheckpoint(checkpoints.get(Number(step) - 1)!).tensors.filter((t) => !t.name.startsWith('optimizer/') && !t.name.startsWith('fit/'));
    expect(bits(model.getWeights())).toBe(bits(saved));
    expect(model.getWeights().every((w) => w.values.every(Number.isFinite))).toBe(true);
    model.dispose();
    engine.dispose();
  });
});

describe('several engines at once', () => {
  async function solo(seed: number): Promise<string> {
    const engine = await init({ threads: 1 });
    const { x, y } = data(256, seed);
    const m = Sequential.build(engine, { ...SPEC, seed });
    m.compile({ optimizer: chain(adam({ lr: 0.01 })), loss: 'crossEntropy' });
    await m.fit(x, y, { epochs: 3, batchSize: 16 });
    const out = bits(m.getWeights());
    engine.dispose();
    return out;
  }

  it('two models training interleaved in one process (two engines, and one shared engine) match their solo runs', async () => {
    const want = [await solo(1), await solo(2)];
    for (const shared of [false, true]) {
      const e1 = await init({ threads: 1 });
      const e2 = shared ? e1 : await init({ threads: 2 });
      const models = [Sequential.build(e1, { ...SPEC, seed: 1 }), Sequential.build(e2, { ...SPEC, seed: 2 })];
      for (const m of models) m.compile({ optimizer: chain(adam({ lr: 0.01 })), loss: 'crossEntropy' });
      // Both fits run at once, yielding to each other every batch.
      await Promise.all(models.map((m, i) => { const { x, y } = data(256, i + 1); return m.fit(x, y, { epochs: 3, batchSize: 16, yieldEveryMs: 0.001 }); }));
      expect(models.map((m) => bits(m.getWeights())), shared ? 'one engine' : 'two engines').toEqual(want);
      for (const m of models) m.dispose();
    }
  });

  it('two trainers in two workers at once, and one worker training two models in turn, match the solo runs', async () => {
    const want = [await solo(1), await solo(2)];
    const run = async (t: Awaited<ReturnType<typeof createTrainer>>, seed: number) => {
      const { x, y } = data(256, seed);
      await t.build({ ...SPEC, seed });
      await t.compile({ optimizer: { type: 'adam', lr: 0.01 } });
      await t.fit(x, y, { epochs: 3, batchSize: 16 });
      return bits(await t.getWeights());
    };
    const url = new URL('../../dist/worker.js', import.meta.url);
    const [a, b] = await Promise.all([createTrainer({ worker: url }), createTrainer({ worker: url })]);
    expect(await Promise.all([run(a, 1), run(b, 2)])).toEqual(want);
    expect([await run(a, 2), await run(a, 1)]).toEqual([want[1], want[0]]);
    await a.terminate();
    await b.terminate();
  }, 60_000);
});

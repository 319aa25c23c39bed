import { beforeAll, describe, expect, it } from 'vitest';
import { init, type Engine } from '../../src/backend/engine.js';
import { Sequential, type ModelSpec } from '../../src/model/sequential.js';
import { adam, sgd, rmsprop } from '../../src/optim/optimizers.js';
import { optimizerFromSpec } from '../../src/optim/spec.js';
import type { CallbackLogs } from '../../src/train/fit.js';

// The TensorFlow.js / Keras spellings are aliases of ours: each must give the bits our own name
// gives, and a wrong value must still be refused by name.
const SPEC: ModelSpec = { inputShape: [2], seed: 4, layers: [{ type: 'dense', units: 4 }, { type: 'relu' }, { type: 'dense', units: 3 }] };
const N = 48;
const rows: number[][] = Array.from({ length: N }, (_, i) => [((i * 37) % 100) / 50 - 1, ((i * 53) % 100) / 50 - 1]);
const labels: number[] = rows.map(([a, b]) => (a + b > 0.4 ? 2 : a > b ? 1 : 0));
const x = Float32Array.from(rows.flat());
const y = Int32Array.from(labels);
const oneHot = labels.map((l) => [0, 1, 2].map((k) => (k === l ? 1 : 0)));
const bits = (m: Sequential) => m.getWeights().flatMap((w) => Array.from(new Uint32Array(w.values.buffer.slice(w.values.byteOffset, w.values.byteOffset + w.values.byteLength))));

describe('TensorFlow.js and Keras conventions', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await init();
  });
  const model = () => Sequential.build(engine, SPEC);

  async function trained(compile: Parameters<Sequential['compile']>[0], fitX: Float32Array | number[][] = x, fitY: Int32Array | number[] | number[][] = y) {
    const m = model();
    m.compile(compile);
    await m.fit(fitX, fitY, { epochs: 2, batchSize: 8 });
    return m;
  }

  it("compile({ optimizer: 'adam' }) and an OptimizerSpec are adam() with its defaults, to the bit", async () => {
    const ours = bits(await trained({ optimizer: adam() }));
    expect(bits(await trained({ optimizer: 'adam' }))).toEqual(ours);
    expect(bits(await trained({ optimizer: { type: 'adam', lr: 1e-3 } }))).toEqual(ours);
    expect(bits(await trained({ optimizer: 'rmsprop' }))).toEqual(bits(await trained({ optimizer: rmsprop() })));
    expect(() => model().compile({ optimizer: 'adma' })).toThrow('optimizer.type = "adma": expected one of sgd, momentum, adam');
    expect(() => model().compile({ optimizer: 'adam', metric: ['accuracy'] } as never)).toThrow('compile options.metric = ["accuracy"]: expected no such option');
  });

  it('learningRate is lr under its TensorFlow.js name, in factories and specs; both at once, or a bad value, are refused by name', async () => {
    const ours = bits(await trained({ optimizer: adam({ lr: 0.01 }) }));
    expect(ours).not.toEqual(bits(await trained({ optimizer: adam() })));
    expect(bits(await trained({ optimizer: adam({ learningRate: 0.01 }) }))).toEqual(ours);
    expect(bits(await trained({ optimizer: { type: 'adam', learningRate: 0.01 } }))).toEqual(ours);
    expect(bits(await trained({ optimizer: sgd({ learningRate: 0.1 }) }))).toEqual(bits(await trained({ optimizer: sgd({ lr: 0.1 }) })));
    // Specs (model files, workers) keep our name.
    expect(optimizerFromSpec({ type: 'sgd', learningRate: 0.1 }).toSpec()).toEqual({ type: 'sgd', lr: 0.1, transforms: [] });
    expect(() => adam({ lr: 0.01, learningRate: 0.01 })).toThrow('adam.learningRate = 0.01: expected no learningRate beside lr');
    expect(() => sgd({ learningRate: -1 })).toThrow(/^sgd\.learningRate = -1: expected/);
    expect(() => sgd({})).toThrow(/^sgd\.lr = undefined: expected/);
  });

  it('Keras loss names: sparse and categorical cross-entropy are crossEntropy (labels and one-hot), mse is meanSquaredError', async () => {
    const ours = bits(await trained({ optimizer: 'adam', loss: 'crossEntropy' }));
    expect(bits(await trained({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' }))).toEqual(ours);
    // One-hot targets give the same gradients as labels: the same bits.
    expect(bits(await trained({ optimizer: 'adam', loss: 'categoricalCrossentropy' }, x, oneHot))).toEqual(ours);
    const m = model();
    m.compile({ optimizer: sgd({ lr: 0.1 }), loss: 'mse' });
    expect(m.loss).toBe('meanSquaredError');
    expect(() => model().compile({ optimizer: 'adam', loss: 'categoricalCrossEntropy' as never })).toThrow(
      'loss = "categoricalCrossEntropy": expected one of "crossEntropy", "meanSquaredError", "categoricalCrossentropy"',
    );
  });

  it("metrics: ['accuracy'] is accepted where accuracy is measured, and anything else is refused by name", async () => {
    const m = await trained({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const { accuracy } = m.evaluate(x, y);
    const predicted = Array.from({ length: N }, (_, i) => {
      const row = m.predict(x.subarray(i * 2, i * 2 + 2));
      return row.indexOf(Math.max(...row));
    });
    expect(accuracy).toBe(predicted.filter((p, i) => p === labels[i]).length / N);
    expect(() => model().compile({ optimizer: 'adam', metrics: ['f1' as never] })).toThrow('metrics[0] = "f1": expected one of "accuracy", "acc"');
    expect(() => model().compile({ optimizer: 'adam', loss: 'mse', metrics: ['acc'] })).toThrow('metrics[0] = "acc": expected no accuracy metric with loss meanSquaredError');
  });

  it('callbacks get (epoch, logs) and (batch, logs) as in TensorFlow.js, in order, awaiting async ones; history.history mirrors history.epochs', async () => {
    const m = model();
    m.compile({ optimizer: 'adam', metrics: ['accuracy'] });
    const calls: string[] = [];
    const epochLogs: [number, CallbackLogs][] = [];
    let batchEnds = 0;
    const h = await m.fit(x, y, {
      epochs: 3,
      batchSize: 16,
      validationSplit: 0.25,
      callbacks: [
        {
          onTrainBegin: () => void calls.push('train'),
          onEpochBegin: (e) => void calls.push(`epoch ${e}`),
          onBatchBegin: (b, logs) => void calls.push(`batch ${b} of ${logs.size}`),
          onBatchEnd: (b, logs) => {
            batchEnds++;
            expect(logs.batch).toBe(b);
            expect(Number.isFinite(logs.loss) && logs.acc === logs.accuracy).toBe(true);
          },
          async onEpochEnd(epoch, logs) {
            await new Promise((r) => setTimeout(r, 5));
            epochLogs.push([epoch, logs]);
          },
          onTrainEnd: () => void calls.push('end'),
        },
        { onEpochEnd: (epoch) => void calls.push(`second ${epoch} after ${epochLogs.length}`) },
      ],
    });
    // 36 training rows in batches of 16: 3 batches per epoch (16, 16, 4).
    expect(batchEnds).toBe(9);
    expect(calls.slice(0, 5)).toEqual(['train', 'epoch 0', 'batch 0 of 16', 'batch 1 of 16', 'batch 2 of 4']);
    // The async onEpochEnd finished before the next callbacks object ran.
    expect(calls).toContain('second 0 after 1');
    expect(calls.at(-1)).toBe('end');
    expect(epochLogs.map(([e]) => e)).toEqual([0, 1, 2]);
    epochLogs.forEach(([e, logs]) => {
      expect(logs).toEqual({
        loss: h.epochs[e].loss, acc: h.epochs[e].accuracy, accuracy: h.epochs[e].accuracy,
        val_loss: h.epochs[e].valLoss, val_acc: h.epochs[e].valAccuracy, val_accuracy: h.epochs[e].valAccuracy,
      });
    });
    expect(h.history.loss).toEqual(h.epochs.map((e) => e.loss));
    expect(h.history.acc).toEqual(h.epochs.map((e) => e.accuracy));
    expect(h.history.val_loss).toEqual(h.epochs.map((e) => e.valLoss));
    expect(h.history.val_accuracy).toEqual(h.epochs.map((e) => e.valAccuracy));
    expect(h.history.loss[2]).toBeLessThan(h.history.loss[0]);
    await expect(m.fit(x, y, { callbacks: { onEpochEnds: () => {} } as never })).rejects.toThrow('callbacks.onEpochEnds = a Function: expected no such option');
    await expect(m.fit(x, y, { callbacks: [{ onEpochEnd: 3 as never }] })).rejects.toThrow('callbacks[0].onEpochEnd = 3: expected a function');
  });

  it('model.stopTraining = true ends the fit after the current batch, or after the epoch when set at its end', async () => {
    const m = model();
    m.compile({ optimizer: 'adam' });
    const mid = await m.fit(x, y, { epochs: 5, batchSize: 8, callbacks: { onBatchEnd: (b) => void (b === 2 && (m.stopTraining = true)) } });
    expect(m.step).toBe(3);
    expect(mid.stoppedEarly).toBe(true);
    expect(mid.epochs).toHaveLength(0);
    // The next fit starts with stopTraining reset.
    const after = await m.fit(x, y, { epochs: 5, batchSize: 8, callbacks: { onEpochEnd: (e) => void (e === 1 && (m.stopTraining = true)) } });
    expect(after.epochs).toHaveLength(2);
    expect(m.step).toBe(3 + 2 * 6);
  });

  it('epochs defaults to 1 and the options to {}', async () => {
    const m = model();
    m.compile({ optimizer: 'adam' });
    const h = await m.fit(x, y);
    expect(h.epochs).toHaveLength(1);
    expect(m.step).toBe(Math.ceil(N / 32));
  });

  it('nested number arrays are inputs and targets (converted, to the bit), with every length checked', async () => {
    const ours = bits(await trained({ optimizer: 'adam' }));
    expect(bits(await trained({ optimizer: 'adam' }, rows, labels))).toEqual(ours);
    const m = await trained({ optimizer: 'adam' }, rows, labels);
    expect(m.predict(rows)).toEqual(m.predict(x));
    expect(m.evaluate(rows, oneHot)).toEqual(m.evaluate(x, y));
    expect(() => m.predict([[1, 2], [3, 4, 5]])).toThrow('x[1].length = 3: expected 2 (a sample has shape [2])');
    expect(() => m.predict([[1, 'a' as never]])).toThrow('x[0][1] = "a": expected a number (a sample has shape [2])');
    expect(() => m.predict([])).toThrow('x = []: expected a Float32Array or a non-empty array of samples, each an array (a sample has shape [2])');
    expect(() => m.evaluate(rows, oneHot.map((r) => r.slice(1)))).toThrow('y[0].length = 2: expected 3 (a target has shape [3])');
    await expect(m.fit(rows, labels, { validationData: { x: [[1, 2, 3]] as never, y: [0] } })).rejects.toThrow('validationData.x[0].length = 3: expected 2');
    const image = Sequential.build(engine, { inputShape: [2, 2, 1], layers: [{ type: 'flatten' }, { type: 'dense', units: 2 }] });
    expect(image.predict([[[[1], [2]], [[3], [4]]]])).toEqual(image.predict(Float32Array.of(1, 2, 3, 4)));
    expect(() => image.predict([[[1, 2], [3, 4]]])).toThrow('x[0][0][0] = 1: expected an array of 1 numbers (a sample has shape [2,2,1])');
  });

  it('predict(x, { probabilities: true }) is the softmax of the logits; a regression model refuses it', async () => {
    const m = await trained({ optimizer: 'adam' });
    const logits = m.predict(x);
    const p = m.predict(x, { probabilities: true });
    for (let i = 0; i < N; i++) {
      const row = Array.from(logits.subarray(i * 3, i * 3 + 3));
      const max = Math.max(...row);
      const e = row.map((v) => Math.exp(v - max));
      const sum = e.reduce((a, b) => a + b, 0);
      e.forEach((v, k) => expect(p[i * 3 + k]).toBe(Math.fround(v / sum)));
      expect(Math.abs(p[i * 3] + p[i * 3 + 1] + p[i * 3 + 2] - 1)).toBeLessThan(1e-6);
    }
    const regression = model();
    regression.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    expect(() => regression.predict(x, { probabilities: true })).toThrow('probabilities = true: expected a classifier (loss crossEntropy, output a vector of logits); this model has loss meanSquaredError');
    expect(() => m.predict(x, { probabilites: true } as never)).toThrow('predict options.probabilites = true: expected no such option');
  });

  it('countParams() counts every weight, as Keras', () => {
    // dense 2 -> 4 (8 + 4), dense 4 -> 3 (12 + 3); batch norm's moving statistics count too.
    expect(model().countParams()).toBe(27);
    const withNorm = Sequential.build(engine, { inputShape: [2], layers: [{ type: 'dense', units: 4 }, { type: 'batchNorm' }] });
    expect(withNorm.countParams()).toBe(12 + 4 * 4);
  });
});

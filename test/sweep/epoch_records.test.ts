import { describe, expect, it } from 'vitest';
import { init } from '../../src/backend/engine.js';
import { createDataset, sliceDataset } from '../../src/data/dataset.js';
import { Sequential } from '../../src/model/sequential.js';
import { adam } from '../../src/optim/optimizers.js';
import { checkSweepConfig, sweepRuns, type SweepConfig } from '../../src/sweep/config.js';
import { sweepRunHash } from '../../src/sweep/fingerprint.js';
import { epochRecord } from '../../src/experiment/epoch_record.js';
import { executeSweepRun } from '../../src/sweep/run.js';
import { rng, uniform } from '../support/random.js';

const random = rng(11);
function make(n: number) {
  const x = uniform(random, n * 8);
  const y = Uint8Array.from({ length: n }, (_, i) => (x[i * 8] > 0.3 ? 2 : x[i * 8 + 1] > 0 ? 1 : 0));
  return createDataset({ x, y, shape: [8], classes: 3 });
}
const data = { train: make(600), test: make(200) };
const MODEL = { layers: [{ type: 'dense', units: 16 }, { type: 'batchNorm' }, { type: 'relu' }, { type: 'dense', units: 3 }] };
const BASE = {
  name: 'records', dataset: 'mnist', model: MODEL, epochs: 3, batchSize: 32,
  methods: [{ name: 'adam+l2', optimizer: { type: 'adam', lr: 0.01, transforms: [{ type: 'l2', lambda: 1e-3 }] } }],
};

describe('a sweep run records every epoch', async () => {
  const engine = await init({ threads: 1 });

  it('validationSamples holds out the last rows: the run trains on the rest, bit for bit, and records validation every epoch', async () => {
    const held = checkSweepConfig({ ...BASE, validationSamples: 100 }) as SweepConfig;
    const plain = checkSweepConfig(BASE) as SweepConfig;
    const withValidation = await executeSweepRun(engine, held, sweepRuns(held)[0], data);
    const onTheRest = await executeSweepRun(engine, plain, sweepRuns(plain)[0], { train: sliceDataset(data.train, 0, 500), test: data.test });
    expect(withValidation.weightsHash).toBe(onTheRest.weightsHash);
    expect(withValidation.history!.map((e) => e.epoch)).toEqual([0, 1, 2]);
    for (const e of withValidation.history!) {
      expect(e.valAccuracy).toBeGreaterThan(0.3);
      expect(e.valAccuracy).toBeLessThanOrEqual(1);
    }
    expect(withValidation.valAccuracy).toBe(withValidation.history![2].valAccuracy);
    expect(onTheRest.history![0].valAccuracy).toBeUndefined();
    // The held-out rows change the run, so its hash.
    expect(await sweepRunHash(held, sweepRuns(held)[0])).not.toBe(await sweepRunHash(plain, sweepRuns(plain)[0]));
    expect(() => checkSweepConfig({ ...BASE, validationSamples: 0 })).toThrow(/^validationSamples = 0: expected a positive integer/);
  });

  it("the last epoch's record agrees with the row's sparsity", async () => {
    const config = checkSweepConfig({ ...BASE, xi: 1e-3 }) as SweepConfig;
    const row = await executeSweepRun(engine, config, sweepRuns(config)[0], data);
    const last = row.history![row.history!.length - 1];
    expect(last.deadUnits).toBe(row.deadUnits);
    expect(last.hiddenUnits).toBe(row.hiddenUnits);
    expect(last.kernelZeros).toBe(row.kernelZeros);
    expect(last.xi).toBe(1e-3);
    expect(last.layers[0].units).toBe(16);
    expect(last.layers[0].histogram.counts.reduce((a, b) => a + b, 0) + last.layers[0].histogram.zeros).toBe(16);
  });

  it("records the beta of dead and live units where a batch norm follows", async () => {
    const model = Sequential.build(engine, { inputShape: [8], seed: 2, layers: MODEL.layers });
    model.compile({ optimizer: adam(), loss: 'crossEntropy' });
    const w = Object.fromEntries(model.getWeights().map((t) => [t.name, t.values.slice()]));
    for (const k of [3, 7]) for (let r = 0; r < 8; r++) w['dense_1/kernel'][r * 16 + k] = 0;
    w['batchNorm_1/beta'].fill(0.5);
    w['batchNorm_1/beta'][3] = -0.25;
    w['batchNorm_1/beta'][7] = 0.75;
    model.setWeights(w);
    const r = epochRecord(model, 'train', { epoch: 4, loss: 1, accuracy: 0.5, seconds: 1, samplesPerSecond: 1, lr: 1e-3 }, 1e-6);
    expect(r.layers[0].dead).toBe(2);
    expect(r.layers[0].beta).toEqual({ deadMean: 0.25, liveMean: 0.5, deadNegative: 1 });
    expect(r.deadUnits).toBe(2);
    expect(r.kernelZeros).toBe(16);
    model.dispose();
  });

  it("a method's own model replaces the sweep's, and its hash", async () => {
    const config = checkSweepConfig({
      ...BASE,
      methods: [BASE.methods[0], { ...BASE.methods[0], name: 'tanh', model: { layers: [{ type: 'dense', units: 16 }, { type: 'batchNorm' }, { type: 'tanh' }, { type: 'dense', units: 3 }] } }],
    }) as SweepConfig;
    const [relu, tanh] = sweepRuns(config);
    const a = await executeSweepRun(engine, config, relu, data);
    const b = await executeSweepRun(engine, config, tanh, data);
    expect(a.weightsHash).not.toBe(b.weightsHash);
    expect(a.params).toBe(b.params);
    expect(a.configHash).not.toBe(b.configHash);
    expect(() => checkSweepConfig({ ...BASE, methods: [{ ...BASE.methods[0], model: 'resnet' }] })).toThrow(/^methods\[0\].model = "resnet": expected one of/);
  });
});

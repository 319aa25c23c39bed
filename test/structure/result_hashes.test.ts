import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { init } from '../../src/backend/engine.js';
import { loadMnist } from '../../src/data/mnist.js';
import { decodeModel } from '../../src/io/model_file.js';
import { Sequential, type NamedWeight } from '../../src/model/sequential.js';
import { optimizerFromSpec } from '../../src/optim/spec.js';
import { reduce } from '../../src/reduce/reduce.js';
import { checkSweepConfig, sweepRuns } from '../../src/sweep/config.js';
import { executeSweepRun } from '../../src/sweep/run.js';
import { tempDir } from '../support/temp_dir.js';

// Restructuring must not change a single bit of any result. These hashes were recorded before the
// code was restructured (issue 14) and every later change keeps them: a change that means to alter
// results updates them in its own commit and says why.
const RECORDED = {
  mainCommand: '1a13123b1cb38f0dd8fe2f1334a6c41de90b943fadf2b96f11b7df1195e023af',
  mainCommandReduced: '1276c79a5d351ab95484ec91047a070ddad8b287ba62ff55fc6acc6bed2527e8',
  lenet5BatchNormDropout: '03a49e4a070edbf31df5f33a26726b73b85ed48dcae1e52ae56d240ed8a7a99e',
  sweepRow: 'aaac02f8ebdb37b009a9876dd8107ad52acb90bac5ba64189b915c67776b67d2',
  reduction: '94288e8e1cb1f0381aa5aaee750881aecf3ebfac0ce7324e8a10131b0b55f601',
};

function check(what: keyof typeof RECORDED, hash: string): void {
  if (process.env.PRINT_HASHES) console.log(`HASH ${what} ${hash}`);
  else expect(hash, what).toBe(RECORDED[what]);
}

const root = fileURLToPath(new URL('../../', import.meta.url));

/** SHA-256 over every weight's name, shape and float32 bits, in model order. */
function weightsHash(weights: readonly NamedWeight[]): string {
  const h = createHash('sha256');
  for (const w of weights) {
    h.update(`${w.name}[${w.shape.join(',')}]`);
    h.update(new Uint8Array(w.values.buffer, w.values.byteOffset, w.values.byteLength));
  }
  return h.digest('hex');
}

function savedWeightsHash(file: string): string {
  return weightsHash(decodeModel(new Uint8Array(readFileSync(file))).weights);
}

describe('results keep their bits', () => {
  const { train, test } = loadMnist({ limit: 2000, testLimit: 500 });
  const x = train.x.subarray(0, 960 * 784);
  const y = train.y.subarray(0, 960);

  it("a short train command (10,000 images, 3 epochs, L2 1e-2: a quarter of the parameters go): trained and reduced weights", async () => {
    const dir = tempDir('slimtrain-hash-');
    const saved = join(dir, 'model.slim');
    const reduced = join(dir, 'reduced.slim');
    const r = spawnSync(
      process.execPath,
      [`${root}dist/cli.js`, 'train', '--dataset', 'mnist', '--model', 'lenet-300-100', '--limit', '10000', '--test-limit', '500', '--epochs', '3', '--l2', '1e-2', '--lr', '3e-3', '--threads', '1', '--save', saved, '--save-reduced', reduced],
      { cwd: root, encoding: 'utf8', env: { ...process.env, SLIMTRAIN_DATA: '' } },
    );
    expect(r.status, r.stderr).toBe(0);
    check('mainCommand', savedWeightsHash(saved));
    check('mainCommandReduced', savedWeightsHash(reduced));
  }, 60_000);

  it('LeNet-5 with batch norm and dropout, 30 Adam steps', async () => {
    const engine = await init({ threads: 1 });
    const model = Sequential.build(engine, {
      inputShape: [28, 28, 1],
      seed: 7,
      layers: [
        { type: 'conv2d', filters: 6, kernelSize: 5, padding: 'same' }, { type: 'batchNorm' }, { type: 'relu' }, { type: 'maxPool2d' },
        { type: 'conv2d', filters: 16, kernelSize: 5 }, { type: 'batchNorm' }, { type: 'relu' }, { type: 'avgPool2d' },
        { type: 'flatten' }, { type: 'dense', units: 120 }, { type: 'relu' }, { type: 'dropout', rate: 0.3 }, { type: 'dense', units: 10 },
      ],
    });
    model.compile({ optimizer: optimizerFromSpec({ type: 'adam', lr: 1e-3, transforms: [{ type: 'l2', lambda: 1e-4 }] }), loss: 'crossEntropy' });
    await model.fit(x, y, { epochs: 1, batchSize: 32, seed: 3 });
    check('lenet5BatchNormDropout', weightsHash(model.getWeights()));
    model.dispose();
  }, 60_000);

  it('a sweep row (Hoyer-Square, prune at 0.25 std, one masked fine-tuning epoch) and a reduction', async () => {
    const engine = await init({ threads: 1 });
    const config = checkSweepConfig({
      name: 'hash', dataset: 'mnist', model: 'lenet-300-100', epochs: 1, batchSize: 64,
      methods: [{ name: 'hoyer', optimizer: { type: 'adam', lr: 1e-3, transforms: [{ type: 'hoyerSquare', lambda: 1e-4 }] }, prune: { stdMultiple: 0.25 }, fineTune: { epochs: 1 } }],
    });
    const row = await executeSweepRun(engine, config, sweepRuns(config)[0], { train, test });
    // The fields a row had when the hash was recorded (later versions add hashes and the epoch records).
    const { seconds: _seconds, configHash: _config, weightsHash: _weights, history: _history, ...bits } = row;
    check('sweepRow', createHash('sha256').update(JSON.stringify(bits)).digest('hex'));

    const model = Sequential.build(engine, { inputShape: [784], seed: 5, layers: [{ type: 'dense', units: 64 }, { type: 'batchNorm' }, { type: 'relu' }, { type: 'dense', units: 32 }, { type: 'elu' }, { type: 'dense', units: 10 }] });
    model.compile({ optimizer: optimizerFromSpec({ type: 'adam', lr: 3e-3, transforms: [{ type: 'l2', lambda: 5e-2 }] }), loss: 'crossEntropy' });
    await model.fit(x, y, { epochs: 1, batchSize: 64, seed: 5 });
    // Kill units by hand so that every kind of removal happens: dead units of dense_1 (their bias
    // goes through batch norm and relu into dense_2's bias), dead units of dense_2 (through elu),
    // and unused units of dense_1 (dense_2 reads nothing from them).
    const w = Object.fromEntries(model.getWeights().map((t) => [t.name, t.values.slice()]));
    for (const k of [0, 5, 17, 40]) for (let r = 0; r < 784; r++) w['dense_1/kernel'][r * 64 + k] = 0;
    for (const k of [3, 9]) w['dense_2/kernel'].fill(0, k * 32, (k + 1) * 32);
    for (const k of [1, 30]) for (let r = 0; r < 64; r++) w['dense_2/kernel'][r * 32 + k] = 0;
    model.setWeights(w);
    const { model: small, record } = reduce(model, { xi: 1e-6 });
    expect(record.layers.some((l) => l.removed.length > 0), 'the reduction removes something').toBe(true);
    check('reduction', weightsHash(small.getWeights()));
    small.dispose();
    model.dispose();
  }, 120_000);
});

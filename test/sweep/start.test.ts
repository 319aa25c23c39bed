import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { init } from '../../src/backend/engine.js';
import { runExperiment } from '../../src/experiment/run_experiment.js';
import { loadModelFile } from '../../src/io/model_files_node.js';
import type { NamedWeight } from '../../src/model/sequential.js';
import { magnitudePrune } from '../../src/prune/magnitude.js';
import { checkSweepConfig, startRun, sweepRuns } from '../../src/sweep/config.js';
import { sweepRunHash, weightsHash } from '../../src/sweep/fingerprint.js';
import { executeSweepRun } from '../../src/sweep/run.js';
import { runModelPath } from '../../src/sweep/worker.js';
import { threeClassData } from '../support/toy_data.js';
import { tempDir } from '../support/temp_dir.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const MODEL = { layers: [{ type: 'dense', units: 12 }, { type: 'relu' }, { type: 'dense', units: 3 }] };

const data = () => threeClassData(9, 300, 120);

const BASE = {
  name: 'start', dataset: 'mnist', model: MODEL, epochs: 2, batchSize: 16, saveModels: true,
  methods: [
    { name: 'dense', optimizer: { type: 'adam', lr: 0.01 } },
    { name: 'hs', optimizer: { type: 'adam', lr: 0.01, transforms: [{ type: 'hoyerSquare', lambda: '$strength' }] }, strengths: [1e-3, 1e-2], start: { method: 'dense' } },
    { name: 'prune', optimizer: { type: 'adam', lr: 0.01 }, strengths: [2], epochs: 0, start: { method: 'dense' }, prune: { fraction: 0.5 }, fineTune: { epochs: 1, rounds: '$strength' } },
  ],
};

describe('runExperiment initialWeights and epochs 0', () => {
  it('starts from the given weights: with 0 epochs and no prune the final model is them, bit for bit', async () => {
    const engine = await init({ threads: 1 });
    const d = data();
    const trained = await runExperiment(engine, { model: MODEL, optimizer: { type: 'adam', lr: 0.01 }, epochs: 1, batchSize: 16, seed: 3 }, d);
    const weights = trained.model.getWeights();
    // Another seed: its own initialisation would differ, so equality means the weights were taken.
    const copy = await runExperiment(engine, { model: MODEL, optimizer: { type: 'adam' }, epochs: 0, seed: 8, initialWeights: weights }, d);
    expect(await weightsHash(copy.model.getWeights())).toBe(await weightsHash(weights));
    expect(copy.test).toEqual(trained.test);
    expect(copy.history).toEqual([]);
    // With a prune and no training, the kept weights are the magnitude prune of the given ones.
    const pruned = await runExperiment(engine, { model: MODEL, optimizer: { type: 'adam' }, epochs: 0, seed: 8, initialWeights: weights, prune: { fraction: 0.5 } }, d);
    const reference = trained.model.derive(trained.model.toSpec());
    reference.setWeights(weights);
    magnitudePrune(reference, { fraction: 0.5 });
    expect(await weightsHash(pruned.model.getWeights())).toBe(await weightsHash(reference.getWeights()));
    for (const r of [trained, copy, pruned]) {
      r.model.dispose();
      r.reduced?.model.dispose();
    }
    reference.dispose();
    engine.dispose();
  });

  it('names what does not fit: a missing or foreign tensor, a wrong shape, 0 epochs for the iterative loop', async () => {
    const engine = await init({ threads: 1 });
    const d = data();
    const spec = { model: MODEL, optimizer: { type: 'adam' as const }, epochs: 0, seed: 1 };
    const built = await runExperiment(engine, { ...spec, reduce: false }, d);
    const weights = built.model.getWeights();
    built.model.dispose();
    await expect(runExperiment(engine, { ...spec, initialWeights: weights.slice(1) }, d)).rejects.toThrow(/^experiment.initialWeights = ".*": expected the model's tensors dense_1\/kernel, .* \(missing: dense_1\/kernel\)/);
    await expect(runExperiment(engine, { ...spec, initialWeights: [...weights, { ...weights[0], name: 'conv_9/kernel' }] }, d)).rejects.toThrow(/\(not in the model: conv_9\/kernel\)/);
    await expect(runExperiment(engine, { ...spec, initialWeights: [{ ...weights[0], shape: [12, 8] }, ...weights.slice(1)] }, d)).rejects.toThrow(/^experiment.initialWeights\["dense_1\/kernel"\].shape = "\[12, 8\]": expected \[8, 12\], the model's/);
    await expect(runExperiment(engine, { ...spec, initialWeights: [weights[0], weights[0], ...weights.slice(1)] }, d)).rejects.toThrow(/^experiment.initialWeights\[1\].name = "dense_1\/kernel": expected a tensor named once/);
    await expect(runExperiment(engine, { ...spec, iterative: { interval: 5, floor: 0.3, validationSplit: 0.2 } }, d)).rejects.toThrow(/^experiment.epochs = 0: expected at least 1 for the iterative loop/);
    await expect(runExperiment(engine, { ...spec, epochs: -1 }, d)).rejects.toThrow(/^experiment.epochs = -1: expected a non-negative integer/);
    engine.dispose();
  });
});

describe('sweep start', () => {
  it('checks the start: another method, one of its strengths, the same model, saved models, no cycle', () => {
    const bad = (patch: (c: typeof BASE) => unknown) => () => checkSweepConfig(patch(structuredClone(BASE)));
    expect(bad((c) => ({ ...c, methods: [c.methods[0], { ...c.methods[1], start: { method: 'dens' } }] }))).toThrow(/^methods\[1\].start.method = "dens": expected the name of another method \(dense, hs\)/);
    expect(bad((c) => ({ ...c, methods: [c.methods[0], { ...c.methods[1], start: { method: 'hs' } }] }))).toThrow(/^methods\[1\].start.method = "hs": expected another method than this one/);
    expect(bad((c) => ({ ...c, methods: [c.methods[0], c.methods[1], { ...c.methods[2], start: { method: 'hs' } }] }))).toThrow(/^methods\[2\].start.strength = undefined: expected one of hs's strengths \(0.001, 0.01\): it has several/);
    expect(bad((c) => ({ ...c, methods: [c.methods[0], c.methods[1], { ...c.methods[2], start: { method: 'hs', strength: 0.5 } }] }))).toThrow(/^methods\[2\].start.strength = 0.5: expected one of hs's strengths/);
    expect(bad((c) => ({ ...c, saveModels: false }))).toThrow(/^saveModels = false: expected true: hs starts from dense's saved models/);
    expect(bad((c) => ({ ...c, methods: [{ ...c.methods[0], model: { layers: [{ type: 'dense', units: 3 }] } }, c.methods[1]] }))).toThrow(/^methods\[1\].start.method = "dense": expected a method with this method's model/);
    expect(bad((c) => ({ ...c, methods: [{ ...c.methods[0], start: { method: 'prune' } }, c.methods[1], c.methods[2]] }))).toThrow(/^methods\[0\].start.method = "prune": expected a chain of starts that ends \(dense -> prune -> dense is a cycle\)/);
    expect(bad((c) => ({ ...c, methods: [c.methods[0], { ...c.methods[1], start: { method: 'dense', seed: 2 } }] }))).toThrow(/^methods\[1\].start.seed = 2: expected no such option/);
    expect(bad((c) => ({ ...c, methods: [c.methods[0], { ...c.methods[1], epochs: 0 }] }))).not.toThrow();
    expect(bad((c) => ({ ...c, methods: [c.methods[0], { name: 'x', optimizer: { type: 'adam' }, epochs: 0 }] }))).toThrow(/^methods\[1\].epochs = 0: expected a positive integer/);
    // Each started run needs its source's run at the same seed.
    expect(bad((c) => ({ ...c, methods: [c.methods[0], { ...c.methods[1], strengths: [1e-3, { value: 1e-2, seeds: [1, 2] }] }] }))).toThrow(/^methods\[1\].strengths\[1\].seeds = \[1, 2\]: expected seeds that dense, the start, also runs \(it runs 1; not 2\)/);
    expect(bad((c) => ({ ...c, methods: [c.methods[0], { ...c.methods[1], seeds: [3] }] }))).toThrow(/^methods\[1\].seeds = \[3\]: expected seeds that dense, the start, also runs \(it runs 1; not 3\)/);
    expect(bad((c) => ({ ...c, seeds: [1, 2], methods: [{ ...c.methods[0], seeds: [1] }, c.methods[1]] }))).toThrow(/^seeds = \[1, 2\]: expected seeds that dense, the start, also runs \(it runs 1; not 2\)/);
    // A source whose own strength has the seeds: its runs at those seeds are the starts.
    const perStrength = checkSweepConfig({ ...structuredClone(BASE), methods: [{ ...BASE.methods[0], strengths: [{ value: 0, seeds: [1, 2] }] }, { ...BASE.methods[2], seeds: [2] }] });
    expect(sweepRuns(perStrength).map((r) => `${r.id} <- ${startRun(perStrength, r)?.id ?? 'init'}`)).toEqual(['dense/0/seed1 <- init', 'dense/0/seed2 <- init', 'prune/2/seed2 <- dense/0/seed2']);
    const seeded = checkSweepConfig({ ...structuredClone(BASE), methods: [{ ...BASE.methods[0], seeds: [1, 2] }, { ...BASE.methods[2], strengths: [{ value: 2, seeds: [2] }] }] });
    expect(sweepRuns(seeded).map((r) => `${r.id} <- ${startRun(seeded, r)?.id ?? 'init'}`)).toEqual(['dense/0/seed1 <- init', 'dense/0/seed2 <- init', 'prune/2/seed2 <- dense/0/seed2']);
    const config = checkSweepConfig(structuredClone(BASE));
    expect(sweepRuns(config).map((r) => startRun(config, r)?.id ?? null)).toEqual([null, 'dense/0/seed1', 'dense/0/seed1', 'dense/0/seed1']);
  });

  it('a started run\'s hash follows its source\'s settings; runs without a start keep theirs', async () => {
    const config = checkSweepConfig(structuredClone(BASE));
    const [dense, hs] = sweepRuns(config);
    const changed = structuredClone(BASE);
    changed.methods[0].optimizer.lr = 0.02;
    const other = checkSweepConfig(changed);
    expect(await sweepRunHash(other, hs)).not.toBe(await sweepRunHash(config, hs));
    expect(await sweepRunHash(other, dense)).not.toBe(await sweepRunHash(config, dense));
    const { start: _, ...plain } = BASE.methods[1];
    const unstarted = checkSweepConfig({ ...structuredClone(BASE), methods: [BASE.methods[0], plain] });
    expect(await sweepRunHash(unstarted, hs)).not.toBe(await sweepRunHash(config, hs));
    // The source's identity rides in the run's: the same hash however the grid around it changes.
    const grown = checkSweepConfig({ ...structuredClone(BASE), seeds: [1, 2], description: 'more' });
    expect(await sweepRunHash(grown, hs)).toBe(await sweepRunHash(config, hs));
  });

  it('executeSweepRun trains from the source\'s weights, and refuses weights whose hash is not the source row\'s', async () => {
    const engine = await init({ threads: 1 });
    const d = data();
    const config = checkSweepConfig(structuredClone(BASE));
    const [dense, hs] = sweepRuns(config);
    let saved: NamedWeight[] = [];
    const source = await executeSweepRun(engine, config, dense, d, () => {}, { onModels: (m) => (saved = m.getWeights().map((w) => ({ ...w, values: w.values.slice() }))) });
    const started = await executeSweepRun(engine, config, hs, d, () => {}, { start: { from: dense.id, weights: saved, weightsHash: source.weightsHash, source: 'memory' } });
    expect(started.startedFrom).toBe(dense.id);
    // The same as runExperiment from those weights directly, bit for bit.
    const { start: _, ...method } = config.methods[1];
    const direct = await runExperiment(engine, { model: MODEL, optimizer: { ...method.optimizer, transforms: [{ type: 'hoyerSquare', lambda: 1e-3 }] } as never, epochs: 2, batchSize: 16, seed: 1, initialWeights: saved }, d);
    expect(started.weightsHash).toBe(await weightsHash(direct.model.getWeights()));
    // From scratch it would differ.
    const scratch = await runExperiment(engine, { model: MODEL, optimizer: { type: 'adam', lr: 0.01, transforms: [{ type: 'hoyerSquare', lambda: 1e-3 }] }, epochs: 2, batchSize: 16, seed: 1 }, d);
    expect(await weightsHash(scratch.model.getWeights())).not.toBe(started.weightsHash);
    await expect(executeSweepRun(engine, config, hs, d, () => {}, { start: { from: dense.id, weights: saved, weightsHash: '0123456789abcdef', source: 'the file F' } }))
      .rejects.toThrow(/^the file F holds weights with hash [0-9a-f]{16}, but dense\/0\/seed1's row records 0123456789abcdef: the file is not that run's final model/);
    await expect(executeSweepRun(engine, config, hs, d)).rejects.toThrow(/^hs\/0.001\/seed1 starts from dense\/0\/seed1's final model: pass it as options.start \(none given\)/);
    for (const r of [direct, scratch]) {
      r.model.dispose();
      r.reduced?.model.dispose();
    }
    engine.dispose();
  });

  it('the CLI runs the source first, starts the others from its saved model (0 epochs: prune rounds only), and names a lost model file', async () => {
    const dir = tempDir('slimtrain-sweep-start-');
    const config = join(dir, 'start.json');
    const grid = { ...structuredClone(BASE), model: 'lenet-300-100', limit: 400, testLimit: 100, batchSize: 50, out: join(dir, 'out') };
    // The started methods come first in the file: the sweep still runs dense before them.
    grid.methods = [grid.methods[1], grid.methods[2], grid.methods[0]];
    writeFileSync(config, JSON.stringify(grid));
    const cli = (...args: string[]) => spawnSync(process.execPath, [`${root}dist/cli.js`, 'sweep', config, ...args], { encoding: 'utf8', env: { ...process.env, SLIMTRAIN_DATA: '' } });
    const first = cli('--jobs', '2', '--kernel-threads', '1');
    expect(first.status, first.stderr).toBe(0);
    const jsonl = join(dir, 'out', 'start.jsonl');
    const rows = readFileSync(jsonl, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((r) => r.id)).toEqual(['dense/0/seed1', expect.stringMatching(/^(hs\/0.001|hs\/0.01|prune\/2)\/seed1$/), expect.anything(), expect.anything()]);
    const models = join(dir, 'out', 'start.models');
    const dense = rows[0];
    const engine = await init({ threads: 1 });
    const { model } = loadModelFile(engine, runModelPath(models, dense.id));
    expect(await weightsHash(model.getWeights())).toBe(dense.weightsHash);
    // prune/2: two rounds of halving dense's weights (no training first): a quarter of each kernel left.
    const prune = rows.find((r) => r.id === 'prune/2/seed1');
    expect(prune.startedFrom).toBe('dense/0/seed1');
    expect(prune.epochs).toBe(0);
    expect(prune.history.map((h: { phase: string }) => h.phase)).toEqual(['fine-tune', 'fine-tune']);
    expect(prune.kernelZeros / prune.kernelWeights).toBeCloseTo(0.75, 2);
    model.dispose();
    engine.dispose();
    // The source's model file lost with a started run still to do: a clear error naming the file.
    rmSync(runModelPath(models, dense.id));
    writeFileSync(jsonl, `${readFileSync(jsonl, 'utf8').trim().split('\n').filter((l) => !l.includes('"prune/2/seed1"')).join('\n')}\n`);
    const lost = cli('--jobs', '1');
    expect(lost.status).toBe(1);
    expect(lost.stderr).toMatch(/prune\/2\/seed1: SlimtrainError: the final model of dense\/0\/seed1 \(.*dense,0,seed1\.slimtrain\), which this run starts from, does not exist: the sweep saves it with saveModels; if it was lost, delete dense\/0\/seed1's row/);
    // Another model in its place: its weights are not the ones the row hashed.
    copyFileSync(runModelPath(models, 'hs/0.01/seed1'), runModelPath(models, dense.id));
    const swapped = cli('--jobs', '1');
    expect(swapped.status).toBe(1);
    expect(swapped.stderr).toMatch(/prune\/2\/seed1: SlimtrainError: .*dense,0,seed1\.slimtrain holds weights with hash [0-9a-f]{16}, but dense\/0\/seed1's row records [0-9a-f]{16}/);
  }, 120_000);
});

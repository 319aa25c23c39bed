import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { init } from '../../src/backend/engine.js';
import { createDataset } from '../../src/data/dataset.js';
import { checkSweepConfig, checkSweepModels, seedsText, strengthsText, sweepRuns, withStrength, type SweepConfig } from '../../src/sweep/config.js';
import { sweepMarkdown, sweepPoints, sweepSvg, sweepTable } from '../../src/sweep/report.js';
import { sweepRunHash, weightsHash } from '../../src/sweep/fingerprint.js';
import { executeSweepRun } from '../../src/sweep/run.js';
import { runModelPath } from '../../src/sweep/worker.js';
import { loadModelFile } from '../../src/io/model_files_node.js';
import { rng, uniform } from '../support/random.js';
import { threeClassData } from '../support/toy_data.js';
import { tempDir } from '../support/temp_dir.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

const BASE = {
  name: 'unit', dataset: 'mnist', model: { layers: [{ type: 'dense', units: 16 }, { type: 'relu' }, { type: 'dense', units: 3 }] }, epochs: 3, batchSize: 16,
  methods: [
    { name: 'adam+l2', optimizer: { type: 'adam', lr: 0.01, transforms: [{ type: 'l2', lambda: '$strength' }] }, strengths: [1e-4, 3e-2] },
    { name: 'hoyer', optimizer: { type: 'adam', lr: 0.01, transforms: [{ type: 'hoyerSquare', lambda: '$strength' }] }, strengths: [1e-3], prune: { stdMultiple: 0.25 }, fineTune: { epochs: 1 } },
  ],
};

describe('sweep config', () => {
  it('expands methods x strengths x seeds and substitutes $strength', () => {
    const config = checkSweepConfig({ ...BASE, seeds: [1, 2] });
    expect(sweepRuns(config).map((r) => r.id)).toEqual([
      'adam+l2/0.0001/seed1', 'adam+l2/0.0001/seed2', 'adam+l2/0.03/seed1', 'adam+l2/0.03/seed2', 'hoyer/0.001/seed1', 'hoyer/0.001/seed2',
    ]);
    expect(withStrength(BASE.methods[0].optimizer, 0.5)).toEqual({ type: 'adam', lr: 0.01, transforms: [{ type: 'l2', lambda: 0.5 }] });
  });

  it('gives a strength or a method its own seeds: three at the headline strength, one across the rest', async () => {
    const headline = { ...BASE.methods[0], strengths: [1e-4, { value: 3e-2, seeds: [1, 2, 3] }] };
    const config = checkSweepConfig({ ...BASE, methods: [headline, { ...BASE.methods[1], seeds: [4, 5] }] });
    expect(sweepRuns(config).map((r) => r.id)).toEqual([
      'adam+l2/0.0001/seed1', 'adam+l2/0.03/seed1', 'adam+l2/0.03/seed2', 'adam+l2/0.03/seed3', 'hoyer/0.001/seed4', 'hoyer/0.001/seed5',
    ]);
    expect(sweepRuns(config)[2]).toEqual({ id: 'adam+l2/0.03/seed2', method: 'adam+l2', strength: 3e-2, seed: 2 });
    expect(strengthsText(config, config.methods[0])).toBe('0.0001, 0.03 (seeds 1, 2, 3)');
    expect(strengthsText(config, config.methods[1])).toBe('0.001 (seeds 4, 5)');
    const reordered = checkSweepConfig({ ...BASE, seeds: [1, 2], methods: [{ ...BASE.methods[0], strengths: [{ value: 1e-4, seeds: [2, 1] }, 3e-2] }] });
    expect(strengthsText(reordered, reordered.methods[0])).toBe('0.0001, 0.03');
    expect(seedsText(reordered)).toBe('seeds 1, 2');
    expect(seedsText(config)).toBe('seeds 1 unless a method or strength says otherwise');
    expect(sweepMarkdown(config, [], 'cmd')).toContain('; strengths 0.0001, 0.03 (seeds 1, 2, 3)\n');
    // Giving a strength more seeds changes no finished row's hash: seed 1 at 0.03 is the same run.
    const plain = checkSweepConfig(BASE);
    expect(await sweepRunHash(config, sweepRuns(config)[1])).toBe(await sweepRunHash(plain, sweepRuns(plain)[1]));
    const own = checkSweepConfig({ ...BASE, methods: [{ ...BASE.methods[0], seeds: [1, 7] }] });
    expect(await sweepRunHash(own, sweepRuns(own)[0])).toBe(await sweepRunHash(plain, sweepRuns(plain)[0]));
    const bad = (strengths: unknown, seeds?: unknown) => () => checkSweepConfig({ ...BASE, methods: [{ ...BASE.methods[0], strengths, ...(seeds !== undefined ? { seeds } : {}) }] });
    expect(bad([1e-4, { value: 1e-4, seeds: [2] }])).toThrow(/^methods\[0\].strengths\[1\].value = 0.0001: expected a strength not listed before \(methods\[0\].strengths\[0\] is 0.0001/);
    expect(bad(['1e-4'])).toThrow(/^methods\[0\].strengths\[0\] = "1e-4": expected a strength: a number >= 0, or \{ value, seeds \}/);
    expect(bad([[1]])).toThrow(/^methods\[0\].strengths\[0\] = \[1\]: expected a strength: a number >= 0, or \{ value, seeds \}/);
    expect(bad([{ value: -1, seeds: [1] }])).toThrow(/^methods\[0\].strengths\[0\].value = -1: expected a finite number >= 0/);
    expect(bad([{ value: 1e-3, seeds: [] }])).toThrow(/^methods\[0\].strengths\[0\].seeds = \[\]: expected a non-empty array of numbers/);
    expect(bad([{ value: 1e-3, seeds: [1, 1] }])).toThrow(/^methods\[0\].strengths\[0\].seeds = \[1, 1\]: expected distinct numbers/);
    expect(bad([{ value: 1e-3, seed: 1 }])).toThrow(/^methods\[0\].strengths\[0\].seed = 1: expected no such option/);
    expect(bad([1e-3], [1.5])).toThrow(/^methods\[0\].seeds\[0\] = 1.5: expected an integer in \[0, 2\^32\)/);
  });

  it('names the bad field', () => {
    const bad = (patch: object) => () => checkSweepConfig({ ...BASE, ...patch });
    expect(bad({ dataset: 'imagenet' })).toThrow(/dataset = "imagenet": expected one of "mnist", "fashion-mnist", "cifar10"/);
    expect(bad({ epochs: 0 })).toThrow(/epochs = 0: expected a positive integer/);
    expect(bad({ methods: [] })).toThrow(/methods = \[\]: expected a non-empty array/);
    expect(bad({ methods: [{ name: 'x', optimizer: { type: 'adma' } }] })).toThrow(/methods\[0\].optimizer \(optimizer.type\) = "adma": expected one of sgd/);
    expect(bad({ methods: [{ name: 'x', optimizer: { type: 'adam', transforms: [{ type: 'l2', lambda: '$strength' }] }, strengths: [-1] }] })).toThrow(/methods\[0\].strengths\[0\] = -1/);
    expect(bad({ methods: [{ name: 'x', optimizer: { type: 'adam' }, fineTune: { epochs: 1 } }] })).toThrow(/methods\[0\].fineTune = an object: expected a prune step/);
    expect(bad({ methods: [BASE.methods[0], BASE.methods[0]] })).toThrow(/methods\[1\].name = "adam\+l2": expected a name no other method has/);
    expect(bad({ lambda: 1 })).toThrow(/sweep config.lambda = 1: expected no such option/);
    expect(bad({ checkpointSteps: -1 })).toThrow(/^checkpointSteps = -1: expected a non-negative integer/);
    expect(bad({ checkpointSteps: 2.5 })).toThrow(/^checkpointSteps = 2.5: expected a non-negative integer/);
    expect(bad({ checkpointDir: 5 })).toThrow(/^checkpointDir = 5: expected a folder path/);
    expect(bad({ seeds: [1, -2] })).toThrow(/^seeds\[1\] = -2: expected an integer in \[0, 2\^32\)/);
    expect(bad({ seeds: [1, 2, 1] })).toThrow(/^seeds = \[1, 2, 1\]: expected distinct numbers \(each names runs\)/);
    expect(bad({ methods: [{ ...BASE.methods[0], strengths: [1e-3, 1e-3] }] })).toThrow(/^methods\[0\].strengths\[1\] = 0.001: expected a strength not listed before \(methods\[0\].strengths\[0\] is 0.001; each names runs\)/);
    expect(checkSweepConfig({ ...BASE, checkpointSteps: 0, checkpointDir: 'ckpt' }).checkpointSteps).toBe(0);
    // A model that cannot take the named dataset's samples fails before any run (the CLI checks this).
    const dense = { layers: [{ type: 'dense', units: 10 }, { type: 'relu' }, { type: 'dense', units: 10 }] };
    const models = (patch: Record<string, unknown>) => () => checkSweepModels(checkSweepConfig({ ...BASE, ...patch }));
    expect(models({ model: dense })).toThrow(/^model.layers\[0\] \(dense\) input shape, on mnist samples = \[28, 28, 1\]: expected a vector \[features\]/);
    expect(models({ model: 'mlp', methods: [{ ...BASE.methods[0], model: dense }] })).toThrow(/^methods\[0\].model.layers\[0\] \(dense\) input shape/);
    expect(models({ model: { layers: [{ type: 'flatten' }, ...dense.layers] } })).not.toThrow();
    expect(bad({ methods: [{ ...BASE.methods[0], liveReduction: { everyEpochs: 0 } }] })).toThrow(/^methods\[0\].liveReduction \(reduce.everyEpochs\) = 0/);
    const looped = (iterative: object) => ({ methods: [{ name: 'loop', optimizer: { type: 'adam' }, iterative: { interval: 10, floor: 0.5, validationSplit: 0.1, ...iterative } }] });
    expect(bad(looped({ warmupEpochs: 3 }))).toThrow(/^methods\[0\].iterative.warmupEpochs = 3: expected fewer than the 3 epochs, else the loop never evaluates/);
    expect(bad(looped({ selector: { kinds: ['weights'] } }))).toThrow(/^methods\[0\].iterative.selector.kinds = \["weights"\]: expected an array of kernel, bias, gamma, beta/);
    expect(checkSweepConfig({ ...BASE, ...looped({ warmupEpochs: 2, selector: { kinds: ['kernel', 'bias'] } }) }).methods[0].iterative).toMatchObject({ warmupEpochs: 2 });
    const tuned = (fineTune: object, strengths = [1e-3]) => ({ methods: [{ ...BASE.methods[0], strengths, prune: { fraction: 0.2 }, fineTune }] });
    expect(bad(tuned({ epochs: 1, rounds: 0 }))).toThrow(/^methods\[0\].fineTune.rounds = 0: expected a positive integer/);
    expect(bad(tuned({ epochs: 1, rounds: '$strength' }, [2, 2.5]))).toThrow(/^methods\[0\].fineTune.rounds = 2.5: expected a positive integer/);
    expect(bad(tuned({ epochs: 1, keep: 'best' }))).toThrow(/^methods\[0\].fineTune.keep = "best": expected 'last', or validationSamples to choose the best epoch on/);
    expect(bad(tuned({ epochs: 1, keep: 'first' }))).toThrow(/^methods\[0\].fineTune.keep = "first": expected one of/);
    expect(checkSweepConfig({ ...BASE, validationSamples: 100, ...tuned({ epochs: 1, rounds: '$strength', keep: 'best' }, [2, 3]) }).methods[0].fineTune).toEqual({ epochs: 1, rounds: '$strength', keep: 'best' });
    expect(bad({ augment: { padding: -1 } })).toThrow(/^augment.padding = -1: expected a non-negative integer/);
    expect(bad({ augment: { flip: 'yes' } })).toThrow(/^augment.flip = "yes": expected true or false/);
    expect(bad({ augment: { rotate: 200 } })).toThrow(/^augment.rotate = 200: expected a finite number in \[0, 180\]/);
    expect(bad({ augment: { translate: 1 } })).toThrow(/^augment.translate = 1: expected a finite number in \[0, 1\)/);
    expect(bad({ augment: { scale: 2 } })).toThrow(/^augment.scale = 2: expected no such option/);
    expect(checkSweepConfig({ ...BASE, augment: { rotate: 10, translate: 0.1 } }).augment).toEqual({ rotate: 10, translate: 0.1 });
  });

  it('augment crops, flips, rotates and shifts the training images of every run, seeded: the same weights twice, other weights than without, another run hash', async () => {
    const engine = await init({ threads: 1 });
    const random = rng(5);
    const make = (n: number) => {
      const x = uniform(random, n * 36);
      const y = Uint8Array.from({ length: n }, (_, i) => (x[i * 36 + 7] > 0.5 ? 1 : 0));
      return createDataset({ x, y, shape: [6, 6, 1], classes: 2 });
    };
    const data = { train: make(96), test: make(32) };
    const model = { layers: [{ type: 'conv2d', filters: 3, kernelSize: 3 }, { type: 'relu' }, { type: 'flatten' }, { type: 'dense', units: 2 }] };
    const plain = checkSweepConfig({ ...BASE, model, epochs: 1, methods: [BASE.methods[0]] }) as SweepConfig;
    const augmented = checkSweepConfig({ ...plain, augment: { padding: 1, flip: true } }) as SweepConfig;
    const rotated = checkSweepConfig({ ...plain, augment: { rotate: 15, translate: 0.2 } }) as SweepConfig;
    const run = sweepRuns(plain)[0];
    const [a, b, c] = [await executeSweepRun(engine, augmented, run, data), await executeSweepRun(engine, augmented, run, data), await executeSweepRun(engine, plain, run, data)];
    expect(a.weightsHash).toBe(b.weightsHash);
    expect(a.weightsHash).not.toBe(c.weightsHash);
    expect(a.configHash).not.toBe(c.configHash);
    const [d, e] = [await executeSweepRun(engine, rotated, run, data), await executeSweepRun(engine, rotated, run, data)];
    expect(d.weightsHash).toBe(e.weightsHash);
    expect(new Set([a.weightsHash, c.weightsHash, d.weightsHash]).size).toBe(3);
    expect(new Set([a.configHash, c.configHash, d.configHash]).size).toBe(3);
  });
});

describe('sweep runs', () => {
  it('train, prune and fine-tune, measure and reduce one run; the report aggregates', async () => {
    const engine = await init();
    const data = threeClassData(3, 512, 256);
    const config = checkSweepConfig(BASE) as SweepConfig;
    const results = [];
    for (const run of sweepRuns(config)) results.push(await executeSweepRun(engine, config, run, data));
    for (const r of results) {
      expect(r.params).toBe(8 * 16 + 16 + 16 * 3 + 3);
      expect(r.reducedParams).toBeLessThanOrEqual(r.params);
      expect(r.reducedNonzeroParams).toBeLessThanOrEqual(r.reducedParams);
      expect(r.reducedFlops).toBeLessThanOrEqual(r.flops);
      expect(r.testAccuracy).toBeGreaterThan(0.6);
    }
    // Pruning at 0.25 std removes weights, which stay zero through fine-tuning.
    const hoyer = results.find((r) => r.method === 'hoyer')!;
    expect(hoyer.kernelZeros).toBeGreaterThan(0);
    expect(hoyer.nonzeroParams).toBeLessThan(hoyer.params - hoyer.kernelZeros + 1);
    // The same seed gives the same run, bit for bit.
    const again = await executeSweepRun(engine, config, sweepRuns(config)[0], data);
    expect({ ...again, seconds: 0 }).toEqual({ ...results[0], seconds: 0 });
    const points = sweepPoints(config, results);
    expect(points.map((p) => [p.method, p.strength])).toEqual([['adam+l2', 1e-4], ['adam+l2', 3e-2], ['hoyer', 1e-3]]);
    expect(sweepTable(points).split('\n')).toHaveLength(5);
    expect(sweepSvg(points, 't')).toMatch(/^<svg[\s\S]*<circle[\s\S]*<\/svg>\n$/);
  });

  it('the CLI runs a grid on worker threads, appends JSONL, resumes and writes the table and plot', () => {
    const dir = tempDir('slimtrain-sweep-');
    const config = join(dir, 'grid.json');
    writeFileSync(config, JSON.stringify({
      name: 'grid', dataset: 'mnist', limit: 600, testLimit: 200, model: 'lenet-300-100', epochs: 2, validationSamples: 100, out: join(dir, 'out'),
      methods: [
        { name: 'adam+l2', optimizer: { type: 'adam', transforms: [{ type: 'l2', lambda: '$strength' }] }, strengths: [1e-4, 1e-3] },
        { name: 'padam', optimizer: { type: 'padam', lambda: '$strength', p: 0.8 }, strengths: [3e-3] },
      ],
    }));
    const cli = (...args: string[]) => spawnSync(process.execPath, [`${root}dist/cli.js`, 'sweep', config, ...args], { encoding: 'utf8', env: { ...process.env, SLIMTRAIN_DATA: '' } });
    const first = cli('--jobs', '2');
    expect(first.status, first.stderr).toBe(0);
    expect(first.stderr).toMatch(new RegExp(`3 runs, 0 already in .*grid.jsonl, 3 to go on 2 thread\\(s\\), ${Math.max(1, Math.floor(availableParallelism() / 2))} kernel thread\\(s\\) each`));
    expect(first.stderr).toMatch(/\[1\] /); // the second thread ran something
    const jsonl = join(dir, 'out', 'grid.jsonl');
    const lines = readFileSync(jsonl, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.id).sort()).toEqual(['adam+l2/0.0001/seed1', 'adam+l2/0.001/seed1', 'padam/0.003/seed1']);
    expect(first.stdout).toMatch(/\| padam \| 0.003 \| 2 \|/);
    expect(readFileSync(join(dir, 'out', 'grid.md'), 'utf8')).toMatch(/!\[accuracy against size\]\(grid.svg\)/);
    expect(readFileSync(join(dir, 'out', 'grid.svg'), 'utf8')).toMatch(/<svg/);
    // Two epochs with a validation split: the per-epoch plots, each linked from the page; the
    // zero-share plot exactly when some run had a kernel weight at exactly 0 after an epoch.
    const page = readFileSync(join(dir, 'out', 'grid.md'), 'utf8');
    expect(page).toMatch(/!\[validation accuracy after each epoch\]\(grid.validation.svg\)/);
    expect(readFileSync(join(dir, 'out', 'grid.validation.svg'), 'utf8').match(/<polyline/g)).toHaveLength(3);
    const zeros = lines.some((l) => l.history.some((h: { kernelZeros: number }) => h.kernelZeros > 0));
    expect(existsSync(join(dir, 'out', 'grid.zeros.svg'))).toBe(zeros);
    expect(page.includes('(grid.zeros.svg)')).toBe(zeros);
    // A line cut short by a crash is ignored and its run done again; finished runs are skipped.
    const kept = readFileSync(jsonl, 'utf8').trim().split('\n');
    writeFileSync(jsonl, `${kept.slice(0, 2).join('\n')}\n`);
    appendFileSync(jsonl, kept[2].slice(0, 40));
    const second = cli('--jobs', '1');
    expect(second.status, second.stderr).toBe(0);
    // One worker left: it gets every core as kernel threads.
    expect(second.stderr).toMatch(new RegExp(`3 runs, 2 already in .*, 1 to go on 1 thread\\(s\\), ${availableParallelism()} kernel thread\\(s\\) each`));
    const rerun = readFileSync(jsonl, 'utf8').trim().split('\n').map((l) => { try { return JSON.parse(l); } catch { return null; } }).filter(Boolean);
    expect(rerun).toHaveLength(3);
    // Same seed, same weights: the rerun reproduces the lost run exactly (on every core's kernel
    // threads, where the first ran on one).
    expect({ ...rerun[2], seconds: 0 }).toEqual({ ...JSON.parse(kept[2]), seconds: 0 });
    // A method changed since: its row's configHash no longer matches, so that run (only) runs again.
    const grid = JSON.parse(readFileSync(config, 'utf8'));
    grid.methods[1].epochs = 3;
    grid.description = 'changes no result, so no hash';
    writeFileSync(config, JSON.stringify(grid));
    const third = cli('--jobs', '1', '--kernel-threads', '1');
    expect(third.status, third.stderr).toBe(0);
    expect(third.stderr).toMatch(/1 to go on 1 thread\(s\), 1 kernel thread\(s\) each/);
    expect(third.stderr).toMatch(/1 row\(s\) in .*grid.jsonl were made with another config \(configHash differs\), so those runs run again: padam\/0.003\/seed1 \(.*grid.jsonl:\d\)/);
    expect(third.stderr).toMatch(/3 runs, 2 already in .*, 1 to go on 1 thread/);
    expect(third.stdout).toMatch(/\| padam \| 0.003 \| 3 \|/);
  }, 120_000);

  it('saveModels leaves each run\'s final and reduced model as files that load to the weights its row hashed, and changes no run hash', async () => {
    const dir = tempDir('slimtrain-sweep-models-');
    const config = join(dir, 'saved.json');
    const grid = {
      name: 'saved', dataset: 'mnist', limit: 600, testLimit: 200, model: 'lenet-300-100', epochs: 1, out: join(dir, 'out'), saveModels: true,
      methods: [{ name: 'adam+l2', optimizer: { type: 'adam', lr: 0.01, transforms: [{ type: 'l2', lambda: '$strength' }] }, strengths: [1e-3, 1e-2] }],
    };
    writeFileSync(config, JSON.stringify(grid));
    const run = spawnSync(process.execPath, [`${root}dist/cli.js`, 'sweep', config, '--jobs', '2'], { encoding: 'utf8', env: { ...process.env, SLIMTRAIN_DATA: '' } });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/final models \(and their reduced forms\) saved to .*saved\.models/);
    const rows = readFileSync(join(dir, 'out', 'saved.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rows).toHaveLength(2);
    const engine = await init({ threads: 1 });
    for (const row of rows) {
      const { model, manifest } = loadModelFile(engine, runModelPath(join(dir, 'out', 'saved.models'), row.id));
      expect(manifest.metadata).toMatchObject({ sweepRun: row.id, configHash: row.configHash, testAccuracy: row.testAccuracy });
      expect(await weightsHash(model.getWeights())).toBe(row.weightsHash);
      const { model: reduced } = loadModelFile(engine, runModelPath(join(dir, 'out', 'saved.models'), row.id, true));
      expect(reduced.parameterCount).toBe(row.reducedParams);
      model.dispose();
      reduced.dispose();
    }
    engine.dispose();
    const { saveModels: _, ...without } = grid;
    const parsed = checkSweepConfig(without);
    expect(await sweepRunHash(parsed, sweepRuns(parsed)[0])).toBe(rows.find((r) => r.id === sweepRuns(parsed)[0].id).configHash);
  }, 120_000);
});

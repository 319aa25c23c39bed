import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkSweepConfig, sweepRuns, type SweepConfig, type SweepRun } from '../../src/sweep/config.js';
import { sweepRunHash } from '../../src/sweep/fingerprint.js';
import type { SweepResult } from '../../src/sweep/run.js';
import { studyPoints } from '../../src/sweep/study.js';
import { tempDir } from '../support/temp_dir.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

const common = { dataset: 'mnist', model: 'lenet-300-100', epochs: 4, saveModels: true } as const;
const dense = { name: 'dense', optimizer: { type: 'adam', lr: 0.01 } };
// From scratch: dense at seed 1 and an L1 curve.
const SCRATCH = { ...common, name: 'scratch', methods: [dense, { name: 'l1', optimizer: { type: 'adam', lr: 0.01, transforms: [{ type: 'l1', lambda: '$strength' }] }, strengths: [1e-5, 1e-4] }] };
// From the dense model: dense at seeds 1 and 2 (seed 1 is scratch's run), and magnitude pruning from it.
const STARTED = {
  ...common, name: 'started',
  methods: [
    { ...dense, seeds: [1, 2] },
    { name: 'prune', optimizer: { type: 'adam' }, epochs: 0, start: { method: 'dense' }, strengths: [2], seeds: [1, 2], prune: { fraction: 0.5 }, fineTune: { epochs: 1, rounds: '$strength' } },
  ],
};

/** A recorded row of a run, with the run's real configHash; `test` is its test accuracy and nonzero count. */
async function row(config: SweepConfig, run: SweepRun, test: number): Promise<SweepResult> {
  return {
    id: run.id, method: run.method, strength: run.strength, seed: run.seed, configHash: await sweepRunHash(config, run), epochs: 4,
    testAccuracy: test, params: 1000, nonzeroParams: 500, kernelWeights: 900, kernelZeros: 400, kernelBelowEps: 400,
    hiddenUnits: 40, deadUnits: 2, xi: 1e-6, reducedParams: 950, reducedNonzeroParams: Math.round(1000 * test), flops: 2000, reducedFlops: 1800,
    reducedAccuracy: test, weightsHash: run.id, seconds: 1,
  };
}

async function rows(config: SweepConfig, tests: number[]): Promise<SweepResult[]> {
  return Promise.all(sweepRuns(config).map((r, i) => row(config, r, tests[i])));
}

describe('a study over several sweeps', () => {
  it('counts a run two sweeps share once, joins the same condition at other seeds, and keeps started methods apart', async () => {
    const scratch = checkSweepConfig(structuredClone(SCRATCH));
    const started = checkSweepConfig(structuredClone(STARTED));
    expect(sweepRuns(started).map((r) => r.id)).toEqual(['dense/0/seed1', 'dense/0/seed2', 'prune/2/seed1', 'prune/2/seed2']);
    // scratch: dense s1, l1 1e-5 s1, l1 1e-4 s1; started: dense s1 (the same run), dense s2, prune s1, s2.
    const points = studyPoints([
      { config: scratch, results: await rows(scratch, [0.98, 0.97, 0.95]) },
      { config: started, results: await rows(started, [0.98, 0.96, 0.9, 0.92]) },
    ]);
    expect(points.map((p) => `${p.method} ${p.strength} x${p.seeds}`)).toEqual(['dense 0 x2', 'l1 0.00001 x1', 'l1 0.0001 x1', 'prune (from dense) 2 x2']);
    // dense: seed 1 once (0.98), seed 2 (0.96): mean 0.97, sample std 0.01414.
    expect(points[0].accuracy).toBeCloseTo(0.97, 12);
    expect(points[0].accuracyStd).toBeCloseTo(Math.SQRT2 / 100, 12);
    expect(points[3].accuracy).toBeCloseTo(0.91, 12);
    expect(points[3].startedFrom).toBeUndefined();
  });

  it('tells apart same-named methods of two sweeps that train differently', async () => {
    const a = checkSweepConfig(structuredClone(SCRATCH));
    const changed = structuredClone(SCRATCH);
    changed.name = 'faster';
    changed.methods[0].optimizer.lr = 0.02;
    const b = checkSweepConfig(changed);
    const points = studyPoints([
      { config: a, results: await rows(a, [0.98, 0.97, 0.95]) },
      { config: b, results: await rows(b, [0.9, 0.97, 0.95]) },
    ]);
    // b's l1 runs are a's (the same configHash), so each counts once; the two denses train differently.
    expect(points.map((p) => `${p.method} x${p.seeds}`)).toEqual(['dense [scratch] x1', 'l1 x1', 'l1 x1', 'dense [faster] x1']);
    expect(points[3].accuracy).toBe(0.9);
  });

  it('joins runs by what they train, not by name, and keeps a method\'s strengths from two sweeps on one curve', async () => {
    const scratch = checkSweepConfig(structuredClone(SCRATCH));
    // The same training under another name, at seeds 1 and 2; L1 with the same settings at a strength scratch lacks.
    const more = checkSweepConfig({
      ...common, name: 'more',
      methods: [{ ...dense, name: 'baseline', seeds: [1, 2] }, { ...SCRATCH.methods[1], strengths: [1e-3, 1e-5] }],
    });
    const points = studyPoints([
      { config: scratch, results: await rows(scratch, [0.98, 0.97, 0.95]) },
      { config: more, results: await rows(more, [0.98, 0.94, 0.9, 0.97]) },
    ]);
    expect(points.map((p) => `${p.method} ${p.strength} x${p.seeds}`)).toEqual(['dense 0 x2', 'l1 0.00001 x1', 'l1 0.0001 x1', 'l1 0.001 x1']);
    expect(points[0].accuracy).toBeCloseTo(0.96, 12);
  });

  it('the CLI writes one table and plot from the configs\' results files and shard files', async () => {
    const dir = tempDir('slimtrain-study-');
    const out = join(dir, 'out');
    const scratch = checkSweepConfig({ ...structuredClone(SCRATCH), out });
    const started = checkSweepConfig({ ...structuredClone(STARTED), out });
    writeFileSync(join(dir, 'scratch.json'), JSON.stringify(scratch));
    writeFileSync(join(dir, 'started.json'), JSON.stringify(started));
    const cli = (...args: string[]) => spawnSync(process.execPath, [`${root}dist/cli.js`, 'sweep', ...args], { encoding: 'utf8', cwd: dir });
    const [s, t] = [await rows(scratch, [0.98, 0.97, 0.95]), await rows(started, [0.98, 0.96, 0.9, 0.92])];
    mkdirSync(out);
    writeFileSync(join(out, 'scratch.jsonl'), s.map((r) => `${JSON.stringify(r)}\n`).join(''));
    // started ran as two shards, not merged; a row of an older config is left out.
    writeFileSync(join(out, 'started.shard-0-of-2.jsonl'), [t[0], t[2], { ...t[3], configHash: 'stale' }].map((r) => `${JSON.stringify(r)}\n`).join(''));
    writeFileSync(join(out, 'started.shard-1-of-2.jsonl'), `${JSON.stringify(t[1])}\n`);
    const done = cli('scratch.json', 'started.json', '--study', 'both');
    expect(done.status, done.stderr).toBe(0);
    expect(done.stderr).toContain('study both: started: 3 of 4 runs recorded');
    expect(done.stderr).toContain('1 row(s) made with another config left out: prune/2/seed2');
    const md = readFileSync(join(out, 'both.md'), 'utf8');
    expect(md).toContain('- `started`: 3 of 4 runs recorded');
    expect(md).toMatch(/\n\| dense \| 0 \| 4 \| 97\.00% ± 1\.41% \|/);
    expect(md).toMatch(/\n\| prune \(from dense\) \| 2 \| 4 \| 90\.00% \|/);
    expect(readFileSync(join(out, 'both.svg'), 'utf8')).toContain('<title>prune (from dense) strength 2: 90.00%');
    // --min-accuracy starts the axis there: prune (90%) sits on the bottom edge, named above the plot.
    expect(readFileSync(join(out, 'both.svg'), 'utf8')).not.toContain('below-axis');
    expect(cli('scratch.json', 'started.json', '--study', 'both', '--min-accuracy', '0.95').status).toBe(0);
    const zoomed = readFileSync(join(out, 'both.svg'), 'utf8');
    expect(zoomed.match(/class="below-axis"/g)).toHaveLength(2);
    expect(zoomed).toContain('on the bottom edge: below 95.0% (prune (from dense) 2: 90.0%)');
    expect(readFileSync(join(out, 'both.md'), 'utf8')).toContain('--study both --min-accuracy 0.95`');
    expect(cli('scratch.json', '--min-accuracy', '0.95').stderr).toMatch(/--min-accuracy = "0.95": it needs --study/);
    expect(cli('scratch.json', '--study', 'x', '--min-accuracy', '95').stderr).toMatch(/--min-accuracy = "95": expected a number in \[0, 1\) \(a test accuracy, as a fraction\)/);
    expect(cli('scratch.json', 'started.json').stderr).toMatch(/"started.json": one config runs at a time; several only with --study NAME/);
    expect(cli('scratch.json', '--study', 'a/b').stderr).toMatch(/--study = "a\/b": expected a file-name-safe name/);
    expect(cli('scratch.json', 'scratch.json', '--study', 'x').stderr).toMatch(/the study already has a config named "scratch"/);
    expect(cli('scratch.json', '--study', 'x', '--jobs', '2').stderr).toMatch(/--jobs = "2": it cannot go with --study/);
  });
});

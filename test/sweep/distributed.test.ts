import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeCheckpoint } from '../../src/io/checkpoint.js';
import { checkSweepConfig, sweepRuns } from '../../src/sweep/config.js';
import { sweepRunHash } from '../../src/sweep/fingerprint.js';
import { tempDir } from '../support/temp_dir.js';

// The sweep as a user runs it on a cluster: `node dist/cli.js sweep` in separate processes.
const root = fileURLToPath(new URL('../../', import.meta.url));
const BATCH_VARIABLES = ['JOB_COMPLETION_INDEX', 'SLIMTRAIN_SHARD_COUNT', 'SLURM_ARRAY_TASK_ID', 'SLURM_ARRAY_TASK_MIN', 'SLURM_ARRAY_TASK_MAX', 'SLURM_ARRAY_TASK_COUNT', 'SLURM_ARRAY_TASK_STEP'];

type Outcome = { status: number | null; stdout: string; stderr: string };

function start(args: string[], env: Record<string, string> = {}) {
  const full: NodeJS.ProcessEnv = { ...process.env, SLIMTRAIN_DATA: '' };
  for (const name of BATCH_VARIABLES) delete full[name];
  const child = spawn(process.execPath, [`${root}dist/cli.js`, 'sweep', ...args], { env: { ...full, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<Outcome>((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
  return { child, done };
}
const sweep = (args: string[], env: Record<string, string> = {}) => start(args, env).done;

const rows = (path: string) => readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const byId = (list: { id: string }[]) => [...list].sort((a, b) => (a.id < b.id ? -1 : 1));
const withoutTime = (list: Record<string, unknown>[]) => list.map((r) => ({ ...r, seconds: 0 }));

const dir = tempDir('slimtrain-shards-');
const GRID = {
  name: 'grid', dataset: 'mnist', limit: 600, testLimit: 200, model: 'lenet-300-100', epochs: 2, checkpointSteps: 4,
  methods: [
    { name: 'adam+l2', optimizer: { type: 'adam', transforms: [{ type: 'l2', lambda: '$strength' }] }, strengths: [1e-4, 1e-3] },
    { name: 'hoyer', optimizer: { type: 'adam', transforms: [{ type: 'hoyerSquare', lambda: '$strength' }] }, strengths: [1e-4], prune: { stdMultiple: 0.25 }, fineTune: { epochs: 1 } },
    { name: 'padam', optimizer: { type: 'padam', lambda: '$strength', p: 0.8 }, strengths: [3e-3] },
  ],
};
const config = join(dir, 'grid.json');
writeFileSync(config, JSON.stringify(GRID));

describe('a sweep over several machines', () => {
  it('3 shards in 3 processes (named by --shard, a Kubernetes Indexed Job and a Slurm array), merged, give the one-process rows bit for bit', async () => {
    const one = await sweep([config, '--out', join(dir, 'one'), '--jobs', '2']);
    expect(one.status, one.stderr).toBe(0);
    const shards = join(dir, 'shards');
    const outcomes = await Promise.all([
      sweep([config, '--out', shards, '--jobs', '1', '--shard', '0/3']),
      sweep([config, '--out', shards, '--jobs', '1'], { JOB_COMPLETION_INDEX: '1', SLIMTRAIN_SHARD_COUNT: '3' }),
      // --array=5-7: task 7 is the third shard.
      sweep([config, '--out', shards, '--jobs', '1'], { SLURM_ARRAY_TASK_ID: '7', SLURM_ARRAY_TASK_MIN: '5', SLURM_ARRAY_TASK_MAX: '7', SLURM_ARRAY_TASK_COUNT: '3' }),
    ]);
    for (const o of outcomes) expect(o.status, o.stderr).toBe(0);
    expect(outcomes[0].stderr).toMatch(/sweep grid: shard 0\/3 from --shard: runs k of the grid with k mod 3 = 0, 2 of 4\n/);
    expect(outcomes[1].stderr).toMatch(/sweep grid: shard 1\/3 from Kubernetes \(JOB_COMPLETION_INDEX=1, SLIMTRAIN_SHARD_COUNT=3\): runs k of the grid with k mod 3 = 1, 1 of 4\n/);
    expect(outcomes[2].stderr).toMatch(/sweep grid: shard 2\/3 from Slurm \(SLURM_ARRAY_TASK_ID=7, SLURM_ARRAY_TASK_MIN=5, SLURM_ARRAY_TASK_COUNT=3\): .*1 of 4\n/);
    expect(outcomes[2].stderr).toMatch(/once every shard is done: slimtrain sweep .*grid.json --merge .*shards/);
    // Grid order: adam+l2/1e-4, adam+l2/1e-3, hoyer, padam; run k goes to shard k mod 3.
    expect(rows(join(shards, 'grid.shard-0-of-3.jsonl')).map((r) => r.id)).toEqual(['adam+l2/0.0001/seed1', 'padam/0.003/seed1']);
    expect(rows(join(shards, 'grid.shard-1-of-3.jsonl')).map((r) => r.id)).toEqual(['adam+l2/0.001/seed1']);
    expect(rows(join(shards, 'grid.shard-2-of-3.jsonl')).map((r) => r.id)).toEqual(['hoyer/0.0001/seed1']);
    expect(existsSync(join(shards, 'grid.md')), 'a shard writes no table').toBe(false);

    const merged = await sweep([config, '--merge', shards, '--out', shards]);
    expect(merged.status, merged.stderr).toBe(0);
    expect(merged.stderr).toMatch(/merging 4 rows from 3 file\(s\): 4 of 4 runs/);
    const single = rows(join(dir, 'one', 'grid.jsonl'));
    const joined = rows(join(shards, 'grid.jsonl'));
    expect(joined.map((r) => r.id)).toEqual(sweepRuns(checkSweepConfig(GRID)).map((r) => r.id));
    // Every field but the wall time, weightsHash included: the same bits on one machine and on three.
    expect(withoutTime(byId(joined))).toEqual(withoutTime(byId(single)));
    expect(new Set(joined.map((r) => r.weightsHash)).size).toBe(4);
    // The same table and plot as the one-machine sweep.
    expect(merged.stdout).toBe(one.stdout);
    expect(merged.stdout).toMatch(/\| hoyer \| 0.0001 \| 2 \|/);
    expect(readFileSync(join(shards, 'grid.svg'), 'utf8')).toBe(readFileSync(join(dir, 'one', 'grid.svg'), 'utf8'));
    // Every run recorded, so every checkpoint was deleted.
    expect(readdirSync(join(shards, 'grid.checkpoints'))).toEqual([]);
    expect(readdirSync(join(dir, 'one', 'grid.checkpoints'))).toEqual([]);
  }, 180_000);

  it('a merge with a missing, a duplicated and a foreign-config row names each, writes nothing and exits 1; --partial writes the rest; an earlier version of a merged run is left out, not a problem', async () => {
    const shards = join(dir, 'shards');
    const bad = join(dir, 'bad');
    mkdirSync(bad);
    const [first, second] = readFileSync(join(shards, 'grid.shard-0-of-3.jsonl'), 'utf8').trim().split('\n');
    writeFileSync(join(bad, 'grid.shard-0-of-3.jsonl'), `${first}\n${second}\n`);
    // The first row again, in another shard's file: duplicated.
    writeFileSync(join(bad, 'grid.shard-1-of-3.jsonl'), `${readFileSync(join(shards, 'grid.shard-1-of-3.jsonl'), 'utf8')}${first}\n`);
    // Shard 2's only run (hoyer) lost: missing.
    writeFileSync(join(bad, 'grid.shard-2-of-3.jsonl'), '');
    // A row of a run from a config with another testLimit: superseded where this config's row of the
    // run is there (adam+l2/0.001), foreign where it is not (hoyer, lost); a run this grid does not
    // have: foreign.
    const other = JSON.parse(readFileSync(join(shards, 'grid.shard-1-of-3.jsonl'), 'utf8'));
    const changed = checkSweepConfig({ ...GRID, testLimit: 300 });
    other.configHash = await sweepRunHash(changed, sweepRuns(changed)[1]);
    const want = await sweepRunHash(checkSweepConfig(GRID), sweepRuns(checkSweepConfig(GRID))[1]);
    const hoyer = sweepRuns(checkSweepConfig(GRID)).find((run) => run.id === 'hoyer/0.0001/seed1')!;
    const hoyerWant = await sweepRunHash(checkSweepConfig(GRID), hoyer);
    const elsewhere = join(dir, 'elsewhere.jsonl');
    writeFileSync(elsewhere, `${JSON.stringify(other)}\n${JSON.stringify({ ...other, id: 'sgd/0/seed1' })}\n${JSON.stringify({ ...other, id: 'hoyer/0.0001/seed1' })}\n`);
    appendFileSync(elsewhere, '{"id":"torn'); // a write cut short: skipped, and said so

    const r = await sweep([config, '--merge', bad, elsewhere, '--out', bad]);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/4 problem\(s\):/);
    expect(r.stderr).toMatch(/\n {2}missing: hoyer\/0.0001\/seed1 \(no row of this config in any file\)\n/);
    expect(r.stderr).toMatch(/\n {2}duplicated: adam\+l2\/0.0001\/seed1 \(2 rows: .*bad\/grid.shard-0-of-3.jsonl:1, .*bad\/grid.shard-1-of-3.jsonl:2\)\n/);
    expect(r.stderr).toContain(`left out 1 row(s) of an earlier version of the config (another configHash), each run having a row of this one: adam+l2/0.001/seed1 (${elsewhere}:1)\n`);
    expect(r.stderr).not.toContain('foreign: adam+l2/0.001/seed1');
    expect(r.stderr).toContain(`\n  foreign: hoyer/0.0001/seed1 at ${elsewhere}:3: its configHash ${other.configHash} is not this config's ${hoyerWant}\n`);
    expect(r.stderr).toContain(`\n  foreign: sgd/0/seed1 at ${elsewhere}:2: this run is not in the config's grid\n`);
    expect(r.stderr).toContain(`skipped 1 torn line(s)`);
    expect(r.stderr).toMatch(/nothing written/);
    expect(existsSync(join(bad, 'grid.md'))).toBe(false);
    expect(existsSync(join(bad, 'grid.jsonl'))).toBe(false);
    expect(other.configHash).not.toBe(want);

    const partial = await sweep([config, '--merge', bad, elsewhere, '--out', bad, '--partial']);
    expect(partial.status, partial.stderr).toBe(0);
    expect(partial.stderr).toMatch(/wrote .*bad\/grid.md and .svg \(3 of 4 runs\)/);
    expect(rows(join(bad, 'grid.jsonl')).map((x) => x.id)).toEqual(['adam+l2/0.0001/seed1', 'adam+l2/0.001/seed1', 'padam/0.003/seed1']);
  }, 60_000);

  it('bad shard and merge flags are usage errors (exit 2) naming the flag or variable', async () => {
    const cases: [string[], Record<string, string>, RegExp][] = [
      [['--shard', '3/3'], {}, /--shard = "3\/3": expected I\/N with integers N >= 1 and 0 <= I < N \(shards are numbered from 0/],
      [['--shard', '1'], {}, /--shard = "1": expected I\/N/],
      [[], { JOB_COMPLETION_INDEX: '2' }, /SLIMTRAIN_SHARD_COUNT = undefined: expected the Job's completions, set in its manifest/],
      [[], { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_MIN: '3', SLURM_ARRAY_TASK_MAX: '7', SLURM_ARRAY_TASK_COUNT: '2' }, /SLURM_ARRAY_TASK_COUNT = 2: expected 5 tasks/],
      [['--checkpoint-steps=-1'], {}, /--checkpoint-steps = "-1": expected an integer from 0 to 2147483647/],
      [['--checkpoint-steps', 'often'], {}, /--checkpoint-steps = "often": expected an integer from 0 to 2147483647/],
      [['--partial'], {}, /--partial: only with --merge/],
      [['--merge'], {}, /--merge: expected the shards' folder or JSONL files/],
      [['--merge', join(dir, 'none')], {}, /--merge = ".*none": no such file or folder/],
      [['--merge', dir], {}, /--merge = ".*": the folder holds no grid.shard-I-of-N.jsonl/],
      [['--merge', dir, '--shard', '0/2'], {}, /--shard = "0\/2": not with --merge/],
    ];
    for (const [args, env, message] of cases) {
      const r = await sweep([config, '--out', join(dir, 'usage'), ...args], env);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.status, args.join(' ')).toBe(2);
    }
  }, 60_000);
});

describe('a sweep run killed mid-epoch', () => {
  it('SIGKILL while training, then the sweep again: it resumes from the checkpoint and records the uninterrupted weights', async () => {
    // 6000 rows in batches of 64: 94 steps an epoch, a checkpoint every 5 steps.
    const kill = join(dir, 'kill.json');
    writeFileSync(kill, JSON.stringify({
      name: 'kill', dataset: 'mnist', limit: 6000, testLimit: 200, model: 'lenet-300-100', epochs: 2, checkpointSteps: 5,
      methods: [{ name: 'adam+l2', optimizer: { type: 'adam', transforms: [{ type: 'l2', lambda: '$strength' }] }, strengths: [1e-4] }],
    }));
    const reference = await sweep([kill, '--out', join(dir, 'reference')]);
    expect(reference.status, reference.stderr).toBe(0);

    const out = join(dir, 'killed');
    const checkpoint = join(out, 'kill.checkpoints', 'adam+l2,0.0001,seed1.ckpt');
    const { child, done } = start([kill, '--out', out, '--jobs', '1']);
    while (!existsSync(checkpoint)) await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGKILL');
    const killed = await done;
    expect(killed.status).toBe(null);
    expect(existsSync(join(out, 'kill.jsonl')), 'killed before the run was recorded').toBe(false);
    const { manifest } = decodeCheckpoint(new Uint8Array(readFileSync(checkpoint)));
    // Inside the first epoch, between batches.
    expect(manifest.fit!.epoch).toBe(0);
    expect(manifest.fit!.batch).toBeGreaterThan(0);
    expect(manifest.fit!.batch).toBeLessThan(94);
    expect(manifest.metadata.experiment).toMatchObject({ run: 'adam+l2/0.0001/seed1', phase: 'train' });
    console.log(`sweep run SIGKILLed after step ${manifest.training.step} (epoch 1, batch ${manifest.fit!.batch} of 94), then resumed`);

    const again = await sweep([kill, '--out', out, '--jobs', '1']);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).toContain(`adam+l2/0.0001/seed1: resuming from its checkpoint (train, next epoch 1 batch ${manifest.fit!.batch + 1}, step ${manifest.training.step})`);
    const [resumed] = rows(join(out, 'kill.jsonl'));
    const [straight] = rows(join(dir, 'reference', 'kill.jsonl'));
    expect(resumed.weightsHash).toBe(straight.weightsHash);
    expect({ ...resumed, seconds: 0 }).toEqual({ ...straight, seconds: 0 });
    expect(existsSync(checkpoint), 'the checkpoint is deleted once the row is recorded').toBe(false);
  }, 120_000);
});

describe('a sweep stopped by a signal', () => {
  it('SIGTERM: the runs stop at their next batch with their checkpoints, exit 143, and the sweep again records the uninterrupted weights', async () => {
    // 20,000 rows in batches of 64: 313 steps an epoch, a checkpoint every 10 steps.
    const config = join(dir, 'term.json');
    writeFileSync(config, JSON.stringify({
      name: 'term', dataset: 'mnist', limit: 20000, testLimit: 200, model: 'lenet-300-100', epochs: 2, checkpointSteps: 10,
      methods: [{ name: 'adam+l2', optimizer: { type: 'adam', transforms: [{ type: 'l2', lambda: '$strength' }] }, strengths: [1e-4, 1e-3] }],
    }));
    const reference = await sweep([config, '--out', join(dir, 'term-reference')]);
    expect(reference.status, reference.stderr).toBe(0);

    const out = join(dir, 'termed');
    const checkpoints = ['adam+l2,0.0001,seed1', 'adam+l2,0.001,seed1'].map((id) => join(out, 'term.checkpoints', `${id}.ckpt`));
    const { child, done } = start([config, '--out', out, '--jobs', '2']);
    // Both runs are training once both have checkpointed.
    while (!checkpoints.every((c) => existsSync(c))) await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGTERM');
    const stopped = await done;
    expect(stopped.status, stopped.stderr).toBe(143);
    expect(stopped.stderr).toMatch(/stopped by SIGTERM: 0 of 2 runs recorded in .*term\.jsonl; 2 stopped mid-run with their checkpoints/);
    for (const c of checkpoints) {
      const { manifest } = decodeCheckpoint(new Uint8Array(readFileSync(c)));
      // Stopped promptly: still in the first epoch.
      expect(manifest.fit!.epoch, c).toBe(0);
      expect(manifest.fit!.batch).toBeLessThan(313);
    }

    const again = await sweep([config, '--out', out, '--jobs', '2']);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).toContain('resuming from its checkpoint');
    expect(withoutTime(byId(rows(join(out, 'term.jsonl'))))).toEqual(withoutTime(byId(rows(join(dir, 'term-reference', 'term.jsonl')))));
  }, 240_000);
});

describe('a sharded grid that grows in the middle', () => {
  it('a shard skips its runs that another shard file already recorded (they moved when a strength got more seeds)', async () => {
    const out = join(dir, 'grown');
    mkdirSync(out, { recursive: true });
    const before = checkSweepConfig({ ...structuredClone(GRID), name: 'grown', out, methods: [GRID.methods[0]] });
    // Both runs recorded, one per shard, with their real config hashes (nothing trains in this test).
    const row = async (config: typeof before, k: number) => {
      const run = sweepRuns(config)[k];
      return { id: run.id, method: run.method, strength: run.strength, seed: run.seed, configHash: await sweepRunHash(config, run), epochs: 2, testAccuracy: 0.5, params: 10, nonzeroParams: 10,
        kernelWeights: 8, kernelZeros: 0, kernelBelowEps: 0, hiddenUnits: 4, deadUnits: 0, xi: 1e-6, reducedParams: 10, reducedNonzeroParams: 10, flops: 20, reducedFlops: 20, reducedAccuracy: 0.5, weightsHash: run.id, seconds: 1 };
    };
    writeFileSync(join(out, 'grown.shard-0-of-2.jsonl'), `${JSON.stringify(await row(before, 0))}\n`);
    writeFileSync(join(out, 'grown.shard-1-of-2.jsonl'), `${JSON.stringify(await row(before, 1))}\n`);
    // 1e-4 gets seeds 1 and 2: the grid is now 1e-4/seed1 (k 0), 1e-4/seed2 (k 1), 1e-3/seed1 (k 2), so shard 0 owns 1e-3.
    const grown = { ...before, methods: [{ ...GRID.methods[0], strengths: [{ value: 1e-4, seeds: [1, 2] }, 1e-3] }] };
    const config = join(dir, 'grown.json');
    writeFileSync(config, JSON.stringify(grown));
    const done = await sweep([config, '--shard', '0/2', '--jobs', '1']);
    expect(done.status, done.stderr).toBe(0);
    expect(done.stderr).toContain("1 of this shard's runs already recorded in grown.shard-1-of-2.jsonl (the grid grew since they ran): not run again: adam+l2/0.001/seed1");
    expect(done.stderr).not.toContain('to go');
    expect(rows(join(out, 'grown.shard-0-of-2.jsonl')).map((r) => r.id)).toEqual(['adam+l2/0.0001/seed1']);
  }, 60_000);
});

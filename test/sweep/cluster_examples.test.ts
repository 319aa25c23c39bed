import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkSweepConfig, sweepRuns } from '../../src/sweep/config.js';
import { shardFromEnvironment } from '../../src/sweep/shard.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(`${root}${path}`, 'utf8');

// The batch-system examples cannot run here (no cluster); what can be checked is that they agree
// with the code: a valid config, the shard count the manifest gives, the scripts' syntax.
describe('examples/kubernetes and examples/slurm', () => {
  const config = checkSweepConfig(JSON.parse(read('examples/sweep-mnist-grid.json')));

  it('the example sweep is a valid config of 24 runs', () => {
    expect(sweepRuns(config)).toHaveLength(24);
  });

  it('the Indexed Job sets SLIMTRAIN_SHARD_COUNT to its completions, and each pod index maps to its shard', () => {
    const job = read('examples/kubernetes/sweep-job.yaml');
    expect(job).toMatch(/completionMode: Indexed/);
    const completions = Number(job.match(/\n {2}completions: (\d+)\n/)![1]);
    const count = Number(job.match(/- name: SLIMTRAIN_SHARD_COUNT\n\s+value: "(\d+)"/)![1]);
    expect(count).toBe(completions);
    for (let i = 0; i < completions; i++) {
      expect(shardFromEnvironment({ JOB_COMPLETION_INDEX: String(i), SLIMTRAIN_SHARD_COUNT: String(count) })).toMatchObject({ index: i, count });
    }
    expect(job).toMatch(/args: \[sweep, \/config\/sweep.json, --out, \/results/);
    expect(read('examples/kubernetes/merge-job.yaml')).toMatch(/args: \[sweep, \/config\/sweep.json, --merge, \/results, --out, \/results\]/);
    expect(read('examples/kubernetes/README.md')).toContain('--from-file=sweep.json=examples/sweep-mnist-grid.json');
  });

  it('the sbatch scripts are valid bash, and the array covers shards 0..N-1', () => {
    for (const script of ['examples/slurm/sweep.sbatch', 'examples/slurm/merge.sbatch']) {
      const r = spawnSync('bash', ['-n', `${root}${script}`], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
    }
    const sweep = read('examples/slurm/sweep.sbatch');
    const [, lo, hi] = sweep.match(/#SBATCH --array=(\d+)-(\d+)\n/)!.map(Number);
    const count = hi - lo + 1;
    const shards = Array.from({ length: count }, (_, k) => shardFromEnvironment({
      SLURM_ARRAY_TASK_ID: String(lo + k), SLURM_ARRAY_TASK_MIN: String(lo), SLURM_ARRAY_TASK_MAX: String(hi), SLURM_ARRAY_TASK_COUNT: String(count),
    })!.index);
    expect(shards).toEqual(Array.from({ length: count }, (_, k) => k));
    expect(sweep).toContain('npx slimtrain sweep sweep-mnist-grid.json --out sweeps');
    expect(read('examples/slurm/merge.sbatch')).toContain('npx slimtrain sweep sweep-mnist-grid.json --merge sweeps --out sweeps');
  });
});

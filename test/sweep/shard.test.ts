import { describe, expect, it } from 'vitest';
import { inShard, isShardResultsName, parseShard, resolveShard, shardFromEnvironment, shardResultsName } from '../../src/sweep/shard.js';

const indexAndCount = (env: Record<string, string>) => {
  const s = shardFromEnvironment(env);
  return s && [s.index, s.count, s.source];
};

describe('sweep shards', () => {
  it('--shard I/N is 0-based and checked', () => {
    expect(parseShard('0/3')).toMatchObject({ index: 0, count: 3, source: '--shard' });
    expect(parseShard('2/3')).toMatchObject({ index: 2, count: 3 });
    for (const bad of ['3/3', '1/0', '-1/3', '1', 'a/b', '1/2/3', '']) {
      expect(() => parseShard(bad), bad).toThrow(/^--shard = ".*": expected I\/N with integers N >= 1 and 0 <= I < N/);
    }
  });

  it('grid index k goes to shard k mod N: every run in exactly one shard', () => {
    const shards = [0, 1, 2].map((i) => parseShard(`${i}/3`));
    const owners = Array.from({ length: 10 }, (_, k) => shards.filter((s) => inShard(s, k)).map((s) => s.index));
    expect(owners).toEqual([[0], [1], [2], [0], [1], [2], [0], [1], [2], [0]]);
    expect(inShard(null, 7)).toBe(true);
    expect(shardResultsName('grid', shards[1])).toBe('grid.shard-1-of-3.jsonl');
    expect(shardResultsName('grid', null)).toBe('grid.jsonl');
    expect(isShardResultsName('grid', 'grid.shard-1-of-3.jsonl')).toBe(true);
    expect(isShardResultsName('grid', 'grid.jsonl')).toBe(false);
    expect(isShardResultsName('grid', 'grid2.shard-1-of-3.jsonl')).toBe(false);
  });

  it('Kubernetes Indexed Job: JOB_COMPLETION_INDEX (0-based) of SLIMTRAIN_SHARD_COUNT', () => {
    expect(indexAndCount({ JOB_COMPLETION_INDEX: '0', SLIMTRAIN_SHARD_COUNT: '4' })).toEqual([0, 4, 'Kubernetes']);
    expect(indexAndCount({ JOB_COMPLETION_INDEX: '3', SLIMTRAIN_SHARD_COUNT: '4' })).toEqual([3, 4, 'Kubernetes']);
    expect(shardFromEnvironment({ JOB_COMPLETION_INDEX: '3', SLIMTRAIN_SHARD_COUNT: '4' })!.detail).toBe('JOB_COMPLETION_INDEX=3, SLIMTRAIN_SHARD_COUNT=4');
    // Kubernetes sets no variable for completions: without the manifest's, it is an error, not one shard.
    expect(() => shardFromEnvironment({ JOB_COMPLETION_INDEX: '2' })).toThrow(/^SLIMTRAIN_SHARD_COUNT = undefined: expected the Job's completions, set in its manifest .*--shard 2\/N/);
    expect(() => shardFromEnvironment({ JOB_COMPLETION_INDEX: '4', SLIMTRAIN_SHARD_COUNT: '4' })).toThrow(/^JOB_COMPLETION_INDEX = 4: expected an index below SLIMTRAIN_SHARD_COUNT = 4/);
    expect(() => shardFromEnvironment({ JOB_COMPLETION_INDEX: 'x', SLIMTRAIN_SHARD_COUNT: '4' })).toThrow(/^JOB_COMPLETION_INDEX = "x": expected an integer >= 0/);
    expect(() => shardFromEnvironment({ JOB_COMPLETION_INDEX: '0', SLIMTRAIN_SHARD_COUNT: '0' })).toThrow(/^SLIMTRAIN_SHARD_COUNT = "0": expected an integer >= 1/);
  });

  it('Slurm job array: (TASK_ID - TASK_MIN) / TASK_STEP of TASK_COUNT, whatever the first index', () => {
    const slurm = (id: number, min: number, max: number, count: number, step?: number) => ({
      SLURM_ARRAY_TASK_ID: String(id), SLURM_ARRAY_TASK_MIN: String(min), SLURM_ARRAY_TASK_MAX: String(max), SLURM_ARRAY_TASK_COUNT: String(count),
      ...(step !== undefined ? { SLURM_ARRAY_TASK_STEP: String(step) } : {}),
    });
    // --array=0-3
    expect([0, 1, 2, 3].map((id) => indexAndCount(slurm(id, 0, 3, 4)))).toEqual([[0, 4, 'Slurm'], [1, 4, 'Slurm'], [2, 4, 'Slurm'], [3, 4, 'Slurm']]);
    // --array=1-4: task 1 is shard 0, task 4 is shard 3.
    expect([1, 4].map((id) => indexAndCount(slurm(id, 1, 4, 4)))).toEqual([[0, 4, 'Slurm'], [3, 4, 'Slurm']]);
    // --array=10-16:3 (tasks 10, 13, 16).
    expect([10, 13, 16].map((id) => indexAndCount(slurm(id, 10, 16, 3, 3)))).toEqual([[0, 3, 'Slurm'], [1, 3, 'Slurm'], [2, 3, 'Slurm']]);
    // Without SLURM_ARRAY_TASK_MAX (older Slurm) the range is taken as contiguous.
    expect(indexAndCount({ SLURM_ARRAY_TASK_ID: '6', SLURM_ARRAY_TASK_MIN: '5', SLURM_ARRAY_TASK_COUNT: '2' })).toEqual([1, 2, 'Slurm']);
    expect(shardFromEnvironment(slurm(7, 5, 7, 3))!.detail).toBe('SLURM_ARRAY_TASK_ID=7, SLURM_ARRAY_TASK_MIN=5, SLURM_ARRAY_TASK_COUNT=3');
    // --array=3,7,8 (a list): no mapping every task agrees on.
    expect(() => shardFromEnvironment(slurm(7, 3, 8, 3))).toThrow(/^SLURM_ARRAY_TASK_COUNT = 3: expected 6 tasks from SLURM_ARRAY_TASK_MIN = 3 to SLURM_ARRAY_TASK_MAX = 8 in steps of 1: submit one evenly stepped range/);
    expect(() => shardFromEnvironment(slurm(11, 10, 16, 3, 3))).toThrow(/^SLURM_ARRAY_TASK_ID = 11: expected one of 10, 13, \.\.\., 16/);
    expect(() => shardFromEnvironment({ SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_TASK_MIN: '0' })).toThrow(/^SLURM_ARRAY_TASK_COUNT = undefined: expected an integer >= 1/);
  });

  it('the flag wins; no batch system means the whole sweep; two at once is refused', () => {
    const env = { JOB_COMPLETION_INDEX: '1', SLIMTRAIN_SHARD_COUNT: '2' };
    expect(resolveShard('0/5', env)).toMatchObject({ index: 0, count: 5, source: '--shard' });
    expect(resolveShard(undefined, env)).toMatchObject({ index: 1, count: 2, source: 'Kubernetes' });
    expect(resolveShard(undefined, { HOME: '/root', SLURM_JOB_ID: '12' })).toBeNull();
    expect(() => resolveShard(undefined, { ...env, SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_COUNT: '2' })).toThrow(/^environment = .*: expected one batch system, not both/);
  });
});

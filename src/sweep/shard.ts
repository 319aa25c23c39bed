import { ArgumentError } from '../errors.js';

/**
 * A shard of a sweep: `index` of `count`, numbered from 0. Run k of the expanded grid (the order
 * of sweepRuns) belongs to shard k mod count, whatever is already done, so every machine agrees
 * on the split without talking to the others.
 */
export interface SweepShard {
  index: number;
  count: number;
  /** Where it came from, for the line the sweep prints: '--shard', 'Kubernetes' or 'Slurm'. */
  source: '--shard' | 'Kubernetes' | 'Slurm';
  /** The variables it was read from (name = value), empty for --shard. */
  detail: string;
}

/** The variable a Kubernetes manifest sets to the Job's completions (Kubernetes itself does not). */
export const SHARD_COUNT_VARIABLE = 'SLIMTRAIN_SHARD_COUNT';

const SHARD_SYNTAX = 'I/N with integers N >= 1 and 0 <= I < N (shards are numbered from 0, as JOB_COMPLETION_INDEX)';

/** Parses `--shard I/N` (0-based I). */
export function parseShard(text: string): SweepShard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index >= count) throw new ArgumentError('--shard', text, SHARD_SYNTAX);
  return { index, count, source: '--shard', detail: '' };
}

type Env = Record<string, string | undefined>;

function integerVariable(env: Env, name: string, min: number): number {
  const text = env[name];
  const v = Number(text);
  if (text === undefined || text.trim() === '' || !Number.isInteger(v) || v < min) throw new ArgumentError(name, text, `an integer >= ${min}`);
  return v;
}

/**
 * The shard a batch system's environment names, or null outside one.
 * - Kubernetes Indexed Job: JOB_COMPLETION_INDEX (0-based) is set by Kubernetes; the count is
 *   SLIMTRAIN_SHARD_COUNT, which the manifest sets to the Job's `completions` (Kubernetes exposes
 *   no variable for it).
 * - Slurm job array: index = (SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN) / SLURM_ARRAY_TASK_STEP,
 *   count = SLURM_ARRAY_TASK_COUNT; the array must be one evenly stepped range (--array=0-9,
 *   1-10, 0-18:2), checked with SLURM_ARRAY_TASK_MAX, since a list such as --array=3,7 has no
 *   index-to-shard mapping that every task could agree on.
 * Both at once is refused rather than guessed.
 *
 * @example
 * shardFromEnvironment({ JOB_COMPLETION_INDEX: '2', SLIMTRAIN_SHARD_COUNT: '8' }); // { index: 2, count: 8, source: 'Kubernetes', ... }
 * shardFromEnvironment({ SLURM_ARRAY_TASK_ID: '5', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '8', SLURM_ARRAY_TASK_COUNT: '8' }); // index 4 of 8
 */
export function shardFromEnvironment(env: Env): SweepShard | null {
  const kubernetes = env.JOB_COMPLETION_INDEX !== undefined;
  const slurm = env.SLURM_ARRAY_TASK_ID !== undefined;
  if (kubernetes && slurm) {
    throw new ArgumentError('environment', `JOB_COMPLETION_INDEX = ${env.JOB_COMPLETION_INDEX} and SLURM_ARRAY_TASK_ID = ${env.SLURM_ARRAY_TASK_ID}`, 'one batch system, not both: pass --shard I/N');
  }
  if (kubernetes) {
    const index = integerVariable(env, 'JOB_COMPLETION_INDEX', 0);
    if (env[SHARD_COUNT_VARIABLE] === undefined) {
      throw new ArgumentError(SHARD_COUNT_VARIABLE, undefined, `the Job's completions, set in its manifest (JOB_COMPLETION_INDEX = ${index} says this is a Kubernetes Indexed Job; or pass --shard ${index}/N)`);
    }
    const count = integerVariable(env, SHARD_COUNT_VARIABLE, 1);
    if (index >= count) throw new ArgumentError('JOB_COMPLETION_INDEX', index, `an index below ${SHARD_COUNT_VARIABLE} = ${count} (set it to the Job's completions)`);
    return { index, count, source: 'Kubernetes', detail: `JOB_COMPLETION_INDEX=${index}, ${SHARD_COUNT_VARIABLE}=${count}` };
  }
  if (slurm) {
    const id = integerVariable(env, 'SLURM_ARRAY_TASK_ID', 0);
    const min = integerVariable(env, 'SLURM_ARRAY_TASK_MIN', 0);
    const count = integerVariable(env, 'SLURM_ARRAY_TASK_COUNT', 1);
    const step = env.SLURM_ARRAY_TASK_STEP === undefined ? 1 : integerVariable(env, 'SLURM_ARRAY_TASK_STEP', 1);
    const max = env.SLURM_ARRAY_TASK_MAX === undefined ? min + (count - 1) * step : integerVariable(env, 'SLURM_ARRAY_TASK_MAX', min);
    if (max !== min + (count - 1) * step) {
      throw new ArgumentError('SLURM_ARRAY_TASK_COUNT', count, `${(max - min) / step + 1} tasks from SLURM_ARRAY_TASK_MIN = ${min} to SLURM_ARRAY_TASK_MAX = ${max} in steps of ${step}: ` +
        'submit one evenly stepped range (--array=0-N), or pass --shard I/N');
    }
    const offset = id - min;
    if (offset < 0 || offset % step !== 0 || offset / step >= count) {
      throw new ArgumentError('SLURM_ARRAY_TASK_ID', id, `one of ${min}, ${min + step}, ..., ${max} (SLURM_ARRAY_TASK_MIN, _STEP and _MAX)`);
    }
    return { index: offset / step, count, source: 'Slurm', detail: `SLURM_ARRAY_TASK_ID=${id}, SLURM_ARRAY_TASK_MIN=${min}, SLURM_ARRAY_TASK_COUNT=${count}` };
  }
  return null;
}

/** The flag wins over the environment; null when neither names a shard (the whole sweep). */
export function resolveShard(flag: string | undefined, env: Env): SweepShard | null {
  return flag !== undefined ? parseShard(flag) : shardFromEnvironment(env);
}

/** Whether grid index k belongs to the shard (everything belongs to no shard). */
export function inShard(shard: SweepShard | null, k: number): boolean {
  return shard === null || k % shard.count === shard.index;
}

/** The JSONL a shard appends to, beside the sweep's own: NAME.shard-I-of-N.jsonl. */
export function shardResultsName(name: string, shard: SweepShard | null): string {
  return shard ? `${name}.shard-${shard.index}-of-${shard.count}.jsonl` : `${name}.jsonl`;
}

/** Matches the file names shardResultsName gives a sweep's shards. */
export function isShardResultsName(name: string, file: string): boolean {
  return file.startsWith(`${name}.shard-`) && /^\.shard-\d+-of-\d+\.jsonl$/.test(file.slice(name.length));
}

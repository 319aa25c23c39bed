import type { SweepRun } from './config.js';
import type { SweepRow } from './results_file.js';
import type { SweepResult } from './run.js';

/** What a merge of shard rows found wrong, each naming the run and where its rows were read. */
export interface MergeProblems {
  /** Runs of the grid with no row. */
  missing: string[];
  /** Runs with more than one row of this config: the places of all of them. */
  duplicated: { id: string; places: string[] }[];
  /**
   * Rows that are not this config's: an id the grid lacks, or a configHash other than the run's
   * where the run has no row of this config.
   */
  foreign: { id: string; place: string; reason: string }[];
}

/**
 * Rows of an earlier version of a run (another configHash, such as another epoch limit) whose run
 * also has a row of this config: history the results files keep, as the runner treats them; not
 * merged, and not a problem.
 */
export interface SupersededRow {
  id: string;
  place: string;
}

export interface MergedSweep {
  /** One row per run that has a row of this config, in grid order (the first, where duplicated). */
  results: SweepResult[];
  problems: MergeProblems;
  superseded: SupersededRow[];
}

/** The number of problems a merge found. */
export function mergeProblemCount(p: MergeProblems): number {
  return p.missing.length + p.duplicated.length + p.foreign.length;
}

/**
 * Checks rows gathered from a sweep's shards against its grid: every run must have exactly one
 * row carrying the run's config hash (sweepRunHash). Pure: reading the files is the caller's.
 *
 * @example
 * const hashes = new Map(await Promise.all(runs.map(async (r) => [r.id, await sweepRunHash(config, r)] as const)));
 * const { results, problems } = mergeSweepRows(runs, hashes, rows);
 */
export function mergeSweepRows(runs: readonly SweepRun[], hashes: ReadonlyMap<string, string>, rows: readonly SweepRow[]): MergedSweep {
  const problems: MergeProblems = { missing: [], duplicated: [], foreign: [] };
  const byId = new Map<string, SweepRow[]>();
  const stale: SweepRow[] = [];
  for (const row of rows) {
    const { id, configHash } = row.result;
    const want = hashes.get(id);
    if (want === undefined) problems.foreign.push({ id, place: row.place, reason: 'this run is not in the config\'s grid' });
    else if (configHash === undefined) problems.foreign.push({ id, place: row.place, reason: 'the row has no configHash (written by an older slimtrain)' });
    else if (configHash !== want) stale.push(row);
    else {
      let list = byId.get(id);
      if (!list) byId.set(id, (list = []));
      list.push(row);
    }
  }
  // As the runner reads a results file (recordedRuns in src/cli/commands/sweep.ts): a stale row
  // whose run has a row of this config is history.
  const superseded: SupersededRow[] = [];
  for (const row of stale) {
    const { id, configHash } = row.result;
    if (byId.has(id)) superseded.push({ id, place: row.place });
    else problems.foreign.push({ id, place: row.place, reason: `its configHash ${configHash} is not this config's ${hashes.get(id)}` });
  }
  const results: SweepResult[] = [];
  for (const run of runs) {
    const list = byId.get(run.id);
    if (!list) problems.missing.push(run.id);
    else {
      if (list.length > 1) problems.duplicated.push({ id: run.id, places: list.map((r) => r.place) });
      results.push(list[0].result);
    }
  }
  return { results, problems, superseded };
}

/** The problems as lines, one per run: `missing: adam+l2/0.001/seed1 (no row in any file)`. */
export function describeMergeProblems(p: MergeProblems): string[] {
  return [
    ...p.missing.map((id) => `missing: ${id} (no row of this config in any file)`),
    ...p.duplicated.map((d) => `duplicated: ${d.id} (${d.places.length} rows: ${d.places.join(', ')})`),
    ...p.foreign.map((f) => `foreign: ${f.id} at ${f.place}: ${f.reason}`),
  ];
}

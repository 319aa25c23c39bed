// A study: one table and one plot over several sweeps' results, for comparisons that need more
// than one config (methods trained from scratch in one sweep, others started from a pretrained
// model in another). A run that two sweeps share (the same configHash: the dense baseline both
// start from, say) is counted once, and the same condition at other seeds in another sweep joins
// its point: a point is every recorded run of one condition, whichever sweep recorded it.

import { sweepRuns, type SweepConfig, type SweepMethod } from './config.js';
import { canonicalJson, sweepRunIdentity } from './fingerprint.js';
import { sweepPoint, sweepSvg, sweepTable, type SweepPoint } from './report.js';
import type { SweepResult } from './run.js';

/** One sweep of a study: its config and its recorded rows (rows of other configs are ignored). */
export interface StudySweep {
  config: SweepConfig;
  results: readonly SweepResult[];
}

/**
 * What a run trains, without its seed: its identity (sweepRunIdentity) at seed 0, which also sets
 * the seed of the run it starts from to 0. Two runs with one condition differ only by seed.
 */
function conditionOf(config: SweepConfig, run: { method: string; strength: number }): string {
  return canonicalJson(sweepRunIdentity(config, { id: '', method: run.method, strength: run.strength, seed: 0 }));
}

/** A method's settings without the strength: its conditions at every strength share this (one curve). */
function familyOf(config: SweepConfig, method: string): string {
  // -1 is no valid strength: every "$strength" and the strength field read the same at all strengths.
  return conditionOf(config, { method, strength: -1 });
}

/**
 * The study's points: one per condition, its rows deduplicated by configHash across sweeps. Methods
 * that share a name but not their settings are told apart by their start ("hoyer-square (from
 * dense)"), else by their sweep's name; each label's points come in strength order, at the place
 * its first condition is recorded.
 */
export function studyPoints(sweeps: readonly StudySweep[]): SweepPoint[] {
  const groups = new Map<string, { method: SweepMethod; family: string; sweep: string; strength: number; rows: Map<string, SweepResult> }>();
  for (const { config, results } of sweeps) {
    const byId = new Map(results.map((r) => [r.id, r]));
    for (const run of sweepRuns(config)) {
      const row = byId.get(run.id);
      if (!row) continue;
      const key = conditionOf(config, run);
      let group = groups.get(key);
      if (!group) {
        group = { method: config.methods.find((m) => m.name === run.method)!, family: familyOf(config, run.method), sweep: config.name, strength: run.strength, rows: new Map() };
        groups.set(key, group);
      }
      // Rows without a configHash (older slimtrain) cannot be matched across sweeps: keyed by sweep and id.
      group.rows.set(row.configHash ?? `${config.name}/${row.id}`, row);
    }
  }
  const labelled = [...groups.values()].map((g) => {
    const point = sweepPoint(g.method, g.strength, [...g.rows.values()]);
    const { startedFrom, ...rest } = point;
    return { point: { ...rest, method: `${point.method}${startedFrom ? ` (from ${startedFrom})` : ''}` }, family: g.family, sweep: g.sweep };
  });
  // A label over two families (the same name, other settings) would join them in one curve.
  const families = new Map<string, Set<string>>();
  for (const { point, family } of labelled) families.set(point.method, (families.get(point.method) ?? new Set()).add(family));
  const named = labelled.map(({ point, sweep }) => (families.get(point.method)!.size > 1 ? { ...point, method: `${point.method} [${sweep}]` } : point));
  const order = [...new Set(named.map((p) => p.method))];
  return order.flatMap((label) => named.filter((p) => p.method === label).sort((a, b) => a.strength - b.strength));
}

/** The study's markdown page: which sweeps, the table over all of them and the plot. */
export function studyMarkdown(name: string, sweeps: readonly StudySweep[], points: readonly SweepPoint[], command: string, svgFile: string): string {
  const listed = sweeps.map(({ config, results }) => `- \`${config.name}\`: ${results.length} of ${sweepRuns(config).length} runs recorded`);
  return `# Study: ${name}

Every recorded run of these sweeps, one row per condition (method, settings and strength) with the
mean ± standard deviation over its seeds; a run two sweeps share (one configHash) counts once.

${listed.join('\n')}

${sweepTable([...points])}

![test accuracy against size](${svgFile})

Written by \`${command}\`.
`;
}

/** The study's plot (sweepSvg over the study's points; the accuracy axis from minAccuracy when given). */
export function studySvg(name: string, points: readonly SweepPoint[], minAccuracy?: number): string {
  return sweepSvg([...points], `${name}: test accuracy against size`, minAccuracy === undefined ? {} : { minAccuracy });
}

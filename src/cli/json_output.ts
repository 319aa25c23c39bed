/**
 * The CLI's --json edge: the typed results (SparsityReport, ReductionReport) written with the
 * snake_case keys that `slimtrain ... --json` has always printed. Nothing else reads these objects.
 */
import type { BeforeAfter, ReductionReport } from '../reduce/report.js';
import type { SparsityReport } from '../sparsity/measure.js';

/** The smallest, median and largest of a layer's group norms. */
export function normRange(norms: ArrayLike<number>): { min: number; median: number; max: number } {
  const sorted = Float64Array.from(norms).sort();
  return { min: sorted[0], median: sorted[sorted.length >> 1], max: sorted[sorted.length - 1] };
}

/** The "sparsity" object of `slimtrain train --json` and the output of `slimtrain sparsity --json`. */
export function sparsityJson(report: SparsityReport): Record<string, unknown> {
  return {
    xi: report.threshold.xi,
    xi_rule: report.threshold.rule,
    xi_reason: report.threshold.reason,
    hidden_units: report.hiddenUnits,
    dead_hidden_units: report.deadHiddenUnits,
    zero_weights: report.zeroWeights,
    weights: report.weights,
    layers: report.layers.map((l) => {
      const range = normRange(l.norms);
      return {
        name: l.layer, units: l.units, dead: l.dead.length, element_sparsity: l.elementSparsity,
        min_norm: range.min, median_norm: range.median, max_norm: range.max,
      };
    }),
  };
}

/** A before/after pair as `NAME_before` and `NAME_after`. */
function pair(name: string, q: BeforeAfter): Record<string, number> {
  return { [`${name}_before`]: q.before, [`${name}_after`]: q.after };
}

/** The "reduced" object of `slimtrain train --json` and the output of `slimtrain reduce --json`. */
export function reductionJson(r: ReductionReport): Record<string, unknown> {
  return {
    ...pair('params', r.parameters),
    ...pair('flops', r.flops),
    ...pair('nonzeros', r.nonzeros),
    ...pair('bytes', r.bytes),
    latency_ms_before: { batch1: r.latencyMs.batch1.before, batch64: r.latencyMs.batch64.before },
    latency_ms_after: { batch1: r.latencyMs.batch1.after, batch64: r.latencyMs.batch64.after },
    max_logit_diff: r.maxLogitDifferenceAbsolute,
    max_logit_diff_relative: r.maxLogitDifference,
    xi: r.xi,
    xi_rule: r.xiRule,
    layers: r.layers.map((l) => ({
      name: l.name, units: l.units, kept: l.kept, removed: l.removed, dead: l.dead, unused: l.unused,
      kept_for_padding: l.keptForPadding,
      ...pair('params', l.parameters), ...pair('nonzeros', l.nonzeros), ...pair('flops', l.flops), ...pair('bytes', l.bytes),
      latency_ms_before: { batch1: l.latencyMs.batch1.before, batch64: l.latencyMs.batch64.before },
      latency_ms_after: { batch1: l.latencyMs.batch1.after, batch64: l.latencyMs.batch64.after },
    })),
  };
}

import { lineChartSvg } from './line_chart.js';
import type { SweepResult } from './run.js';

/**
 * Validation accuracy against the share of weights left, at every evaluation of each
 * iterative-pruning run (its evaluationLog), one line per run, one colour per method and strength:
 * how accuracy holds as the loop prunes. The x axis is log10 of the share, from 100% down to the
 * sparsest evaluation. Null when no row has an evaluation log.
 */
export function pruningCurvesSvg(results: readonly SweepResult[], title: string): string | null {
  const runs = results.filter((r) => r.evaluationLog?.some((e) => e.remaining > 0));
  if (runs.length === 0) return null;
  // Evaluations with nothing left (all pruned) cannot go on a log axis.
  const all = runs.flatMap((r) => r.evaluationLog!).filter((e) => e.remaining > 0);
  const sparsest = Math.min(...all.map((e) => e.remaining));
  // Whole decades on x, so that 1%, 10%, 100% are marked.
  const lowDecade = Math.min(-1, Math.floor(Math.log10(sparsest)));
  const xTicks = [];
  for (let d = lowDecade; d <= 0; d++) xTicks.push({ at: 10 ** d, label: `${+(100 * 10 ** d).toPrecision(3)}%` });
  const accuracies = all.map((e) => e.valAccuracy);
  const y0 = Math.max(0, Math.floor(20 * Math.min(...accuracies)) / 20);
  const yTicks = [];
  for (let k = 0; k <= 4; k++) {
    const v = y0 + ((1 - y0) * k) / 4;
    yTicks.push({ at: v, label: `${(100 * v).toFixed(1)}%` });
  }
  return lineChartSvg({
    title, xLabel: 'share of the pruned tensors\u2019 weights left (log scale)', yLabel: 'validation accuracy',
    xRange: [10 ** lowDecade, 1], yRange: [y0, 1], logX: true, xTicks, yTicks,
    lines: runs.map((r) => {
      const log = r.evaluationLog!.filter((e) => e.remaining > 0);
      const last = log[log.length - 1];
      return {
        group: `${r.method} ${r.strength}`, x: log.map((e) => e.remaining), y: log.map((e) => e.valAccuracy),
        title: `${r.id}: ${log.length} evaluations, the last at ${(100 * last.remaining).toFixed(2)}% left, ${(100 * last.valAccuracy).toFixed(2)}% validation accuracy`,
      };
    }),
  });
}

import { describe, expect, it } from 'vitest';
import type { PruningEvaluation } from '../../src/prune/iterative.js';
import { pruningCurvesSvg } from '../../src/sweep/pruning_plot.js';
import type { SweepResult } from '../../src/sweep/run.js';

function row(id: string, method: string, log: [number, number][]): SweepResult {
  const evaluationLog: PruningEvaluation[] = log.map(([remaining, valAccuracy], i) => ({ step: 250 * (i + 1), epoch: i, remaining, valAccuracy, pruned: true }));
  return { id, method, strength: 0.001, evaluationLog } as unknown as SweepResult;
}

describe('validation accuracy against weights left (the sweep plot of iterative pruning)', () => {
  it('draws one line per run with an evaluation log, x on a log scale of whole decades', () => {
    const rows = [
      row('selective/0.001/seed1', 'selective', [[1, 0.99], [0.1, 0.985], [0.01, 0.97]]),
      row('plain/0.001/seed1', 'plain', [[1, 0.99], [0.5, 0.99], [0.001, 0.9], [0, 0.1]]),
      { id: 'dense/0/seed1', method: 'dense', strength: 0 } as unknown as SweepResult,
    ];
    const svg = pruningCurvesSvg(rows, 'loop')!;
    expect(svg.match(/<polyline/g)!.length).toBe(2);
    // Decades from 0.1% (the sparsest nonzero share) to 100%.
    for (const label of ['0.1%', '1%', '10%', '100%']) expect(svg).toContain(`>${label}</text>`);
    // x: 100% at the right edge (760 - 20), 0.1% at the left (60); 1% a third of the way.
    const [first] = [...svg.matchAll(/points="([^"]+)"/g)].map((m) => m[1].split(' ').map((p) => p.split(',').map(Number)));
    expect(first[0][0]).toBeCloseTo(740, 0);
    expect(first[2][0]).toBeCloseTo(60 + (680 * 1) / 3, 0);
    // y from the lowest drawn accuracy (0.9; the 0.1 with nothing left is not drawn), floored to a twentieth, to 100%.
    expect(svg).toContain('>90.0%</text>');
    expect(svg).not.toContain('>10.0%</text>');
    // The evaluation with nothing left is left out of the log axis: 3 points on the second line.
    expect(svg.match(/points="([^"]+)"/g)![1].split(' ')).toHaveLength(3);
    expect(pruningCurvesSvg([rows[2]], 'none')).toBeNull();
  });
});

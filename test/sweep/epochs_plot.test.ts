import { describe, expect, it } from 'vitest';
import type { EpochRecord } from '../../src/experiment/epoch_record.js';
import { removableUnitsCurves, removableUnitsSvg } from '../../src/sweep/epochs_plot.js';
import type { SweepResult } from '../../src/sweep/run.js';

function row(id: string, method: string, dead: number[], phase: EpochRecord['phase'] = 'train', strength = 1): SweepResult {
  const history = dead.map((d, epoch) => ({ phase, epoch, deadUnits: d, hiddenUnits: 1000 }) as EpochRecord);
  return { id, method, strength, history } as unknown as SweepResult;
}

describe('removable units over epochs (the sweep plot)', () => {
  it('takes each row\'s main-training epochs, drops rows without two of them, and draws one line per run', () => {
    const rows = [
      row('adam/1/seed1', 'adam', [0, 34, 321, 484]),
      row('adam/1/seed2', 'adam', [0, 40, 300, 470]),
      row('sgd/1/seed1', 'sgd', [0, 0, 0, 0]),
      row('short/1/seed1', 'short', [5]),
      { ...row('tuned/1/seed1', 'tuned', [1, 2]), history: [...row('x', 'x', [1, 2]).history!, ...row('x', 'x', [9, 9, 9], 'fine-tune').history!] } as SweepResult,
    ];
    const curves = removableUnitsCurves(rows);
    expect(curves.map((c) => c.id)).toEqual(['adam/1/seed1', 'adam/1/seed2', 'sgd/1/seed1', 'tuned/1/seed1']);
    expect(curves[0]).toEqual({ id: 'adam/1/seed1', method: 'adam', group: 'adam 1', epochs: [1, 2, 3, 4], units: [0, 34, 321, 484], hiddenUnits: 1000 });
    expect(curves[3].units).toEqual([1, 2]); // the fine-tune's epochs are not training epochs
    const svg = removableUnitsSvg(rows, 'grid')!;
    expect(svg.match(/<polyline/g)!.length).toBe(4);
    // Both adam seeds (one method and strength) share a colour; sgd has another.
    const strokes = [...svg.matchAll(/<polyline fill="none" stroke="(#[0-9a-f]+)"/g)].map((m) => m[1]);
    expect(strokes[0]).toBe(strokes[1]);
    expect(strokes[2]).not.toBe(strokes[0]);
    // The last epoch of a 1000-unit run at 484 removable sits at 48.4% of the axis height above its foot.
    const last = svg.match(/points="([^"]+)"/)![1].split(' ').pop()!.split(',').map(Number);
    expect(last[1]).toBeCloseTo(380 - 50 - 0.484 * (380 - 40 - 50), 0);
    expect(removableUnitsSvg([row('a', 'a', [3])], 'none')).toBeNull();
  });
});

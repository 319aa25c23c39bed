import { describe, expect, it } from 'vitest';
import type { EpochRecord } from '../../src/experiment/epoch_record.js';
import { epochCurves, removableUnitsCurves, removableUnitsSvg, validationCurvesSvg, zeroShareSvg } from '../../src/sweep/epochs_plot.js';
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

describe('validation accuracy and exact zeros over epochs (the sweep plots)', () => {
  const history = (zeros: number[], val: (number | undefined)[], parameters: number[] = zeros.map(() => 500)) =>
    zeros.map((z, epoch) => ({ phase: 'train', epoch, kernelZeros: z, valAccuracy: val[epoch], parameters, deadUnits: 0, hiddenUnits: 10 }) as unknown as EpochRecord)
      .map((h, i) => ({ ...h, parameters: parameters[i] }));
  const result = (id: string, method: string, zeros: number[], val: (number | undefined)[], parameters?: number[]) =>
    ({ id, method, strength: 0.1, kernelWeights: 400, history: history(zeros, val, parameters) }) as unknown as SweepResult;

  it('draws the share of kernel weights exactly 0 per epoch, in % of the row\'s kernel weights', () => {
    const rows = [
      result('adamw/0.1/seed1', 'adamw', [0, 0, 0], [0.8, 0.85, 0.86]),
      result('padam/0.1/seed1', 'padam', [40, 200, 336], [0.8, 0.84, 0.87]),
      // Live reduction changed the parameter count: no denominator per epoch, so no curve.
      result('live/0.1/seed1', 'live', [0, 10, 20], [0.8, 0.8, 0.8], [500, 450, 400]),
    ];
    expect(epochCurves(rows, (h, r) => (100 * h.kernelZeros) / r.kernelWeights).map((c) => c.values[2])).toEqual([0, 84, 5]);
    const svg = zeroShareSvg(rows, 'zeros')!;
    expect(svg.match(/<polyline/g)!.length).toBe(2);
    expect(svg).toContain('padam/0.1/seed1: 84.0% exactly 0 after epoch 3');
    // 84% sits at 84% of the axis height above its foot.
    const last = [...svg.matchAll(/points="([^"]+)"/g)][1][1].split(' ').pop()!.split(',').map(Number);
    expect(last[1]).toBeCloseTo(380 - 50 - 0.84 * (380 - 40 - 50), 0);
    // Nothing exactly 0 anywhere: no plot.
    expect(zeroShareSvg([rows[0]], 'zeros')).toBeNull();
  });

  it('draws validation accuracy per epoch on an axis spanning the curves in steps of 5 points', () => {
    const rows = [result('a/0.1/seed1', 'a', [0, 0], [0.8312, 0.9153]), result('b/0.1/seed1', 'b', [0, 0], [undefined, 0.9])];
    const svg = validationCurvesSvg(rows, 'val')!;
    expect(svg.match(/<polyline/g)!.length).toBe(1); // b lacks a validation score at epoch 1
    expect(svg).toContain('a/0.1/seed1: 91.53% after epoch 2');
    expect(svg).toContain('>80%<');
    expect(svg).toContain('>95%<');
    expect(svg).not.toContain('>75%<');
    const pts = svg.match(/points="([^"]+)"/)![1].split(' ').map((p) => p.split(',').map(Number));
    // 83.12% on an 80-95% axis: 3.12 / 15 of the height above its foot.
    expect(pts[0][1]).toBeCloseTo(380 - 50 - (3.12 / 15) * (380 - 40 - 50), 0);
    expect(validationCurvesSvg([rows[1]], 'val')).toBeNull();
  });
});

describe('the validation plot\'s axis', () => {
  const run = (val: number[]) => ({ id: 'a/1/seed1', method: 'a', strength: 1, kernelWeights: 1, history: val.map((v, epoch) => ({ phase: 'train', epoch, valAccuracy: v, kernelZeros: 0, deadUnits: 0, hiddenUnits: 1 })) }) as unknown as SweepResult;
  it('spans at least 5 points when every value is 100%, and always ticks its top', () => {
    const full = validationCurvesSvg([run([1, 1])], 'v')!;
    expect(full).toContain('>95%<');
    expect(full).toContain('>100%<');
    // 100% is drawn at the top of the frame (y = 40), not at its foot.
    expect(full.match(/points="([^"]+)"/)![1].split(' ')[0].split(',').map(Number)[1]).toBeCloseTo(40, 0);
    // A 50-95% axis (10-point ticks) still labels 95%.
    const wide = validationCurvesSvg([run([0.52, 0.93])], 'v')!;
    expect(wide).toContain('>95%<');
    expect(wide).toContain('>55%<');
  });
});

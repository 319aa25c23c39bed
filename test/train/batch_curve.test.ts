import { describe, expect, it } from 'vitest';
import { BatchCurve } from '../../src/train/batch_curve.js';

const log = (epoch: number, batch: number, batches: number, loss: number) => ({ epoch, batch, batches, loss, dataLoss: loss - 0.1, penalty: 0.1, accuracy: loss / 10 });

describe('BatchCurve', () => {
  it('keeps every batch while there is room', () => {
    const curve = new BatchCurve({ maxPoints: 100 });
    for (let b = 0; b < 10; b++) curve.add(log(0, b, 10, b));
    expect(curve.points.map((p) => p.epochs)).toEqual([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
    expect(curve.points.map((p) => p.loss)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('merges neighbours when full: between max/2 and max points, each the mean of its batches', () => {
    const curve = new BatchCurve({ maxPoints: 8 });
    // 3 epochs of 7 batches: loss = the global batch index.
    for (let e = 0; e < 3; e++) for (let b = 0; b < 7; b++) curve.add(log(e, b, 7, e * 7 + b));
    const points = curve.points;
    expect(points.length).toBeGreaterThanOrEqual(4);
    expect(points.length).toBeLessThanOrEqual(8);
    // Every batch counted once, and each point's loss is the mean of the indices it covers.
    expect(points.reduce((s, p) => s + p.batches, 0)).toBe(21);
    let first = 0;
    for (const p of points) {
      const last = first + p.batches - 1;
      expect(p.loss).toBeCloseTo((first + last) / 2, 12);
      expect(p.dataLoss).toBeCloseTo(p.loss - 0.1, 12);
      expect(p.epochs).toBeCloseTo((last + 1) / 7, 12);
      first = last + 1;
    }
    expect(points.at(-1)!.epochs).toBe(3);
  });

  it('stays bounded over a long run', () => {
    const curve = new BatchCurve();
    for (let b = 0; b < 100_000; b++) curve.add(log(Math.floor(b / 1000), b % 1000, 1000, 1));
    expect(curve.points.length).toBeGreaterThanOrEqual(150);
    expect(curve.points.length).toBeLessThanOrEqual(300);
    expect(curve.points.reduce((s, p) => s + p.batches, 0)).toBe(100_000);
  });

  it('rejects a size that cannot hold a curve', () => {
    expect(() => new BatchCurve({ maxPoints: 1 })).toThrow(/maxPoints = 1: expected an integer of at least 2/);
    expect(() => new BatchCurve({ maxPoint: 5 } as never)).toThrow(/maxPoint/);
  });
});

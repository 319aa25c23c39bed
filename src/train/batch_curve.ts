import { ArgumentError } from '../errors.js';
import type { BatchLog } from './fit.js';
import { knownKeys, positiveInt } from '../validate.js';

/** One point of a training curve: the means over a run of consecutive batches. */
export interface BatchCurvePoint {
  /** Epochs elapsed at the last batch of the run: 0.5 = halfway through the first epoch, 1 = its end. */
  epochs: number;
  /** Batches in the run (the weight of this point when two are merged). */
  batches: number;
  /** Means over the run's batches: loss = dataLoss + penalty, as in BatchLog. */
  loss: number;
  dataLoss: number;
  penalty: number;
  accuracy: number;
}

/** How a BatchCurve thins a long run's batches into points. */
export interface BatchCurveOptions {
  /** Most points kept; when full, neighbours are merged in pairs. Default 300. At least 2. */
  maxPoints?: number;
}

/**
 * A per-batch training curve of bounded size, for charts: every batch is recorded, and when the
 * curve reaches maxPoints its points are merged pairwise (means over twice as many batches), so a
 * run of 100,000 batches still gives between maxPoints/2 and maxPoints points, evenly spaced. The
 * means also smooth the batch-to-batch noise.
 *
 * @example
 * const curve = new BatchCurve({ maxPoints: 200 });
 * await model.fit(x, y, { epochs: 3, onBatchEnd: (b) => curve.add(b) });
 * curve.points   // [{ epochs: 0.0136, batches: 1, loss: 2.31, dataLoss: 2.3, penalty: 0.01, accuracy: 0.09 }, ...]
 */
export class BatchCurve {
  private readonly maxPoints: number;
  private readonly done: BatchCurvePoint[] = [];
  /** Batches per point now; doubles at every merge. */
  private runLength = 1;
  private open: BatchCurvePoint | null = null;

  constructor(options: BatchCurveOptions = {}) {
    knownKeys('BatchCurve options', options, ['maxPoints']);
    this.maxPoints = positiveInt('maxPoints', options.maxPoints ?? 300);
    if (this.maxPoints < 2) throw new ArgumentError('maxPoints', this.maxPoints, 'an integer of at least 2');
  }

  /** Records one batch (fit's onBatchEnd log). */
  add(log: Pick<BatchLog, 'epoch' | 'batch' | 'batches' | 'loss' | 'dataLoss' | 'penalty' | 'accuracy'>): void {
    const point: BatchCurvePoint = {
      epochs: log.epoch + (log.batch + 1) / log.batches, batches: 1,
      loss: log.loss, dataLoss: log.dataLoss, penalty: log.penalty, accuracy: log.accuracy,
    };
    this.open = this.open ? merge(this.open, point) : point;
    if (this.open.batches < this.runLength) return;
    this.done.push(this.open);
    this.open = null;
    if (this.done.length < this.maxPoints) return;
    const merged: BatchCurvePoint[] = [];
    for (let i = 0; i + 1 < this.done.length; i += 2) merged.push(merge(this.done[i], this.done[i + 1]));
    // An odd point out waits in the open run, which now needs twice the batches.
    this.open = this.done.length % 2 ? this.done[this.done.length - 1] : null;
    this.done.length = 0;
    this.done.push(...merged);
    this.runLength *= 2;
  }

  /** The curve so far, the unfinished run included; a copy. */
  get points(): BatchCurvePoint[] {
    return this.open ? [...this.done, { ...this.open }] : this.done.slice();
  }
}

/** The point of two consecutive runs: their batch-weighted means, at the later one's position. */
function merge(a: BatchCurvePoint, b: BatchCurvePoint): BatchCurvePoint {
  const n = a.batches + b.batches;
  const mean = (x: number, y: number) => (x * a.batches + y * b.batches) / n;
  return {
    epochs: b.epochs, batches: n,
    loss: mean(a.loss, b.loss), dataLoss: mean(a.dataLoss, b.dataLoss), penalty: mean(a.penalty, b.penalty), accuracy: mean(a.accuracy, b.accuracy),
  };
}

import type { BatchLog, EpochLog } from '../train/fit.js';

/** 75 -> '1m15s', 3700 -> '1h01m'; '?' for a value not known yet. */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/**
 * The live progress display of `slimtrain train`: on a terminal one line redrawn in place (bar,
 * step/total, samples/s, ETA, loss, accuracy) at most every 100 ms; otherwise one plain line per
 * epoch, so logs stay readable.
 */
export class ProgressDisplay {
  private lastDraw = 0;

  constructor(
    private readonly write: (text: string) => void,
    private readonly isTTY: boolean,
    private readonly epochs: number,
  ) {}

  batch(b: BatchLog): void {
    if (!this.isTTY) return;
    const now = performance.now();
    if (now - this.lastDraw < 100 && b.batch + 1 < b.batches) return;
    this.lastDraw = now;
    const width = 24;
    const filled = Math.round((width * (b.batch + 1)) / b.batches);
    this.write(
      `\r\x1b[Kepoch ${b.epoch + 1}/${this.epochs} [${'='.repeat(filled)}${' '.repeat(width - filled)}] ${b.batch + 1}/${b.batches}` +
        `  ${b.samplesPerSecond.toFixed(0)} samples/s  ETA ${duration(b.eta)}  loss ${b.loss.toFixed(4)}  acc ${(100 * b.accuracy).toFixed(1)}%  ${b.parameters} params`,
    );
  }

  /** A line of its own between progress lines (a live-reduction cut, say). */
  note(text: string): void {
    this.write(`${this.isTTY ? '\r\x1b[K' : ''}${text}`);
  }

  epoch(e: EpochLog): void {
    const validation = e.valAccuracy !== undefined ? `, val loss ${e.valLoss!.toFixed(4)}, val acc ${(100 * e.valAccuracy).toFixed(2)}%` : '';
    this.write(
      `${this.isTTY ? '\r\x1b[K' : ''}epoch ${e.epoch + 1}/${this.epochs}: loss ${e.loss.toFixed(4)}, acc ${(100 * e.accuracy).toFixed(2)}%${validation}` +
        `, ${e.samplesPerSecond.toFixed(0)} samples/s, ${duration(e.seconds)}${e.parameters === undefined ? '' : `, ${e.parameters} parameters`}\n`,
    );
  }
}

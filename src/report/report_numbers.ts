/** How numbers read in a report: fixed English formatting so a page never depends on the reader's locale. */

const grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** 1234567 -> '1,234,567'; non-finite -> '–'. */
export function formatCount(n: number): string {
  return Number.isFinite(n) ? grouped.format(n) : '–';
}

/** 0.9734 -> '97.34%' (digits after the point). */
export function formatPercent(fraction: number, digits = 2): string {
  return Number.isFinite(fraction) ? `${(fraction * 100).toFixed(digits)}%` : '–';
}

/** A loss or other real value: 4 significant digits, exponent when tiny. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? '∞' : '−∞';
  return Math.abs(v) >= 1e-3 || v === 0 ? String(+v.toPrecision(4)) : v.toExponential(2);
}

/** 12_345_678 -> '12.3 M' (FLOPs and other large amounts). */
export function formatLarge(n: number): string {
  if (!Number.isFinite(n)) return '–';
  const units: [number, string][] = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
  for (const [size, suffix] of units) if (Math.abs(n) >= size) return `${+(n / size).toPrecision(3)} ${suffix}`;
  return String(Math.round(n));
}

/** 75.2 -> '1 min 15 s'; 3 -> '3.0 s'. */
export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '–';
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s - m * 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** A Date as '2025-03-01 14:05:09 UTC'; a string is kept as given. */
export function formatTimestamp(t: Date | string): string {
  if (typeof t === 'string') return t;
  return Number.isNaN(t.getTime()) ? 'invalid date' : `${t.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** Signed relative change: (after - before) / before -> '−62.5%' or '+3.0%'. */
export function formatChange(before: number, after: number): string {
  if (!(before > 0) || !Number.isFinite(after)) return '–';
  const change = (after - before) / before;
  const text = `${Math.abs(change * 100).toFixed(1)}%`;
  return change < 0 ? `−${text}` : change > 0 ? `+${text}` : '0.0%';
}

/** A threshold like 1e-3 -> '1e-3', 0.0025 -> '2.5e-3'. */
export function formatThreshold(t: number): string {
  if (!Number.isFinite(t)) return String(t);
  if (t === 0) return '0';
  const [mantissa, exponent] = t.toExponential().split('e');
  return `${+(+mantissa).toPrecision(3)}e${Number(exponent)}`;
}

const SUPERSCRIPT: Record<string, string> = { '-': '⁻', '0': '⁰', '1': '¹', '2': '²', '3': '³', '4': '⁴', '5': '⁵', '6': '⁶', '7': '⁷', '8': '⁸', '9': '⁹' };

/** An integer power of ten in print: -7 -> '10⁻⁷'. */
export function powerOfTen(exponent: number): string {
  return `10${String(exponent).replace(/[-0-9]/g, (c) => SUPERSCRIPT[c])}`;
}

/**
 * A count and its noun, singular or plural: (1, 'unit') -> '1 unit', (6, 'unit') -> '6 units',
 * (2, 'batch', 'batches') -> '2 batches'.
 */
export function countNoun(n: number, singular: string, plural = `${singular}s`): string {
  return `${formatCount(n)} ${n === 1 ? singular : plural}`;
}

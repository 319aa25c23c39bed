import { COLORS, escapeXml } from './report.js';
import type { SweepResult } from './run.js';

/** One run's removable units (hidden units below the epoch's xi) after each epoch of its main training. */
export interface RemovableUnitsCurve {
  id: string;
  method: string;
  /** The method and strength ("adam+l2 0.0005"): the seeds of one grid point share it, and a colour. */
  group: string;
  /** Epochs completed (1, 2, ...) and the removable units then. */
  epochs: number[];
  units: number[];
  hiddenUnits: number;
}

/** The curves of the rows that recorded a history of two or more training epochs, in row order. */
export function removableUnitsCurves(results: readonly SweepResult[]): RemovableUnitsCurve[] {
  return results.flatMap((r) => {
    const train = (r.history ?? []).filter((h) => h.phase === 'train');
    if (train.length < 2) return [];
    return [{ id: r.id, method: r.method, group: `${r.method} ${r.strength}`, epochs: train.map((h) => h.epoch + 1), units: train.map((h) => h.deadUnits), hiddenUnits: train[0].hiddenUnits }];
  });
}

/**
 * Removable units against epochs, one line per run, one colour per method and strength (its seeds
 * share it): when do units die, and does the count settle? Null when no row has such a history.
 */
export function removableUnitsSvg(results: readonly SweepResult[], title: string): string | null {
  const curves = removableUnitsCurves(results);
  if (curves.length === 0) return null;
  const groups = [...new Set(curves.map((c) => c.group))];
  const [W, H, left, right, top, bottom] = [760, 380, 60, 20, 40, 50];
  const maxEpoch = Math.max(...curves.flatMap((c) => c.epochs));
  const maxUnits = Math.max(1, ...curves.map((c) => c.hiddenUnits));
  const x = (e: number) => left + ((e - 1) / Math.max(1, maxEpoch - 1)) * (W - left - right);
  const y = (u: number) => H - bottom - (u / maxUnits) * (H - top - bottom);
  const legendRows = Math.ceil(groups.length / 4);
  let svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H + 20 * legendRows}" font-family="sans-serif" font-size="11">`;
  svg += '<rect width="100%" height="100%" fill="white"/>';
  svg += `<text x="${W / 2}" y="18" text-anchor="middle" font-size="14">${escapeXml(title)}</text>`;
  svg += `<rect x="${left}" y="${top}" width="${W - left - right}" height="${H - top - bottom}" fill="none" stroke="#999"/>`;
  for (let k = 0; k <= 4; k++) {
    const u = Math.round((k * maxUnits) / 4);
    svg += `<line x1="${left}" y1="${y(u)}" x2="${W - right}" y2="${y(u)}" stroke="#eee"/><text x="${left - 4}" y="${y(u) + 4}" text-anchor="end">${u}</text>`;
  }
  const step = Math.max(1, Math.ceil(maxEpoch / 10));
  for (let e = 1; e <= maxEpoch; e += e === 1 && step > 1 ? step - 1 : step) {
    svg += `<text x="${x(e).toFixed(1)}" y="${H - bottom + 14}" text-anchor="middle">${e}</text>`;
  }
  svg += `<text x="${(left + W - right) / 2}" y="${H - bottom + 32}" text-anchor="middle">epoch</text>`;
  svg += `<text x="14" y="${(top + H - bottom) / 2}" text-anchor="middle" transform="rotate(-90 14 ${(top + H - bottom) / 2})">removable hidden units (of ${maxUnits})</text>`;
  for (const c of curves) {
    const color = COLORS[groups.indexOf(c.group) % COLORS.length];
    const points = c.epochs.map((e, i) => `${x(e).toFixed(1)},${y(c.units[i]).toFixed(1)}`).join(' ');
    svg += `<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${points}"><title>${escapeXml(`${c.id}: ${c.units[c.units.length - 1]} removable after epoch ${c.epochs[c.epochs.length - 1]}`)}</title></polyline>`;
  }
  groups.forEach((m, i) => {
    const [lx, ly] = [left + (i % 4) * 180, H + 4 + 20 * Math.floor(i / 4)];
    svg += `<rect x="${lx}" y="${ly - 9}" width="12" height="12" fill="${COLORS[i % COLORS.length]}"/><text x="${lx + 18}" y="${ly + 1}">${escapeXml(m)}</text>`;
  });
  return `${svg}</svg>\n`;
}

// The figure of docs/benchmarks.md's sparse section, from bench:sparse's JSON:
//   npm run bench:sparse -- --json > sparse.json
//   node bench/run.mjs sparse-plot sparse.json docs/sparse-latency.svg
// Two panels (batch 1, batch 64): per model, latency per sample relative to our dense kernel on
// the same model at the same density (log scale; below 1 is faster), against kernel density.
import { readFileSync, writeFileSync } from 'node:fs';

import type { SparseBenchRow as Row } from './sparse.js';

const COLORS: Record<string, string> = { 'lenet-300-100': '#1f77b4', lenet5: '#d62728', 'fashion-cnn': '#2ca02c' };
const DASH: Record<string, string> = { sparse: '', auto: '2 3', tfjs_wasm: '8 4' };
const W = 980, H = 420, top = 40, bottom = 90, left = 70, gap = 70;
const panelW = (W - left - gap - 30) / 2;
const Y_MIN = 0.05, Y_MAX = 5;

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The SVG text of the figure. */
export function sparseLatencySvg(rows: readonly Row[], title: string): string {
  const densities = [...new Set(rows.map((r) => r.density))].sort((a, b) => a - b);
  const [dMin, dMax] = [Math.min(...densities) * 0.8, 1.25];
  let svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11"><rect width="100%" height="100%" fill="white"/>`;
  svg += `<text x="${W / 2}" y="18" text-anchor="middle" font-size="14">${escapeXml(title)}</text>`;
  const y = (v: number) => top + ((Math.log(Y_MAX) - Math.log(Math.min(Y_MAX, Math.max(Y_MIN, v)))) / (Math.log(Y_MAX) - Math.log(Y_MIN))) * (H - top - bottom);
  [1, 64].forEach((batch, p) => {
    const x0 = left + p * (panelW + gap);
    const x = (d: number) => x0 + ((Math.log(d) - Math.log(dMin)) / (Math.log(dMax) - Math.log(dMin))) * panelW;
    svg += `<rect x="${x0}" y="${top}" width="${panelW}" height="${H - top - bottom}" fill="none" stroke="#999"/>`;
    for (const d of [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1]) {
      svg += `<line x1="${x(d)}" y1="${top}" x2="${x(d)}" y2="${H - bottom}" stroke="#eee"/><text x="${x(d)}" y="${H - bottom + 14}" text-anchor="middle">${100 * d}%</text>`;
    }
    for (const v of [0.05, 0.1, 0.2, 0.5, 1, 2, 5]) {
      svg += `<line x1="${x0}" y1="${y(v)}" x2="${x0 + panelW}" y2="${y(v)}" stroke="${v === 1 ? '#999' : '#eee'}"/><text x="${x0 - 4}" y="${y(v) + 4}" text-anchor="end">${v}</text>`;
    }
    svg += `<text x="${x0 + panelW / 2}" y="${H - bottom + 32}" text-anchor="middle">kernel density (nonzeros / weights), batch ${batch}</text>`;
    svg += `<text x="${x0 - 44}" y="${(top + H - bottom) / 2}" text-anchor="middle" transform="rotate(-90 ${x0 - 44} ${(top + H - bottom) / 2})">latency / our dense kernel's</text>`;
    for (const model of Object.keys(COLORS)) {
      const series = rows.filter((r) => r.model === model && r.batch === batch).sort((a, b) => a.density - b.density);
      if (!series.length) continue;
      for (const variant of ['sparse', 'auto', 'tfjs_wasm'] as const) {
        const points = series.map((r) => `${x(r.density)},${y(r[`${variant}_ms`] / r.dense_ms)}`).join(' ');
        svg += `<polyline points="${points}" fill="none" stroke="${COLORS[model]}" stroke-width="1.6" stroke-dasharray="${DASH[variant]}"/>`;
        if (variant === 'sparse') for (const r of series) svg += `<circle cx="${x(r.density)}" cy="${y(r.sparse_ms / r.dense_ms)}" r="2.5" fill="${COLORS[model]}"/>`;
      }
    }
  });
  // Legend: colours are models, dashes are variants.
  let lx = left;
  const ly = H - 30;
  for (const [model, color] of Object.entries(COLORS)) {
    svg += `<line x1="${lx}" y1="${ly}" x2="${lx + 24}" y2="${ly}" stroke="${color}" stroke-width="3"/><text x="${lx + 30}" y="${ly + 4}">${model}</text>`;
    lx += 115;
  }
  for (const [variant, dash] of Object.entries(DASH)) {
    const label = variant === 'sparse' ? 'sparse kernel' : variant === 'auto' ? 'auto (per layer)' : 'TensorFlow.js wasm (dense)';
    svg += `<line x1="${lx}" y1="${ly}" x2="${lx + 30}" y2="${ly}" stroke="#333" stroke-width="1.6" stroke-dasharray="${dash}"/><text x="${lx + 36}" y="${ly + 4}">${label}</text>`;
    lx += 165;
  }
  return `${svg}</svg>\n`;
}

export async function main(args: readonly string[]): Promise<void> {
  const [input, output] = args;
  if (!input || !output) throw new Error('usage: node bench/run.mjs sparse-plot RESULTS.json OUT.svg (RESULTS.json from npm run bench:sparse -- --json)');
  const { rows } = JSON.parse(readFileSync(input, 'utf8')) as { rows: Row[] };
  writeFileSync(output, sparseLatencySvg(rows, 'bench:sparse: latency per sample relative to our dense kernel, by density (1 thread, loaded 2-core machine)'));
}

import { COLORS, escapeXml } from './report.js';

/** One line of a LineChart: its points, the group whose colour it takes, and its hover text. */
export interface ChartLine {
  group: string;
  x: number[];
  y: number[];
  title: string;
}

/** A static SVG line chart of a sweep's runs: the axes map data to the frame, ticks are given. */
export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  /** Data ranges drawn across the frame; with `log`, x is drawn on a log10 scale. */
  xRange: [number, number];
  yRange: [number, number];
  logX?: boolean;
  /** Ticks: data values and their labels. */
  xTicks: { at: number; label: string }[];
  yTicks: { at: number; label: string }[];
  lines: ChartLine[];
}

const [W, H, LEFT, RIGHT, TOP, BOTTOM] = [760, 380, 60, 20, 40, 50];

/**
 * The chart as SVG: frame, grid lines at the y ticks, one polyline per line, one colour per group
 * (in order of first appearance) and a legend of the groups, four to a row.
 */
export function lineChartSvg(chart: LineChart): string {
  const groups = [...new Set(chart.lines.map((l) => l.group))];
  const scale = (v: number) => (chart.logX ? Math.log10(v) : v);
  const [x0, x1] = chart.xRange.map(scale);
  const [y0, y1] = chart.yRange;
  const x = (v: number) => LEFT + ((scale(v) - x0) / (x1 - x0 || 1)) * (W - LEFT - RIGHT);
  const y = (v: number) => H - BOTTOM - ((v - y0) / (y1 - y0 || 1)) * (H - TOP - BOTTOM);
  const legendRows = Math.ceil(groups.length / 4);
  let svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H + 20 * legendRows}" font-family="sans-serif" font-size="11">`;
  svg += '<rect width="100%" height="100%" fill="white"/>';
  svg += `<text x="${W / 2}" y="18" text-anchor="middle" font-size="14">${escapeXml(chart.title)}</text>`;
  svg += `<rect x="${LEFT}" y="${TOP}" width="${W - LEFT - RIGHT}" height="${H - TOP - BOTTOM}" fill="none" stroke="#999"/>`;
  for (const t of chart.yTicks) {
    svg += `<line x1="${LEFT}" y1="${y(t.at)}" x2="${W - RIGHT}" y2="${y(t.at)}" stroke="#eee"/><text x="${LEFT - 4}" y="${y(t.at) + 4}" text-anchor="end">${escapeXml(t.label)}</text>`;
  }
  for (const t of chart.xTicks) svg += `<text x="${x(t.at).toFixed(1)}" y="${H - BOTTOM + 14}" text-anchor="middle">${escapeXml(t.label)}</text>`;
  svg += `<text x="${(LEFT + W - RIGHT) / 2}" y="${H - BOTTOM + 32}" text-anchor="middle">${escapeXml(chart.xLabel)}</text>`;
  svg += `<text x="14" y="${(TOP + H - BOTTOM) / 2}" text-anchor="middle" transform="rotate(-90 14 ${(TOP + H - BOTTOM) / 2})">${escapeXml(chart.yLabel)}</text>`;
  for (const l of chart.lines) {
    const color = COLORS[groups.indexOf(l.group) % COLORS.length];
    const points = l.x.map((v, i) => `${x(v).toFixed(1)},${y(l.y[i]).toFixed(1)}`).join(' ');
    svg += `<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${points}"><title>${escapeXml(l.title)}</title></polyline>`;
  }
  groups.forEach((g, i) => {
    const [lx, ly] = [LEFT + (i % 4) * 180, H + 4 + 20 * Math.floor(i / 4)];
    svg += `<rect x="${lx}" y="${ly - 9}" width="12" height="12" fill="${COLORS[i % COLORS.length]}"/><text x="${lx + 18}" y="${ly + 1}">${escapeXml(g)}</text>`;
  });
  return `${svg}</svg>\n`;
}

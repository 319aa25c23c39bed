import { methodStrengths, seedsText, strengthsText, withStrength, type SweepConfig, type SweepMethod } from './config.js';
import type { SweepResult } from './run.js';
import { keptValidation } from '../experiment/epoch_record.js';

/** One method x strength, averaged over its seeds. */
export interface SweepPoint {
  method: string;
  strength: number;
  seeds: number;
  accuracy: number;
  accuracyStd: number;
  reducedAccuracy: number;
  reducedAccuracyStd: number;
  /** Validation accuracy (the last epoch's, or the kept checkpoint's), when the rows have one. */
  valAccuracy?: number;
  valAccuracyStd?: number;
  /** Nonzero parameters of the reduced model: what is left of the network. */
  remaining: number;
  remainingStd: number;
  /** Nonzero kernel weights of the trained model (biases and batch norm left out): what the pruning papers count. */
  nonzeroWeights: number;
  nonzeroWeightsStd: number;
  kernelWeights: number;
  /** The method the runs started from (the method's start), if any. */
  startedFrom?: string;
  params: number;
  reducedParams: number;
  flops: number;
  reducedFlops: number;
  kernelZeroFraction: number;
  kernelBelowEpsFraction: number;
  deadUnits: number;
  hiddenUnits: number;
  epochs: number;
}

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const std = (v: number[]) => (v.length < 2 ? 0 : Math.sqrt(v.reduce((a, b) => a + (b - mean(v)) ** 2, 0) / (v.length - 1)));

/** Averages the results per method and strength, in the config's order. */
export function sweepPoints(config: SweepConfig, results: SweepResult[]): SweepPoint[] {
  const points: SweepPoint[] = [];
  for (const m of config.methods) {
    for (const strength of methodStrengths(m)) {
      const rs = results.filter((r) => r.method === m.name && r.strength === strength);
      if (rs.length) points.push(sweepPoint(m, strength, rs));
    }
  }
  return points;
}

/** One method x strength of a sweep, averaged over its rows (one per seed; at least one). */
export function sweepPoint(m: SweepMethod, strength: number, rs: readonly SweepResult[]): SweepPoint {
  const avg = (f: (r: SweepResult) => number) => mean(rs.map(f));
  const sd = (f: (r: SweepResult) => number) => std(rs.map(f));
  // The kept model's validation score, recomputed from the history for rows that recorded the last epoch's.
  const tune = withStrength(m, strength).fineTune;
  const valOf = (r: SweepResult) => (r.history && !m.iterative ? keptValidation(r.history, tune).valAccuracy : r.valAccuracy);
  const validated = rs.every((r) => valOf(r) !== undefined);
  return {
    method: m.name,
    strength,
    seeds: rs.length,
    accuracy: avg((r) => r.testAccuracy),
    accuracyStd: sd((r) => r.testAccuracy),
    reducedAccuracy: avg((r) => r.reducedAccuracy),
    reducedAccuracyStd: sd((r) => r.reducedAccuracy),
    ...(validated ? { valAccuracy: avg((r) => valOf(r)!), valAccuracyStd: sd((r) => valOf(r)!) } : {}),
    remaining: avg((r) => r.reducedNonzeroParams),
    remainingStd: sd((r) => r.reducedNonzeroParams),
    nonzeroWeights: avg((r) => r.kernelWeights - r.kernelZeros),
    nonzeroWeightsStd: sd((r) => r.kernelWeights - r.kernelZeros),
    kernelWeights: rs[0].kernelWeights,
    ...(m.start ? { startedFrom: m.start.method } : {}),
    params: rs[0].params,
    reducedParams: avg((r) => r.reducedParams),
    flops: rs[0].flops,
    reducedFlops: avg((r) => r.reducedFlops),
    kernelZeroFraction: avg((r) => r.kernelZeros / r.kernelWeights),
    kernelBelowEpsFraction: avg((r) => r.kernelBelowEps / r.kernelWeights),
    deadUnits: avg((r) => r.deadUnits),
    hiddenUnits: rs[0].hiddenUnits,
    epochs: rs[0].epochs,
  };
}

const pct = (v: number, digits = 2) => `${(100 * v).toFixed(digits)}%`;
const count = (v: number) => Math.round(v).toLocaleString('en-US');

/** The markdown table of a sweep: one row per method and strength, mean ± standard deviation over seeds where there are several. */
export function sweepTable(points: SweepPoint[]): string {
  const validated = points.some((p) => p.valAccuracy !== undefined);
  const spread = (p: SweepPoint, sd: number, f: (v: number) => string) => (p.seeds > 1 ? ` ± ${f(sd)}` : '');
  const rows = points.map((p) =>
    `| ${p.method}${p.startedFrom ? ` (from ${p.startedFrom})` : ''} | ${p.strength} | ${p.epochs} | ` +
      `${validated ? `${p.valAccuracy === undefined ? '-' : `${pct(p.valAccuracy)}${spread(p, p.valAccuracyStd!, pct)}`} | ` : ''}` +
      `${pct(p.accuracy)}${spread(p, p.accuracyStd, pct)} | ${pct(p.reducedAccuracy)}${spread(p, p.reducedAccuracyStd, pct)} | ` +
      `${count(p.nonzeroWeights)}${spread(p, p.nonzeroWeightsStd, count)} (${pct(p.nonzeroWeights / p.kernelWeights, 1)}) | ` +
      `${count(p.remaining)}${spread(p, p.remainingStd, count)} (${pct(p.remaining / p.params, 1)}) | ${count(p.reducedParams)} | ${pct(p.reducedFlops / p.flops, 1)} | ` +
      `${Math.round(p.deadUnits)} of ${p.hiddenUnits} | ${p.seeds} |`,
  );
  const columns = [
    'method', 'strength', 'epochs', ...(validated ? ['validation accuracy'] : []), 'test accuracy', 'reduced model accuracy',
    'nonzero kernel weights', 'nonzero parameters left', 'dense parameters after reduction', 'FLOPs after reduction', 'removable units', 'seeds',
  ];
  return [`| ${columns.join(' | ')} |`, `|${columns.map(() => '---|').join('')}`, ...rows].join('\n');
}

/** 2000 -> 2k, 5e6 -> 5M. */
function compact(v: number): string {
  for (const [unit, size] of [['G', 1e9], ['M', 1e6], ['k', 1e3]] as const) if (v >= size) return `${+(v / size).toPrecision(3)}${unit}`;
  return String(+v.toPrecision(3));
}

/** One colour per method in the SVG plots (matplotlib's tab10). */
export const COLORS = ['#d62728', '#1f77b4', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];

/** Text for SVG markup. */
export function escapeXml(s: string): string {
  return s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
}

/**
 * Two panels: reduced-model test accuracy against nonzero parameters left (log scale), and against
 * FLOPs after reduction (log scale); one colour per method, its strengths joined in order.
 */
export function sweepSvg(points: SweepPoint[], title: string, options: { minAccuracy?: number } = {}): string {
  const methods = [...new Set(points.map((p) => p.method))];
  const [W, H, panelW, top, bottom, left] = [1020, 400, 430, 40, 60, 60];
  // With minAccuracy the axis starts there: points below sit on the bottom edge as downward triangles.
  const floor = options.minAccuracy;
  const above = floor === undefined ? points : points.filter((p) => p.reducedAccuracy >= floor);
  const ranged = above.length ? above : points;
  let yLo = Math.min(...ranged.map((p) => p.reducedAccuracy - p.reducedAccuracyStd));
  let yHi = Math.max(...ranged.map((p) => p.reducedAccuracy + p.reducedAccuracyStd));
  const pad = Math.max(0.005, (yHi - yLo) * 0.08);
  yLo = Math.max(0, yLo - pad);
  yHi = Math.min(1, yHi + pad);
  if (floor !== undefined) yLo = Math.min(floor, yHi - 0.001);
  const below = (p: SweepPoint) => p.reducedAccuracy < yLo;
  const y = (a: number) => top + (H - top - bottom) * (1 - (Math.max(yLo, a) - yLo) / (yHi - yLo || 1));
  let svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H + 20 * Math.ceil(methods.length / 4)}" font-family="sans-serif" font-size="11">`;
  svg += `<rect width="100%" height="100%" fill="white"/>`;
  svg += `<text x="${W / 2}" y="18" text-anchor="middle" font-size="14">${escapeXml(title)}</text>`;
  const panels: [string, (p: SweepPoint) => number][] = [
    ['nonzero parameters left (log scale)', (p) => p.remaining],
    ['FLOPs per sample after reduction (log scale)', (p) => p.reducedFlops],
  ];
  panels.forEach(([label, value], panel) => {
    const x0 = left + panel * (panelW + 60);
    const xs = points.map(value).filter((v) => v > 0);
    let lo = Math.floor(Math.log10(Math.min(...xs)) * 2) / 2;
    let hi = Math.ceil(Math.log10(Math.max(...xs)) * 2) / 2;
    if (hi - lo < 0.5) (lo -= 0.25), (hi += 0.25);
    const x = (v: number) => x0 + (panelW * (Math.log10(Math.max(v, 1)) - lo)) / (hi - lo);
    svg += `<rect x="${x0}" y="${top}" width="${panelW}" height="${H - top - bottom}" fill="none" stroke="#999"/>`;
    // Ticks at 1, 2 and 5 times each power of ten inside the range.
    for (let d = Math.floor(lo); d <= hi; d++) {
      for (const m of [1, 2, 5]) {
        const v = m * 10 ** d;
        if (Math.log10(v) < lo - 1e-9 || Math.log10(v) > hi + 1e-9) continue;
        svg += `<line x1="${x(v)}" y1="${top}" x2="${x(v)}" y2="${H - bottom}" stroke="${m === 1 ? '#ddd' : '#f2f2f2'}"/>`;
        svg += `<text x="${x(v)}" y="${H - bottom + 14}" text-anchor="middle">${compact(v)}</text>`;
      }
    }
    for (let i = 0; i <= 5; i++) {
      const a = yLo + ((yHi - yLo) * i) / 5;
      svg += `<line x1="${x0}" y1="${y(a)}" x2="${x0 + panelW}" y2="${y(a)}" stroke="#eee"/>`;
      svg += `<text x="${x0 - 4}" y="${y(a) + 4}" text-anchor="end">${(100 * a).toFixed(1)}%</text>`;
    }
    svg += `<text x="${x0 + panelW / 2}" y="${H - bottom + 32}" text-anchor="middle">${label}</text>`;
    svg += `<text x="${x0 - 44}" y="${(top + H - bottom) / 2}" text-anchor="middle" transform="rotate(-90 ${x0 - 44} ${(top + H - bottom) / 2})">test accuracy (reduced model)</text>`;
    methods.forEach((m, i) => {
      const color = COLORS[i % COLORS.length];
      const ps = points.filter((p) => p.method === m && value(p) > 0);
      if (ps.length > 1) svg += `<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${ps.map((p) => `${x(value(p)).toFixed(1)},${y(p.reducedAccuracy).toFixed(1)}`).join(' ')}"/>`;
      for (const p of ps) {
        // Over several seeds: one standard deviation of the accuracy (and of the parameters left) either side.
        if (p.seeds > 1) {
          const [cx, cy] = [x(value(p)), y(p.reducedAccuracy)];
          const [y0, y1] = [y(Math.max(yLo, p.reducedAccuracy - p.reducedAccuracyStd)), y(Math.min(yHi, p.reducedAccuracy + p.reducedAccuracyStd))];
          svg += `<line class="error-bar" x1="${cx.toFixed(1)}" y1="${y0.toFixed(1)}" x2="${cx.toFixed(1)}" y2="${y1.toFixed(1)}" stroke="${color}"/>`;
          if (panel === 0 && p.remainingStd > 0) {
            const [x0, x1] = [x(Math.max(1, p.remaining - p.remainingStd)), x(p.remaining + p.remainingStd)];
            svg += `<line class="error-bar" x1="${x0.toFixed(1)}" y1="${cy.toFixed(1)}" x2="${x1.toFixed(1)}" y2="${cy.toFixed(1)}" stroke="${color}"/>`;
          }
        }
        const tip = `<title>${escapeXml(`${m} strength ${p.strength}: ${pct(p.reducedAccuracy)}, ${count(value(p))}`)}</title>`;
        const [px, py] = [x(value(p)), y(p.reducedAccuracy)];
        svg += below(p)
          ? `<path class="below-axis" d="M${(px - 4.5).toFixed(1)},${(py - 8).toFixed(1)} h9 l-4.5,8 z" fill="${color}">${tip}</path>`
          : `<circle cx="${px.toFixed(1)}" cy="${py.toFixed(1)}" r="3.5" fill="${color}">${tip}</circle>`;
      }
    });
  });
  const under = points.filter(below);
  if (under.length) {
    svg += `<text x="${left}" y="${top - 6}" fill="#555">${escapeXml(`\u25bc on the bottom edge: below ${pct(yLo, 1)} (${under.map((p) => `${p.method} ${p.strength}: ${pct(p.reducedAccuracy, 1)}`).join('; ')})`)}</text>`;
  }
  methods.forEach((m, i) => {
    const lx = left + (i % 4) * 230;
    const ly = H + 2 + 20 * Math.floor(i / 4);
    svg += `<rect x="${lx}" y="${ly - 9}" width="12" height="12" fill="${COLORS[i % COLORS.length]}"/><text x="${lx + 18}" y="${ly + 1}">${escapeXml(m)}</text>`;
  });
  return `${svg}</svg>\n`;
}

/** The sweep's markdown page: setup, the table and the plot. */
export function sweepMarkdown(
  config: SweepConfig, points: SweepPoint[], command: string,
  options: { epochsPlot?: boolean; pruningPlot?: boolean; zerosPlot?: boolean; validationPlot?: boolean } = {},
): string {
  const model = typeof config.model === 'string' ? config.model : 'a custom model spec';
  const methods = config.methods.map((m) => `- **${m.name}**: ${m.start ? `from ${m.start.method}'s final model${m.start.strength !== undefined ? ` (strength ${m.start.strength})` : ''}, ${m.epochs === 0 ? 'no further training' : `${m.epochs ?? config.epochs} epochs of`} ` : ''}\`${JSON.stringify(m.optimizer)}\`${m.prune ? `, then prune \`${JSON.stringify(m.prune)}\`` : ''}` +
    `${m.fineTune ? ` and fine-tune ${m.fineTune.epochs} epochs${m.fineTune.optimizer ? ` with \`${JSON.stringify(m.fineTune.optimizer)}\`` : ''}` +
      `${m.fineTune.rounds !== undefined && m.fineTune.rounds !== 1 ? `, prune and fine-tune repeated ${m.fineTune.rounds} times` : ''}${m.fineTune.keep === 'best' ? ', keeping the best validation epoch' : ''}` : ''}` +
    `${m.iterative ? `, trained with iterative pruning \`${JSON.stringify(m.iterative)}\`` : ''}; strengths ${strengthsText(config, m)}`);
  return `# Sweep: ${config.name}

${config.description ? `${config.description}\n\n` : ''}Dataset ${config.dataset}${config.limit ? ` (first ${config.limit} training samples)` : ''}, model ${model}, ` +
    `${config.epochs} epochs, batch ${config.batchSize ?? 64}, ${seedsText(config)}. "$strength" in a method's optimizer is the strength column.

${methods.join('\n')}

Command: \`${command}\`

Every run is trained, pruned and fine-tuned where its method says so, measured (kernel weights
exactly 0, hidden units whose group norm is below xi), then physically reduced. "Nonzero kernel
weights" counts the trained model's nonzero kernel entries (biases and batch norm left out, as
pruning papers count); "nonzero parameters left" counts every nonzero entry of the reduced model.
With several seeds a cell is the mean ± the standard deviation, and the plot's bars span one
standard deviation; the plot shows the reduced model's test accuracy.

${sweepTable(points)}

![accuracy against size](${config.name}.svg)
${options.epochsPlot ? `\n![removable units after each epoch](${config.name}.epochs.svg)\n` : ''}${options.validationPlot ? `\n![validation accuracy after each epoch](${config.name}.validation.svg)\n` : ''}${options.zerosPlot ? `\n![kernel weights exactly 0 after each epoch](${config.name}.zeros.svg)\n` : ''}${options.pruningPlot ? `\n![validation accuracy against weights left, at every evaluation of the pruning loop](${config.name}.pruning.svg)\n` : ''}
Interactive version, with every run's details on hover: [${config.name}.html](${config.name}.html).
`;
}

import { seedsText, strengthsText, type SweepConfig } from '../sweep/config.js';
import { removableUnitsCurves } from '../sweep/epochs_plot.js';
import { sweepPoints, type SweepPoint } from '../sweep/report.js';
import type { SweepResult } from '../sweep/run.js';
import { knownKeys } from '../validate.js';
import { renderChartPage } from './chart_page.js';
import type { ChartSeries, ChartSpec } from './chart_page_script.js';
import { dataTable, figure, note, settingsTable } from './html_blocks.js';
import { escapeHtml } from './html_text.js';
import { countNoun, formatCount, formatLarge, formatPercent, formatSeconds } from './report_numbers.js';
import { specText } from './spec_text.js';
import type { UplotAssets } from './uplot_assets.js';

/** Options of renderSweepPage: where uPlot comes from and what the page says about the sweep. */
export interface SweepPageOptions {
  /** uPlot's script and stylesheet to inline. Default: loadUplotAssets() (Node only). */
  assets?: UplotAssets;
  /** The command that ran the sweep, shown verbatim. Default none. */
  command?: string;
}

// matplotlib's tab10, as the training report.
const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const std = (v: number[]) => (v.length < 2 ? 0 : Math.sqrt(v.reduce((a, b) => a + (b - mean(v)) ** 2, 0) / (v.length - 1)));

/**
 * The sweep as one self-contained, interactive HTML page (uPlot, inlined; nothing fetched): the
 * reduced models' test accuracy against the nonzero parameters left and against the FLOPs after
 * reduction, one curve per method through its strengths (mean over seeds, error bars one
 * standard deviation), every run as a point with its details on hover, then the table and setup.
 *
 * @example
 * const html = renderSweepPage(config, results, { command: 'npm run sweep -- sweeps/mnist.json' });
 * writeFileAtomic('sweeps/mnist.html', new TextEncoder().encode(html));
 */
export function renderSweepPage(config: SweepConfig, results: readonly SweepResult[], options: SweepPageOptions = {}): string {
  knownKeys('renderSweepPage options', options, ['assets', 'command']);
  const points = sweepPoints(config, [...results]);
  const methods = [...new Set(points.map((p) => p.method))];
  const color = new Map(methods.map((m, i) => [m, PALETTE[i % PALETTE.length]]));
  const charts: ChartSpec[] = [];
  const parts = [
    '<header>',
    `<h1>${escapeHtml(`Sweep: ${config.name}`)}</h1>`,
    `<p class="meta">${[
      options.command ? `<code>${escapeHtml(options.command)}</code>` : '',
      escapeHtml(`${config.dataset}${config.limit ? ` (first ${formatCount(config.limit)} training samples)` : ''}, model ${typeof config.model === 'string' ? config.model : 'a custom spec'}, ` +
        `${countNoun(config.epochs, 'epoch')}, batch ${config.batchSize ?? 64}, ${seedsText(config)}; ${countNoun(results.length, 'run')} finished`),
    ].filter(Boolean).join('<br>')}</p>`,
    config.description ? `<p class="lead">${escapeHtml(config.description)}</p>` : '',
    '</header>',
    '<main>',
  ];
  if (points.length === 0) {
    parts.push(note('No run of this sweep has finished yet.'), '</main>');
    return renderChartPage({ title: `Sweep: ${config.name}`, body: parts.join('\n'), charts, ...(options.assets ? { assets: options.assets } : {}) });
  }
  parts.push(
    '<section id="tradeoff">',
    '<h2>Accuracy against size</h2>',
    `<p class="lead">${escapeHtml('Test accuracy of each physically reduced model. Lines join a method\u2019s strengths (mean over seeds, bars \u00b11 standard deviation); the small points are single runs. Hover a point for the details of its runs. Both x axes are log scale.')}</p>`,
    '<div class="grid">',
  );
  const panels = [
    { id: 'chart-sweep-params', title: 'Nonzero parameters left', axis: 'nonzero parameters left (log scale)', mean: (p: SweepPoint) => p.remaining, run: (r: SweepResult) => r.reducedNonzeroParams },
    { id: 'chart-sweep-flops', title: 'FLOPs after reduction', axis: 'FLOPs / sample after reduction (log scale)', mean: (p: SweepPoint) => p.reducedFlops, run: (r: SweepResult) => r.reducedFlops },
  ];
  for (const panel of panels) {
    charts.push(tradeoffChart(panel, points, results, methods, color));
    parts.push(figure(panel.id, panel.title, `one color per method, ${countNoun(methods.length, 'method')}`));
  }
  parts.push('</div>', '</section>');
  parts.push(...epochsSection(results, charts));
  parts.push('<section id="table">', '<h2>Every method and strength</h2>', '<div class="scroll">', pointsTable(points, results), '</div>', '</section>');
  parts.push(setupSection(config), '</main>');
  return renderChartPage({ title: `Sweep: ${config.name}`, body: parts.join('\n'), charts, ...(options.assets ? { assets: options.assets } : {}) });
}

/** Removable units after each epoch, one line per run (with recorded histories), coloured by method and strength. */
function epochsSection(results: readonly SweepResult[], charts: ChartSpec[]): string[] {
  const curves = removableUnitsCurves(results);
  const groups = [...new Set(curves.map((c) => c.group))];
  if (curves.length === 0) return [];
  const maxEpoch = Math.max(...curves.flatMap((c) => c.epochs));
  const xs = Array.from({ length: maxEpoch }, (_, i) => i + 1);
  charts.push({
    id: 'chart-sweep-epochs', kind: 'lines', height: 340,
    x: { label: 'epoch', format: 'epoch', values: xs },
    y: { label: 'removable hidden units', format: 'count', floor: 0 },
    series: curves.map((c) => {
      const values = new Array<number | null>(maxEpoch).fill(null);
      c.epochs.forEach((e, i) => (values[e - 1] = c.units[i]));
      return { label: c.id, values, color: PALETTE[groups.indexOf(c.group) % PALETTE.length], points: false, spanGaps: true };
    }),
  });
  return [
    '<section id="epochs">', '<h2>Removable units over training</h2>',
    `<p class="lead">${escapeHtml('Hidden units whose incoming group norm is below that epoch\u2019s xi, after every training epoch: when units die, and whether the count settles. One line per run; the seeds of a method and strength share a colour.')}</p>`,
    figure('chart-sweep-epochs', 'Removable hidden units per epoch', countNoun(curves.length, 'run')),
    '</section>',
  ];
}

function runsOf(point: SweepPoint, results: readonly SweepResult[]): SweepResult[] {
  return results.filter((r) => r.method === point.method && r.strength === point.strength);
}

function runText(r: SweepResult): string {
  return `${r.method} ${r.strength} seed ${r.seed}: reduced ${formatPercent(r.reducedAccuracy)} (trained ${formatPercent(r.testAccuracy)}), ` +
    `${formatCount(r.reducedNonzeroParams)} of ${formatCount(r.params)} params, ${formatLarge(r.reducedFlops)} FLOPs, ` +
    `${formatCount(r.deadUnits)} of ${formatCount(r.hiddenUnits)} units removable, ${formatSeconds(r.seconds)}`;
}

function tradeoffChart(
  panel: { id: string; axis: string; mean: (p: SweepPoint) => number; run: (r: SweepResult) => number },
  points: readonly SweepPoint[], results: readonly SweepResult[], methods: string[], color: Map<string, string>,
): ChartSpec {
  // One x entry per mean and per run, sorted (equal sizes stay apart: two strengths that removed
  // nothing both show). A log axis has no 0 (a model reduced to nothing): such points are left out.
  const positive = (v: number) => v > 0 && Number.isFinite(v);
  const entries: { x: number; series: number; value: number; error?: number; detail: string[] }[] = [];
  const series: ChartSeries[] = [];
  for (const m of methods) {
    const mine = points.filter((q) => q.method === m);
    const meanSeries = series.length;
    const c = color.get(m)!;
    series.push({ label: m, values: [], errors: [], color: c, spanGaps: true });
    // With one seed per strength the runs are the means: no second series.
    const runSeries = mine.some((p) => p.seeds > 1) ? series.push({ label: `${m} (single runs)`, values: [], color: c, line: false }) - 1 : -1;
    for (const p of mine) {
      const own = runsOf(p, results);
      const error = std(own.map((r) => r.reducedAccuracy));
      if (positive(panel.mean(p))) {
        entries.push({
          x: panel.mean(p), series: meanSeries, value: p.reducedAccuracy, error,
          detail: own.length > 1
            ? [`${m} ${p.strength}, mean of ${countNoun(own.length, 'seed')}: reduced ${formatPercent(p.reducedAccuracy)} \u00b1 ${formatPercent(error)}, ${formatCount(panel.mean(p))}`]
            : own.map(runText),
        });
      }
      for (const r of runSeries >= 0 ? own : []) {
        if (positive(panel.run(r))) entries.push({ x: panel.run(r), series: runSeries, value: r.reducedAccuracy, detail: [runText(r)] });
      }
    }
  }
  entries.sort((a, b) => a.x - b.x);
  const xs = entries.map((e) => e.x);
  for (const [k, s] of series.entries()) {
    s.values = entries.map((e) => (e.series === k ? e.value : null));
    if (s.errors) s.errors = entries.map((e) => (e.series === k ? e.error ?? null : null));
  }
  // Hovering any entry lists everything at that size.
  const details = entries.map((e) => entries.filter((f) => f.x === e.x).flatMap((f) => f.detail));
  return {
    id: panel.id, kind: 'lines', height: 340,
    x: { label: panel.axis, format: 'count', values: xs, log: true },
    y: { label: 'test accuracy (reduced model)', format: 'percent', floor: 0, ceiling: 1 },
    series,
    legendValues: false,
    details,
  };
}

function pointsTable(points: readonly SweepPoint[], results: readonly SweepResult[]): string {
  const head = ['method', 'strength', 'seeds', 'test accuracy', 'reduced model accuracy', 'nonzero params left', 'params after reduction', 'FLOPs after reduction', 'kernel weights = 0', 'removable units', 'time / run'];
  const rows = points.map((p) => {
    const own = runsOf(p, results);
    const pm = (v: number, s: number) => `${formatPercent(v)}${p.seeds > 1 ? ` \u00b1 ${formatPercent(s)}` : ''}`;
    return [
      p.method, String(p.strength), String(p.seeds),
      pm(p.accuracy, p.accuracyStd), pm(p.reducedAccuracy, std(own.map((r) => r.reducedAccuracy))),
      `${formatCount(p.remaining)} (${formatPercent(p.remaining / p.params, 1)})`, formatCount(p.reducedParams), formatPercent(p.reducedFlops / p.flops, 1),
      formatPercent(p.kernelZeroFraction, 1), `${formatCount(p.deadUnits)} of ${formatCount(p.hiddenUnits)}`, formatSeconds(mean(own.map((r) => r.seconds))),
    ];
  });
  return dataTable(head, rows, { compact: true });
}

function setupSection(config: SweepConfig): string {
  const methods = config.methods.map((m) => [
    m.name,
    [
      specText(m.optimizer),
      m.prune ? `then prune ${specText(m.prune)}` : '',
      m.fineTune ? `fine-tune ${countNoun(m.fineTune.epochs, 'epoch')}${m.fineTune.optimizer ? ` with ${specText(m.fineTune.optimizer)}` : ''}` : '',
      m.iterative ? `iterative pruning ${specText(m.iterative)}` : '',
      `strengths ${strengthsText(config, m)}`,
    ].filter(Boolean).join('; '),
  ] as const);
  return [
    '<section id="setup">',
    '<h2>Setup</h2>',
    `<p class="lead">${escapeHtml('"$strength" in a method stands for the strength column.')}</p>`,
    '<div class="scroll">', settingsTable('Methods', methods), '</div>',
    '</section>',
  ].join('\n');
}

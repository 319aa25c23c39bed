import { ArgumentError } from '../errors.js';
import type { EpochLog } from '../train/fit.js';
import { knownKeys, nonNegativeNumber, positiveInt } from '../validate.js';
import { CHART_PAGE_SCRIPT, type ChartSpec } from './chart_page_script.js';
import { groupNormHistogram } from './group_norm_histogram.js';
import { commentText, escapeHtml, inlineScript, inlineStyle, jsonForScript } from './html_text.js';
import { formatChange, formatCount, formatLarge, formatNumber, formatPercent, formatSeconds, formatThreshold, formatTimestamp, powerOfTen } from './report_numbers.js';
import { REPORT_CSS } from './report_style.js';
import { loadUplotAssets, type UplotAssets } from './uplot_assets.js';

/** One layer's group sparsity at one point of training. */
export interface LayerSparsity {
  /** Layer name, as in the model summary. */
  name: string;
  /** Output units (dense) or channels (conv): the groups w_k. */
  units: number;
  /** Units whose group norm ||w_k||_2 is below `threshold`. */
  belowThreshold: number;
  threshold: number;
}

/** Group sparsity of every dense/conv layer, measured after an epoch. */
export interface EpochSparsity {
  /** Same numbering as EpochLog.epoch (0 = after the first epoch); -1 = before training. */
  epoch: number;
  layers: LayerSparsity[];
}

/** One layer's group norms ||w_k||_2 from the final weights, one per output unit. */
export interface LayerGroupNorms {
  name: string;
  norms: ArrayLike<number>;
  /** Marked on the histogram. Default: the layer's threshold in the last sparsity entry, if any. */
  threshold?: number;
}

/** What the reduction step did to one layer. */
export interface LayerReduction {
  name: string;
  /** Units before reduction. */
  units: number;
  /** Units kept; units - kept were removed. */
  kept: number;
}

/** The physical reduction's effect on the model. */
export interface ReductionSummary {
  parameters: { before: number; after: number };
  /** Forward FLOPs per sample. */
  flops: { before: number; after: number };
  layers: LayerReduction[];
  /** Test accuracy of the reduced model, when measured. */
  testAccuracyAfter?: number;
}

/** Everything one training report shows. Every field but the first five is optional. */
export interface TrainingReportData {
  /** Page title, e.g. 'mnist-mlp: group lasso 1e-4'. */
  title: string;
  /** Sequential.summary(), .parameterCount and .flops of the trained model. */
  model: { summary: string; parameters: number; flops: number };
  /** fit()'s History (or just its epochs). */
  history: { epochs: readonly EpochLog[]; stoppedEarly?: boolean };
  /** Group sparsity per epoch, in epoch order; may be empty. */
  sparsity: readonly EpochSparsity[];
  /** Final group norms, one entry per dense/conv layer; may be empty. */
  groupNorms: readonly LayerGroupNorms[];
  /** Absent when the reduction step has not been run: the page says so. */
  reduction?: ReductionSummary;
  /** Evaluation of the trained model on the test set. */
  test?: { accuracy: number; loss?: number; samples?: number };
  startedAt?: Date | string;
  finishedAt?: Date | string;
  /** The command that produced the run, shown verbatim. */
  commandLine?: string;
}

/** Options of renderTrainingReport. */
export interface TrainingReportOptions {
  /** uPlot's script and stylesheet to inline. Default: loadUplotAssets(), which reads the installed `uplot` package (Node only). */
  assets?: UplotAssets;
  /** Bins per decade in the group-norm histograms. Default 10. */
  histogramBinsPerDecade?: number;
}

const DATA_KEYS = ['title', 'model', 'history', 'sparsity', 'groupNorms', 'reduction', 'test', 'startedAt', 'finishedAt', 'commandLine'];

// matplotlib's tab10: distinct, and readable on white.
const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
const TRAIN_COLOR = PALETTE[0];
const VALIDATION_COLOR = PALETTE[1];

/**
 * Renders one self-contained HTML page about a training run: loss and accuracy per epoch, group
 * sparsity per epoch, histograms of the final log10 group norms, and the reduction summary (or a
 * note that reduction was not run). uPlot's script and stylesheet are inlined, so the page opens
 * offline and fetches nothing. Every piece of text from `data` is escaped.
 *
 * @example
 * const html = renderTrainingReport({
 *   title: 'mnist-mlp', model: { summary: model.summary(), parameters: model.parameterCount, flops: model.flops },
 *   history, sparsity: [], groupNorms: [], test: { accuracy: 0.981 },
 * });
 * fs.writeFileSync('out.html', html);
 */
export function renderTrainingReport(data: TrainingReportData, options: TrainingReportOptions = {}): string {
  checkData(data);
  knownKeys('renderTrainingReport options', options, ['assets', 'histogramBinsPerDecade']);
  const binsPerDecade = positiveInt('histogramBinsPerDecade', options.histogramBinsPerDecade ?? 10);
  const assets = options.assets ?? loadUplotAssets();
  if (!assets || typeof assets.script !== 'string' || typeof assets.css !== 'string') {
    throw new ArgumentError('options.assets', assets, '{ script: string, css: string } holding uPlot\'s IIFE build and stylesheet');
  }

  const charts: ChartSpec[] = [];
  const layerColor = colorsByLayer(data);
  const body = [
    header(data),
    '<main>',
    trainingSection(data, charts),
    sparsitySection(data, charts, layerColor),
    groupNormSection(data, charts, layerColor, binsPerDecade),
    reductionSection(data),
    modelSection(data),
    '</main>',
    `<footer>Generated by slimtrain. Charts drawn with uPlot${assets.version ? ` ${escapeHtml(assets.version)}` : ''} (MIT license), inlined in this file.</footer>`,
  ].join('\n');

  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    // Nothing may be fetched: no network access even if a future edit adds a URL by mistake.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">`,
    `<title>${escapeHtml(data.title)}</title>`,
    `<style>\n${inlineStyle(assets.css)}\n</style>`,
    `<style>${REPORT_CSS}</style>`,
    '</head>',
    '<body>',
    '<div class="page">',
    body,
    '</div>',
    `<script type="application/json" id="report-charts">${jsonForScript(charts)}</script>`,
    assets.license ? `<!-- uPlot license:\n${commentText(assets.license)}\n-->` : '',
    `<script>\n${inlineScript(assets.script)}\n</script>`,
    `<script>\n${inlineScript(CHART_PAGE_SCRIPT)}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

// --- checks ---

function checkData(data: TrainingReportData): void {
  if (data === null || typeof data !== 'object') throw new ArgumentError('data', data, 'a TrainingReportData object');
  knownKeys('data', data, DATA_KEYS);
  if (typeof data.title !== 'string') throw new ArgumentError('data.title', data.title, 'a string');
  const model = data.model;
  if (!model || typeof model.summary !== 'string') throw new ArgumentError('data.model.summary', model?.summary, 'a string (Sequential.summary())');
  nonNegativeNumber('data.model.parameters', model.parameters);
  nonNegativeNumber('data.model.flops', model.flops);
  if (!data.history || !Array.isArray(data.history.epochs)) throw new ArgumentError('data.history.epochs', data.history?.epochs, 'an array of EpochLog');
  data.history.epochs.forEach((e, i) => {
    if (!e || !Number.isInteger(e.epoch)) throw new ArgumentError(`data.history.epochs[${i}].epoch`, e?.epoch, 'an integer');
  });
  if (!Array.isArray(data.sparsity)) throw new ArgumentError('data.sparsity', data.sparsity, 'an array (empty when not measured)');
  data.sparsity.forEach((s, i) => {
    if (!s || !Number.isInteger(s.epoch) || !Array.isArray(s.layers)) throw new ArgumentError(`data.sparsity[${i}]`, s, '{ epoch: integer, layers: [...] }');
    s.layers.forEach((l: LayerSparsity, j: number) => {
      const at = `data.sparsity[${i}].layers[${j}]`;
      if (!l || typeof l.name !== 'string') throw new ArgumentError(`${at}.name`, l?.name, 'a string');
      positiveInt(`${at}.units`, l.units);
      if (!Number.isInteger(l.belowThreshold) || l.belowThreshold < 0 || l.belowThreshold > l.units) {
        throw new ArgumentError(`${at}.belowThreshold`, l.belowThreshold, `an integer in [0, ${l.units}]`);
      }
      nonNegativeNumber(`${at}.threshold`, l.threshold);
    });
  });
  if (!Array.isArray(data.groupNorms)) throw new ArgumentError('data.groupNorms', data.groupNorms, 'an array (empty when not measured)');
  const reduction = data.reduction;
  if (reduction !== undefined) {
    if (!reduction || !reduction.parameters || !reduction.flops || !Array.isArray(reduction.layers)) {
      throw new ArgumentError('data.reduction', reduction, '{ parameters: { before, after }, flops: { before, after }, layers: [...] }');
    }
    for (const key of ['parameters', 'flops'] as const) {
      nonNegativeNumber(`data.reduction.${key}.before`, reduction[key].before);
      nonNegativeNumber(`data.reduction.${key}.after`, reduction[key].after);
    }
    reduction.layers.forEach((l, i) => {
      if (!l || typeof l.name !== 'string') throw new ArgumentError(`data.reduction.layers[${i}].name`, l?.name, 'a string');
      positiveInt(`data.reduction.layers[${i}].units`, l.units);
      if (!Number.isInteger(l.kept) || l.kept < 0 || l.kept > l.units) throw new ArgumentError(`data.reduction.layers[${i}].kept`, l.kept, `an integer in [0, ${l.units}]`);
    });
  }
  if (data.test !== undefined && typeof data.test?.accuracy !== 'number') throw new ArgumentError('data.test.accuracy', data.test?.accuracy, 'a number');
}

// --- page parts ---

function header(data: TrainingReportData): string {
  const epochs = data.history.epochs;
  const last = epochs[epochs.length - 1];
  const cards: [string, string, string?][] = [];
  if (data.test) {
    const t = data.test;
    const detail = [t.loss !== undefined ? `loss ${formatNumber(t.loss)}` : '', t.samples !== undefined ? `${formatCount(t.samples)} samples` : ''].filter(Boolean).join(', ');
    cards.push(['Test accuracy', formatPercent(t.accuracy), detail]);
  } else {
    cards.push(['Test accuracy', '–', 'not measured']);
  }
  if (last?.valAccuracy !== undefined) cards.push(['Val accuracy', formatPercent(last.valAccuracy), last.valLoss !== undefined ? `loss ${formatNumber(last.valLoss)}` : undefined]);
  if (last) cards.push(['Train accuracy', formatPercent(last.accuracy), `loss ${formatNumber(last.loss)}`]);
  const seconds = epochs.reduce((s, e) => s + (Number.isFinite(e.seconds) ? e.seconds : 0), 0);
  cards.push(['Epochs', String(epochs.length), [data.history.stoppedEarly ? 'stopped early' : '', epochs.length ? formatSeconds(seconds) : ''].filter(Boolean).join(', ')]);
  cards.push(['Parameters', formatCount(data.model.parameters), `${formatLarge(data.model.flops)} FLOPs / sample`]);
  const sparsity = data.sparsity[data.sparsity.length - 1];
  if (sparsity && sparsity.layers.length) {
    const below = sparsity.layers.reduce((s, l) => s + l.belowThreshold, 0);
    const units = sparsity.layers.reduce((s, l) => s + l.units, 0);
    cards.push(['Group sparsity', formatPercent(below / units, 1), `${formatCount(below)} of ${formatCount(units)} units`]);
  }
  if (data.reduction) {
    const r = data.reduction;
    cards.push(['Reduced', formatCount(r.parameters.after), `params ${formatChange(r.parameters.before, r.parameters.after)}, FLOPs ${formatChange(r.flops.before, r.flops.after)}`]);
  } else {
    cards.push(['Reduction', 'not run', undefined]);
  }

  const meta: string[] = [];
  if (data.commandLine) meta.push(`<code>${escapeHtml(data.commandLine)}</code>`);
  const times = [data.startedAt && `started ${formatTimestamp(data.startedAt)}`, data.finishedAt && `finished ${formatTimestamp(data.finishedAt)}`].filter(Boolean);
  if (times.length) meta.push(escapeHtml(times.join(' · ')));
  return [
    '<header>',
    `<h1>${escapeHtml(data.title)}</h1>`,
    meta.length ? `<p class="meta">${meta.join('<br>')}</p>` : '',
    '<dl class="cards">',
    ...cards.map(([label, value, detail]) => `<div class="card"><dt>${escapeHtml(label)}</dt><dd>${escapeHtml(value)}${detail ? `<small>${escapeHtml(detail)}</small>` : ''}</dd></div>`),
    '</dl>',
    '</header>',
  ].join('\n');
}

function figure(id: string, title: string, subtitle?: string, footnote?: string): string {
  return [
    '<figure>',
    `<figcaption><strong>${escapeHtml(title)}</strong>${subtitle ? `<span>${escapeHtml(subtitle)}</span>` : ''}</figcaption>`,
    `<div class="chart" id="${escapeHtml(id)}"></div>`,
    footnote ? `<p class="footnote">${escapeHtml(footnote)}</p>` : '',
    '</figure>',
  ].join('\n');
}

function note(html: string): string {
  return `<p class="note">${html}</p>`;
}

function trainingSection(data: TrainingReportData, charts: ChartSpec[]): string {
  const epochs = data.history.epochs;
  const parts = ['<section id="training">', '<h2>Loss and accuracy</h2>'];
  if (epochs.length === 0) {
    parts.push(note('No epochs were recorded.'), '</section>');
    return parts.join('\n');
  }
  const x = epochs.map((e) => e.epoch + 1);
  const hasValidation = epochs.some((e) => e.valLoss !== undefined || e.valAccuracy !== undefined);
  const column = (pick: (e: EpochLog) => number | undefined): (number | null)[] =>
    epochs.map((e) => {
      const v = pick(e);
      return v === undefined || !Number.isFinite(v) ? null : v;
    });
  const xAxis = { label: 'epoch', format: 'epoch' as const, values: x };
  const pair = (train: (e: EpochLog) => number, validation: (e: EpochLog) => number | undefined) => [
    { label: 'train', values: column(train), color: TRAIN_COLOR },
    ...(hasValidation ? [{ label: 'validation', values: column(validation), color: VALIDATION_COLOR, dashed: true }] : []),
  ];
  charts.push({
    id: 'chart-loss', kind: 'lines', height: 260, x: xAxis,
    y: { label: 'loss', format: 'number', floor: 0 },
    series: pair((e) => e.loss, (e) => e.valLoss),
  });
  charts.push({
    id: 'chart-accuracy', kind: 'lines', height: 260, x: xAxis,
    y: { label: 'accuracy', format: 'percent', floor: 0, ceiling: 1 },
    series: pair((e) => e.accuracy, (e) => e.valAccuracy),
  });
  const means = 'train: mean over the epoch\u2019s batches' + (hasValidation ? '; validation: after the epoch' : '');
  parts.push('<div class="grid">', figure('chart-loss', 'Loss per epoch', means), figure('chart-accuracy', 'Accuracy per epoch', means), '</div>');
  parts.push(epochTable(epochs, hasValidation), '</section>');
  return parts.join('\n');
}

function epochTable(epochs: readonly EpochLog[], hasValidation: boolean): string {
  const head = ['epoch', 'loss', 'accuracy', ...(hasValidation ? ['val loss', 'val accuracy'] : []), 'learning rate', 'time', 'samples/s'];
  const rows = epochs.map((e) => [
    String(e.epoch + 1), formatNumber(e.loss), formatPercent(e.accuracy),
    ...(hasValidation ? [e.valLoss === undefined ? '–' : formatNumber(e.valLoss), e.valAccuracy === undefined ? '–' : formatPercent(e.valAccuracy)] : []),
    formatNumber(e.lr), formatSeconds(e.seconds), formatCount(e.samplesPerSecond),
  ]);
  return [
    '<details class="epochs">',
    '<summary>Per-epoch numbers</summary>',
    '<div class="scroll">',
    table(head, rows),
    '</div>',
    '</details>',
  ].join('\n');
}

function table(head: string[], rows: string[][]): string {
  return [
    '<table class="data">',
    `<thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead>`,
    '<tbody>',
    ...rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`),
    '</tbody>',
    '</table>',
  ].join('\n');
}

/** Layer names in order of appearance, each with a palette color shared by every chart. */
function colorsByLayer(data: TrainingReportData): Map<string, string> {
  const colors = new Map<string, string>();
  const add = (name: string): void => {
    if (!colors.has(name)) colors.set(name, PALETTE[colors.size % PALETTE.length]);
  };
  for (const s of data.sparsity) for (const l of s.layers) add(l.name);
  for (const g of data.groupNorms) add(g.name);
  return colors;
}

function sparsitySection(data: TrainingReportData, charts: ChartSpec[], colors: Map<string, string>): string {
  const parts = ['<section id="sparsity">', '<h2>Group sparsity per epoch</h2>'];
  const names = [...new Set(data.sparsity.flatMap((s) => s.layers.map((l) => l.name)))];
  if (names.length === 0) {
    parts.push(note('Group sparsity was not measured during this run.'), '</section>');
    return parts.join('\n');
  }
  const thresholds = new Set(data.sparsity.flatMap((s) => s.layers.map((l) => l.threshold)));
  const oneThreshold = thresholds.size === 1 ? [...thresholds][0] : undefined;
  const lastThreshold = (name: string): number | undefined => {
    for (let i = data.sparsity.length - 1; i >= 0; i--) {
      const l = data.sparsity[i].layers.find((m) => m.name === name);
      if (l) return l.threshold;
    }
    return undefined;
  };
  charts.push({
    id: 'chart-sparsity', kind: 'lines', height: 280,
    x: { label: 'epoch', format: 'epoch', values: data.sparsity.map((s) => s.epoch + 1) },
    y: { label: 'units below threshold', format: 'percent', min: 0, max: 1 },
    series: names.map((name) => ({
      label: oneThreshold === undefined ? `${name} (threshold ${formatThreshold(lastThreshold(name)!)})` : name,
      color: colors.get(name)!,
      values: data.sparsity.map((s) => {
        const l = s.layers.find((m) => m.name === name);
        return l ? l.belowThreshold / l.units : null;
      }),
    })),
  });
  const subtitle = `Fraction of each layer\u2019s output units whose group norm \u2016w\u2096\u2016\u2082 is below ${oneThreshold === undefined ? 'the layer\u2019s threshold' : formatThreshold(oneThreshold)}` +
    (data.sparsity.some((s) => s.epoch < 0) ? '; epoch 0 is before training' : '');
  parts.push(figure('chart-sparsity', 'Units below the group-norm threshold', subtitle), '</section>');
  return parts.join('\n');
}

function groupNormSection(data: TrainingReportData, charts: ChartSpec[], colors: Map<string, string>, binsPerDecade: number): string {
  const parts = ['<section id="group-norms">', '<h2>Group norms of the final weights</h2>'];
  if (data.groupNorms.length === 0) {
    parts.push(note('No group norms were recorded for this run.'), '</section>');
    return parts.join('\n');
  }
  const thresholds = data.groupNorms.map((g) => {
    if (g.threshold !== undefined) return g.threshold;
    for (let i = data.sparsity.length - 1; i >= 0; i--) {
      const l = data.sparsity[i].layers.find((m) => m.name === g.name);
      if (l) return l.threshold;
    }
    return undefined;
  });
  const histogram = groupNormHistogram(data.groupNorms, {
    binsPerDecade,
    include: thresholds.filter((t): t is number => t !== undefined && t > 0),
  });
  parts.push('<div class="grid small">');
  histogram.layers.forEach((layer, i) => {
    const id = `chart-norms-${i}`;
    const threshold = thresholds[i];
    const below = threshold === undefined ? undefined : countBelow(data.groupNorms[i].norms, threshold);
    const facts = [`${formatCount(layer.units)} units`];
    if (threshold !== undefined && below !== undefined) facts.push(`${formatCount(below)} below ${formatThreshold(threshold)} (${formatPercent(layer.units ? below / layer.units : NaN, 1)})`);
    // Under the chart, so that every chart of the row starts at the same height.
    const footnotes: string[] = [];
    if (layer.belowRange) footnotes.push(`${formatCount(layer.belowRange)} ${layer.belowRange === 1 ? 'norm' : 'norms'} below ${powerOfTen(histogram.lo)} counted in the first bin`);
    if (layer.nonFinite) footnotes.push(`${formatCount(layer.nonFinite)} not finite, not shown`);
    charts.push({
      id, kind: 'bars', height: 200, legend: false,
      x: { label: 'group norm \u2016w\u2096\u2016\u2082 (log scale)', format: 'log10', values: histogram.centers, min: histogram.lo, max: histogram.hi },
      y: { label: 'units', format: 'count', min: 0 },
      series: [{ label: layer.name, values: layer.counts, color: colors.get(layer.name)! }],
      markers: threshold !== undefined && threshold > 0 ? [{ x: Math.log10(threshold), label: `threshold ${formatThreshold(threshold)}` }] : [],
    });
    parts.push(figure(id, layer.name, facts.join(' · '), footnotes.join('; ')));
  });
  parts.push('</div>', '</section>');
  return parts.join('\n');
}

function countBelow(norms: ArrayLike<number>, threshold: number): number {
  let n = 0;
  for (let k = 0; k < norms.length; k++) if (norms[k] < threshold) n++;
  return n;
}

function reductionSection(data: TrainingReportData): string {
  const parts = ['<section id="reduction">', '<h2>Reduction</h2>'];
  const r = data.reduction;
  if (!r) {
    parts.push(
      note('<strong>Reduction not run.</strong> This report describes the trained model as is; no units were removed, so its parameters and FLOPs are unchanged.'),
      '</section>',
    );
    return parts.join('\n');
  }
  const summary: string[][] = [
    ['parameters', formatCount(r.parameters.before), formatCount(r.parameters.after), formatChange(r.parameters.before, r.parameters.after)],
    ['FLOPs / sample', formatCount(r.flops.before), formatCount(r.flops.after), formatChange(r.flops.before, r.flops.after)],
  ];
  if (r.testAccuracyAfter !== undefined && data.test) {
    summary.push(['test accuracy', formatPercent(data.test.accuracy), formatPercent(r.testAccuracyAfter), `${r.testAccuracyAfter >= data.test.accuracy ? '+' : '−'}${(Math.abs(r.testAccuracyAfter - data.test.accuracy) * 100).toFixed(2)} pts`]);
  } else if (r.testAccuracyAfter !== undefined) {
    summary.push(['test accuracy', '–', formatPercent(r.testAccuracyAfter), '–']);
  }
  const layers = r.layers.map((l) => [l.name, formatCount(l.units), formatCount(l.kept), formatCount(l.units - l.kept), formatPercent((l.units - l.kept) / l.units, 1)]);
  parts.push(
    '<div class="tables">',
    '<div class="scroll">', table(['', 'before', 'after', 'change'], summary), '</div>',
    '<div class="scroll">', table(['layer', 'units', 'kept', 'removed', 'removed %'], layers), '</div>',
    '</div>',
    '</section>',
  );
  return parts.join('\n');
}

function modelSection(data: TrainingReportData): string {
  return ['<section id="model">', '<h2>Model</h2>', `<pre>${escapeHtml(data.model.summary)}</pre>`, '</section>'].join('\n');
}

import { ArgumentError } from '../errors.js';
import type { BeforeAfter } from '../reduce/report.js';
import type { BatchCurvePoint } from '../train/batch_curve.js';
import type { EpochLog } from '../train/fit.js';
import { knownKeys, nonNegativeNumber, positiveInt } from '../validate.js';
import { renderChartPage } from './chart_page.js';
import type { ChartSeries, ChartSpec } from './chart_page_script.js';
import { groupNormHistogram } from './group_norm_histogram.js';
import { dataTable, figure, note, settingsTable } from './html_blocks.js';
import { escapeHtml } from './html_text.js';
import { countNoun, formatChange, formatCount, formatLarge, formatNumber, formatPercent, formatSeconds, formatThreshold, formatTimestamp, powerOfTen } from './report_numbers.js';
import type { UplotAssets } from './uplot_assets.js';

/** One layer's group sparsity at one point of training. */
export interface LayerSparsityPoint {
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
  /** Epochs elapsed when measured, for a measurement inside an epoch (2.5 = halfway through the third). Default epoch + 1. */
  at?: number;
  layers: LayerSparsityPoint[];
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
  /** Removed units by reason: dead (incoming weights below xi), unused (outgoing weights below xi), or both. */
  dead?: number;
  unused?: number;
  /** The layer's parameters, nonzero parameters and FLOPs per sample (layerSizes). */
  parameters?: BeforeAfter;
  nonzeros?: BeforeAfter;
  flops?: BeforeAfter;
  /** The layer's stored bytes and its own forward pass's ms per sample (reductionReport). */
  bytes?: BeforeAfter;
  latencyMs?: { batch1: BeforeAfter; batch64: BeforeAfter };
}

/** The physical reduction's effect on the model; reductionReport's ReductionReport is one. */
export interface ReductionSummary {
  parameters: BeforeAfter;
  /** Forward FLOPs per sample. */
  flops: BeforeAfter;
  /** Nonzero parameters. */
  nonzeros?: BeforeAfter;
  /** Model file sizes in bytes (encodeModel). */
  bytes?: BeforeAfter;
  /** Inference milliseconds per sample at batch 1 and batch 64. */
  latencyMs?: { batch1: BeforeAfter; batch64: BeforeAfter };
  /** Largest logit difference from the original with the removed groups zeroed, relative to the largest logit. */
  maxLogitDifference?: number;
  /** The dead-unit threshold the reduction used, and how it was chosen. */
  xi?: number;
  xiRule?: string;
  layers: LayerReduction[];
  /** Test accuracy of the reduced model, when measured. */
  testAccuracyAfter?: number;
}

/** Units whose output did not vary on a data sample (deadUnitsByActivation), per weighted layer. */
export interface ActivityCheck {
  samples: number;
  layers: { layer: string; observed: string; units: number; zero: number; constant: number }[];
}

/** A setting's value as shown: text, a number, a flag; null shows as "none". */
export type SettingValue = string | number | boolean | null;

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
  /** The per-batch curve (BatchCurve.points): loss and accuracy are then drawn per batch, with epoch markers. */
  batches?: readonly BatchCurvePoint[];
  /** Absent when the reduction step has not been run: the page says so. */
  reduction?: ReductionSummary;
  /** Evaluation of the trained model on the test set. */
  test?: { accuracy: number; loss?: number; samples?: number };
  /** Units that output a constant on test samples. */
  activity?: ActivityCheck;
  /** How the run was set up, in display order: e.g. { optimizer: 'adam lr 1e-3 → l2 λ 1e-4', 'batch size': 64, seed: 1 }. */
  settings?: Record<string, SettingValue>;
  /** Where it ran, in display order: e.g. { runtime: 'Node 22.1.0', kernels: 'simd', threads: 2 }. */
  environment?: Record<string, SettingValue>;
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

const DATA_KEYS = ['title', 'model', 'history', 'sparsity', 'groupNorms', 'batches', 'reduction', 'test', 'activity', 'settings', 'environment', 'startedAt', 'finishedAt', 'commandLine'];

// matplotlib's tab10: distinct, and readable on white.
const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
const TRAIN_COLOR = PALETTE[0];
const VALIDATION_COLOR = PALETTE[1];
const PENALTY_COLOR = PALETTE[4];
const EPOCH_MARKER_COLOR = '#9aa1ad';

/**
 * Renders one self-contained HTML page about a training run: the headline numbers, the run's
 * settings and environment, loss (data term and penalty apart) and accuracy per batch with epoch
 * markers (per epoch when no batch curve is given), group sparsity per layer over the epochs,
 * histograms of the final log10 group norms with the threshold marked, and the reduction per layer
 * (or a note that reduction was not run). uPlot's script and stylesheet are inlined, so the page
 * opens offline and fetches nothing. Every piece of text from `data` is escaped.
 *
 * @example
 * const html = renderTrainingReport({
 *   title: 'mnist-mlp', model: { summary: model.summary(), parameters: model.parameterCount, flops: model.flops },
 *   history, batches: curve.points, sparsity: [], groupNorms: [], test: { accuracy: 0.981 },
 * });
 * fs.writeFileSync('out.html', html);
 */
export function renderTrainingReport(data: TrainingReportData, options: TrainingReportOptions = {}): string {
  checkData(data);
  knownKeys('renderTrainingReport options', options, ['assets', 'histogramBinsPerDecade']);
  const binsPerDecade = positiveInt('histogramBinsPerDecade', options.histogramBinsPerDecade ?? 10);

  const charts: ChartSpec[] = [];
  const layerColor = colorsByLayer(data);
  const body = [
    header(data),
    '<main>',
    trainingSection(data, charts),
    sizeSection(data, charts),
    sparsitySection(data, charts, layerColor),
    groupNormSection(data, charts, layerColor, binsPerDecade),
    reductionSection(data),
    setupSection(data),
    modelSection(data),
    '</main>',
  ].join('\n');
  return renderChartPage({ title: data.title, body, charts, ...(options.assets ? { assets: options.assets } : {}) });
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
    if (s.at !== undefined && !Number.isFinite(s.at)) throw new ArgumentError(`data.sparsity[${i}].at`, s.at, 'a finite number of epochs');
    s.layers.forEach((l: LayerSparsityPoint, j: number) => {
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
  if (data.batches !== undefined) {
    if (!Array.isArray(data.batches)) throw new ArgumentError('data.batches', data.batches, 'an array of BatchCurvePoint (BatchCurve.points)');
    data.batches.forEach((b, i) => {
      if (!b || !Number.isFinite(b.epochs) || (i > 0 && b.epochs < data.batches![i - 1].epochs)) {
        throw new ArgumentError(`data.batches[${i}].epochs`, b?.epochs, 'a finite number, not less than the previous point\'s');
      }
    });
  }
  for (const key of ['settings', 'environment'] as const) {
    const table = data[key];
    if (table !== undefined && (table === null || typeof table !== 'object' || Array.isArray(table))) throw new ArgumentError(`data.${key}`, table, 'an object of name: value');
  }
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
  if (last) cards.push(['Train accuracy', formatPercent(last.accuracy), last.dataLoss !== undefined ? `data loss ${formatNumber(last.dataLoss)}` : `loss ${formatNumber(last.loss)}`]);
  const seconds = epochs.reduce((s, e) => s + (Number.isFinite(e.seconds) ? e.seconds : 0), 0);
  cards.push(['Epochs', String(epochs.length), [data.history.stoppedEarly ? 'stopped early' : '', epochs.length ? formatSeconds(seconds) : ''].filter(Boolean).join(', ')]);
  cards.push(['Parameters', formatCount(data.model.parameters), `${formatLarge(data.model.flops)} FLOPs / sample`]);
  const sparsity = data.sparsity[data.sparsity.length - 1];
  if (sparsity && sparsity.layers.length) {
    const below = sparsity.layers.reduce((s, l) => s + l.belowThreshold, 0);
    const units = sparsity.layers.reduce((s, l) => s + l.units, 0);
    cards.push(['Group sparsity', formatPercent(below / units, 1), `${formatCount(below)} of ${countNoun(units, 'unit')}`]);
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

const finiteOrNull = (v: number | undefined): number | null => (v === undefined || !Number.isFinite(v) ? null : v);

/** Dashed lines at the epoch boundaries inside (0, last); at most about 8 of them labelled. */
function epochMarkers(epochs: number): { x: number; label: string; color: string }[] {
  const every = Math.max(1, Math.ceil(epochs / 8));
  const markers = [];
  for (let e = 1; e < epochs; e++) markers.push({ x: e, label: e % every === 0 ? `epoch ${e + 1}` : '', color: EPOCH_MARKER_COLOR });
  return markers;
}

function trainingSection(data: TrainingReportData, charts: ChartSpec[]): string {
  const epochs = data.history.epochs;
  const parts = ['<section id="training">', '<h2>Loss and accuracy</h2>'];
  if (epochs.length === 0 && !data.batches?.length) {
    parts.push(note('No epochs were recorded.'), '</section>');
    return parts.join('\n');
  }
  const hasValidation = epochs.some((e) => e.valLoss !== undefined || e.valAccuracy !== undefined);
  const batches = data.batches ?? [];
  const hasPenalty = batches.some((b) => b.penalty > 0) || epochs.some((e) => (e.penalty ?? 0) > 0);
  let lossSeries: ChartSeries[];
  let penaltySeries: ChartSeries[];
  let accuracySeries: ChartSeries[];
  let x: ChartSpec['x'];
  let markers: ChartSpec['markers'] = [];
  let subtitle: string;
  const lossLabel = hasPenalty ? 'train (data term)' : 'train';
  if (batches.length) {
    // Batch points and the epoch ends (where validation is measured) on one x axis, in epochs.
    const ends = epochs.map((e) => e.epoch + 1);
    const xs = [...new Set([...batches.map((b) => b.epochs), ...(hasValidation ? ends : [])])].sort((a, b) => a - b);
    const at = new Map(xs.map((v, i) => [v, i]));
    const column = (points: readonly { x: number; v: number | undefined }[]): (number | null)[] => {
      const out = new Array<number | null>(xs.length).fill(null);
      for (const p of points) out[at.get(p.x)!] = finiteOrNull(p.v);
      return out;
    };
    const perBatch = (pick: (b: BatchCurvePoint) => number) => column(batches.map((b) => ({ x: b.epochs, v: pick(b) })));
    const perEpoch = (pick: (e: EpochLog) => number | undefined) => column(epochs.map((e) => ({ x: e.epoch + 1, v: pick(e) })));
    const train = { points: false, color: TRAIN_COLOR, spanGaps: true };
    const validation = { color: VALIDATION_COLOR, dashed: true, spanGaps: true };
    lossSeries = [
      { label: lossLabel, values: perBatch((b) => b.dataLoss), ...train },
      ...(hasValidation ? [{ label: 'validation', values: perEpoch((e) => e.valLoss), ...validation }] : []),
    ];
    penaltySeries = [{ label: 'penalty', values: perBatch((b) => b.penalty), points: false, color: PENALTY_COLOR, spanGaps: true }];
    accuracySeries = [
      { label: 'train', values: perBatch((b) => b.accuracy), ...train },
      ...(hasValidation ? [{ label: 'validation', values: perEpoch((e) => e.valAccuracy), ...validation }] : []),
    ];
    x = { label: 'epochs', format: 'epochs', values: xs, min: 0 };
    const last = Math.max(xs[xs.length - 1], epochs.length);
    markers = epochMarkers(Math.ceil(last - 1e-9));
    const perPoint = Math.max(...batches.map((b) => b.batches));
    subtitle = `train: ${perPoint > 1 ? `means over runs of up to ${perPoint} batches` : 'every batch'}` + (hasValidation ? '; validation: after each epoch' : '') +
      (markers.length ? '; dashed lines: epoch boundaries' : '');
  } else {
    const column = (pick: (e: EpochLog) => number | undefined) => epochs.map((e) => finiteOrNull(pick(e)));
    x = { label: 'epoch', format: 'epoch', values: epochs.map((e) => e.epoch + 1) };
    lossSeries = [
      { label: lossLabel, values: column((e) => e.dataLoss ?? e.loss), color: TRAIN_COLOR },
      ...(hasValidation ? [{ label: 'validation', values: column((e) => e.valLoss), color: VALIDATION_COLOR, dashed: true }] : []),
    ];
    penaltySeries = [{ label: 'penalty', values: column((e) => e.penalty), color: PENALTY_COLOR }];
    accuracySeries = [
      { label: 'train', values: column((e) => e.accuracy), color: TRAIN_COLOR },
      ...(hasValidation ? [{ label: 'validation', values: column((e) => e.valAccuracy), color: VALIDATION_COLOR, dashed: true }] : []),
    ];
    subtitle = 'train: mean over the epoch\u2019s batches' + (hasValidation ? '; validation: after the epoch' : '');
  }
  const per = batches.length ? 'per batch' : 'per epoch';
  charts.push({ id: 'chart-loss', kind: 'lines', height: 260, x, y: { label: 'loss (data term)', format: 'number', floor: 0 }, series: lossSeries, markers });
  charts.push({ id: 'chart-accuracy', kind: 'lines', height: 260, x, y: { label: 'accuracy', format: 'percent', floor: 0, ceiling: 1 }, series: accuracySeries, markers });
  const figures = [
    figure('chart-loss', `Loss ${per}`, subtitle, hasPenalty
      ? 'The data term only: the loss function, as the validation and test losses are measured. Training minimised it plus the penalty (next to it).'
      : 'No regulariser added a penalty: the training loss is the data term alone, like the validation loss.'),
    figure('chart-accuracy', `Accuracy ${per}`, subtitle),
  ];
  if (hasPenalty) {
    charts.push({ id: 'chart-penalty', kind: 'lines', height: 260, legend: false, x, y: { label: 'penalty', format: 'number', floor: 0 }, series: penaltySeries, markers });
    figures.splice(1, 0, figure('chart-penalty', `Regulariser penalty ${per}`, 'What the transforms added to the training loss (the data term plus this was minimised)'));
  }
  parts.push(`<div class="grid${hasPenalty ? ' three' : ''}">`, ...figures, '</div>');
  if (epochs.length) parts.push(epochTable(epochs, hasValidation, hasPenalty));
  parts.push('</section>');
  return parts.join('\n');
}

/**
 * The network's parameter count and the training rate per epoch, when the history records the
 * count: with live reduction (fit's reduce option) both move as units leave during training.
 */
function sizeSection(data: TrainingReportData, charts: ChartSpec[]): string {
  const epochs = data.history.epochs.filter((e) => e.parameters !== undefined);
  if (epochs.length < 2) return ''; // one point is no curve: the model section gives the size
  const x: ChartSpec['x'] = { label: 'epoch', format: 'epoch', values: epochs.map((e) => e.epoch + 1) };
  charts.push({ id: 'chart-parameters', kind: 'lines', height: 220, legend: false, x, y: { label: 'parameters', format: 'count', floor: 0 }, series: [{ label: 'parameters', values: epochs.map((e) => e.parameters!), color: TRAIN_COLOR }] });
  charts.push({ id: 'chart-rate', kind: 'lines', height: 220, legend: false, x, y: { label: 'samples/s', format: 'count', floor: 0 }, series: [{ label: 'samples/s', values: epochs.map((e) => finiteOrNull(e.samplesPerSecond)), color: VALIDATION_COLOR }] });
  const [first, last] = [epochs[0].parameters!, epochs[epochs.length - 1].parameters!];
  const lead = first === last
    ? `The network kept its ${formatCount(first)} parameters through training.`
    : `Live reduction removed units while training: ${formatCount(first)} parameters after the first epoch, ${formatCount(last)} after the last (${formatChange(first, last)}).`;
  return [
    '<section id="size">', '<h2>Network size and training speed</h2>', `<p class="lead">${escapeHtml(lead)}</p>`,
    '<div class="grid">',
    figure('chart-parameters', 'Parameters per epoch', 'at the epoch\u2019s end, after any cut there'),
    figure('chart-rate', 'Training samples per second, per epoch', 'the epoch\u2019s wall-clock rate'),
    '</div>', '</section>',
  ].join('\n');
}

function epochTable(epochs: readonly EpochLog[], hasValidation: boolean, hasPenalty: boolean): string {
  const head = ['epoch', hasPenalty ? 'data loss' : 'loss', ...(hasPenalty ? ['penalty'] : []), 'accuracy', ...(hasValidation ? ['val loss', 'val accuracy'] : []), 'learning rate', 'time', 'samples/s'];
  const optional = (v: number | undefined, f: (v: number) => string) => (v === undefined ? '–' : f(v));
  const rows = epochs.map((e) => [
    String(e.epoch + 1), formatNumber(hasPenalty ? e.dataLoss ?? NaN : e.loss), ...(hasPenalty ? [optional(e.penalty, formatNumber)] : []), formatPercent(e.accuracy),
    ...(hasValidation ? [optional(e.valLoss, formatNumber), optional(e.valAccuracy, formatPercent)] : []),
    formatNumber(e.lr), formatSeconds(e.seconds), formatCount(e.samplesPerSecond),
  ]);
  return ['<details class="epochs">', '<summary>Per-epoch numbers</summary>', '<div class="scroll">', dataTable(head, rows), '</div>', '</details>'].join('\n');
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
  const parts = ['<section id="sparsity">', '<h2>Group sparsity per epoch, by layer</h2>'];
  const names = [...new Set(data.sparsity.flatMap((s) => s.layers.map((l) => l.name)))];
  if (names.length === 0) {
    parts.push(note('Group sparsity was not measured during this run.'), activityTable(data), '</section>');
    return parts.join('\n');
  }
  const thresholds = new Set(data.sparsity.flatMap((s) => s.layers.map((l) => l.threshold)));
  const oneThreshold = thresholds.size === 1 ? [...thresholds][0] : undefined;
  const intro = `Fraction of each layer\u2019s output units whose group norm \u2016w\u2096\u2016\u2082 is below ${oneThreshold === undefined ? 'the layer\u2019s threshold' : formatThreshold(oneThreshold)}` +
    ` (a dead unit: reduction removes it)${data.sparsity.some((s) => s.epoch < 0) ? '; 0 is before training' : ''}. Each chart has its own scale.`;
  parts.push(`<p class="lead">${escapeHtml(intro)}</p>`, '<div class="grid small">');
  const fractional = data.sparsity.some((s) => s.at !== undefined && !Number.isInteger(s.at));
  names.forEach((name, i) => {
    const id = `chart-sparsity-${i}`;
    const entries = data.sparsity.map((s) => s.layers.find((m) => m.name === name));
    const last = entries.filter((l): l is LayerSparsityPoint => l !== undefined).pop()!;
    charts.push({
      id, kind: 'lines', height: 200, legend: false,
      x: fractional ? { label: 'epochs', format: 'epochs', values: data.sparsity.map((s) => s.at ?? s.epoch + 1), min: 0 } : { label: 'epoch', format: 'epoch', values: data.sparsity.map((s) => s.epoch + 1) },
      // Autoscaled, never beyond [0, 1]: 2% must not draw as a flat line at the bottom.
      y: { label: 'units below threshold', format: 'percent', floor: 0, ceiling: 1 },
      series: [{ label: name, color: colors.get(name)!, points: !fractional, values: entries.map((l) => (l ? l.belowThreshold / l.units : null)) }],
      markers: fractional ? epochMarkers(Math.ceil(Math.max(...data.sparsity.map((s) => s.at ?? s.epoch + 1)) - 1e-9)) : [],
    });
    const facts = `${formatCount(last.belowThreshold)} of ${countNoun(last.units, 'unit')} at the end (${formatPercent(last.belowThreshold / last.units, 1)})` +
      (oneThreshold === undefined ? `, threshold ${formatThreshold(last.threshold)}` : '');
    parts.push(figure(id, name, facts));
  });
  parts.push('</div>', activityTable(data), '</section>');
  return parts.join('\n');
}

/** The activation view beside the weight view (what `slimtrain train` prints after the sparsity table). */
function activityTable(data: TrainingReportData): string {
  const a = data.activity;
  if (!a || a.layers.length === 0) return '';
  const rows = a.layers.map((l) => [l.layer, l.observed, formatCount(l.units), formatCount(l.zero), formatCount(l.constant)]);
  return [
    '<h3>Units with a constant output</h3>',
    `<p class="lead">${escapeHtml(`On ${countNoun(a.samples, 'test sample')}: units that output exactly 0 for every sample (a ReLU that never fires, even with nonzero weights), and units that output one nonzero constant (e.g. dead units, whose constant output reduction folds into the next layer).`)}</p>`,
    '<div class="scroll">', dataTable(['layer', 'output observed', 'units', 'always 0', 'nonzero constant'], rows), '</div>',
  ].join('\n');
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
  parts.push(`<p class="lead">${escapeHtml('Units per bin of log10 \u2016w\u2096\u2016\u2082, counted on a log scale so that a few dead units show beside a peak of hundreds; the dashed line is the dead-unit threshold.')}</p>`);
  parts.push('<div class="grid small">');
  histogram.layers.forEach((layer, i) => {
    const id = `chart-norms-${i}`;
    const threshold = thresholds[i];
    const below = threshold === undefined ? undefined : countBelow(data.groupNorms[i].norms, threshold);
    const facts = [countNoun(layer.units, 'unit')];
    if (threshold !== undefined && below !== undefined) facts.push(`${formatCount(below)} below ${formatThreshold(threshold)} (${formatPercent(layer.units ? below / layer.units : NaN, 1)})`);
    // Under the chart, so that every chart of the row starts at the same height.
    const footnotes: string[] = [];
    if (layer.belowRange) footnotes.push(`${countNoun(layer.belowRange, 'norm')} below ${powerOfTen(histogram.lo)} counted in the first bin`);
    if (layer.nonFinite) footnotes.push(`${formatCount(layer.nonFinite)} not finite, not shown`);
    charts.push({
      id, kind: 'bars', height: 200, legend: false,
      x: { label: 'group norm \u2016w\u2096\u2016\u2082 (log scale)', format: 'log10', values: histogram.centers, min: histogram.lo, max: histogram.hi },
      // A log axis has no 0: empty bins are gaps.
      // 0.5: a bin of one unit still has a visible bar.
      y: { label: 'units (log scale)', format: 'count', log: true, min: 0.5 },
      series: [{ label: layer.name, values: layer.counts.map((c) => (c > 0 ? c : null)), color: colors.get(layer.name)! }],
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
  const change = (v: BeforeAfter, f: (n: number) => string = formatCount) => [f(v.before), f(v.after), formatChange(v.before, v.after)];
  const ms = (v: number) => `${v.toFixed(4)} ms`;
  const summary: string[][] = [
    ['parameters', ...change(r.parameters)],
    ...(r.nonzeros ? [['nonzero parameters', ...change(r.nonzeros)]] : []),
    ['FLOPs / sample', ...change(r.flops)],
    ...(r.bytes ? [['file bytes', ...change(r.bytes)]] : []),
    ...(r.latencyMs ? [['latency / sample, batch 1', ...change(r.latencyMs.batch1, ms)], ['latency / sample, batch 64', ...change(r.latencyMs.batch64, ms)]] : []),
  ];
  if (r.testAccuracyAfter !== undefined && data.test) {
    summary.push(['test accuracy', formatPercent(data.test.accuracy), formatPercent(r.testAccuracyAfter), `${r.testAccuracyAfter >= data.test.accuracy ? '+' : '−'}${(Math.abs(r.testAccuracyAfter - data.test.accuracy) * 100).toFixed(2)} pts`]);
  } else if (r.testAccuracyAfter !== undefined) {
    summary.push(['test accuracy', '–', formatPercent(r.testAccuracyAfter), '–']);
  }
  const hasReasons = r.layers.some((l) => l.dead !== undefined || l.unused !== undefined);
  const beforeAfter = (v: BeforeAfter | undefined) => (v ? `${formatCount(v.before)} → ${formatCount(v.after)}` : '–');
  const hasSizes = r.layers.some((l) => l.parameters || l.flops);
  const hasCosts = r.layers.some((l) => l.bytes || l.latencyMs);
  const timeChange = (v: BeforeAfter | undefined) => (v ? `${v.before.toFixed(4)} → ${v.after.toFixed(4)}` : '–');
  const layers = r.layers.map((l) => [
    l.name, formatCount(l.units), formatCount(l.kept), formatCount(l.units - l.kept),
    ...(hasReasons ? [l.dead === undefined ? '–' : formatCount(l.dead), l.unused === undefined ? '–' : formatCount(l.unused)] : []),
    formatPercent((l.units - l.kept) / l.units, 1),
    ...(hasSizes ? [beforeAfter(l.parameters), beforeAfter(l.nonzeros), beforeAfter(l.flops)] : []),
    ...(hasCosts ? [beforeAfter(l.bytes), timeChange(l.latencyMs?.batch1), timeChange(l.latencyMs?.batch64)] : []),
  ]);
  const head = [
    'layer', 'units', 'kept', 'removed', ...(hasReasons ? ['dead', 'unused'] : []), 'removed %', ...(hasSizes ? ['parameters', 'nonzeros', 'FLOPs'] : []),
    ...(hasCosts ? ['file bytes', 'ms / sample, batch 1', 'ms / sample, batch 64'] : []),
  ];
  const facts: string[] = [];
  if (r.xi !== undefined) facts.push(`Threshold xi = ${formatThreshold(r.xi)}${r.xiRule ? ` (${r.xiRule})` : ''}.`);
  facts.push('A <em>dead</em> unit\u2019s incoming weights have group norm below xi: its output is a constant, folded into the next layer\u2019s bias. An <em>unused</em> unit\u2019s outgoing weights are all below xi: nothing downstream reads it. Both are removed; the reduced model predicts what the original does with those weights zeroed.');
  if (r.maxLogitDifference !== undefined) facts.push(`Largest logit difference from that on the test sample: ${escapeHtml(r.maxLogitDifference.toExponential(2))} (relative).`);
  parts.push(
    `<p class="lead">${facts.map((f, i) => (i === 1 ? f : escapeHtml(f))).join(' ')}</p>`,
    '<div class="tables">',
    '<div class="scroll">', dataTable(['', 'before', 'after', 'change'], summary), '</div>',
    '<div class="scroll">', dataTable(head, layers), '</div>',
    '</div>',
    '</section>',
  );
  return parts.join('\n');
}

const settingText = (v: SettingValue): string => (v === null ? 'none' : typeof v === 'number' ? (Number.isInteger(v) ? formatCount(v) : formatNumber(v)) : String(v));

function setupSection(data: TrainingReportData): string {
  const tables = [['Hyperparameters', data.settings], ['Environment', data.environment]] as const;
  const present = tables.filter(([, t]) => t && Object.keys(t).length);
  if (!present.length) return '';
  return [
    '<section id="setup">',
    '<h2>Settings and environment</h2>',
    '<div class="tables">',
    ...present.map(([caption, t]) => `<div class="scroll">${settingsTable(caption, Object.entries(t!).map(([k, v]) => [k, settingText(v)] as const))}</div>`),
    '</div>',
    '</section>',
  ].join('\n');
}

function modelSection(data: TrainingReportData): string {
  return ['<section id="model">', '<h2>Model</h2>', `<pre>${escapeHtml(data.model.summary)}</pre>`, '</section>'].join('\n');
}

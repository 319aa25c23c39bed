import type { Sequential } from '../model/sequential.js';
import { ArgumentError } from '../errors.js';
import { knownKeys, nonNegativeNumber, positiveInt } from '../validate.js';
import { groupNorms } from './group_norms.js';

/** How the dead-group threshold was chosen, for the report. */
export interface ThresholdChoice {
  xi: number;
  rule: 'given' | 'gap' | 'fixed';
  reason: string;
}

/** A histogram of log10 group norms: counts[i] counts norms in [10^edges[i], 10^edges[i+1]). */
export interface Log10Histogram {
  edges: number[];
  counts: number[];
  /** Norms that are exactly 0 (log10 = -infinity), not in any bin. */
  zeros: number;
}

/** One weighted layer's groups as measureSparsity finds them: norms, dead units, element sparsity, histogram. */
export interface LayerSparsity {
  layer: string;
  type: string;
  units: number;
  norms: Float32Array;
  /** Indices of the groups with ||w_k||_2 < xi. */
  dead: number[];
  /** Weights of the layer's kernel with |w| < eps, as a fraction. */
  elementSparsity: number;
  weights: number;
  histogram: Log10Histogram;
}

/** What measureSparsity returns: the threshold chosen, per-layer group sparsity and the dead hidden units and zero weights in all. */
export interface SparsityReport {
  threshold: ThresholdChoice;
  eps: number;
  layers: LayerSparsity[];
  /** Units of every weighted layer but the last (whose outputs are the model's outputs). */
  hiddenUnits: number;
  deadHiddenUnits: number;
  /** Kernel weights with |w| < eps over all weighted layers. */
  zeroWeights: number;
  weights: number;
}

/** Options of measureSparsity. */
export interface MeasureOptions {
  /** Dead-group threshold on ||w_k||_2. Default: from the gap in the log10 norms (see chooseThreshold). */
  xi?: number;
  /** Element threshold: a weight with |w| < eps counts as zero. Default 1e-13 (the pAdam paper's). */
  eps?: number;
  /** Histogram bins per decade. Default 4. */
  binsPerDecade?: number;
}

/** A gap of at least this many decades between two clusters of log10 norms is "clear". */
export const MIN_GAP_DECADES = 2;
/** xi when no clear gap exists: far below any live unit's norm. */
export const FALLBACK_XI = 1e-6;
/** Stand-in for log10(0), so that exactly-zero groups sit below every real one. */
const LOG10_ZERO = -45;

/**
 * The dead-group threshold from the data: the norms of dead groups sit many orders of magnitude
 * below the live ones (methods page, method 1), so when the sorted log10 norms of the hidden layers
 * have a gap of at least MIN_GAP_DECADES below the top (live) cluster, xi is the geometric middle of
 * that gap (at most 6 decades below the live cluster); otherwise
 * xi = FALLBACK_XI, which no trained live unit comes near.
 *
 * @example
 * chooseThreshold([1e-9, 2e-9, 0.4, 0.5]) // { xi: ~6e-5, rule: 'gap', ... }
 */
export function chooseThreshold(norms: ArrayLike<number>): ThresholdChoice {
  const logs = Array.from(norms, (n) => (n > 0 ? Math.log10(n) : LOG10_ZERO)).sort((a, b) => a - b);
  // The live units form the top cluster: its lower edge is the highest gap of MIN_GAP_DECADES or more
  // (dead groups below it may themselves spread over decades, down to exact zeros).
  let best = 0;
  let at = -1;
  for (let i = logs.length - 1; i > 0; i--) {
    if (logs[i] - logs[i - 1] >= MIN_GAP_DECADES) {
      best = logs[i] - logs[i - 1];
      at = i;
      break;
    }
  }
  if (at > 0 && best >= MIN_GAP_DECADES) {
    const lo = logs[at - 1];
    const hi = logs[at];
    // The gap's geometric middle, but at most 6 decades below the live cluster: groups at exactly
    // 0 would otherwise put xi near 1e-23.
    const xi = 10 ** Math.max((lo + hi) / 2, hi - 6);
    return {
      xi,
      rule: 'gap',
      reason: `${at} of ${logs.length} group norms lie below a gap of ${best === Infinity ? 'many' : best.toFixed(1)} decades (from ${fmt(lo)} to ${fmt(hi)}); xi is its geometric middle`,
    };
  }
  return { xi: FALLBACK_XI, rule: 'fixed', reason: `no gap of ${MIN_GAP_DECADES} decades between dead and live group norms: the fixed default ${FALLBACK_XI}` };
}

function fmt(log: number): string {
  return log <= LOG10_ZERO ? '0' : `1e${log.toFixed(1)}`;
}

function histogram(norms: Float32Array, binsPerDecade: number): Log10Histogram {
  const logs = Array.from(norms).filter((n) => n > 0).map(Math.log10);
  const zeros = norms.length - logs.length;
  if (logs.length === 0) return { edges: [], counts: [], zeros };
  const lo = Math.floor(Math.min(...logs) * binsPerDecade) / binsPerDecade;
  const hi = Math.floor(Math.max(...logs) * binsPerDecade) / binsPerDecade + 1 / binsPerDecade;
  const bins = Math.max(1, Math.round((hi - lo) * binsPerDecade));
  const counts = new Array(bins).fill(0);
  for (const l of logs) counts[Math.min(bins - 1, Math.floor((l - lo) * binsPerDecade))]++;
  return { edges: Array.from({ length: bins + 1 }, (_, i) => lo + i / binsPerDecade), counts, zeros };
}

/**
 * Measures the group sparsity of every dense/conv layer: group norms ||w_k||_2 of the output units,
 * the groups below xi, element sparsity below eps, and a log10 histogram of the norms. Never
 * changes the model; cheap enough to call after every epoch.
 *
 * @example
 * const report = measureSparsity(model);
 * console.log(report.threshold.reason, report.deadHiddenUnits, '/', report.hiddenUnits);
 */
export function measureSparsity(model: Sequential, options: MeasureOptions = {}): SparsityReport {
  knownKeys('measureSparsity options', options, ['xi', 'eps', 'binsPerDecade']);
  const eps = nonNegativeNumber('eps', options.eps ?? 1e-13);
  const binsPerDecade = positiveInt('binsPerDecade', options.binsPerDecade ?? 4);
  const groups = groupNorms(model);
  if (groups.length === 0) throw new ArgumentError('model', 'a model without dense or conv layers', 'at least one weighted layer to measure');
  const hidden = groups.slice(0, -1);
  let threshold: ThresholdChoice;
  if (options.xi !== undefined) {
    threshold = { xi: nonNegativeNumber('xi', options.xi), rule: 'given', reason: `xi = ${options.xi} was given` };
  } else {
    threshold = chooseThreshold(hidden.flatMap((g) => Array.from(g.norms)));
  }
  const { xi } = threshold;
  const layers = groups.map((g) => {
    const kernel = model.params.tensor(`${g.layer}/kernel`);
    const zero = model.engine.backend.countBelow(model.params.ptrOf(kernel), kernel.size, eps);
    const dead: number[] = [];
    g.norms.forEach((n, k) => {
      if (n < xi) dead.push(k);
    });
    return {
      layer: g.layer, type: g.type, units: g.units, norms: g.norms, dead,
      elementSparsity: zero / kernel.size, weights: kernel.size, histogram: histogram(g.norms, binsPerDecade),
    };
  });
  return {
    threshold,
    eps,
    layers,
    hiddenUnits: hidden.reduce((s, g) => s + g.units, 0),
    deadHiddenUnits: layers.slice(0, -1).reduce((s, l) => s + l.dead.length, 0),
    zeroWeights: layers.reduce((s, l) => s + l.elementSparsity * l.weights, 0),
    weights: layers.reduce((s, l) => s + l.weights, 0),
  };
}

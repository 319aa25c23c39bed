import { ArgumentError } from '../errors.js';
import { positiveInt } from '../validate.js';

/** One layer's histogram over the shared bins. */
export interface LayerHistogram {
  name: string;
  /** counts[i] units have log10(norm) in bin i; counts.length === centers.length. */
  counts: number[];
  /** Units with norm exactly 0 or below 10^lo, counted in the first bin. */
  belowRange: number;
  /** NaN or infinite norms: not counted in any bin. */
  nonFinite: number;
  /** Every unit of the layer, counted or not. */
  units: number;
}

/** Histograms of log10 group norms for several layers, over one set of bins so they compare. */
export interface GroupNormHistogram {
  /** Bin edges span [lo, hi] in log10 units (whole decades). */
  lo: number;
  hi: number;
  /** Bin width in decades. */
  binWidth: number;
  /** Bin centers in log10 units, ascending. */
  centers: number[];
  layers: LayerHistogram[];
}

export interface GroupNormHistogramOptions {
  /** Bins per decade. Default 10. */
  binsPerDecade?: number;
  /** The widest span drawn, in decades, counted down from the largest norm; smaller norms land in the first bin. Default 8. */
  maxDecades?: number;
  /** Values (e.g. pruning thresholds) the range must include. Default none. */
  include?: readonly number[];
}

/**
 * Bins each layer's group norms by log10(norm). The range is whole decades, from the smallest
 * positive norm (or included value) to the largest, at most `maxDecades` wide.
 *
 * @example
 * const h = groupNormHistogram([{ name: 'dense_1', norms: [1e-4, 0.5, 0.8] }], { include: [1e-3] });
 * // h.lo === -4, h.hi === 0, h.layers[0].counts sums to 3
 */
export function groupNormHistogram(
  layers: readonly { name: string; norms: ArrayLike<number> }[],
  options: GroupNormHistogramOptions = {},
): GroupNormHistogram {
  const binsPerDecade = positiveInt('binsPerDecade', options.binsPerDecade ?? 10);
  const maxDecades = positiveInt('maxDecades', options.maxDecades ?? 8);
  let min = Infinity;
  let max = -Infinity;
  const see = (v: number): void => {
    if (v > 0 && Number.isFinite(v)) {
      const l = Math.log10(v);
      if (l < min) min = l;
      if (l > max) max = l;
    }
  };
  layers.forEach((layer, i) => {
    if (!layer || typeof layer.name !== 'string') throw new ArgumentError(`layers[${i}].name`, layer?.name, 'a string');
    if (!layer.norms || typeof layer.norms.length !== 'number') throw new ArgumentError(`layers[${i}].norms`, layer.norms, 'an array of numbers');
    for (let k = 0; k < layer.norms.length; k++) see(layer.norms[k]);
  });
  for (const v of options.include ?? []) see(v);
  if (min === Infinity) {
    // Nothing positive to place: one decade below 1 keeps the axis sensible.
    min = -1;
    max = 0;
  }
  let hi = Math.ceil(max) + 0; // + 0 turns -0 into 0
  let lo = Math.floor(min);
  if (hi === lo) hi = lo + 1;
  if (hi - lo > maxDecades) lo = hi - maxDecades;
  const bins = (hi - lo) * binsPerDecade;
  const binWidth = 1 / binsPerDecade;
  const centers = Array.from({ length: bins }, (_, i) => lo + (i + 0.5) * binWidth);
  return {
    lo,
    hi,
    binWidth,
    centers,
    layers: layers.map((layer) => {
      const counts = new Array<number>(bins).fill(0);
      let belowRange = 0;
      let nonFinite = 0;
      for (let k = 0; k < layer.norms.length; k++) {
        const v = layer.norms[k];
        if (!Number.isFinite(v)) {
          nonFinite++;
          continue;
        }
        const l = v > 0 ? Math.log10(v) : -Infinity;
        if (l < lo) {
          belowRange++;
          counts[0]++;
          continue;
        }
        counts[Math.min(bins - 1, Math.floor((l - lo) * binsPerDecade))]++;
      }
      return { name: layer.name, counts, belowRange, nonFinite, units: layer.norms.length };
    }),
  };
}

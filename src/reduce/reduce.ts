import { ArgumentError } from '../errors.js';
import type { LayerSpec } from '../layers/layer.js';
import type { LayerByType, WeightedLayer } from '../layers/registry.js';
import type { ModelSpec, Sequential } from '../model/sequential.js';
import { windowGeometry } from '../ops/geometry.js';
import { measureSparsity, type ThresholdChoice } from '../sparsity/measure.js';
import { knownKeys } from '../validate.js';
import { groupDependency, rowsFed } from '../sparsity/dependency.js';
import { CUT_INPUTS, CUT_OUTPUTS, cutChannels, foldConstantInputs, propagateConstant, type Cut, type WeightMap } from './surgery.js';

/** Calls a per-weighted-type table's entry for the layer's type. */
function byWeightedType<A extends unknown[]>(table: { readonly [T in WeightedLayer['type']]: (layer: LayerByType[T], ...args: A) => void }, layer: WeightedLayer, ...args: A): void {
  (table[layer.type] as (l: WeightedLayer, ...a: A) => void)(layer, ...args);
}

/** Why a unit was removed. */
export type RemovalReason = 'dead' | 'unused' | 'dead and unused';

/** What reduction did to one weighted layer's output units; replayable with applyReduction. */
export interface LayerReductionRecord {
  layer: string;
  units: number;
  /** Unit indices kept, ascending. */
  kept: number[];
  /** Removed units: 'dead' = incoming group ||w_k|| < xi (its constant output is folded into the next layer); 'unused' = outgoing weights below xi. */
  removed: { unit: number; reason: RemovalReason; constant: number }[];
  /** Dead units kept because folding their nonzero constant through the next layer's zero padding would be inexact. */
  keptForPadding: number[];
}

/** What a reduction removed, layer by layer (reduce returns it beside the smaller model). */
export interface ReductionRecord {
  threshold: ThresholdChoice;
  layers: LayerReductionRecord[];
}

/** Options of reduce and planReduction. */
export interface ReduceOptions {
  /** Dead-group threshold; default: measureSparsity's choice. */
  xi?: number;
  /**
   * Remove dead units whose constant output enters a zero-padded convolution: the fold is then
   * exact only away from the borders. Default false (such units are kept).
   */
  allowPaddingDeviation?: boolean;
}

/** True when the next convolution zero-pads its input, so constants are not constant at its borders. */
function padded(next: WeightedLayer): boolean {
  if (next.type !== 'conv2d') return false;
  const g = windowGeometry([1, ...next.inputShape], next.kernelSize, next.strides, next.padding);
  return (g.OH - 1) * g.SH + g.KH - g.H > 0 || (g.OW - 1) * g.SW + g.KW - g.W > 0;
}

function weightMap(model: Sequential): WeightMap {
  return new Map(model.getWeights().map((w) => [w.name, { shape: w.shape, values: w.values }]));
}

function norm(values: Float32Array, rows: number[], cols: number): number {
  let s = 0;
  for (const r of rows) for (let j = 0; j < cols; j++) s += values[r * cols + j] ** 2;
  return Math.sqrt(s);
}

/**
 * Decides which units to remove (dead: incoming group norm below xi; unused: outgoing weights
 * below xi) and the constants dead units still output, without changing the model.
 */
export function planReduction(model: Sequential, options: ReduceOptions = {}): ReductionRecord {
  knownKeys('reduce options', options, ['xi', 'allowPaddingDeviation']);
  const sparsity = measureSparsity(model, options.xi === undefined ? {} : { xi: options.xi });
  const { xi } = sparsity.threshold;
  const weights = weightMap(model);
  const { segments } = groupDependency(model);
  const layers = segments.map((segment, i): LayerReductionRecord => {
    const { layer, next, between, units } = segment;
    const dead = new Set(sparsity.layers[i].dead);
    const nextKernel = weights.get(`${next.name}/kernel`)!;
    const nextCols = nextKernel.shape[nextKernel.shape.length - 1];
    const bias = weights.get(`${layer.name}/bias`)?.values;
    const removed: LayerReductionRecord['removed'] = [];
    const keptForPadding: number[] = [];
    const kept: number[] = [];
    for (let k = 0; k < units; k++) {
      const unused = norm(nextKernel.values, rowsFed(segment, [k]), nextCols) < xi;
      if (unused) {
        removed.push({ unit: k, reason: dead.has(k) ? 'dead and unused' : 'unused', constant: 0 });
      } else if (dead.has(k)) {
        const constant = propagateConstant(bias ? bias[k] : 0, k, between, weights);
        if (constant !== 0 && padded(next) && !options.allowPaddingDeviation) keptForPadding.push(k);
        else removed.push({ unit: k, reason: 'dead', constant });
      }
    }
    const gone = new Set(removed.map((r) => r.unit));
    for (let k = 0; k < units; k++) if (!gone.has(k)) kept.push(k);
    if (kept.length === 0) {
      // A layer with no unit left would end the network; keep its strongest unit.
      const norms = sparsity.layers[i].norms;
      const strongest = norms.indexOf(Math.max(...norms));
      kept.push(strongest);
      removed.splice(removed.findIndex((r) => r.unit === strongest), 1);
    }
    return { layer: layer.name, units, kept, removed, keptForPadding };
  });
  return { threshold: sparsity.threshold, layers };
}

/**
 * Cuts a weight map as a record says, in place: for each layer, the removed units' kernel columns,
 * biases and batch-norm entries, then the inputs they fed in the next weighted layer (rows; conv
 * input channels; the H*W rows of a channel after a flatten). With `fold`, the constants of dead
 * units are first folded into the next layer's bias (added to the spec when it had none). Returns
 * the reduced layer specs.
 */
function cutWeights(model: Sequential, record: ReductionRecord, weights: WeightMap, fold: boolean): LayerSpec[] {
  const { segments } = groupDependency(model);
  if (record.layers.length !== segments.length) throw new ArgumentError('record.layers', record.layers.length, `${segments.length} entries, one per weighted layer but the last`);
  const specs = model.toSpec().layers.map((l) => ({ ...l })) as LayerSpec[];
  segments.forEach((segment, i) => {
    const r = record.layers[i];
    const { layer, next, between } = segment;
    if (r.layer !== layer.name) throw new ArgumentError(`record.layers[${i}].layer`, r.layer, `"${layer.name}"`);
    if (r.units !== segment.units) throw new ArgumentError(`record.layers[${i}].units`, r.units, `${segment.units}, the units of ${layer.name}`);
    const keep = r.kept;
    if (keep.length === r.units && r.removed.length === 0) return;
    // The constants dead units output, from the weights before any cut.
    const bias = weights.get(`${layer.name}/bias`);
    const constants = new Map(
      fold ? r.removed.filter((x) => x.reason === 'dead').map((x) => [x.unit, propagateConstant(bias ? bias.values[x.unit] : 0, x.unit, between, weights)] as [number, number]) : [],
    );
    const cut: Cut = { weights, spec: specs[segment.at], units: r.units, keep };
    byWeightedType(CUT_OUTPUTS, layer, cut);
    for (const b of between) cutChannels(b, { ...cut, spec: specs[model.layers.indexOf(b)] });
    // Fold dead units' constants into the next layer's bias, then cut the inputs they fed.
    const nextKernel = weights.get(`${next.name}/kernel`)!;
    const cols = nextKernel.shape[nextKernel.shape.length - 1];
    if ([...constants.values()].some((c) => c !== 0)) {
      const nextBias = weights.get(`${next.name}/bias`);
      const folded = foldConstantInputs(nextKernel.values, cols, nextBias ? nextBias.values : new Float32Array(cols), constants, (k) => rowsFed(segment, [k]));
      weights.set(`${next.name}/bias`, { shape: [cols], values: folded });
      specs[segment.nextAt].useBias = true;
    }
    byWeightedType(CUT_INPUTS, next, weights, rowsFed(segment, keep), keep.length);
  });
  return specs;
}

/**
 * Builds the physically smaller model a record describes (see cutWeights for what is cut and
 * folded). The record can be replayed on a copy of the original model. Returns a new model on the
 * same engine; the original is unchanged.
 */
export function applyReduction(model: Sequential, record: ReductionRecord): Sequential {
  const weights = weightMap(model);
  const specs = cutWeights(model, record, weights, true);
  const spec: ModelSpec = { inputShape: [...model.inputShape], layers: specs, seed: model.seed };
  const reduced = model.derive(spec);
  const values: Record<string, Float32Array> = {};
  for (const w of reduced.getWeights()) values[w.name] = weights.get(w.name)?.values ?? w.values;
  reduced.setWeights(values);
  return reduced;
}

/** Element indices must stay exact in the f32 arrays surgery cuts. */
const MAX_EXACT_INDEX = 2 ** 24;

/**
 * Where each element of the reduced model's tensors comes from in the original's: per tensor
 * name, the index of the source element in the original tensor of that name (-1 for a tensor the
 * reduction created, a bias that receives folded constants). The same cuts as applyReduction, run
 * on element indices instead of weights, so that state laid out like the weights (optimizer
 * moments, masks) follows the units it belongs to.
 */
export function reductionSources(model: Sequential, record: ReductionRecord): Map<string, Int32Array> {
  const indices: WeightMap = new Map(model.getWeights().map((w) => {
    if (w.values.length > MAX_EXACT_INDEX) throw new ArgumentError(`tensor ${w.name}`, `${w.values.length} values`, `at most ${MAX_EXACT_INDEX} values for a live reduction`);
    return [w.name, { shape: w.shape, values: Float32Array.from({ length: w.values.length }, (_, i) => i) }];
  }));
  cutWeights(model, record, indices, false);
  return new Map([...indices].map(([name, w]) => [name, Int32Array.from(w.values)]));
}

/**
 * The original model with the groups a record removes zeroed (dead units' incoming weights,
 * unused units' outgoing weights): what the reduced model must reproduce.
 */
export function zeroRemovedGroups(model: Sequential, record: ReductionRecord): Sequential {
  const copy = model.derive(model.toSpec());
  const weights = weightMap(model);
  groupDependency(model).segments.forEach((segment, i) => {
    const r = record.layers[i];
    const kernel = weights.get(`${segment.layer.name}/kernel`)!;
    const next = weights.get(`${segment.next.name}/kernel`)!;
    const cols = next.shape[next.shape.length - 1];
    for (const x of r.removed) {
      if (x.reason !== 'unused') for (let row = 0; row < kernel.values.length / r.units; row++) kernel.values[row * r.units + x.unit] = 0;
      if (x.reason !== 'dead') for (const row of rowsFed(segment, [x.unit])) next.values.fill(0, row * cols, (row + 1) * cols);
    }
  });
  copy.setWeights(Object.fromEntries([...weights].map(([name, w]) => [name, w.values])));
  return copy;
}

/**
 * Removes dead and unused units: returns a physically smaller model (same engine) and the record
 * of what was removed. The reduced model predicts what the original does with those groups zeroed.
 *
 * @example
 * const { model: small, record } = reduce(model);
 * console.log(model.parameterCount, '->', small.parameterCount);
 */
export function reduce(model: Sequential, options: ReduceOptions = {}): { model: Sequential; record: ReductionRecord } {
  const record = planReduction(model, options);
  return { model: applyReduction(model, record), record };
}

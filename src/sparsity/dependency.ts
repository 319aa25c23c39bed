import { ArgumentError } from '../errors.js';
import { isWeighted, type AnyLayer, type LayerType, type WeightedLayer } from '../layers/registry.js';
import type { Sequential } from '../model/sequential.js';

// Dependency, in Torch-Pruning's split of dependency, importance and surgery: which groups exist
// and which parameters belong to each. A group is one output unit (dense) or channel (conv) k of a
// weighted layer: its incoming weights (kernel column k), its bias entry, the per-channel entries
// of any batch norm before the next weighted layer, and the rows of the next kernel that read it.
// measureSparsity, reduce, dead-unit detection, the report and the structured regularisers all ask
// this module instead of working it out again.

/**
 * How a layer between two weighted layers treats the channels flowing through it:
 * - 'weighted': a kernel; ends one segment and starts the next;
 * - 'perChannel': holds one entry per channel (batch norm), which belongs to that channel's group;
 * - 'elementwise': maps each channel to itself (activations, pooling, dropout);
 * - 'flatten': turns [positions, C] into positions*C features, channel c at p*C + c.
 */
export type ChannelRole = 'weighted' | 'perChannel' | 'elementwise' | 'flatten';

export const CHANNEL_ROLE = {
  dense: 'weighted',
  conv2d: 'weighted',
  batchNorm: 'perChannel',
  flatten: 'flatten',
  maxPool2d: 'elementwise',
  avgPool2d: 'elementwise',
  dropout: 'elementwise',
  relu: 'elementwise',
  leakyRelu: 'elementwise',
  elu: 'elementwise',
  tanh: 'elementwise',
  sigmoid: 'elementwise',
} as const satisfies Record<LayerType, ChannelRole>;

/** A kernel viewed as the [fanIn, units] matrix of the methods page: column k is the group of unit k. */
export interface KernelGroups {
  /** Rows: every weight feeding one unit (dense: inputs; conv: kh*kw*cin). */
  fanIn: number;
  /** Columns: output units or channels. */
  units: number;
  /** Input units or channels: row r reads input r % inputs (dense: inputs = fanIn; conv: one row per tap). */
  inputs: number;
}

/** The group structure of a kernel of shape [in, out] or [kh, kw, cin, cout]. */
export function kernelGroups(shape: readonly number[]): KernelGroups {
  if (shape.length < 2) throw new ArgumentError('kernel shape', shape, 'rank 2 or more ([in, out] or [kh, kw, cin, cout])');
  const units = shape[shape.length - 1];
  const fanIn = shape.reduce((a, b) => a * b, 1) / units;
  return { fanIn, units, inputs: shape[shape.length - 2] };
}

/** The groups of one weighted layer and where they reach: from its kernel to the next weighted layer. */
export interface GroupSegment {
  /** The layer whose output units (dense) or channels (conv) are the groups. */
  layer: WeightedLayer;
  /** The next weighted layer: it reads the groups as its inputs. */
  next: WeightedLayer;
  /** Indices in model.layers of layer and next. */
  at: number;
  nextAt: number;
  /** The layers in between (none weighted). */
  between: AnyLayer[];
  units: number;
  /**
   * The last layer before `next` whose output has one channel per unit (flatten skipped): where
   * a unit's activations are observed. `layer` itself when nothing lies between.
   */
  observedAt: number;
  /** Parameter tensors with one entry per unit: layer's bias, and batch norm's gamma, beta and statistics. */
  entryTensors: string[];
  /** How many rows of next's kernel each unit feeds (1 after dense; kh*kw for conv; positions after a flatten). */
  rowsPerUnit: number;
}

/** The kernel rows of `next` that the units `keep` feed, in kernel order (for cutting rows or reading them). */
export function rowsFed(segment: Pick<GroupSegment, 'rowsPerUnit' | 'units'>, keep: readonly number[]): number[] {
  // next's kernel, as [rowsPerUnit * units, cols], has row p * units + k for unit k at tap or position p.
  const rows: number[] = [];
  for (let p = 0; p < segment.rowsPerUnit; p++) for (const k of keep) rows.push(p * segment.units + k);
  return rows;
}

/** The whole dependency structure of a model's groups. */
export interface GroupDependency {
  /** Every dense and conv layer, in order; the last one's outputs are the model's outputs. */
  weighted: WeightedLayer[];
  /** One segment per weighted layer but the last. */
  segments: GroupSegment[];
}

/**
 * Finds every group of a model: the weighted layers, and for each but the last, what its units
 * reach until the next weighted layer. Throws, naming the layer, if something in between is not a
 * layer a group can pass through.
 *
 * @example
 * const { segments } = groupDependency(model);
 * segments.map((s) => `${s.layer.name}: ${s.units} units, ${s.entryTensors.join(', ')}`)
 */
export function groupDependency(model: Sequential): GroupDependency {
  const layers = model.layers;
  const indices = layers.flatMap((l, i) => (isWeighted(l) ? [i] : []));
  const weighted = indices.map((i) => layers[i] as WeightedLayer);
  const segments = indices.slice(0, -1).map((at, s): GroupSegment => {
    const nextAt = indices[s + 1];
    const layer = weighted[s];
    const next = weighted[s + 1];
    const between = layers.slice(at + 1, nextAt);
    const units = layer.outputShape[layer.outputShape.length - 1];
    let observedAt = nextAt - 1;
    while (observedAt > at && CHANNEL_ROLE[layers[observedAt].type] === 'flatten') observedAt--;
    const entryTensors = [
      ...(layer.useBias ? [`${layer.name}/bias`] : []),
      ...between.filter((l) => CHANNEL_ROLE[l.type] === 'perChannel').flatMap((l) => ['gamma', 'beta', 'moving_mean', 'moving_variance'].map((p) => `${l.name}/${p}`)),
    ];
    const nextFanIn = next.type === 'conv2d' ? next.kernelSize[0] * next.kernelSize[1] * next.inputShape[2] : next.inputShape[0];
    return { layer, next, at, nextAt, between, units, observedAt, entryTensors, rowsPerUnit: nextFanIn / units };
  });
  return { weighted, segments };
}

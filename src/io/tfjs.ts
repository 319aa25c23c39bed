import type { Engine } from '../backend/engine.js';
import { SlimtrainError } from '../errors.js';
import type { Activation } from '../layers/activation.js';
import type { LayerSpec } from '../layers/layer.js';
import type { AvgPool2D, MaxPool2D } from '../layers/pooling.js';
import { byLayerType, type AnyLayer, type LayerTable } from '../layers/registry.js';
import { Sequential, type ModelSpec, type NamedWeight } from '../model/sequential.js';

/**
 * TensorFlow.js's layers format: model.json (a Keras Sequential topology and a weights manifest)
 * plus binary weight files. slimtrain's layers, tensor layout (NHWC, [in, out] and
 * [kh, kw, cin, cout] kernels) and weight names already match TensorFlow.js's, so the weights
 * travel as they are.
 */
export interface TfjsModelJson {
  format: 'layers-model';
  generatedBy: string;
  convertedBy: null;
  modelTopology: { class_name: 'Sequential'; config: { name: string; layers: KerasLayer[] }; keras_version: string; backend: string };
  weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: 'float32' }[] }[];
}

interface KerasLayer {
  class_name: string;
  config: Record<string, unknown>;
}

/** The model's layers or a TensorFlow.js model's layers have no counterpart on the other side. */
export class TfjsFormatError extends SlimtrainError {}

const ACTIVATIONS = new Set(['relu', 'tanh', 'sigmoid']);

type KerasConfig = Record<string, unknown>;

const activationLayer = (layer: Activation, base: KerasConfig): KerasLayer => ({ class_name: 'Activation', config: { ...base, activation: layer.type } });
const poolingLayer = (className: string) => (layer: MaxPool2D | AvgPool2D, base: KerasConfig): KerasLayer => ({
  class_name: className,
  config: { ...base, pool_size: layer.poolSize, strides: layer.strides, padding: layer.padding, data_format: 'channels_last' },
});

/** Each layer type as its Keras layer (TensorFlow.js layers' JSON). */
const KERAS_EXPORT: LayerTable<KerasLayer, [base: KerasConfig]> = {
  dense: (layer, base) => ({ class_name: 'Dense', config: { ...base, units: layer.units, activation: 'linear', use_bias: layer.useBias } }),
  conv2d: (layer, base) => ({
    class_name: 'Conv2D',
    config: {
      ...base, filters: layer.filters, kernel_size: layer.kernelSize, strides: layer.strides, padding: layer.padding,
      data_format: 'channels_last', dilation_rate: [1, 1], activation: 'linear', use_bias: layer.useBias,
    },
  }),
  maxPool2d: poolingLayer('MaxPooling2D'),
  avgPool2d: poolingLayer('AveragePooling2D'),
  flatten: (_layer, base) => ({ class_name: 'Flatten', config: { ...base, data_format: 'channels_last' } }),
  batchNorm: (layer, base) => ({ class_name: 'BatchNormalization', config: { ...base, axis: -1, momentum: layer.momentum, epsilon: layer.epsilon, center: true, scale: true } }),
  dropout: (layer, base) => ({ class_name: 'Dropout', config: { ...base, rate: layer.rate } }),
  relu: activationLayer,
  tanh: activationLayer,
  sigmoid: activationLayer,
  elu: (layer, base) => {
    if (layer.alpha !== 1) throw new TfjsFormatError(`layer ${layer.name}: elu with alpha ${layer.alpha}: TensorFlow.js's ELU layer supports alpha 1 only`);
    return { class_name: 'ELU', config: { ...base, alpha: 1 } };
  },
  leakyRelu: (layer, base) => ({ class_name: 'LeakyReLU', config: { ...base, alpha: layer.alpha } }),
};

function kerasLayer(layer: AnyLayer, first: boolean, inputShape: number[]): KerasLayer {
  const base: KerasConfig = { name: layer.name, trainable: true, dtype: 'float32', ...(first ? { batch_input_shape: [null, ...inputShape] } : {}) };
  return byLayerType(KERAS_EXPORT, layer, base);
}

/**
 * Exports a model (trained or reduced) to TensorFlow.js's layers format: the model.json object
 * and one weights file's bytes (named `weightsPath` in the manifest). The model outputs logits, as
 * here; add a softmax on the TensorFlow.js side for probabilities.
 *
 * @example
 * const { modelJson, weightData } = exportTfjsModel(model);
 * // Node: saveTfjsModelFiles(model, 'out/') writes out/model.json and out/weights.bin
 */
export function exportTfjsModel(model: Sequential, weightsPath = 'weights.bin'): { modelJson: TfjsModelJson; weightData: Uint8Array } {
  const layers = model.layers.map((l, i) => kerasLayer(l, i === 0, [...model.inputShape]));
  const weights = model.getWeights();
  const total = weights.reduce((s, w) => s + w.values.length, 0);
  const data = new Uint8Array(total * 4);
  const view = new DataView(data.buffer);
  let offset = 0;
  for (const w of weights) for (const v of w.values) (view.setFloat32(offset, v, true), (offset += 4));
  return {
    modelJson: {
      format: 'layers-model',
      generatedBy: 'slimtrain',
      convertedBy: null,
      modelTopology: { class_name: 'Sequential', config: { name: 'sequential', layers }, keras_version: 'tfjs-layers 4.22.0', backend: 'tensor_flow.js' },
      weightsManifest: [{ paths: [weightsPath], weights: weights.map((w) => ({ name: w.name, shape: w.shape, dtype: 'float32' as const })) }],
    },
    weightData: data,
  };
}

/** Keras' activation names that map onto slimtrain layers ('linear' adds none; 'softmax' is the loss's). */
function activationSpecs(activation: unknown, layer: string, last: boolean, notes: string[]): LayerSpec[] {
  if (activation === undefined || activation === null || activation === 'linear') return [];
  if (typeof activation === 'string' && ACTIVATIONS.has(activation)) return [{ type: activation }];
  if (activation === 'elu') return [{ type: 'elu', alpha: 1 }];
  if (activation === 'softmax' && last) {
    notes.push(`${layer}: the final softmax was dropped: slimtrain models output logits (crossEntropy applies the softmax)`);
    return [];
  }
  throw new TfjsFormatError(`layer ${layer}: activation ${JSON.stringify(activation)} has no slimtrain counterpart (relu, tanh, sigmoid, elu, linear; softmax only last)`);
}

/**
 * Imports a TensorFlow.js layers model (model.json and the bytes of its weight files, in the
 * manifest's order): a Sequential of Dense, Conv2D, MaxPooling2D, AveragePooling2D, Flatten,
 * BatchNormalization, Dropout, Activation, ReLU, ELU, LeakyReLU and InputLayer layers. A last
 * softmax is dropped (slimtrain outputs logits), which `notes` says.
 */
export function importTfjsModel(engine: Engine, modelJson: unknown, weightFiles: Uint8Array[], source = 'model.json'): { model: Sequential; notes: string[] } {
  const json = modelJson as Partial<TfjsModelJson> & { modelTopology?: { class_name?: string; config?: { layers?: KerasLayer[] } | KerasLayer[]; model_config?: unknown } };
  let topology = json?.modelTopology as { class_name?: string; config?: unknown; model_config?: { class_name?: string; config?: unknown } } | undefined;
  if (topology?.model_config) topology = topology.model_config; // Keras' saved topology wraps the model
  if (!topology || topology.class_name !== 'Sequential') {
    throw new TfjsFormatError(`${source}: expected a TensorFlow.js layers model with a Sequential topology (got ${JSON.stringify(topology?.class_name ?? null)})`);
  }
  const config = topology.config as { layers?: KerasLayer[] } | KerasLayer[];
  const keras = Array.isArray(config) ? config : config?.layers;
  if (!Array.isArray(keras) || keras.length === 0) throw new TfjsFormatError(`${source}: the topology has no layers`);
  const notes: string[] = [];
  const layers: LayerSpec[] = [];
  let inputShape: number[] | undefined;
  keras.forEach((layer, i) => {
    const c = layer.config ?? {};
    const name = String(c.name ?? `layer ${i}`);
    const shape = (c.batch_input_shape ?? c.batchInputShape) as unknown;
    if (shape !== undefined && shape !== null && !inputShape) {
      if (!Array.isArray(shape) || shape.length < 2 || shape.slice(1).some((d) => !Number.isInteger(d) || d < 1)) {
        throw new TfjsFormatError(`${source}: layer ${name}: batch_input_shape = ${JSON.stringify(shape)}: expected [null, ...positive integers]`);
      }
      inputShape = shape.slice(1) as number[];
    }
    const last = i === keras.length - 1;
    const pair = (v: unknown) => (Array.isArray(v) ? (v as number[]) : [v as number, v as number]);
    if (c.data_format !== undefined && c.data_format !== 'channels_last') throw new TfjsFormatError(`${source}: layer ${name}: data_format ${JSON.stringify(c.data_format)}: only channels_last`);
    switch (layer.class_name) {
      case 'InputLayer':
        return;
      case 'Dense':
        layers.push({ type: 'dense', units: c.units as number, useBias: c.use_bias !== false, name }, ...activationSpecs(c.activation, name, last, notes));
        return;
      case 'Conv2D': {
        const dilation = pair(c.dilation_rate ?? 1);
        if (dilation.some((d) => d !== 1)) throw new TfjsFormatError(`${source}: layer ${name}: dilation ${JSON.stringify(c.dilation_rate)}: only 1`);
        layers.push(
          { type: 'conv2d', filters: c.filters as number, kernelSize: pair(c.kernel_size), strides: pair(c.strides ?? 1), padding: (c.padding ?? 'valid') as string, useBias: c.use_bias !== false, name },
          ...activationSpecs(c.activation, name, last, notes),
        );
        return;
      }
      case 'MaxPooling2D':
      case 'AveragePooling2D': {
        const pool = pair(c.pool_size ?? 2);
        layers.push({ type: layer.class_name === 'MaxPooling2D' ? 'maxPool2d' : 'avgPool2d', poolSize: pool, strides: c.strides == null ? pool : pair(c.strides), padding: (c.padding ?? 'valid') as string, name });
        return;
      }
      case 'Flatten':
        layers.push({ type: 'flatten', name });
        return;
      case 'BatchNormalization':
        if ((c.axis !== undefined && c.axis !== -1 && c.axis !== 3 && !(Array.isArray(c.axis) && c.axis.length === 1 && (c.axis[0] === -1 || c.axis[0] === 3))) || c.center === false || c.scale === false) {
          throw new TfjsFormatError(`${source}: layer ${name}: batch normalization over the last axis with center and scale only`);
        }
        layers.push({ type: 'batchNorm', momentum: (c.momentum ?? 0.99) as number, epsilon: (c.epsilon ?? 1e-3) as number, name });
        return;
      case 'Dropout':
        layers.push({ type: 'dropout', rate: c.rate as number, name });
        return;
      case 'Activation':
        layers.push(...activationSpecs(c.activation, name, last, notes).map((s) => ({ ...s, name })));
        return;
      case 'ReLU':
        if (c.max_value != null || (c.negative_slope ?? 0) !== 0 || (c.threshold ?? 0) !== 0) throw new TfjsFormatError(`${source}: layer ${name}: only a plain ReLU`);
        layers.push({ type: 'relu', name });
        return;
      case 'ELU':
        layers.push({ type: 'elu', alpha: (c.alpha ?? 1) as number, name });
        return;
      case 'LeakyReLU':
        layers.push({ type: 'leakyRelu', alpha: (c.alpha ?? 0.3) as number, name });
        return;
      default:
        throw new TfjsFormatError(`${source}: layer ${name} (${layer.class_name}) has no slimtrain counterpart`);
    }
  });
  if (!inputShape) throw new TfjsFormatError(`${source}: no layer states the input shape (batch_input_shape)`);
  const spec: ModelSpec = { inputShape, layers };
  let model: Sequential;
  try {
    model = Sequential.build(engine, spec);
  } catch (e) {
    throw new TfjsFormatError(`${source}: the topology does not build here: ${(e as Error).message}`);
  }
  try {
    model.setWeights(readWeights(json.weightsManifest, weightFiles, source, model));
  } catch (e) {
    model.dispose();
    throw e instanceof TfjsFormatError ? e : new TfjsFormatError(`${source}: the weights do not fit the model: ${(e as Error).message}`);
  }
  return { model, notes };
}

/** Reads the manifest's float32 weights from the concatenated files, renamed to this model's layer names. */
function readWeights(manifest: TfjsModelJson['weightsManifest'] | undefined, files: Uint8Array[], source: string, model: Sequential): NamedWeight[] {
  if (!Array.isArray(manifest)) throw new TfjsFormatError(`${source}: no weightsManifest`);
  if (manifest.some((g) => g === null || typeof g !== 'object' || (g.paths !== undefined && !Array.isArray(g.paths)) || (g.weights !== undefined && !Array.isArray(g.weights)))) {
    throw new TfjsFormatError(`${source}: weightsManifest: expected groups { paths: [...], weights: [...] }`);
  }
  const paths = manifest.flatMap((g) => g.paths ?? []);
  if (files.length !== paths.length) throw new TfjsFormatError(`${source}: the manifest names ${paths.length} weight files (${paths.join(', ')}), ${files.length} were given`);
  const total = files.reduce((s, f) => s + f.length, 0);
  const data = new Uint8Array(total);
  let at = 0;
  for (const f of files) (data.set(f, at), (at += f.length));
  const view = new DataView(data.buffer);
  let offset = 0;
  const read: NamedWeight[] = [];
  // Names may carry a model prefix or a suffix ('dense_1/kernel' vs 'sequential/dense_1/kernel'): match by layer and weight name.
  const ours = model.getWeights();
  const matches = (theirs: string, w: NamedWeight) => theirs === w.name || theirs.split('/').slice(-2).join('/') === w.name.split('/').slice(0, 2).join('/');
  for (const w of manifest.flatMap((g) => g.weights ?? [])) {
    if (w === null || typeof w !== 'object' || typeof w.name !== 'string') throw new TfjsFormatError(`${source}: a weightsManifest entry has no name: ${JSON.stringify(w)}`);
    if (w.dtype !== undefined && w.dtype !== 'float32') throw new TfjsFormatError(`${source}: weight ${w.name} is ${w.dtype}: only float32 (no quantisation)`);
    if (!Array.isArray(w.shape) || w.shape.some((d) => !Number.isInteger(d) || d < 0)) throw new TfjsFormatError(`${source}: weight ${w.name}: shape ${JSON.stringify(w.shape)}: expected non-negative integers`);
    // A declared shape that disagrees with its layer is named as such, before it shifts every later weight's bytes.
    const mine = ours.find((o) => o.name === w.name) ?? ours.find((o) => matches(w.name, o));
    if (mine && (mine.shape.length !== w.shape.length || mine.shape.some((d, i) => d !== w.shape[i]))) {
      throw new TfjsFormatError(`${source}: weight ${w.name}: the manifest declares shape [${w.shape}], but layer ${mine.name.split('/')[0]} has [${mine.shape}]`);
    }
    const count = w.shape.reduce((a, b) => a * b, 1);
    if (offset + count * 4 > data.length) throw new TfjsFormatError(`${source}: the weight files end before ${w.name} (truncated)`);
    const values = new Float32Array(count);
    for (let i = 0; i < count; i++) values[i] = view.getFloat32(offset + 4 * i, true);
    offset += count * 4;
    read.push({ name: w.name, shape: w.shape, values });
  }
  return ours.map((w) => {
    const match = read.find((r) => r.name === w.name) ?? read.find((r) => matches(r.name, w));
    if (!match) throw new TfjsFormatError(`${source}: no weight for ${w.name} in the manifest`);
    if (match.values.length !== w.values.length) throw new TfjsFormatError(`${source}: ${match.name} has shape [${match.shape}], expected [${w.shape}]`);
    return { name: w.name, shape: w.shape, values: match.values };
  });
}

import { knownKeys } from '../validate.js';
import protobuf from 'protobufjs/light.js';
import { SlimtrainError } from '../errors.js';
import type { AvgPool2D, MaxPool2D } from '../layers/pooling.js';
import { byLayerType, type AnyLayer, type LayerTable } from '../layers/registry.js';
import type { NamedWeight, Sequential } from '../model/sequential.js';
import { windowGeometry, type Padding } from '../ops/geometry.js';

// ONNX export (opset 13). The messages used, with onnx.proto's field numbers, as a protobufjs
// reflection schema: only what a feed-forward graph with float initializers needs.
const SCHEMA = {
  nested: {
    onnx: {
      nested: {
        ModelProto: {
          fields: {
            irVersion: { type: 'int64', id: 1 }, opsetImport: { rule: 'repeated', type: 'OperatorSetIdProto', id: 8 },
            producerName: { type: 'string', id: 2 }, producerVersion: { type: 'string', id: 3 }, domain: { type: 'string', id: 4 },
            modelVersion: { type: 'int64', id: 5 }, docString: { type: 'string', id: 6 }, graph: { type: 'GraphProto', id: 7 },
          },
        },
        OperatorSetIdProto: { fields: { domain: { type: 'string', id: 1 }, version: { type: 'int64', id: 2 } } },
        GraphProto: {
          fields: {
            node: { rule: 'repeated', type: 'NodeProto', id: 1 }, name: { type: 'string', id: 2 },
            initializer: { rule: 'repeated', type: 'TensorProto', id: 5 }, docString: { type: 'string', id: 10 },
            input: { rule: 'repeated', type: 'ValueInfoProto', id: 11 }, output: { rule: 'repeated', type: 'ValueInfoProto', id: 12 },
          },
        },
        NodeProto: {
          fields: {
            input: { rule: 'repeated', type: 'string', id: 1 }, output: { rule: 'repeated', type: 'string', id: 2 },
            name: { type: 'string', id: 3 }, opType: { type: 'string', id: 4 }, attribute: { rule: 'repeated', type: 'AttributeProto', id: 5 },
          },
        },
        AttributeProto: {
          fields: {
            name: { type: 'string', id: 1 }, f: { type: 'float', id: 2 }, i: { type: 'int64', id: 3 },
            ints: { rule: 'repeated', type: 'int64', id: 8 }, type: { type: 'int32', id: 20 },
          },
        },
        TensorProto: {
          fields: { dims: { rule: 'repeated', type: 'int64', id: 1 }, dataType: { type: 'int32', id: 2 }, name: { type: 'string', id: 8 }, rawData: { type: 'bytes', id: 9 } },
        },
        ValueInfoProto: { fields: { name: { type: 'string', id: 1 }, type: { type: 'TypeProto', id: 2 } } },
        TypeProto: { fields: { tensorType: { type: 'Tensor', id: 1 } }, nested: { Tensor: { fields: { elemType: { type: 'int32', id: 1 }, shape: { type: 'TensorShapeProto', id: 2 } } } } },
        TensorShapeProto: {
          fields: { dim: { rule: 'repeated', type: 'Dimension', id: 1 } },
          nested: { Dimension: { fields: { dimValue: { type: 'int64', id: 1 }, dimParam: { type: 'string', id: 2 } } } },
        },
      },
    },
  },
};

const FLOAT = 1;
const ATTRIBUTE_FLOAT = 1;
const ATTRIBUTE_INT = 2;
const ATTRIBUTE_INTS = 7;

/** The model has a layer ONNX export does not cover. */
export class OnnxExportError extends SlimtrainError {}

type Attribute = { name: string; f?: number; i?: number; ints?: number[]; type: number };
const ints = (name: string, values: number[]): Attribute => ({ name, ints: values, type: ATTRIBUTE_INTS });
const int = (name: string, value: number): Attribute => ({ name, i: value, type: ATTRIBUTE_INT });
const float = (name: string, value: number): Attribute => ({ name, f: value, type: ATTRIBUTE_FLOAT });

function tensor(name: string, dims: number[], values: Float32Array) {
  const raw = new Uint8Array(values.length * 4);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setFloat32(4 * i, v, true));
  return { name, dims, dataType: FLOAT, rawData: raw };
}

/** [kh, kw, cin, cout] (TensorFlow.js / slimtrain) to ONNX's [cout, cin, kh, kw]. */
function convKernel(values: Float32Array, [kh, kw, cin, cout]: number[]): Float32Array {
  const out = new Float32Array(values.length);
  for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let c = 0; c < cin; c++) for (let o = 0; o < cout; o++) {
    out[((o * cin + c) * kh + y) * kw + x] = values[((y * kw + x) * cin + c) * cout + o];
  }
  return out;
}

/** The graph being built: its nodes and initializers, the tensor the next node reads, and its layout. */
interface OnnxGraph {
  nodes: { input: string[]; output: string[]; name: string; opType: string; attribute: Attribute[] }[];
  initializers: ReturnType<typeof tensor>[];
  weights: Map<string, NamedWeight>;
  /** The name of the tensor the next node reads. */
  current: string;
  /** Images are in ONNX's NCHW between the first transpose and the flatten. */
  nchw: boolean;
  /** The current layer's input shape, per sample, in slimtrain's (NHWC) order. */
  shape: number[];
  counter: number;
}

/** Appends a node reading `inputs` and makes its output the current tensor. */
function node(g: OnnxGraph, opType: string, inputs: string[], attribute: Attribute[] = [], name = `${opType.toLowerCase()}_${++g.counter}`): void {
  const output = `${name}_out`;
  g.nodes.push({ input: inputs, output: [output], name, opType, attribute });
  g.current = output;
}

function weight(g: OnnxGraph, layer: string, kind: string): NamedWeight {
  const w = g.weights.get(`${layer}/${kind}`);
  if (!w) throw new OnnxExportError(`layer ${layer}: no ${kind} weight`);
  return w;
}

/** kernel_shape, strides and pads of a window (conv or pooling) over the current image. */
function windowAttributes(g: OnnxGraph, kernel: [number, number], strides: [number, number], padding: Padding): Attribute[] {
  const w = windowGeometry([1, ...g.shape], kernel, strides, padding);
  const padH = Math.max((w.OH - 1) * w.SH + w.KH - w.H, 0);
  const padW = Math.max((w.OW - 1) * w.SW + w.KW - w.W, 0);
  return [ints('kernel_shape', kernel), ints('strides', strides), ints('pads', [w.PT, w.PL, padding === 'same' ? padH - w.PT : 0, padding === 'same' ? padW - w.PL : 0])];
}

const pointwise = (opType: string) => (layer: AnyLayer, g: OnnxGraph): void => node(g, opType, [g.current], [], layer.name);
const pooling = (opType: string, extra: Attribute[]) => (layer: MaxPool2D | AvgPool2D, g: OnnxGraph): void =>
  node(g, opType, [g.current], [...windowAttributes(g, layer.poolSize, layer.strides, layer.padding), ...extra], layer.name);

/** Each layer type as ONNX nodes and initializers. */
const ONNX_EXPORT: LayerTable<void, [graph: OnnxGraph]> = {
  conv2d: (layer, g) => {
    const kernel = weight(g, layer.name, 'kernel');
    const attributes = windowAttributes(g, layer.kernelSize, layer.strides, layer.padding);
    g.initializers.push(tensor(`${layer.name}/kernel`, [kernel.shape[3], kernel.shape[2], kernel.shape[0], kernel.shape[1]], convKernel(kernel.values, kernel.shape)));
    const inputs = [g.current, `${layer.name}/kernel`];
    if (g.weights.has(`${layer.name}/bias`)) {
      g.initializers.push(tensor(`${layer.name}/bias`, [kernel.shape[3]], weight(g, layer.name, 'bias').values));
      inputs.push(`${layer.name}/bias`);
    }
    node(g, 'Conv', inputs, attributes, layer.name);
  },
  maxPool2d: pooling('MaxPool', []),
  avgPool2d: pooling('AveragePool', [int('count_include_pad', 0)]),
  flatten: (layer, g) => {
    if (g.nchw) node(g, 'Transpose', [g.current], [ints('perm', [0, 2, 3, 1])], `${layer.name}_to_nhwc`);
    g.nchw = false;
    node(g, 'Flatten', [g.current], [int('axis', 1)], layer.name);
  },
  dense: (layer, g) => {
    const kernel = weight(g, layer.name, 'kernel');
    g.initializers.push(tensor(`${layer.name}/kernel`, kernel.shape, kernel.values));
    const units = kernel.shape[1];
    g.initializers.push(tensor(`${layer.name}/bias`, [units], g.weights.has(`${layer.name}/bias`) ? weight(g, layer.name, 'bias').values : new Float32Array(units)));
    node(g, 'Gemm', [g.current, `${layer.name}/kernel`, `${layer.name}/bias`], [], layer.name);
  },
  batchNorm: (layer, g) => {
    const inputs = [g.current];
    for (const kind of ['gamma', 'beta', 'moving_mean', 'moving_variance']) {
      const w = weight(g, layer.name, kind);
      g.initializers.push(tensor(`${layer.name}/${kind}`, w.shape, w.values));
      inputs.push(`${layer.name}/${kind}`);
    }
    if (!g.nchw && g.shape.length === 3) throw new OnnxExportError(`layer ${layer.name}: batch norm on images after a flatten`);
    node(g, 'BatchNormalization', inputs, [float('epsilon', layer.epsilon)], layer.name);
  },
  relu: pointwise('Relu'),
  tanh: pointwise('Tanh'),
  sigmoid: pointwise('Sigmoid'),
  elu: (layer, g) => node(g, 'Elu', [g.current], [float('alpha', layer.alpha)], layer.name),
  leakyRelu: (layer, g) => node(g, 'LeakyRelu', [g.current], [float('alpha', layer.alpha)], layer.name),
  dropout: () => {}, // the identity at inference
};

/**
 * Exports a model (trained or reduced) as an ONNX model (opset 13): input "input" of shape
 * [N, ...inputShape] in slimtrain's NHWC layout, output "logits" [N, classes]. Convolutions and
 * pooling run in ONNX's NCHW between one transpose after the input and one before the flatten, so
 * the dense weights keep their order. Dropout is the identity at inference and is left out.
 *
 * @example
 * writeFileAtomic('model.onnx', exportOnnxModel(model));
 * // onnxruntime: session.run({ input: new ort.Tensor('float32', x, [n, 28, 28, 1]) }) -> { logits }
 */
export function exportOnnxModel(model: Sequential, options: { producerVersion?: string; docString?: string } = {}): Uint8Array {
  knownKeys('exportOnnxModel options', options, ['producerVersion', 'docString']);
  const root = protobuf.Root.fromJSON(SCHEMA);
  const ModelProto = root.lookupType('onnx.ModelProto');
  const image = model.inputShape.length === 3;
  const g: OnnxGraph = { nodes: [], initializers: [], weights: new Map(model.getWeights().map((w) => [w.name, w])), current: 'input', nchw: image, shape: [...model.inputShape], counter: 0 };
  if (image) node(g, 'Transpose', [g.current], [ints('perm', [0, 3, 1, 2])], 'to_nchw');
  for (const layer of model.layers) {
    byLayerType(ONNX_EXPORT, layer, g);
    g.shape = [...layer.outputShape];
  }
  if (g.nchw) node(g, 'Transpose', [g.current], [ints('perm', [0, 2, 3, 1])], 'to_nhwc');
  node(g, 'Identity', [g.current], [], 'logits');
  const { nodes, initializers } = g;
  nodes[nodes.length - 1].output = ['logits'];

  const valueInfo = (name: string, dims: (number | string)[]) => ({
    name,
    type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } },
  });
  const message = ModelProto.fromObject({
    irVersion: 7,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: 'slimtrain',
    producerVersion: options.producerVersion ?? '0.1.0',
    docString: options.docString ?? '',
    graph: {
      name: 'slimtrain',
      node: nodes,
      initializer: initializers,
      input: [valueInfo('input', ['N', ...model.inputShape])],
      output: [valueInfo('logits', ['N', ...model.outputShape])],
    },
  });
  return ModelProto.encode(message).finish();
}

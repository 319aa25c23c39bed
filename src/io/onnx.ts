import { knownKeys } from '../validate.js';
import protobuf from 'protobufjs/light.js';
import { SlimtrainError } from '../errors.js';
import type { LayerSpec } from '../layers/layer.js';
import type { Sequential } from '../model/sequential.js';
import { windowGeometry } from '../ops/geometry.js';

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
  const weights = new Map(model.getWeights().map((w) => [w.name, w]));
  const nodes: { input: string[]; output: string[]; name: string; opType: string; attribute: Attribute[] }[] = [];
  const initializers: ReturnType<typeof tensor>[] = [];
  let current = 'input';
  let counter = 0;
  const node = (opType: string, inputs: string[], attribute: Attribute[] = [], name = `${opType.toLowerCase()}_${++counter}`): string => {
    const output = `${name}_out`;
    nodes.push({ input: inputs, output: [output], name, opType, attribute });
    current = output;
    return output;
  };
  const weight = (layer: string, kind: string) => {
    const w = weights.get(`${layer}/${kind}`);
    if (!w) throw new OnnxExportError(`layer ${layer}: no ${kind} weight`);
    return w;
  };

  const image = model.inputShape.length === 3;
  if (image) node('Transpose', [current], [ints('perm', [0, 3, 1, 2])], 'to_nchw');
  let nchw = image;
  let shape: number[] = [...model.inputShape];
  model.layers.forEach((layer) => {
    const spec = layer.toSpec() as LayerSpec & Record<string, unknown>;
    const name = layer.name;
    switch (spec.type) {
      case 'conv2d':
      case 'maxPool2d':
      case 'avgPool2d': {
        const conv = spec.type === 'conv2d';
        const k = conv ? (layer as unknown as { kernelSize: [number, number] }).kernelSize : (layer as unknown as { poolSize: [number, number] }).poolSize;
        const s = (layer as unknown as { strides: [number, number] }).strides;
        const padding = (layer as unknown as { padding: 'same' | 'valid' }).padding;
        const g = windowGeometry([1, ...shape], k, s, padding);
        const padH = Math.max((g.OH - 1) * g.SH + g.KH - g.H, 0);
        const padW = Math.max((g.OW - 1) * g.SW + g.KW - g.W, 0);
        const attributes = [ints('kernel_shape', k), ints('strides', s), ints('pads', [g.PT, g.PL, padding === 'same' ? padH - g.PT : 0, padding === 'same' ? padW - g.PL : 0])];
        if (conv) {
          const kernel = weight(name, 'kernel');
          initializers.push(tensor(`${name}/kernel`, [kernel.shape[3], kernel.shape[2], kernel.shape[0], kernel.shape[1]], convKernel(kernel.values, kernel.shape)));
          const inputs = [current, `${name}/kernel`];
          if (weights.has(`${name}/bias`)) {
            initializers.push(tensor(`${name}/bias`, [kernel.shape[3]], weight(name, 'bias').values));
            inputs.push(`${name}/bias`);
          }
          node('Conv', inputs, attributes, name);
        } else {
          node(spec.type === 'maxPool2d' ? 'MaxPool' : 'AveragePool', [current], spec.type === 'avgPool2d' ? [...attributes, int('count_include_pad', 0)] : attributes, name);
        }
        break;
      }
      case 'flatten':
        if (nchw) node('Transpose', [current], [ints('perm', [0, 2, 3, 1])], `${name}_to_nhwc`);
        nchw = false;
        node('Flatten', [current], [int('axis', 1)], name);
        break;
      case 'dense': {
        const kernel = weight(name, 'kernel');
        initializers.push(tensor(`${name}/kernel`, kernel.shape, kernel.values));
        const units = kernel.shape[1];
        initializers.push(tensor(`${name}/bias`, [units], weights.has(`${name}/bias`) ? weight(name, 'bias').values : new Float32Array(units)));
        node('Gemm', [current, `${name}/kernel`, `${name}/bias`], [], name);
        break;
      }
      case 'batchNorm': {
        const inputs = [current];
        for (const kind of ['gamma', 'beta', 'moving_mean', 'moving_variance']) {
          const w = weight(name, kind);
          initializers.push(tensor(`${name}/${kind}`, w.shape, w.values));
          inputs.push(`${name}/${kind}`);
        }
        if (!nchw && shape.length === 3) throw new OnnxExportError(`layer ${name}: batch norm on images after a flatten`);
        node('BatchNormalization', inputs, [float('epsilon', (layer as unknown as { epsilon: number }).epsilon)], name);
        break;
      }
      case 'relu':
        node('Relu', [current], [], name);
        break;
      case 'tanh':
        node('Tanh', [current], [], name);
        break;
      case 'sigmoid':
        node('Sigmoid', [current], [], name);
        break;
      case 'elu':
        node('Elu', [current], [float('alpha', (layer as unknown as { alpha: number }).alpha)], name);
        break;
      case 'leakyRelu':
        node('LeakyRelu', [current], [float('alpha', (layer as unknown as { alpha: number }).alpha)], name);
        break;
      case 'dropout':
        break; // the identity at inference
      default:
        throw new OnnxExportError(`layer ${name} (${spec.type}) has no ONNX export`);
    }
    shape = [...layer.outputShape];
  });
  if (nchw) node('Transpose', [current], [ints('perm', [0, 2, 3, 1])], 'to_nhwc');
  node('Identity', [current], [], 'logits');
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

// bench:conv — GFLOP/s of slimtrain's convolution (forward, backward-input, backward-filter) beside
// TensorFlow.js's wasm and cpu backends on the same shapes, in the same process, with the fraction
// of the single-core WASM SIMD peak. Shapes: LeNet-5's two convolutions and a small CIFAR-10 CNN's
// four, at batch 128. With --threads 1,N also slimtrain at each kernel thread count (the engines
// come from the session, each with an explicit thread count).
//   npm run bench:conv [-- --json] [-- --quick] [-- --relaxed] [-- --threads 1,2]
import * as tf from '@tensorflow/tfjs-core';
import type { Engine } from '../src/backend/engine.js';
import { Im2colConvolution } from '../src/ops/im2col_convolution.js';
import { windowGeometry, type Padding } from '../src/ops/geometry.js';
import type { BenchRecord } from './support/bench-report.js';
import { printReport } from './support/bench-report.js';
import { startBenchSession } from './support/bench-session.js';
import { caseRecord, measureCase, type CaseSpec, type PreparedOp } from './support/case-measurement.js';
import { CONV2D_BACKPROP_FILTER_POLYFILL, conv2dBackpropFilterPolyfill } from './support/conv2d-backprop-filter-polyfill.js';
import { relativeMaxError } from './support/output-agreement.js';
import { logProgress } from './support/progress-log.js';
import { randomFloats } from './support/seeded-random.js';
import { downloadF32, uploadF32 } from './support/slimtrain-engines.js';
import { runTfjsOp, tfjsOpValues, useTfjsBackend, type TfjsBackendName } from './support/tfjs-backends.js';

/** x [N,H,W,C] convolved with a K x K x C x CO filter, stride 1. */
interface ConvShape {
  layer: string;
  N: number;
  H: number;
  W: number;
  C: number;
  K: number;
  CO: number;
  padding: Padding;
}

type ConvForm = 'forward' | 'backward_input' | 'backward_filter';

const LENET: ConvShape[] = [
  { layer: 'lenet5.conv1', N: 128, H: 28, W: 28, C: 1, K: 5, CO: 20, padding: 'valid' },
  { layer: 'lenet5.conv2', N: 128, H: 12, W: 12, C: 20, K: 5, CO: 50, padding: 'valid' },
];
const CIFAR: ConvShape[] = [
  { layer: 'cifar.conv1', N: 128, H: 32, W: 32, C: 3, K: 3, CO: 32, padding: 'same' },
  { layer: 'cifar.conv2', N: 128, H: 32, W: 32, C: 32, K: 3, CO: 32, padding: 'same' },
  { layer: 'cifar.conv3', N: 128, H: 16, W: 16, C: 32, K: 3, CO: 64, padding: 'same' },
  { layer: 'cifar.conv4', N: 128, H: 16, W: 16, C: 64, K: 3, CO: 64, padding: 'same' },
];
const QUICK: ConvShape[] = [LENET[0], CIFAR[2]];
const FORMS: ConvForm[] = ['forward', 'backward_input', 'backward_filter'];

function outputSize(s: ConvShape): { OH: number; OW: number } {
  const g = windowGeometry([s.N, s.H, s.W, s.C], [s.K, s.K], [1, 1], s.padding);
  return { OH: g.OH, OW: g.OW };
}

function convFlops(s: ConvShape): number {
  const { OH, OW } = outputSize(s);
  return 2 * s.N * OH * OW * s.K * s.K * s.C * s.CO;
}

function shapeLabel(s: ConvShape): string {
  return `[${s.N},${s.H},${s.W},${s.C}]*[${s.K},${s.K},${s.C},${s.CO}] ${s.padding}`;
}

function convCase(shape: ConvShape, form: ConvForm, label: string): CaseSpec {
  const { N, H, W, C, K, CO, padding } = shape;
  const { OH, OW } = outputSize(shape);
  const x = randomFloats(N * H * W * C, 1);
  const w = randomFloats(K * K * C * CO, 2);
  const dy = randomFloats(N * OH * OW * CO, 3);
  return {
    label,
    flops: convFlops(shape),
    // tfjs cpu's time is estimated on one sample, then N/16 and N/4 samples, before the full batch is run.
    cpuEstimateShrinks: [N, 16, 4],
    slimtrain(engine: Engine): PreparedOp {
      const conv = new Im2colConvolution(engine, windowGeometry([N, H, W, C], [K, K], [1, 1], padding), CO);
      const arena = engine.arena;
      let inputs: number[];
      let out: number;
      let outFloats: number;
      let run: () => void;
      if (form === 'forward') {
        const [px, pw] = [uploadF32(engine, x), uploadF32(engine, w)];
        outFloats = N * OH * OW * CO;
        out = arena.allocF32(outFloats);
        inputs = [px, pw];
        run = () => conv.forward(px, pw, out);
      } else if (form === 'backward_input') {
        const [pdy, pw] = [uploadF32(engine, dy), uploadF32(engine, w)];
        outFloats = N * H * W * C;
        out = arena.allocF32(outFloats);
        inputs = [pdy, pw];
        run = () => conv.backwardInput(pdy, pw, out);
      } else {
        const [px, pdy] = [uploadF32(engine, x), uploadF32(engine, dy)];
        outFloats = K * K * C * CO;
        out = arena.allocF32(outFloats);
        inputs = [px, pdy];
        run = () => conv.backwardFilter(px, pdy, out);
      }
      return {
        run,
        output: () => downloadF32(engine, out, outFloats),
        dispose: () => {
          [...inputs, out].forEach((p) => arena.free(p));
          conv.dispose();
        },
      };
    },
    tfjs(backend: TfjsBackendName, shrink: number): PreparedOp {
      // A batch of N / shrink samples.
      const n = Math.max(1, Math.floor(N / shrink));
      const tx = tf.tensor4d(x.subarray(0, n * H * W * C), [n, H, W, C]);
      const tw = tf.tensor4d(w, [K, K, C, CO]);
      const tdy = tf.tensor4d(dy.subarray(0, n * OH * OW * CO), [n, OH, OW, CO]);
      let op: () => tf.Tensor;
      if (form === 'forward') op = () => tf.conv2d(tx, tw, 1, padding);
      else if (form === 'backward_input') op = () => tf.conv2dTranspose(tdy, tw, [n, H, W, C], 1, padding);
      else if (backend === 'wasm') op = () => conv2dBackpropFilterPolyfill(tx, tdy, [K, K], padding);
      else op = () => conv2dBackpropFilterKernel(tx, tdy, [K, K, C, CO], padding);
      return {
        run: () => runTfjsOp(op),
        output: () => tfjsOpValues(op),
        dispose: () => tf.dispose([tx, tw, tdy]),
      };
    },
  };
}

/** The backend's own Conv2DBackpropFilter kernel (the one tf.grad of conv2d runs), stride 1. */
function conv2dBackpropFilterKernel(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: [number, number, number, number], padding: Padding): tf.Tensor {
  return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: [1, 1], pad: padding, dataFormat: 'NHWC', filterShape }) as tf.Tensor;
}

/** dW[kh,kw,c,co] = sum over n,oh,ow of xpad[n,oh+kh,ow+kw,c] * dy[n,oh,ow,co], in plain loops (stride 1). */
function backpropFilterByDefinition(s: ConvShape, x: Float32Array, dy: Float32Array): Float32Array {
  const g = windowGeometry([s.N, s.H, s.W, s.C], [s.K, s.K], [1, 1], s.padding);
  const dw = new Float32Array(s.K * s.K * s.C * s.CO);
  for (let kh = 0; kh < s.K; kh++)
    for (let kw = 0; kw < s.K; kw++)
      for (let c = 0; c < s.C; c++)
        for (let co = 0; co < s.CO; co++) {
          let sum = 0;
          for (let n = 0; n < s.N; n++)
            for (let oh = 0; oh < g.OH; oh++)
              for (let ow = 0; ow < g.OW; ow++) {
                const ih = oh + kh - g.PT;
                const iw = ow + kw - g.PL;
                if (ih < 0 || ih >= s.H || iw < 0 || iw >= s.W) continue;
                sum += x[((n * s.H + ih) * s.W + iw) * s.C + c] * dy[((n * g.OH + oh) * g.OW + ow) * s.CO + co];
              }
          dw[((kh * s.K + kw) * s.C + c) * s.CO + co] = sum;
        }
  return dw;
}

/**
 * Checks the wasm backward-filter polyfill, once per run, on small shapes (both paddings, odd and
 * even kernels) against the cpu backend's Conv2DBackpropFilter kernel (the kernel tf.grad of conv2d
 * runs for the filter; tf.grad itself cannot be called here because tfjs-core's Node build registers
 * no gradients) and against the definition. Throws on disagreement.
 */
async function verifyBackpropFilterPolyfill(): Promise<void> {
  const cases: ConvShape[] = [
    { layer: 'check', N: 3, H: 7, W: 6, C: 2, K: 3, CO: 4, padding: 'same' },
    { layer: 'check', N: 2, H: 8, W: 9, C: 3, K: 4, CO: 2, padding: 'same' },
    { layer: 'check', N: 2, H: 9, W: 9, C: 3, K: 5, CO: 5, padding: 'valid' },
  ];
  for (const s of cases) {
    const { OH, OW } = outputSize(s);
    const x = randomFloats(s.N * s.H * s.W * s.C, 11);
    const dy = randomFloats(s.N * OH * OW * s.CO, 13);
    const op = (backend: TfjsBackendName) => () => {
      const tx = tf.tensor4d(x, [s.N, s.H, s.W, s.C]);
      const tdy = tf.tensor4d(dy, [s.N, OH, OW, s.CO]);
      return backend === 'cpu' ? conv2dBackpropFilterKernel(tx, tdy, [s.K, s.K, s.C, s.CO], s.padding) : conv2dBackpropFilterPolyfill(tx, tdy, [s.K, s.K], s.padding);
    };
    await useTfjsBackend('cpu');
    const kernel = tfjsOpValues(op('cpu'));
    await useTfjsBackend('wasm');
    const polyfill = tfjsOpValues(op('wasm'));
    const definition = backpropFilterByDefinition(s, x, dy);
    const errors = [relativeMaxError(polyfill, kernel), relativeMaxError(kernel, definition)];
    if (!errors.every((e) => e < 1e-5)) {
      throw new Error(
        `Conv2DBackpropFilter check failed on ${shapeLabel(s)}: polyfill vs cpu kernel ${errors[0]}, cpu kernel vs definition ${errors[1]}`,
      );
    }
  }
  logProgress("wasm Conv2DBackpropFilter polyfill agrees with the cpu backend's kernel and the definition");
}

/** Runs the bench; `args` are the command-line flags (see support/bench-options.ts). */
export async function main(args: readonly string[]): Promise<void> {
  const session = await startBenchSession(args);
  await verifyBackpropFilterPolyfill();
  const shapes = session.options.quick ? QUICK : [...LENET, ...CIFAR];
  const records: BenchRecord[] = [];
  const total = shapes.length * FORMS.length;
  for (const shape of shapes) {
    for (const form of FORMS) {
      const label = `conv2d ${shape.layer} ${form} (${records.length + 1}/${total})`;
      const result = await measureCase(session, convCase(shape, form, label));
      records.push(
        caseRecord(
          session,
          {
            op: 'conv2d',
            shape: shapeLabel(shape),
            form,
            layer: shape.layer,
            flops: convFlops(shape),
            tfjs_wasm_kernel: form === 'backward_filter' ? CONV2D_BACKPROP_FILTER_POLYFILL : null,
          },
          result,
        ),
      );
    }
  }
  logProgress('done');
  printReport(
    records,
    {
      title: 'bench:conv — 2-D convolution, stride 1, x [N,H,W,C] * w [KH,KW,C,CO]; each pass 2*N*OH*OW*KH*KW*C*CO flops',
      lines: session.describe(),
      footnotes: [
        'tfjs: forward = tf.conv2d (on wasm: XNNPACK, its packed filter cached on the filter tensor across calls);',
        '  backward_input = tf.conv2dTranspose (the Conv2DBackpropInput kernel; on wasm a scalar loop);',
        '  backward_filter on cpu = the Conv2DBackpropFilter kernel (what tf.grad runs);',
        `  backward_filter on wasm = (polyfill): tfjs-backend-wasm has no Conv2DBackpropFilter, so a ${CONV2D_BACKPROP_FILTER_POLYFILL}`,
        '  (checked at start-up against the cpu backend\'s Conv2DBackpropFilter kernel and the definition).',
        'slimtrain: im2col + GEMM (src/ops/im2col_convolution.ts); backward_input = GEMM + col2im.',
        'threads: slimtrain splits the GEMM by rows of its output and im2col/col2im by images (above THREAD_THRESHOLDS in src/backend/wasm.ts).',
        'tfjs timings include dataSync() of the result and disposing it.',
      ],
    },
    session.options.json,
  );
}

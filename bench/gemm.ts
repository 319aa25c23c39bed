// bench:gemm — GFLOP/s of slimtrain's GEMM in its three storage forms (NN, NT, TN) beside
// TensorFlow.js's wasm and cpu backends' matMul on the same shapes, in the same process, with the
// fraction of the single-core WASM SIMD peak, and jax-js's jit-compiled matmul on its wasm device
// on the same shapes and forms (checked against slimtrain's output like tfjs); with --threads 1,N also slimtrain at each thread count
// and the size from which N threads beat 1 (gemm-crossover.ts).
//   npm run bench:gemm [-- --json] [-- --quick] [-- --relaxed] [-- --threads 1,2]
// --json prints { records, crossoverMultiplyAdds, crossover } (crossover null without 1 and a larger count in --threads).
import { jit, numpy as np, type Array as JaxArray } from '@jax-js/jax';
import * as tf from '@tensorflow/tfjs-core';
import type { Engine } from '../src/backend/engine.js';
import type { BenchAppendix, BenchRecord } from './support/bench-report.js';
import { printReport } from './support/bench-report.js';
import { startBenchSession, THREAD_ROUNDS, type BenchSession } from './support/bench-session.js';
import { caseRecord, measureCase, type CaseSpec, type PreparedOp } from './support/case-measurement.js';
import { formatCrossover, measureGemmCrossover, MIN_SPEEDUP } from './support/gemm-crossover.js';
import { describeJaxjs, setUpJaxjs } from './support/jaxjs-wasm.js';
import { logProgress } from './support/progress-log.js';
import { randomFloats } from './support/seeded-random.js';
import { downloadF32, uploadF32 } from './support/slimtrain-engines.js';
import { runTfjsOp, tfjsOpValues, type TfjsBackendName } from './support/tfjs-backends.js';

/** C[M,N] = A[M,K] B[K,N]. */
interface GemmShape {
  M: number;
  K: number;
  N: number;
  layer: string | null;
  /** The one form training runs this shape in (convolutions); absent: all three. */
  form?: GemmForm['form'];
}

interface GemmForm {
  form: 'NN' | 'NT' | 'TN';
  /** A stored [K, M]. */
  transA: boolean;
  /** B stored [N, K]. */
  transB: boolean;
}

const SQUARE: GemmShape[] = [128, 256, 512, 1024].map((n) => ({ M: n, K: n, N: n, layer: null }));
// The dense layers of a 784-1000-500-10 MNIST MLP at batch 128. Training runs all three forms:
// NN forward, NT for the input gradient, TN for the weight gradient.
const MLP: GemmShape[] = [
  { M: 128, K: 784, N: 1000, layer: 'mlp.dense1' },
  { M: 128, K: 1000, N: 500, layer: 'mlp.dense2' },
  { M: 128, K: 500, N: 10, layer: 'mlp.dense3' },
];
// The GEMMs of convolution training at batch 128 (im2col matrix [N*OH*OW, KH*KW*C], kernel
// [KH*KW*C, filters]): NN forward, NT input gradient (dcols = dy W^T), TN weight gradient
// (dW = cols^T dy). Tall and skinny, with 20-64 columns or a 25-576 deep product: where
// convolutional training loses to the square shapes above.
const conv = (layer: string, rows: number, fanIn: number, filters: number, input = true): GemmShape[] => [
  { M: rows, K: fanIn, N: filters, layer: `${layer} fwd`, form: 'NN' },
  ...(input ? [{ M: rows, K: filters, N: fanIn, layer: `${layer} dx`, form: 'NT' as const }] : []),
  { M: fanIn, K: rows, N: filters, layer: `${layer} dW`, form: 'TN' },
];
const CONV: GemmShape[] = [
  ...conv('lenet5.conv1', 128 * 24 * 24, 25, 20, false),
  ...conv('lenet5.conv2', 128 * 8 * 8, 500, 50),
  ...conv('cifar.conv2', 128 * 32 * 32, 288, 32),
  ...conv('cifar.conv4', 128 * 16 * 16, 576, 64),
];
const QUICK: GemmShape[] = [SQUARE[0], SQUARE[1], MLP[0], CONV[0]];

const FORMS: GemmForm[] = [
  { form: 'NN', transA: false, transB: false },
  { form: 'NT', transA: false, transB: true },
  { form: 'TN', transA: true, transB: false },
];

/** tfjs cpu's time is estimated on 1/16, then 1/4 of the rows of A before the full size is run. */
const CPU_ESTIMATE_SHRINKS = [16, 4];

/** The rows x cols row-major matrix, stored transposed when `transposed`. */
function storedAs(values: Float32Array, rows: number, cols: number, transposed: boolean): Float32Array {
  if (!transposed) return values;
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c];
  return out;
}

function shapeLabel(s: GemmShape): string {
  return `[${s.M}x${s.K}]x[${s.K}x${s.N}]`;
}

function gemmCase(shape: GemmShape, form: GemmForm, label: string): CaseSpec {
  const { M, K, N } = shape;
  // The same logical A and B for every form and implementation; only the storage differs.
  const a = randomFloats(M * K, 1);
  const b = randomFloats(K * N, 2);
  const bStored = storedAs(b, K, N, form.transB);
  const bShape: [number, number] = form.transB ? [N, K] : [K, N];
  return {
    label,
    flops: 2 * M * N * K,
    cpuEstimateShrinks: CPU_ESTIMATE_SHRINKS,
    slimtrain(engine: Engine): PreparedOp {
      const pa = uploadF32(engine, storedAs(a, M, K, form.transA));
      const pb = uploadF32(engine, bStored);
      const pc = engine.arena.allocF32(M * N);
      const backend = engine.backend;
      return {
        run: () => backend.gemm(form.transA, form.transB, M, N, K, pa, pb, pc, false),
        output: () => downloadF32(engine, pc, M * N),
        dispose: () => [pa, pb, pc].forEach((p) => engine.arena.free(p)),
      };
    },
    tfjs(_backend: TfjsBackendName, shrink: number): PreparedOp {
      // Fewer rows of A (M / shrink), same K and N.
      const rows = Math.max(1, Math.floor(M / shrink));
      const aRows = a.subarray(0, rows * K);
      const ta = tf.tensor2d(storedAs(aRows, rows, K, form.transA), form.transA ? [K, rows] : [rows, K]);
      const tb = tf.tensor2d(bStored, bShape);
      const op = (): tf.Tensor => tf.matMul(ta, tb, form.transA, form.transB);
      return {
        run: () => runTfjsOp(op),
        output: () => tfjsOpValues(op),
        dispose: () => tf.dispose([ta, tb]),
      };
    },
    jaxjs(): PreparedOp {
      // The operands as stored (a transposed form passes the transposed matrix, as tfjs gets it);
      // the transposes inside the jit-compiled function are jax-js's to fuse into its matmul kernel.
      const ja = np.array(storedAs(a, M, K, form.transA)).reshape(form.transA ? [K, M] : [M, K]);
      const jb = np.array(bStored).reshape(bShape);
      const matmul = jit((x: JaxArray, y: JaxArray) => np.matmul(form.transA ? x.transpose() : x, form.transB ? y.transpose() : y));
      // dataSync() waits for the kernel, copies C out and frees it: one call, as tfjs's runTfjsOp.
      const call = (): Float32Array => matmul(ja.ref, jb.ref).dataSync() as Float32Array;
      return {
        run: () => void call(),
        output: call,
        dispose: () => {
          ja.dispose();
          jb.dispose();
          matmul.dispose();
        },
      };
    },
  };
}

/**
 * The crossover table (1 thread against the largest count of --threads) as the report's appendix;
 * without 1 and a larger count in --threads, a line saying how to get it.
 */
function crossoverAppendix(session: BenchSession): BenchAppendix {
  const one = session.engines.plain.find((e) => e.threads === 1);
  const many = session.engines.plain[session.engines.plain.length - 1];
  if (!one || many.threads === 1) {
    return {
      text: 'crossover table: not run (it needs 1 and a larger count in --threads, e.g. --threads 1,2)\n',
      json: { crossoverMultiplyAdds: null, crossover: null },
    };
  }
  const targetSeconds = session.budget.targetSeconds / 2;
  const result = measureGemmCrossover(one, many, { targetSeconds, rounds: THREAD_ROUNDS, quick: session.options.quick });
  const { crossoverMultiplyAdds, ...crossover } = result;
  const header = [
    `crossover: NN GEMM on 1 vs ${many.threads} kernel threads with THREAD_THRESHOLDS.gemm forced to 0 (every size split by rows of C),`,
    `  ${THREAD_ROUNDS} alternating rounds of ${(targetSeconds / THREAD_ROUNDS).toFixed(2)} s per engine, fastest sample; a size wins when ${many.threads}T/1T >= ${MIN_SPEEDUP.toFixed(2)}` +
      (session.options.quick ? ' [--quick: every other size]' : ''),
  ];
  return { text: `${formatCrossover(result, header)}\n`, json: { crossoverMultiplyAdds, crossover } };
}

/** Runs the bench; `args` are the command-line flags (see support/bench-options.ts). */
export async function main(args: readonly string[]): Promise<void> {
  const session = await startBenchSession(args);
  const jaxjs = await setUpJaxjs();
  logProgress(describeJaxjs(jaxjs));
  const shapes = session.options.quick ? QUICK : [...SQUARE, ...MLP, ...CONV];
  const records: BenchRecord[] = [];
  const formsOf = (shape: GemmShape) => FORMS.filter((f) => shape.form === undefined || f.form === shape.form);
  const total = shapes.reduce((n, s) => n + formsOf(s).length, 0);
  for (const shape of shapes) {
    for (const form of formsOf(shape)) {
      const label = `gemm ${shapeLabel(shape)} ${form.form} (${records.length + 1}/${total})`;
      const result = await measureCase(session, gemmCase(shape, form, label));
      records.push(
        caseRecord(
          session,
          { op: 'gemm', shape: shapeLabel(shape), form: form.form, layer: shape.layer, flops: 2 * shape.M * shape.N * shape.K, tfjs_wasm_kernel: null },
          result,
        ),
      );
    }
  }
  const appendix = crossoverAppendix(session);
  logProgress('done');
  printReport(
    records,
    {
      title: 'bench:gemm — C[M,N] = op(A) op(B), shapes [MxK]x[KxN]',
      lines: [...session.describe(), describeJaxjs(jaxjs)],
      footnotes: [
        'forms: NN = A[M,K] B[K,N]; NT = B stored [N,K]; TN = A stored [K,M] (tf.matMul(a, b, transposeA, transposeB)).',
        'mlp.denseN: the dense layers of a 784-1000-500-10 MLP at batch 128 (training runs NN forward, NT for dX, TN for dW).',
        'lenet5.convN, cifar.convN: the GEMMs of those convolutions at batch 128, each in the one form training runs it (fwd NN, dx NT, dW TN).',
        'tfjs wasm: NN runs XNNPACK fully-connected, whose packed B is cached on the B tensor across calls (slimtrain packs B',
        '  on every call); NT and TN run tfjs-wasm\'s scalar fallback loop (slow_batch_matmul in batch_mat_mul_impl.cc).',
        'tfjs timings include dataSync() of the result and disposing it.',
        'jax-js wasm: jit(np.matmul(op(a), op(b))) on arrays uploaded once (op = transpose for the stored-transposed operand); a timed call',
        '  includes dataSync() of C (waits for the kernel, copies C to JS, frees it), like tfjs; its first call, which compiles, is warm-up.',
        'threads: slimtrain splits a GEMM by rows of C (multiples of 4) across its kernel threads when M*N*K >= THREAD_THRESHOLDS.gemm and M >= 8;',
        '  smaller GEMMs run on one thread at any thread count.',
      ],
    },
    session.options.json,
    appendix,
  );
}

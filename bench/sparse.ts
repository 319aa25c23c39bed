// bench:sparse — what element-wise sparsity buys at inference: latency per sample of our dense
// kernel (GEMM), our sparse kernel (sparseMatmul) and the automatic choice, beside TensorFlow.js
// wasm (dense) in the same process, and the model file's bytes, per density.
//   npm run bench:sparse [-- --json] [--quick] [--models lenet5,...] [--files A.slimtrain,DIR,...]
// --files also times saved models as they are (a folder: its .slimtrain files, e.g. a sweep's
// saveModels output); with --files and no --models, only those.
// The models: LeNet-300-100, LeNet-5 and the fashion-cnn preset, trained one short epoch on MNIST
// (so that their logits are a classifier's), then every kernel magnitude-pruned per layer to 50,
// 20, 10, 5, 2 and 1% density. One kernel thread. Every latency is the best of alternating timed
// windows, so that a busy machine slows all variants alike and the ratios stay meaningful.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { init, type Engine } from '../src/backend/engine.js';
import { encodeContainer } from '../src/io/container.js';
import { decodeModel, encodeModel } from '../src/io/model_file.js';
import { loadModelFile } from '../src/io/model_files_node.js';
import { exportTfjsModel } from '../src/io/tfjs.js';
import { Conv2D } from '../src/layers/conv2d.js';
import { Dense } from '../src/layers/dense.js';
import { SPARSE_CROSSOVER } from '../src/layers/sparse_kernel.js';
import { loadMnist } from '../src/data/mnist.js';
import { presetSpec } from '../src/model/presets.js';
import { Sequential } from '../src/model/sequential.js';
import { optimizerFromSpec } from '../src/optim/spec.js';
import { magnitudePrune } from '../src/prune/magnitude.js';
import { BenchArgumentError, parseBenchOptions } from './support/bench-options.js';
import { randomFloats } from './support/seeded-random.js';
import { timeCallsAlternately } from './support/call-timing.js';
import { relativeMaxError } from './support/output-agreement.js';
import { logProgress } from './support/progress-log.js';
import { setUpTfjs } from './support/tfjs-backends.js';
import { formatTable, type TableColumn } from './support/text-table.js';

/** One model at one density and batch (the rows of --json; bench/sparse-plot.ts draws them). */
export interface SparseBenchRow {
  model: string;
  /** Nonzeros / entries over every kernel (1 for the unpruned model). */
  density: number;
  batch: number;
  /** Milliseconds per sample. */
  dense_ms: number;
  sparse_ms: number;
  auto_ms: number;
  tfjs_wasm_ms: number;
  /** Model file bytes: every tensor dense (version 1), and as encodeModel writes it. */
  file_dense_bytes: number;
  file_bytes: number;
  /** 4 x nonzeros (values of every tensor, biases included) + the sparse tensors' index bytes: the bound the size target is against. */
  file_payload_bytes: number;
  /** Layers auto runs sparse at this batch, of the weighted layers. */
  auto_sparse_layers: string;
  /** Largest |sparse - dense| logit over the largest |dense| logit, and argmax disagreements, on the test sample. */
  logit_rel_error: number;
  argmax_disagreements: number;
  /** Arena bytes of the inference model after predicting at batch 64: dense, and with sparse copies. */
  memory_dense_bytes: number;
  memory_sparse_bytes: number;
}

const DENSITIES = [1, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01];
const MODELS = ['lenet-300-100', 'lenet5', 'fashion-cnn'] as const;

async function loadInTfjs(model: Sequential): Promise<tfl.LayersModel> {
  const { modelJson, weightData } = exportTfjsModel(model);
  return tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: modelJson.modelTopology as never, weightSpecs: modelJson.weightsManifest[0].weights, weightData: weightData.slice().buffer }));
}

function argmaxDisagreements(a: Float32Array, b: Float32Array, k: number): number {
  let count = 0;
  for (let r = 0; r < a.length / k; r++) {
    let ia = 0, ib = 0;
    for (let j = 1; j < k; j++) {
      if (a[r * k + j] > a[r * k + ia]) ia = j;
      if (b[r * k + j] > b[r * k + ib]) ib = j;
    }
    if (ia !== ib) count++;
  }
  return count;
}

/**
 * One model at its current weights: file bytes, the memory of its dense and sparse inference
 * copies after a batch of 64, logit agreement on `inputs`, and latency at batch 1 and 64 of the
 * dense, sparse and auto copies and of `net` (the model in TensorFlow.js), timed alternately.
 */
function measureModel(engine: Engine, name: string, model: Sequential, net: tfl.LayersModel, inputs: Float32Array, targetSeconds: number): SparseBenchRow[] {
  const out: SparseBenchRow[] = [];
  const shape = model.inputShape;
  const weights = model.getWeights();
  const file = encodeModel(model);
  const fileDense = encodeContainer({ format: 'slimtrain-model', version: 1, spec: model.toSpec(), metadata: {} }, weights);
  const { manifest } = decodeModel(file);
  const payload = manifest.tensors.reduce((s, t) => s + (t.storage ? 4 * t.storage.nonzeros + t.storage.indexBytes : 4 * t.length), 0);
  const before = engine.arena.bytesInUse;
  const dense = model.toInference({ sparse: 'never' });
  dense.predict(inputs.subarray(0, 64 * dense.inputSize), { batchSize: 64 });
  const memoryDense = engine.arena.bytesInUse - before;
  const before2 = engine.arena.bytesInUse;
  const sparse = model.toInference({ sparse: 'always' });
  sparse.predict(inputs.subarray(0, 64 * sparse.inputSize), { batchSize: 64 });
  const memorySparse = engine.arena.bytesInUse - before2;
  const auto = model.toInference({ sparse: 'auto' });
  const expected = dense.predict(inputs);
  const got = sparse.predict(inputs);
  const gotAuto = auto.predict(inputs);
  const error = Math.max(relativeMaxError(got, expected), relativeMaxError(gotAuto, expected));
  const disagreements = Math.max(argmaxDisagreements(got, expected, model.outputSize), argmaxDisagreements(gotAuto, expected, model.outputSize));
  for (const batch of [1, 64]) {
    const x = inputs.subarray(0, batch * model.inputSize);
    const xt = tf.tensor(x, [batch, ...shape]);
    const [d, s, a, t] = timeCallsAlternately([
      () => void dense.predict(x, { batchSize: batch }),
      () => void sparse.predict(x, { batchSize: batch }),
      () => void auto.predict(x, { batchSize: batch }),
      () => {
        const out = net.predict(xt) as tf.Tensor;
        out.dataSync();
        out.dispose();
      },
    ], { targetSeconds }, 3);
    xt.dispose();
    const weighted = auto.layers.filter((l) => l instanceof Dense || l instanceof Conv2D);
    const sparseLayers = weighted.filter((l) => l.runsSparse(batch)).length;
    out.push({
      model: name, density: currentDensity(model), batch,
      dense_ms: (1000 * d.secondsPerCall) / batch, sparse_ms: (1000 * s.secondsPerCall) / batch, auto_ms: (1000 * a.secondsPerCall) / batch, tfjs_wasm_ms: (1000 * t.secondsPerCall) / batch,
      file_dense_bytes: fileDense.length, file_bytes: file.length, file_payload_bytes: payload,
      auto_sparse_layers: `${sparseLayers}/${weighted.length}`, logit_rel_error: error, argmax_disagreements: disagreements,
      memory_dense_bytes: memoryDense, memory_sparse_bytes: memorySparse,
    });
  }
  for (const m of [dense, sparse, auto]) m.dispose();
  return out;
}

/** The model files a --files list names: files as given, folders as their .slimtrain files (sorted). */
function modelFiles(paths: readonly string[]): string[] {
  return paths.flatMap((path) => {
    if (!existsSync(path)) throw new BenchArgumentError(`--files ${paths.join(',')}`, `model files or folders that exist (${path} does not)`, 'bad bench argument');
    return statSync(path).isDirectory() ? readdirSync(path).filter((f) => f.endsWith('.slimtrain')).sort().map((f) => join(path, f)) : [path];
  });
}

export async function main(args: readonly string[]): Promise<void> {
  const options = parseBenchOptions(args, { threads: false, models: MODELS, files: true });
  const files = modelFiles(options.files);
  // With --files and no --models, only the files.
  const models = (options.models ?? (files.length ? [] : MODELS)) as readonly (typeof MODELS)[number][];
  const tfjs = await setUpTfjs(1);
  const engine = await init({ threads: 1 });
  const { train, test } = loadMnist({ limit: options.quick ? 1000 : 3000, testLimit: 1000 });
  const targetSeconds = options.quick ? 0.06 : 0.6;
  const rows: SparseBenchRow[] = [];
  const started = performance.now();
  let done = 0;
  const total = models.length * DENSITIES.length + files.length;
  for (const name of models) {
    const shape = name === 'lenet-300-100' ? [784] : [28, 28, 1];
    logProgress(`bench:sparse: training ${name} one short epoch`);
    const model = Sequential.build(engine, presetSpec(name, shape, 10, 1));
    model.compile({ optimizer: optimizerFromSpec({ type: 'adam', lr: 1e-3 }), loss: 'crossEntropy' });
    await model.fit(train.x, train.y, { epochs: 1, batchSize: 64 });
    const net = await loadInTfjs(model); // dense: its latency does not depend on the zeros
    for (const density of DENSITIES) {
      if (density < 1) magnitudePrune(model, { fraction: 1 - density / currentDensity(model) });
      rows.push(...measureModel(engine, name, model, net, test.x, targetSeconds));
      done++;
      const elapsed = (performance.now() - started) / 1000;
      logProgress(`bench:sparse: ${name} at ${(100 * density).toFixed(0)}% done (${done}/${total}, ${elapsed.toFixed(0)} s, ETA ${((elapsed / done) * (total - done)).toFixed(0)} s)`);
    }
    net.dispose();
    model.dispose();
  }
  for (const path of files) {
    // As saved: its own density. MNIST test images where the input is 28 x 28, else seeded noise.
    const { model } = loadModelFile(engine, path);
    const inputs = model.inputSize === 784 ? test.x : randomFloats(1000 * model.inputSize, 11);
    const net = await loadInTfjs(model);
    rows.push(...measureModel(engine, basename(path, '.slimtrain'), model, net, inputs, targetSeconds));
    net.dispose();
    model.dispose();
    done++;
    const elapsed = (performance.now() - started) / 1000;
    logProgress(`bench:sparse: ${basename(path)} done (${done}/${total}, ${elapsed.toFixed(0)} s, ETA ${((elapsed / done) * (total - done)).toFixed(0)} s)`);
  }
  const context = { tfjs: tfjs.version, tfjs_wasm_simd: tfjs.wasmSimd, kernels: engine.kernels, threads: 1, crossover: SPARSE_CROSSOVER };
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ context, rows })}\n`);
    return;
  }
  const columns: TableColumn[] = [
    { header: 'model' }, { header: 'density', align: 'right' }, { header: 'batch', align: 'right' },
    { header: 'dense ms', align: 'right' }, { header: 'sparse ms', align: 'right' }, { header: 'auto ms', align: 'right' }, { header: 'tfjs wasm ms', align: 'right' },
    { header: 'dense/sparse', align: 'right' }, { header: 'auto/best', align: 'right' }, { header: 'auto sparse', align: 'right' },
    { header: 'file', align: 'right' }, { header: 'file/dense file', align: 'right' }, { header: 'file/payload', align: 'right' },
    { header: 'logit err', align: 'right' }, { header: 'argmax diff', align: 'right' },
  ];
  const ms = (v: number) => v.toFixed(4);
  const kb = (b: number) => `${(b / 1024).toFixed(1)} KB`;
  process.stdout.write(`bench:sparse — ms per sample (1 thread, best of alternating windows), ${engine.kernels} kernels, TensorFlow.js ${tfjs.version} wasm (simd ${tfjs.wasmSimd})\n\n${formatTable(columns, rows.map((r) => [
    r.model, `${(100 * r.density).toFixed(1)}%`, String(r.batch), ms(r.dense_ms), ms(r.sparse_ms), ms(r.auto_ms), ms(r.tfjs_wasm_ms),
    (r.dense_ms / r.sparse_ms).toFixed(2), (r.auto_ms / Math.min(r.dense_ms, r.sparse_ms)).toFixed(3), r.auto_sparse_layers,
    kb(r.file_bytes), (r.file_bytes / r.file_dense_bytes).toFixed(3), (r.file_bytes / r.file_payload_bytes).toFixed(3),
    r.logit_rel_error.toExponential(1), String(r.argmax_disagreements),
  ]))}\n`);
}

/** Nonzeros over entries of every kernel of the model. */
function currentDensity(model: Sequential): number {
  let nonzeros = 0, entries = 0;
  for (const w of model.getWeights()) {
    if (!w.name.endsWith('/kernel')) continue;
    entries += w.values.length;
    for (const v of w.values) if (v !== 0) nonzeros++;
  }
  return nonzeros / entries;
}

import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import * as st from '../../src/index.js';
import { UsageError } from '../../src/cli/command.js';
import { tempDir } from '../support/temp_dir.js';

// Every case of docs/errors.md: a bad input, the error class it must raise, and a message that
// names the argument, the value and what was expected. The ids tie this table to the doc.
const root = fileURLToPath(new URL('../../', import.meta.url));
type Case = [id: string, run: () => unknown, kind: new (...args: never[]) => Error, message: RegExp];

let engine: st.Engine;
let model: st.Sequential;
const SPEC = { inputShape: [4], layers: [{ type: 'dense', units: 3 }], seed: 1 };
const x4 = (...v: number[]) => Float32Array.from(v);

const API: Case[] = [
  ['input-length', () => model.predict(new Float32Array(5)), st.ArgumentError, /^x\.length = 5: expected a positive multiple of the input size 4 \(\[4\]\)$/],
  ['input-type', () => model.predict([1, 2, 3, 4] as never), st.ArgumentError, /^x = \[1, 2, 3, 4\]: expected a Float32Array or a non-empty array of samples, each an array \(a sample has shape \[4\]\)$/],
  ['input-shape-rank', () => st.Sequential.build(engine, { inputShape: [1, 2, 3, 4], layers: [{ type: 'flatten' }] }), st.ArgumentError, /^inputShape = \[1, 2, 3, 4\]: expected \[features\] or \[height, width, channels\]$/],
  ['layer-input-rank', () => st.Sequential.build(engine, { inputShape: [4], layers: [{ type: 'conv2d', filters: 2, kernelSize: 3 }] }), st.ArgumentError, /conv2d_1: input shape = \[4\]: expected/],
  ['label-count', () => model.evaluate(new Float32Array(8), [1]), st.ArgumentError, /^y\.length = 1: expected 2 labels or 6 target values/],
  ['label-range', () => model.evaluate(new Float32Array(8), [1, 7]), st.ArgumentError, /^y\[1\] = 7: expected an integer class label in \[0, 3\)$/],
  ['input-nan', () => model.predict(x4(1, NaN, 2, 3)), st.ArgumentError, /^x\[1\] = NaN: expected a finite number/],
  ['input-inf-fit', () => model.fit(x4(1, 2, Infinity, 3), [0], { epochs: 1 }), st.ArgumentError, /^x\[2\] = Infinity: expected a finite number/],
  ['weights-nan', () => model.setWeights({ 'dense_1/bias': [0, NaN, 0] }), st.ArgumentError, /^weights\["dense_1\/bias"\]\[1\] = NaN: expected a finite number$/],
  ['weights-shape', () => model.setWeights({ 'dense_1/bias': [0, 0] }), st.ArgumentError, /^weights\["dense_1\/bias"\] = \[0, 0\]: expected 3 values \(shape \[3\]\)$/],
  ['batch-size-zero', () => model.fit(new Float32Array(4), [0], { epochs: 1, batchSize: 0 }), st.ArgumentError, /^batchSize = 0: expected a positive integer$/],
  ['batch-size-negative', () => model.predict(new Float32Array(4), { batchSize: -2 }), st.ArgumentError, /^batchSize = -2: expected a positive integer$/],
  ['epochs-zero', () => model.fit(new Float32Array(4), [0], { epochs: 0 }), st.ArgumentError, /^epochs = 0: expected a positive integer$/],
  ['validation-split', () => model.fit(new Float32Array(8), [0, 1], { epochs: 1, validationSplit: 1.5 }), st.ArgumentError, /^validationSplit = 1.5: expected a finite number in \(0, 1\)$/],
  ['lr-negative', () => st.adam({ lr: -1 }), st.ArgumentError, /^adam\.lr = -1: expected a finite number > 0$/],
  ['lr-zero', () => st.sgd({ lr: 0 }), st.ArgumentError, /^sgd\.lr = 0: expected a finite number > 0$/],
  ['beta-range', () => st.adam({ beta1: 1 }), st.ArgumentError, /^adam\.beta1 = 1: expected a finite number in \[0, 1\)$/],
  ['lambda-negative', () => st.l2({ lambda: -1e-4 }), st.ArgumentError, /^l2\.lambda = -0\.0001: expected a finite number >= 0$/],
  ['p-range', () => st.pnormDecay({ lambda: 1e-3, p: 3 }), st.ArgumentError, /^pnormDecay\.p = 3: expected a finite number in \(0, 2\]$/],
  ['xi-negative', () => st.measureSparsity(model, { xi: -1 }), st.ArgumentError, /^xi = -1: expected a finite number >= 0$/],
  ['prune-fraction', () => st.magnitudePrune(model, { fraction: 1.5 }), st.ArgumentError, /^magnitudePrune\.fraction = 1\.5: expected a finite number in \[0, 1\]$/],
  ['prune-criterion', () => st.magnitudePrune(model, {}), st.ArgumentError, /^magnitudePrune criterion = \[\]: expected exactly one of threshold, stdMultiple, fraction$/],
  ['dropout-rate', () => st.dropout({ rate: 1 }), st.ArgumentError, /^dropout\.rate = 1: expected a finite number in \[0, 1\)$/],
  ['units-zero', () => st.dense({ units: 0 }), st.ArgumentError, /^dense\.units = 0: expected a positive integer$/],
  ['unknown-layer', () => st.layerFromSpec({ type: 'Dense' }, 0), st.ArgumentError, /^layers\[0\]\.type = "Dense": expected one of dense, conv2d/],
  ['unknown-layer-option', () => st.layerFromSpec({ type: 'dense', unit: 3 } as never, 0), st.ArgumentError, /^dense\.unit = 3: expected no such option \(known: type, units/],
  ['unknown-optimizer', () => st.optimizerFromSpec({ type: 'adma' }), st.ArgumentError, /^optimizer\.type = "adma": expected one of sgd, momentum, adam, adamw, rmsprop, adagrad, padam$/],
  ['unknown-regulariser', () => st.optimizerFromSpec({ type: 'adam', transforms: [{ type: 'l3', lambda: 1 }] }), st.ArgumentError, /^optimizer\.transforms\[0\]\.type = "l3": expected one of l2, l1/],
  ['spec-not-object', () => st.Sequential.build(engine, '{"layers": [' as never), st.ArgumentError, /^spec = "\{\\"layers\\": \[": expected a model spec \{ inputShape, layers, seed\? \}$/],
  ['loss-unknown', () => model.compile({ optimizer: st.chain(st.sgd({ lr: 0.1 })), loss: 'hinge' as never }), st.ArgumentError, /^loss = "hinge": expected one of/],
  ['not-compiled', () => model.trainStep(new Float32Array(4), [0]), st.SlimtrainError, /^the model is not compiled: call model\.compile\(\{ optimizer, loss \}\) before training$/],
  ['threads-option', () => st.init({ threads: 0 }), st.ArgumentError, /^threads = 0: expected "auto" or an integer from 1 to 256$/],
  ['simd-option', () => st.init({ simd: 'avx' as never }), st.ArgumentError, /^simd = "avx": expected "auto", "plain", "relaxed", "fastest" or "none"$/],
  ['dataset-name', () => st.loadDataset('imagenet' as never), st.ArgumentError, /^name = "imagenet": expected one of "mnist", "fashion-mnist", "cifar10"$/],
  ['dataset-missing', () => st.loadDataset('fashion-mnist', { dir: '/nonexistent' }), st.DatasetNotFoundError, /fashion-mnist.*\/nonexistent/],
  ['model-file-garbage', () => st.decodeModel(new Uint8Array(64), 'm.slim'), st.ModelFileError, /^m\.slim: not a slimtrain model file/],
  ['sparse-tensor-duplicate', () => st.decodeSparseTensor(Uint8Array.from([2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), { form: 'csc', nonzeros: 2, countBytes: 1, indexCoding: 'delta8', indexBytes: 2, bytes: 12 }, [30, 1], 'm.slim: tensor "dense_1/kernel" (sparse)'), st.ModelFileError, /^m\.slim: tensor "dense_1\/kernel" \(sparse\): column 0 repeats row 1: row indices must be strictly ascending, without duplicates$/],
  ['sparse-tensor-range', () => st.decodeSparseTensor(Uint8Array.from([1, 40, 0, 0, 0, 0, 0, 0]), { form: 'csc', nonzeros: 1, countBytes: 1, indexCoding: 'delta8', indexBytes: 1, bytes: 8 }, [30, 1], 'm.slim: tensor "dense_1/kernel" (sparse)'), st.ModelFileError, /^m\.slim: tensor "dense_1\/kernel" \(sparse\): column 0 has a nonzero at row 39: out of range \(30 rows\)$/],
  ['sparse-option-trainable', () => st.Sequential.build(engine, SPEC, { sparse: 'always' }), st.ArgumentError, /^sparse = "always": expected no sparse option on a trainable model/],
  ['checkpoint-truncated', () => st.decodeCheckpoint(st.encodeCheckpoint(compiled()).slice(0, 30), 'c.ckpt'), st.ModelFileError, /^c\.ckpt: truncated/],
  ['tfjs-layer', () => st.importTfjsModel(engine, { modelTopology: { class_name: 'Sequential', config: { layers: [{ class_name: 'LSTM', config: { name: 'l', batch_input_shape: [null, 2, 3] } }] } } }, []), st.TfjsFormatError, /layer l \(LSTM\) has no slimtrain counterpart/],
  ['idx-garbage', () => st.parseIdx(new Uint8Array([1, 2, 3, 4, 5]), 'x.idx'), st.DataFormatError, /^x\.idx: /],
  ['worker-option', () => st.createTrainer({ worker: 42 as never }), st.ArgumentError, /^createTrainer\.worker = 42: expected true, false, a worker script URL, a Worker or a function that returns one$/],
  ['worker-factory', () => st.createTrainer({ worker: () => 42 as never }), st.ArgumentError, /^createTrainer\.worker\(\) = 42: expected a Worker \(the function must return the worker it starts\)$/],
  ['worker-missing', () => st.createTrainer({ worker: new URL('file:///nonexistent/worker.js') }), st.TrainerGoneError, /^the trainer's worker \(file:\/\/\/nonexistent\/worker\.js\) crashed: Error: Cannot find module '\/nonexistent\/worker\.js'; pass createTrainer\(\{ worker \}\) the URL where slimtrain\/worker's script is served/],
  ['after-dispose', () => disposedModel().predict(new Float32Array(4)), st.SlimtrainError, /^this model was disposed$/],
  ['engine-disposed', () => st.Sequential.build(disposedEngine(), SPEC), st.SlimtrainError, /^this engine was disposed: create a new one with init\(\)$/],
  ['inference-train', () => model.toInference().compile({ optimizer: st.chain(st.adam()) }), st.SlimtrainError, /^compile: this model is inference-only/],
  ['compile-unknown-option', () => st.Sequential.build(engine, SPEC).compile({ optimizer: st.chain(st.adam()), loss: 'crossEntropy', foo: 1 } as never), st.ArgumentError, /^compile options\.foo = 1: expected no such option \(known: optimizer, loss, metrics\)$/],
  ['model-file-folder', () => st.loadModelFile(engine, dir), st.SlimtrainError, /^model file .*slimtrain-errors-\w+ is a folder: expected a file$/],
  ['tfjs-weight-shape', () => tfjsWithKernelShape([5, 3]), st.TfjsFormatError, /^m\.json: weight dense_1\/kernel: the manifest declares shape \[5,3\], but layer dense_1 has \[4,3\]$/],
];

/** SPEC exported to TensorFlow.js, its manifest then declaring another shape for the kernel (and bytes to match it). */
function tfjsWithKernelShape(shape: number[]) {
  const { modelJson, weightData } = st.exportTfjsModel(st.Sequential.build(engine, SPEC));
  const json = JSON.parse(JSON.stringify(modelJson));
  json.weightsManifest[0].weights[0].shape = shape;
  const bytes = new Uint8Array(weightData.length + 4 * (shape[0] * shape[1] - 12));
  return st.importTfjsModel(engine, json, [bytes], 'm.json');
}

function compiled(): st.Sequential {
  const m = st.Sequential.build(engine, SPEC);
  m.compile({ optimizer: st.chain(st.adam()) });
  return m;
}
function disposedModel(): st.Sequential {
  const m = st.Sequential.build(engine, SPEC);
  m.dispose();
  return m;
}
let dead: st.Engine;
function disposedEngine(): st.Engine {
  return dead;
}

const dir = tempDir('slimtrain-errors-');
const notJson = join(dir, 'model.json');
writeFileSync(notJson, '{ "layers": [ ');
const empty = join(dir, 'empty');
mkdirSync(empty);
const CLI: [id: string, args: string[], message: RegExp][] = [
  ['cli-epochs', ['train', '--epochs', '0'], /^slimtrain train: --epochs = "0": expected an integer from 1 to 10000 \(/m],
  ['cli-batch-size', ['train', '--batch-size=-1'], /^slimtrain train: --batch-size = "-1": expected an integer from 1 to 65536 \(/m],
  ['cli-lr', ['train', '--lr', '0'], /^slimtrain train: --lr = "0": expected a number in \(0, 100\] \(/m],
  ['cli-xi', ['train', '--xi=-1'], /^slimtrain train: --xi = "-1": expected a number >= 0$/m],
  ['cli-optimizer', ['train', '--optimizer', 'adamax'], /^slimtrain train: --optimizer = "adamax": expected one of sgd/m],
  ['cli-regulariser', ['train', '--pnorm-decay', '3e-3'], /^slimtrain train: --pnorm-decay = "3e-3": expected LAMBDA:P/m],
  ['cli-unknown-flag', ['train', '--optimiser', 'adam'], /^slimtrain train: --optimiser: no such flag \(did you mean --optimizer\?\)$/m],
  ['cli-model-not-json', ['train', '--model', notJson], /^slimtrain train: --model = ".*model\.json": the file is not valid JSON/m],
  ['cli-model-unknown', ['train', '--model', 'resnet'], /^slimtrain train: --model = "resnet": expected one of mlp/m],
  ['cli-sweep-not-json', ['sweep', notJson], /^slimtrain sweep: ".*model\.json" is not valid JSON/m],
  ['cli-model-folder', ['eval', '--model', dir], /^slimtrain eval: --model = ".*": expected a model file saved by slimtrain train --save, not a folder$/m],
  ['cli-epochs-huge', ['train', '--epochs', '1e12'], /^slimtrain train: --epochs = "1e12": expected an integer from 1 to 10000 \(/m],
  ['cli-batch-size-huge', ['train', '--batch-size', '99999999999'], /^slimtrain train: --batch-size = "99999999999": expected an integer from 1 to 65536 \(/m],
  ['cli-batch-size-data', ['train', '--limit', '50'], /^slimtrain train: --batch-size = "64" \(the default\): expected at most the 50 samples trained on/m],
  ['cli-validation-split', ['train', '--validation-split', '1'], /^slimtrain train: --validation-split = "1": expected a number in \(0, 1\)/m],
  ['cli-warmup', ['train', '--limit', '2000', '--epochs', '2', '--schedule', 'cosine:64'], /^slimtrain train: --schedule = "cosine:64": expected fewer warmup steps than the run's 64 optimizer steps/m],
  ['cli-lr-negative', ['train', '--lr', '-1'], /^slimtrain train: --lr = "-1": expected a number in \(0, 100\]/m],
  ['cli-model-before-data', ['train', '--model', 'nope', '--dataset', 'fashion-mnist', '--data', empty], /^slimtrain train: --model = "nope": expected one of mlp/m],
];

describe('bad inputs get a clear error of a documented class', () => {
  beforeAll(async () => {
    engine = await st.init({ threads: 1 });
    model = st.Sequential.build(engine, SPEC);
    dead = await st.init({ threads: 1 });
    dead.dispose();
  });

  it.each(API)('%s', async (_id, run, kind, message) => {
    let error: unknown;
    try {
      await run();
    } catch (e) {
      error = e;
    }
    expect(error, 'an error was thrown').toBeInstanceOf(kind);
    expect((error as Error).message).toMatch(message);
  });

  it.each(CLI)('%s (exit code 2, the flag named)', (_id, args, message) => {
    const r = spawnSync(process.execPath, [`${root}dist/cli.js`, ...args], { encoding: 'utf8', env: { ...process.env, SLIMTRAIN_DATA: '' } });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    // Refused before any work: nothing on stdout (train prints the data and the model summary first thing).
    expect(r.stdout).toBe('');
    expect(UsageError.name).toBe('UsageError');
  });

  it('docs/errors.md lists exactly these cases and every error class', () => {
    const doc = readFileSync(`${root}docs/errors.md`, 'utf8');
    const listed = [...doc.matchAll(/^\| `([a-z0-9-]+)` \|/gm)].map((m) => m[1]);
    expect(listed.sort()).toEqual([...API.map((c) => c[0]), ...CLI.map((c) => c[0])].sort());
    for (const name of ['SlimtrainError', 'ArgumentError', 'UnsupportedError', 'OutOfMemoryError', 'NonFiniteLossError', 'ModelFileError', 'DataFormatError',
      'DatasetNotFoundError', 'TfjsFormatError', 'OnnxExportError', 'TrainerError', 'TrainerGoneError', 'UsageError']) {
      expect(doc, name).toMatch(new RegExp(`^### ${name}\\b`, 'm'));
    }
  });
});

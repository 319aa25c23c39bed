import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as st from '../../src/index.js';
import * as onnx from '../../src/io/onnx.js';
import { sampleReportData } from '../report/sample_report_data.js';

// Every options object of the public API refuses a key it does not know, by name: an ArgumentError
// `<where>.bogus = 1: expected no such option (known: ...)`. The test walks the exports of the
// package's entry points (src/index.ts, the onnx entry, and the trainer client's methods), so a
// new function cannot skip it: each export is either called here with an unknown key, or listed
// with the reason it takes no options object. Adding an export without a row fails the test.

const BOGUS = { bogus: 1 };
type Call = () => unknown;

let engine: st.Engine;
let model: st.Sequential;
const SPEC = { inputShape: [4], layers: [{ type: 'dense', units: 3 }], seed: 1 };
const x = () => Float32Array.from({ length: 8 }, (_, i) => i / 8);
const compiled = () => {
  const m = st.Sequential.build(engine, SPEC);
  m.compile({ optimizer: st.chain(st.sgd({ lr: 0.1 })), loss: 'crossEntropy' });
  return m;
};

/** Exported functions that take an options object: the call passes one with an unknown key. */
const FUNCTIONS: Record<string, Call> = {
  init: () => st.init({ threads: 1, ...BOGUS } as never),
  dense: () => st.dense({ units: 3, ...BOGUS } as never),
  conv2d: () => st.conv2d({ filters: 2, kernelSize: 3, ...BOGUS } as never),
  maxPool2d: () => st.maxPool2d(BOGUS as never),
  avgPool2d: () => st.avgPool2d(BOGUS as never),
  batchNorm: () => st.batchNorm(BOGUS as never),
  dropout: () => st.dropout({ rate: 0.1, ...BOGUS } as never),
  leakyRelu: () => st.leakyRelu(BOGUS as never),
  elu: () => st.elu(BOGUS as never),
  layerFromSpec: () => st.layerFromSpec({ type: 'dense', units: 3, ...BOGUS } as never, 0),
  sgd: () => st.sgd({ lr: 0.1, ...BOGUS } as never),
  momentum: () => st.momentum({ lr: 0.1, ...BOGUS } as never),
  adam: () => st.adam(BOGUS as never),
  adamw: () => st.adamw(BOGUS as never),
  rmsprop: () => st.rmsprop(BOGUS as never),
  adagrad: () => st.adagrad(BOGUS as never),
  decoupledWeightDecay: () => st.decoupledWeightDecay({ lambda: 1e-4, ...BOGUS } as never),
  clipByGlobalNorm: () => st.clipByGlobalNorm({ maxNorm: 1, ...BOGUS } as never),
  padam: () => st.padam(BOGUS as never),
  learningRate: () => st.learningRate({ type: 'cosine', initial: 0.1, totalSteps: 10, ...BOGUS } as never, 0, 1),
  l2: () => st.l2({ lambda: 1e-4, ...BOGUS } as never),
  l1: () => st.l1({ lambda: 1e-4, ...BOGUS } as never),
  pnormDecay: () => st.pnormDecay({ lambda: 1e-3, p: 0.8, ...BOGUS } as never),
  proximalL1: () => st.proximalL1({ lambda: 1e-3, ...BOGUS } as never),
  groupLasso: () => st.groupLasso({ lambda: 1e-3, ...BOGUS } as never),
  hoyerSquare: () => st.hoyerSquare({ lambda: 1e-3, ...BOGUS } as never),
  groupHoyer: () => st.groupHoyer({ lambda: 1e-3, ...BOGUS } as never),
  selectiveDecay: () => st.selectiveDecay({ gamma: 1e-3, ...BOGUS } as never),
  lobster: () => st.lobster({ lambda: 1e-3, ...BOGUS } as never),
  weightMask: () => st.weightMask(BOGUS as never),
  fit: () => st.fit(compiled(), x(), [0, 1], { epochs: 1, ...BOGUS } as never),
  loadMnist: () => st.loadMnist(BOGUS as never),
  optimizerFromSpec: () => st.optimizerFromSpec({ type: 'adam', ...BOGUS } as never),
  transformFromSpec: () => st.transformFromSpec({ type: 'l2', lambda: 1e-4, ...BOGUS } as never),
  renderTrainingReport: () => st.renderTrainingReport(sampleReportData(), BOGUS as never),
  renderSweepPage: () => st.renderSweepPage({ name: 'grid', dataset: 'mnist', model: 'lenet-300-100', epochs: 1, methods: [] }, [], BOGUS as never),
  datasetFromIdx: () => st.datasetFromIdx(new Uint8Array(0), new Uint8Array(0), BOGUS as never),
  datasetFromIdxArrays: () => st.datasetFromIdxArrays({ dims: [1, 1, 1], data: new Uint8Array(1) } as never, { dims: [1], data: new Uint8Array(1) } as never, BOGUS as never),
  parseCifar10: () => st.parseCifar10(new Uint8Array(3073), 'batch', BOGUS as never),
  cifar10FromArchive: () => st.cifar10FromArchive(new Uint8Array(0), BOGUS as never),
  createDataset: () => st.createDataset({ x: new Float32Array(4), y: Uint8Array.of(0), shape: [4], classes: 2, ...BOGUS } as never),
  imageAugmentation: () => st.imageAugmentation({ shape: [2, 2, 1], ...BOGUS } as never),
  loadDataset: () => st.loadDataset('mnist', BOGUS as never),
  measureSparsity: () => st.measureSparsity(model, BOGUS as never),
  reduce: () => st.reduce(model, BOGUS as never),
  planReduction: () => st.planReduction(model, BOGUS as never),
  reduceInPlace: () => st.reduceInPlace(compiled(), BOGUS as never),
  magnitudePrune: () => st.magnitudePrune(model, { fraction: 0.5, ...BOGUS } as never),
  iterativePruning: () => st.iterativePruning(compiled(), x(), [0, 1], { fraction: 0.5, epochs: 1, ...BOGUS } as never),
  pruneAndFineTune: () => st.pruneAndFineTune(compiled(), x(), [0, 1], { prune: { fraction: 0.5 }, optimizer: st.sgd({ lr: 0.1 }), fit: { epochs: 1 }, ...BOGUS } as never),
  createTrainer: () => st.createTrainer({ worker: false, ...BOGUS } as never),
  runExperiment: async () => {
    const data = st.createDataset({ x: new Float32Array(8), y: Uint8Array.of(0, 1), shape: [4], classes: 2 });
    await st.runExperiment(engine, { model: { layers: [{ type: 'dense', units: 2 }] }, optimizer: { type: 'sgd' }, epochs: 1, seed: 1, ...BOGUS } as never, { train: data, test: data });
  },
};

/** Exported functions whose arguments are data, not an options object (each with why). */
const NO_OPTIONS: Record<string, string> = {
  supportsBuild: 'a build name', chooseBuild: 'a simd choice', createReferenceBackend: 'an arena',
  windowGeometry: 'shapes and a padding name', withBatch: 'a geometry and a count',
  flatten: 'no arguments', relu: 'no arguments', tanh: 'no arguments', sigmoid: 'no arguments',
  chain: 'transforms', parseIdx: 'bytes and a name', groupNorms: 'a model',
  encodeModel: 'a model and free-form metadata (stored as given)', decodeModel: 'bytes and a name', modelFromBytes: 'an engine, bytes and a name',
  saveModelFile: 'a model, a path and free-form metadata', loadModelFile: 'an engine and a path', writeFileAtomic: 'a path and bytes',
  loadUplotAssets: 'no arguments', decodeIdx: 'bytes and a name', gunzip: 'bytes and a name', gunzipStream: 'a stream and a name',
  gunzipIfCompressed: 'a stream and a name', isGzip: 'bytes', readTar: 'a stream',
  sliceDataset: 'a dataset and indices', standardizeSplits: 'named splits: every key is a split', channelStatistics: 'a dataset', standardizeChannels: 'a dataset and its statistics',
  rescale: 'a dataset and two numbers', shuffleDataset: 'a dataset and a generator', splitDataset: 'a dataset and a fraction',
  chooseThreshold: 'group norms', applyReduction: 'a model and a record', zeroRemovedGroups: 'a model and a record', reductionSources: 'a model and a record',
  reductionReport: 'models, a record and samples', reductionTable: 'a report', reductionSummary: 'a report and accuracies', presetSpec: 'a preset name, a shape and counts',
  deadUnitsByActivation: 'a model and samples', experimentModelSpec: 'a model description, a dataset and a seed',
  epochRecord: 'a model, a phase, an epoch log and a threshold', layerSizes: 'a model', maskOf: 'a model', serveTrainer: 'an endpoint { post, listen }',
  encodeCheckpoint: 'a model, a fit position and free-form metadata', decodeCheckpoint: 'bytes and a name',
  restoreCheckpoint: 'a model, bytes and a name', modelFromCheckpoint: 'an engine, bytes and a name',
  encodeContainer: 'a manifest and tensors (the file format itself)', decodeContainer: 'bytes, a name, a format and a version',
  exportTfjsModel: 'a model and a file name', importTfjsModel: "an engine, a TensorFlow.js model.json (TensorFlow.js's own format) and bytes",
  saveTfjsModelFiles: 'a model and a folder', loadTfjsModelFiles: 'an engine and a path',
  sparseColumns: 'a dense matrix and its rows and columns', denseFromColumns: 'a CSC matrix', matrixShape: 'a shape',
  sparseForm: 'values and a shape', crossoverClass: 'a product name, a row count and a depth', decodeSparseTensor: 'bytes, a storage entry, a shape and a name',
};

/** Sequential's methods and statics that take an options object (or a spec), and those that do not. */
const SEQUENTIAL: Record<string, Call> = {
  build: () => st.Sequential.build(engine, SPEC, BOGUS as never),
  'build (spec)': () => st.Sequential.build(engine, { ...SPEC, ...BOGUS } as never),
  create: () => st.Sequential.create(SPEC, { engine, ...BOGUS } as never),
  compile: () => st.Sequential.build(engine, SPEC).compile({ optimizer: st.chain(st.sgd({ lr: 0.1 })), ...BOGUS } as never),
  fit: () => compiled().fit(x(), [0, 1], { epochs: 1, ...BOGUS } as never),
  predict: () => model.predict(x(), BOGUS as never),
  toInference: () => model.toInference(BOGUS as never),
  layerLatencies: () => model.layerLatencies(x(), 1, BOGUS as never),
  evaluate: () => model.evaluate(x(), [0, 1], BOGUS as never),
  lossAndGradients: () => compiled().lossAndGradients(x(), [0, 1], BOGUS as never),
};
const SEQUENTIAL_NO_OPTIONS = [
  'countParams',
  'trainable', 'weightsChanged', 'sparseKernels', 'prepareSparse', 'toSpec', 'outputShape', 'inputSize', 'outputSize', 'parameterCount', 'flops', 'step', 'optimizer', 'loss', 'trainStep',
  'layerOutputs', 'trainOn', 'trainingState', 'restoreTrainingState', 'getWeights', 'setWeights', 'summary', 'dispose', 'isDisposed', 'check', 'tensorsOf',
  'locate', 'batchSize', 'ensureWorkspace', 'bindLayers', 'holdSparse', 'restoreDense', 'relayout', 'fuseRelus', 'freeWorkspace', 'takeSnapshot', 'restoreSnapshot', 'loadInputs', 'loadTargets', 'forwardLoss', 'forward',
  'backward', 'meanLoss', 'accuracy', 'layers', 'params', 'state', 'reducedFrom', 'derive', 'adoptArchitecture',
];

/** Exported classes other than Sequential: made by a factory above or internally, or errors. */
const CLASSES: Record<string, string> = {
  Engine: 'made by init', Arena: "the engine's memory", Im2colConvolution: 'a kernel plan built by conv2d', NonFiniteLossError: 'an error',
  ParamSet: "a model's parameters", Layer: 'the base class', Dense: 'made by dense()', Conv2D: 'made by conv2d()', MaxPool2D: 'made by maxPool2d()',
  AvgPool2D: 'made by avgPool2d()', Flatten: 'made by flatten()', BatchNorm: 'made by batchNorm()', Dropout: 'made by dropout()',
  Activation: 'made by relu() and the other activations', Chain: 'made by chain()', DataFormatError: 'an error', Random: 'a seeded generator',
  SlimtrainError: 'an error', ArgumentError: 'an error', UnsupportedError: 'an error', OutOfMemoryError: 'an error', ModelFileError: 'an error',
  SparseKernel: "a layer's sparse copy of its kernel, made by SparseKernel.of",
  BatchCurve: 'a curve recorder (its options refuse unknown keys: test/train/batch_curve.test.ts)',
  DatasetNotFoundError: 'an error', TrainerError: 'an error', TrainerGoneError: 'an error', TfjsFormatError: 'an error', OnnxExportError: 'an error',
};

/** The trainer client's methods (the worker entry point's API) that take an options object. */
const TRAINER: Record<string, (t: st.TrainerClient) => unknown> = {
  build: (t) => t.build({ ...SPEC, ...BOGUS } as never),
  compile: (t) => t.compile({ optimizer: { type: 'adam' }, ...BOGUS } as never),
  fit: (t) => t.fit(x(), [0, 1], { epochs: 1, ...BOGUS } as never),
  evaluate: (t) => t.evaluate(x(), [0, 1], BOGUS as never),
  predict: (t) => t.predict(x(), BOGUS as never),
  measureSparsity: (t) => t.measureSparsity(BOGUS as never),
  reduce: (t) => t.reduce(BOGUS as never),
};
const TRAINER_NO_OPTIONS = ['kernels', 'threads', 'getWeights', 'setWeights', 'exportModel', 'importModel', 'abort', 'dispose', 'terminate', 'fail'];

const isClass = (f: unknown) => typeof f === 'function' && /^class\b/.test(Function.prototype.toString.call(f));

async function refusesBogus(label: string, call: Call): Promise<void> {
  let error: unknown;
  try {
    await call();
  } catch (e) {
    error = e;
  }
  expect(error, `${label}: an unknown option was accepted`).toBeInstanceOf(st.SlimtrainError);
  expect((error as Error).message, label).toMatch(/\bbogus = 1: expected no such option \(known: /);
}

describe('every options object refuses unknown keys by name', () => {
  beforeAll(async () => {
    engine = await st.init({ threads: 1 });
    model = st.Sequential.build(engine, SPEC);
  });
  afterAll(() => engine.dispose());

  it('every export of the entry points is in a table: called with an unknown key, or listed as taking none', () => {
    const exported = [...Object.entries(st), ...Object.entries(onnx)].filter(([, v]) => typeof v === 'function');
    const unlisted = exported.filter(([name, v]) => (isClass(v) ? !(name === 'Sequential' || name in CLASSES) : !(name in FUNCTIONS || name in NO_OPTIONS || name in ONNX)));
    expect(unlisted.map(([name]) => name), 'exports with no row here').toEqual([]);
    const methods = Object.getOwnPropertyNames(st.Sequential.prototype).filter((m) => m !== 'constructor');
    const statics = Object.getOwnPropertyNames(st.Sequential).filter((m) => !['length', 'name', 'prototype'].includes(m));
    expect([...methods, ...statics].filter((m) => !(m in SEQUENTIAL) && !SEQUENTIAL_NO_OPTIONS.includes(m)), 'Sequential members with no row').toEqual([]);
  });

  it.each(Object.entries(FUNCTIONS))('%s', async (name, call) => refusesBogus(name, call));
  it.each(Object.entries(SEQUENTIAL))('Sequential.%s', async (name, call) => refusesBogus(name, call));

  it('the onnx entry point', async () => {
    for (const [name, call] of Object.entries(ONNX)) await refusesBogus(name, call);
  });

  it("the trainer client's methods (the worker entry point)", async () => {
    const trainer = await st.createTrainer({ worker: false });
    try {
      const members = Object.keys(trainer);
      expect(members.filter((m) => !(m in TRAINER) && !TRAINER_NO_OPTIONS.includes(m)), 'trainer methods with no row').toEqual([]);
      await trainer.build(SPEC);
      await trainer.compile({ optimizer: { type: 'sgd', lr: 0.1 } });
      for (const [name, call] of Object.entries(TRAINER)) await refusesBogus(`trainer.${name}`, () => call(trainer));
    } finally {
      await trainer.terminate();
    }
  });
});

const ONNX: Record<string, Call> = {
  exportOnnxModel: () => onnx.exportOnnxModel(model, BOGUS as never),
};

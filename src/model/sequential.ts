import type { Ptr } from '../backend/arena.js';
import { init, type Engine } from '../backend/engine.js';
import { ArgumentError, SlimtrainError } from '../errors.js';
import { Activation } from '../layers/activation.js';
import { Conv2D } from '../layers/conv2d.js';
import { Dense } from '../layers/dense.js';
import { initialize } from '../layers/initializers.js';
import { size, type Layer, type LayerSpec, type Shape } from '../layers/layer.js';
import { isLayerType, LAYER_TYPES, layerFromSpec, type AnyLayer } from '../layers/registry.js';
import { SPARSE_MODES, type SparseMode } from '../layers/sparse_kernel.js';
import { computeLoss, resolveLoss, type LossAlias, type LossName } from '../losses/loss.js';
import { optimizerFromSpec, type OptimizerSpec } from '../optim/spec.js';
import { Chain, type Optimizer, type Transform } from '../optim/transform.js';
import { Random } from '../random.js';
import { fit, type FitOptions, type History } from '../train/fit.js';
import { checkFinite, knownKeys, nonNegativeNumber, oneOf, positiveInt } from '../validate.js';
import { samplesArray, targetsArray, type NestedNumbers } from './nested_arrays.js';
import { ParamSet, type TensorView } from './param_set.js';
import { gatherInputs, gatherTargets } from './batch.js';
import { freeWorkspace, planWorkspace, type Workspace } from './workspace.js';

/** Options of Sequential.build. */
export interface BuildOptions {
  /** Predict and evaluate only: no gradients or training buffers (default false). */
  inference?: boolean;
  /** Inference models only: 'auto' (default), 'always' or 'never' run dense and convolution layers on the sparse kernel (see SparseMode). */
  sparse?: SparseMode;
}

/** A model as plain JSON: what a file or a worker message carries. */
export interface ModelSpec {
  /** One sample's shape: [features] or [height, width, channels]. */
  inputShape: number[];
  layers: LayerSpec[];
  /** Seeds initialisation and dropout. Default 0. */
  seed?: number;
}

/** Integer class labels (length n) or float targets (length n * outputs: one-hot, soft labels, regression). */
export type Targets = Int32Array | Uint8Array | Float32Array | readonly number[];

/** A weight tensor in TensorFlow.js layout, named like 'dense_1/kernel'. */
export interface NamedWeight {
  name: string;
  shape: number[];
  values: Float32Array;
}

/** The loss was NaN or infinite: training stopped, and the model holds the last weights that gave a finite loss. */
export class NonFiniteLossError extends SlimtrainError {
  constructor(
    readonly step: number,
    readonly loss: number,
  ) {
    super(
      `loss = ${loss} at step ${step}: expected a finite loss. Training stopped and the weights of the last step with ` +
        'a finite loss were restored; lower the learning rate, clip gradients (clipByGlobalNorm) or check the inputs for NaN/Inf',
    );
  }
}


/** The keys compile's options object may have; anything else is refused by name. */
export const COMPILE_OPTIONS: string[] = ['optimizer', 'loss', 'metrics'];

/**
 * A stack of layers, trained on the engine's memory: all trainable parameters in one flat region
 * (ParamSet), batch-norm statistics in another, and activations in a workspace sized once for the
 * largest batch seen, so that training allocates nothing per step.
 *
 * @example
 * const model = await Sequential.create({ inputShape: [784], layers: [
 *   { type: 'dense', units: 100 }, { type: 'relu' }, { type: 'dense', units: 10 } ], seed: 1 });
 * model.compile({ optimizer: chain(l2({ lambda: 1e-4 }), adam()), loss: 'crossEntropy' });
 * const { loss } = model.trainStep(x, labels);
 */
export class Sequential {
  readonly inputShape: Shape;
  readonly seed: number;
  // The architecture and its regions: replaced as a whole when live reduction reshapes the model.
  private currentLayers: readonly AnyLayer[];
  private currentParams: ParamSet;
  private currentState: ParamSet;
  private tensorsByLayer: Map<AnyLayer, TensorView[]>;
  private original: ModelSpec | null = null;
  private readonly dropoutRandom: Random;
  private workspace: Workspace | null = null;
  private snapshot: Ptr = 0;
  private optimizerChain: Chain | null = null;
  private lossName: LossName = 'crossEntropy';
  private steps = 0;
  private disposed = false;
  /** Whether the layers' sparse kernel copies match the weights (inference models). */
  private sparseCurrent = false;
  /**
   * Inference models: the kernels whose only copy is their layer's sparse one, left out of the
   * parameter region (see holdSparse), by tensor name, with their views in the full region.
   */
  private held = new Map<string, TensorView>();
  /**
   * Set to true (in a callback, as in Keras and TensorFlow.js) to end the running fit after the
   * current batch; fit resets it to false when it starts.
   */
  stopTraining = false;

  private constructor(
    readonly engine: Engine,
    layers: AnyLayer[],
    inputShape: Shape,
    seed: number,
    /** Inference only: no gradients, no training buffers, activations in two alternating regions. */
    readonly inference = false,
    /** Inference models: which kernel dense and convolution layers multiply with (see build's `sparse`). */
    readonly sparse: SparseMode = 'never',
  ) {
    this.currentLayers = layers;
    this.inputShape = inputShape;
    this.seed = seed;
    this.dropoutRandom = Random.derive(seed, 'dropout');
    // Build: shapes flow through the stack; each layer checks what it receives.
    let shape = inputShape;
    const counts = new Map<string, number>();
    const names = new Set<string>();
    layers.forEach((layer, i) => {
      if (!layer.name) {
        const k = (counts.get(layer.type) ?? 0) + 1;
        counts.set(layer.type, k);
        layer.name = `${layer.type}_${k}`;
      }
      if (names.has(layer.name)) throw new ArgumentError(`layers[${i}].name`, layer.name, 'a name no other layer has');
      names.add(layer.name);
      shape = layer.build(shape);
    });
    const trainable: Omit<TensorView, 'offset'>[] = [];
    const fixed: Omit<TensorView, 'offset'>[] = [];
    for (const layer of layers) {
      for (const p of layer.params()) {
        const view = { name: `${layer.name}/${p.name}`, layer: layer.name, kind: p.kind, shape: p.shape, size: size(p.shape) };
        (p.trainable ? trainable : fixed).push(view);
      }
    }
    this.currentParams = new ParamSet(engine, trainable, !inference);
    this.currentState = new ParamSet(engine, fixed, !inference);
    this.tensorsByLayer = new Map(layers.map((l) => [l, this.tensorsOf(l)]));
    // Initialise in layer order, declaration order, from the seed alone.
    const random = Random.derive(seed, 'init');
    for (const layer of layers) {
      for (const p of layer.params()) {
        const [set, t] = this.locate(`${layer.name}/${p.name}`);
        initialize(p.init, set.values(t), p.fanIn, p.fanOut, random);
      }
    }
  }

  /**
   * Builds a model from a spec (or from layer objects), on the given engine or a new one.
   * Incompatible shapes fail here, naming the layer.
   */
  static async create(spec: ModelSpec | { inputShape: number[]; layers: readonly AnyLayer[]; seed?: number }, options: { engine?: Engine } = {}): Promise<Sequential> {
    knownKeys('create options', options, ['engine']);
    return Sequential.build(options.engine ?? (await init()), spec);
  }

  /**
   * `create` on an engine the caller already has, synchronously. With `{ inference: true }` the
   * model can predict and evaluate but not train: it holds no gradients or training buffers and
   * keeps its activations in two alternating regions, the least memory a forward pass needs.
   * Its dense and convolution layers run on the sparse kernel (`sparse`, default 'auto': where
   * their kernel's density makes it faster, see SPARSE_CROSSOVER; 'always'; 'never'); sparse copies
   * are made at the first predict after build or setWeights (code writing the weights in place
   * calls `weightsChanged()`). A kernel that runs sparse at every batch then gives up its dense
   * values (getWeights rebuilds them bit for bit), and a ReLU after a stride-1 convolution on the
   * sparse kernel runs inside it, so memory follows the stored size. Predictions agree with the
   * dense kernel's to f32 rounding.
   *
   * @example
   * const fast = Sequential.build(engine, spec, { inference: true, sparse: 'auto' });
   */
  static build(engine: Engine, spec: ModelSpec | { inputShape: number[]; layers: readonly AnyLayer[]; seed?: number }, options: BuildOptions = {}): Sequential {
    if (spec === null || typeof spec !== 'object') throw new ArgumentError('spec', spec, 'a model spec { inputShape, layers, seed? }');
    knownKeys('spec', spec, ['inputShape', 'layers', 'seed']);
    const inputShape = spec.inputShape;
    if (!Array.isArray(inputShape) || inputShape.length < 1 || inputShape.length > 3) {
      throw new ArgumentError('inputShape', inputShape, '[features] or [height, width, channels]');
    }
    inputShape.forEach((d, i) => positiveInt(`inputShape[${i}]`, d));
    if (!Array.isArray(spec.layers) || spec.layers.length === 0) throw new ArgumentError('layers', spec.layers, 'a non-empty array of layers');
    const layers = spec.layers.map((l: unknown, i): AnyLayer => {
      if (!isLayer(l)) return layerFromSpec(l as LayerSpec, i);
      if (!isLayerType(l.type)) throw new ArgumentError(`layers[${i}].type`, l.type, `one of ${LAYER_TYPES.join(', ')}`);
      return l as AnyLayer;
    });
    const seed = spec.seed ?? 0;
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new ArgumentError('seed', seed, 'an integer in [0, 2^32)');
    if (options === null || typeof options !== 'object') throw new ArgumentError('options', options, '{ inference?, sparse? }');
    knownKeys('build options', options, ['inference', 'sparse']);
    if (options.inference !== undefined && typeof options.inference !== 'boolean') throw new ArgumentError('inference', options.inference, 'true or false');
    if (options.sparse !== undefined && options.inference !== true) throw new ArgumentError('sparse', options.sparse, 'no sparse option on a trainable model (its weights change every step): build with { inference: true }');
    const sparse = oneOf('sparse', options.sparse ?? 'auto', SPARSE_MODES);
    return new Sequential(engine, layers, inputShape, seed, options.inference === true, options.inference === true ? sparse : 'never');
  }

  /**
   * A new training model built from `spec` on this model's engine (initialised from the spec's
   * seed): Sequential.build for code that holds a model but must not import this module (reduction
   * and checkpoints, which the training loop imports).
   */
  derive(spec: ModelSpec): Sequential {
    this.check();
    return Sequential.build(this.engine, spec);
  }

  /** An inference-only copy (see build's `inference` and `sparse`) with these weights, on the same engine. */
  toInference(options: { sparse?: SparseMode } = {}): Sequential {
    this.check();
    knownKeys('toInference options', options, ['sparse']);
    const copy = Sequential.build(this.engine, this.toSpec(), { inference: true, ...options });
    copy.setWeights(this.getWeights());
    return copy;
  }

  private trainable(what: string): void {
    if (this.inference) throw new SlimtrainError(`${what}: this model is inference-only (built with { inference: true }); build it without that option to train`);
  }

  /** The layers, in order (after a live reduction, the reduced ones). */
  get layers(): readonly AnyLayer[] {
    return this.currentLayers;
  }

  /**
   * Trainable parameters and their gradients. (An inference model whose kernels are held only in
   * sparse form puts their dense values back into a full region first.)
   */
  get params(): ParamSet {
    this.restoreDense();
    return this.currentParams;
  }

  /** Non-trainable state (batch-norm moving statistics). */
  get state(): ParamSet {
    return this.currentState;
  }

  /** The architecture this model had before its first live reduction (null if it was never reshaped). */
  get reducedFrom(): ModelSpec | null {
    return this.original && structuredClone(this.original);
  }

  /**
   * Takes over `reduced`'s layers and weights in place, keeping this model's optimizer chain (its
   * state re-laid out), loss, step counter and dropout generator: what live reduction does at a
   * cut. `sources` maps each of reduced's tensors to its elements' indices in this model's tensor
   * of the same name (-1: none, the fresh state's value stays), as reductionSources computes.
   * Optimizer state regions and transform state arrays laid out like the parameter region follow
   * their parameters; `reduced` is consumed (disposed without freeing what it handed over).
   */
  adoptArchitecture(reduced: Sequential, sources: ReadonlyMap<string, Int32Array>): void {
    this.check();
    this.trainable('adoptArchitecture');
    if (!(reduced instanceof Sequential) || reduced === this || reduced.engine !== this.engine || reduced.inference || reduced.disposed) {
      throw new ArgumentError('reduced', reduced, 'another training model on the same engine');
    }
    if (JSON.stringify(reduced.inputShape) !== JSON.stringify(this.inputShape) || JSON.stringify(reduced.outputShape) !== JSON.stringify(this.outputShape)) {
      throw new ArgumentError('reduced', `a model of input [${reduced.inputShape}] and output [${reduced.outputShape}]`, `the input [${this.inputShape}] and output [${this.outputShape}] of this model`);
    }
    const old = { layers: this.currentLayers, params: this.currentParams, state: this.currentState, spec: this.toSpec() };
    const chainRef = this.optimizerChain;
    const saved = chainRef?.saveLayout(old.params);
    this.freeWorkspace();
    this.currentLayers = reduced.currentLayers;
    this.currentParams = reduced.currentParams;
    this.currentState = reduced.currentState;
    this.tensorsByLayer = new Map(this.currentLayers.map((l) => [l, this.tensorsOf(l)]));
    reduced.optimizerChain?.dispose();
    reduced.freeWorkspace();
    reduced.disposed = true;
    if (chainRef && saved) chainRef.restoreLayout(this.engine, saved, old.params, this.currentParams, sources);
    for (const l of old.layers) l.dispose();
    old.params.dispose();
    old.state.dispose();
    this.original ??= old.spec;
  }

  /** The model as JSON (architecture and seed; weights travel separately). */
  toSpec(): ModelSpec {
    return { inputShape: [...this.inputShape], layers: this.layers.map((l) => l.toSpec()), seed: this.seed };
  }

  get outputShape(): Shape {
    return this.layers[this.layers.length - 1].outputShape;
  }

  get inputSize(): number {
    return size(this.inputShape);
  }

  get outputSize(): number {
    return size(this.outputShape);
  }

  /** Trainable plus non-trainable parameters, as Keras counts them. */
  get parameterCount(): number {
    return this.currentParams.count + [...this.held.values()].reduce((s, t) => s + t.size, 0) + this.state.count;
  }

  /** `parameterCount` under its Keras and TensorFlow.js name. */
  countParams(): number {
    return this.parameterCount;
  }

  /** Forward FLOPs per sample (2 per multiply-add). */
  get flops(): number {
    return this.layers.reduce((s, l) => s + l.flops(), 0);
  }

  /** Training steps taken so far. */
  get step(): number {
    return this.steps;
  }

  /** The optimizer chain set by compile. */
  get optimizer(): Chain | null {
    return this.optimizerChain;
  }

  get loss(): LossName {
    return this.lossName;
  }

  /**
   * Sets the optimizer chain and the loss. Compiling again starts a fresh optimizer state.
   * TensorFlow.js / Keras forms work too: `optimizer: 'adam'` (an optimizer type with its
   * defaults, or an OptimizerSpec), loss names such as 'sparseCategoricalCrossentropy' (see
   * LOSS_ALIASES) and `metrics: ['accuracy']` (accuracy is measured for crossEntropy anyway).
   *
   * @example
   * model.compile({ optimizer: chain(l2({ lambda: 5e-4 }), adam({ lr: 1e-3 })), loss: 'crossEntropy' });
   * model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
   */
  compile(options: CompileOptions): void {
    this.check();
    this.trainable('compile');
    if (options === null || typeof options !== 'object') throw new ArgumentError('options', options, '{ optimizer, loss?, metrics? }');
    knownKeys('compile options', options, COMPILE_OPTIONS);
    const opt = options.optimizer;
    const c =
      typeof opt === 'string' ? optimizerFromSpec({ type: opt })
      : opt instanceof Chain ? opt
      : Array.isArray(opt) ? new Chain(opt)
      : isOptimizerSpec(opt) ? optimizerFromSpec(opt)
      : new Chain([opt as Optimizer]);
    const lossName = resolveLoss('loss', options.loss ?? 'crossEntropy');
    if (options.metrics !== undefined) {
      if (!Array.isArray(options.metrics)) throw new ArgumentError('metrics', options.metrics, "an array of metric names (['accuracy'])");
      options.metrics.forEach((m, i) => {
        if (!METRICS.includes(m)) throw new ArgumentError(`metrics[${i}]`, m, `one of ${METRICS.map((n) => JSON.stringify(n)).join(', ')}`);
        if (lossName !== 'crossEntropy') throw new ArgumentError(`metrics[${i}]`, m, `no accuracy metric with loss ${lossName} (accuracy is measured for classifiers trained with crossEntropy)`);
      });
    }
    this.lossName = lossName;
    if (this.lossName === 'crossEntropy' && this.outputShape.length !== 1) {
      throw new ArgumentError('loss', this.lossName, `a model whose output is a vector of logits (this one outputs [${this.outputShape}])`);
    }
    c.init(this.engine, this.params); // first: a chain that fails to start leaves the model as it was
    this.optimizerChain?.dispose();
    this.optimizerChain = c;
    this.steps = 0;
  }

  /**
   * One training step on a batch: forward, loss, backward, optimizer chain. Returns the batch's
   * mean loss (plus the transforms' penalties) and accuracy (for crossEntropy).
   * A NaN/Inf loss throws NonFiniteLossError after restoring the last good weights.
   */
  trainStep(x: Float32Array, y: Targets, stepsPerEpoch = 1): { loss: number; accuracy: number } {
    this.check();
    const n = this.batchSize(x, 'x');
    const lr = this.optimizerChain?.optimizer.learningRate(this.steps, stepsPerEpoch) ?? 0;
    return this.trainOn(x, y, null, 0, n, lr);
  }

  /**
   * The batch's loss (with penalties) and the gradient of its data term with respect to every
   * trainable tensor, and to the input when asked; the weights do not change. Training mode by
   * default (batch statistics, dropout); `training: false` differentiates the inference-mode model.
   */
  lossAndGradients(x: Float32Array, y: Targets, options: { inputGradient?: boolean; training?: boolean } = {}): {
    loss: number;
    gradients: NamedWeight[];
    inputGradient?: Float32Array;
  } {
    this.trainable('lossAndGradients');
    this.check();
    knownKeys('lossAndGradients options', options, ['inputGradient', 'training']);
    const n = this.batchSize(x, 'x');
    this.ensureWorkspace(n);
    gatherInputs(this.engine.arena, this.workspace!, x, this.inputSize, n, 0, null);
    const { data } = this.forwardLoss(y, n, 0, null, n, options.training ?? true, true);
    const loss = data + (this.optimizerChain?.penalty(this.params) ?? 0);
    const dx = this.backward(n, options.inputGradient ?? false);
    const gradients = this.params.tensors.map((t) => ({ name: t.name, shape: [...t.shape], values: this.params.values(t, this.params.grad).slice() }));
    const result: { loss: number; gradients: NamedWeight[]; inputGradient?: Float32Array } = { loss, gradients };
    if (options.inputGradient) result.inputGradient = this.engine.arena.f32(dx, n * this.inputSize).slice();
    return result;
  }

  /**
   * Every layer's output for n = x.length / inputSize samples in inference mode (copies; for
   * inspection, e.g. finding units whose activation is constant on a data sample).
   */
  layerOutputs(x: Float32Array): Float32Array[] {
    this.check();
    this.trainable('layerOutputs');
    const n = this.batchSize(x, 'x');
    this.ensureWorkspace(n);
    gatherInputs(this.engine.arena, this.workspace!, x, this.inputSize, n, 0, null);
    this.forward(n, false);
    return this.layers.map((l, i) => this.engine.arena.f32(this.workspace!.outputs[i], n * l.outputSize).slice());
  }

  /**
   * Trains for some epochs (default 1): see `fit` in src/train/fit.ts for the options. x and y
   * may be nested number arrays, as in TensorFlow.js.
   */
  fit(x: Float32Array | NestedNumbers, y: Targets | NestedNumbers, options: FitOptions = {}): Promise<History> {
    return fit(this, x, y, options);
  }

  /**
   * Outputs (logits for a classifier) of n = x.length / inputSize samples, in inference mode,
   * in batches of at most `batchSize` (default 256); with `probabilities: true`, a classifier's
   * softmax of them (each row sums to 1). x may be nested arrays, one per sample.
   *
   * @example
   * const p = model.predict([[0.2, 0.7], [0.9, 0.1]], { probabilities: true }); // 2 rows of class probabilities
   */
  predict(x: Float32Array | NestedNumbers, options: { batchSize?: number; probabilities?: boolean } = {}): Float32Array {
    this.check();
    if (options === null || typeof options !== 'object') throw new ArgumentError('predict options', options, '{ batchSize?, probabilities? }');
    knownKeys('predict options', options, ['batchSize', 'probabilities']);
    if (options.probabilities !== undefined && typeof options.probabilities !== 'boolean') throw new ArgumentError('probabilities', options.probabilities, 'true or false');
    if (options.probabilities && (this.lossName !== 'crossEntropy' || this.outputShape.length !== 1)) {
      throw new ArgumentError('probabilities', true, `a classifier (loss crossEntropy, output a vector of logits); this model has loss ${this.lossName} and output [${this.outputShape}]`);
    }
    const input = samplesArray('x', x, this.inputShape);
    const total = this.batchSize(input, 'x');
    const batch = Math.min(total, positiveInt('batchSize', options.batchSize ?? 256));
    this.ensureWorkspace(batch);
    const out = new Float32Array(total * this.outputSize);
    for (let start = 0; start < total; start += batch) {
      const n = Math.min(batch, total - start);
      gatherInputs(this.engine.arena, this.workspace!, input, this.inputSize, n, start, null);
      this.forward(n, false);
      out.set(this.engine.arena.f32(this.workspace!.outputs[this.layers.length - 1], n * this.outputSize), start * this.outputSize);
    }
    if (options.probabilities) softmaxRows(out, this.outputSize);
    return out;
  }

  /**
   * Milliseconds per sample that each layer's forward pass takes on the first `rows` samples of x,
   * in model order: where inference time goes. Inference mode, as predict runs it (an inference
   * model's sparse kernels included). Each layer runs repeatedly for at least `windowMs` (and
   * twice), and the best of `rounds` such windows counts, so that a noisy machine or a coarse
   * clock hurts little. Layers that only alias their input (flatten) take about 0.
   *
   * @example
   * model.toInference().layerLatencies(test.x, 64) // [0.0213, 0.0004, 0.0061, ...]
   */
  layerLatencies(x: Float32Array, rows: number, options: { rounds?: number; windowMs?: number } = {}): number[] {
    this.check();
    knownKeys('layerLatencies options', options, ['rounds', 'windowMs']);
    const input = samplesArray('x', x, this.inputShape);
    const total = this.batchSize(input, 'x');
    positiveInt('rows', rows);
    if (rows > total) throw new ArgumentError('rows', rows, `at most the ${total} samples of x`);
    const rounds = positiveInt('layerLatencies rounds', options.rounds ?? 3);
    const windowMs = nonNegativeNumber('layerLatencies windowMs', options.windowMs ?? 2);
    this.ensureWorkspace(rows);
    gatherInputs(this.engine.arena, this.workspace!, input, this.inputSize, rows, 0, null);
    const ws = this.workspace!;
    const best = this.layers.map(() => Infinity);
    for (let round = 0; round < rounds; round++) {
      this.layers.forEach((layer, i) => {
        const from = i === 0 ? ws.input : ws.outputs[i - 1];
        let calls = 0;
        const start = performance.now();
        let elapsed = 0;
        // A layer reads its input region and writes its own: repeating it changes nothing downstream.
        while (calls < 2 || elapsed < windowMs) {
          layer.forward(from, ws.outputs[i], rows, false);
          calls++;
          elapsed = performance.now() - start;
        }
        best[i] = Math.min(best[i], elapsed / calls / rows);
      });
    }
    return best;
  }

  /** Mean loss (without penalties) and accuracy over a dataset, in inference mode. x and y may be nested arrays. */
  evaluate(xIn: Float32Array | NestedNumbers, yIn: Targets | NestedNumbers, options: { batchSize?: number } = {}): { loss: number; accuracy: number } {
    this.check();
    knownKeys('evaluate options', options, ['batchSize']);
    const x = samplesArray('x', xIn, this.inputShape);
    const y = targetsArray<Targets>('y', yIn, this.outputShape);
    const total = this.batchSize(x, 'x');
    const batch = Math.min(total, positiveInt('batchSize', options.batchSize ?? 256));
    this.ensureWorkspace(batch);
    let lossSum = 0;
    let correct = 0;
    for (let start = 0; start < total; start += batch) {
      const n = Math.min(batch, total - start);
      gatherInputs(this.engine.arena, this.workspace!, x, this.inputSize, n, start, null);
      const { data, accuracy } = this.forwardLoss(y, n, start, null, total, false, false);
      lossSum += data * n;
      correct += accuracy * n;
    }
    return { loss: lossSum / total, accuracy: this.lossName === 'crossEntropy' ? correct / total : NaN };
  }

  /**
   * A training step on rows indices[start .. start+n) of a dataset (rows start.. when indices is
   * null) at learning rate lr (the caller owns the schedule: fit computes it once per step): the
   * batch is gathered straight into the engine's memory, with no copy of the dataset.
   * `loss` is `dataLoss` (the loss function's batch mean) plus `penalty` (the transforms' terms,
   * measured before the step).
   */
  trainOn(
    x: Float32Array, y: Targets, indices: Int32Array | null, start: number, n: number, lr: number,
    augment?: (batch: Float32Array, n: number) => void,
  ): { loss: number; dataLoss: number; penalty: number; accuracy: number } {
    this.check();
    const chainRef = this.optimizerChain;
    if (!chainRef) throw new SlimtrainError('the model is not compiled: call model.compile({ optimizer, loss }) before training');
    this.ensureWorkspace(n);
    gatherInputs(this.engine.arena, this.workspace!, x, this.inputSize, n, start, indices);
    // A fresh view: an earlier one would have detached if the memory grew.
    augment?.(this.engine.arena.f32(this.workspace!.input, n * this.inputSize), n);
    const { data, accuracy } = this.forwardLoss(y, n, start, indices, x.length / this.inputSize, true, true);
    const penalty = chainRef.penalty(this.params);
    const loss = data + penalty;
    if (!Number.isFinite(loss)) {
      this.restoreSnapshot();
      throw new NonFiniteLossError(this.steps, loss);
    }
    this.takeSnapshot();
    this.backward(n);
    chainRef.step({ engine: this.engine, params: this.params, step: this.steps, lr });
    this.steps++;
    return { loss, dataLoss: data, penalty, accuracy };
  }

  /** The training counters a checkpoint keeps beside the weights: the step and the dropout generator. */
  trainingState(): { step: number; dropout: ReturnType<Random['getState']> } {
    this.check();
    return { step: this.steps, dropout: this.dropoutRandom.getState() };
  }

  /** Restores what trainingState returned (resuming from a checkpoint). */
  restoreTrainingState(state: { step: number; dropout: readonly (number | null)[] }): void {
    this.check();
    if (!Number.isInteger(state?.step) || state.step < 0) throw new ArgumentError('training state step', state?.step, 'a non-negative integer');
    this.dropoutRandom.setState(state.dropout);
    this.steps = state.step;
  }

  /** Every weight (trainable and state) as named copies, in TensorFlow.js order: per layer, kernel, bias / gamma, beta, moving_mean, moving_variance. */
  getWeights(): NamedWeight[] {
    this.check();
    const out: NamedWeight[] = [];
    for (const layer of this.layers) {
      for (const t of this.tensorsByLayer.get(layer)!) {
        const held = this.held.has(t.name) ? (layer as Dense | Conv2D).sparseKernel! : null;
        const set = t.kind === 'movingMean' || t.kind === 'movingVariance' ? this.currentState : this.currentParams;
        out.push({ name: t.name, shape: [...t.shape], values: held ? held.toDense() : set.values(t).slice() });
      }
    }
    return out;
  }

  /**
   * Replaces weights: an array in getWeights() order, or named values ({ 'dense_1/kernel': Float32Array }).
   * Every value is checked (count and finiteness) before any is written.
   */
  setWeights(weights: readonly (NamedWeight | Float32Array)[] | Record<string, Float32Array | readonly number[]>): void {
    this.check();
    const all = this.getWeights();
    const pending: [string, ArrayLike<number>][] = [];
    if (Array.isArray(weights)) {
      if (weights.length !== all.length) throw new ArgumentError('weights', weights, `${all.length} tensors (${all.map((w) => w.name).join(', ')})`);
      weights.forEach((w, i) => pending.push([all[i].name, w instanceof Float32Array ? w : (w as NamedWeight).values]));
    } else if (weights && typeof weights === 'object') {
      for (const [name, values] of Object.entries(weights)) pending.push([name, values as ArrayLike<number>]);
    } else {
      throw new ArgumentError('weights', weights, 'an array of tensors or an object of name -> values');
    }
    for (const [name, values] of pending) {
      const [, t] = this.locate(name);
      if (!values || values.length !== t.size) throw new ArgumentError(`weights["${name}"]`, values, `${t.size} values (shape [${t.shape}])`);
      for (let i = 0; i < values.length; i++) {
        if (!Number.isFinite(values[i])) throw new ArgumentError(`weights["${name}"][${i}]`, values[i], 'a finite number');
      }
    }
    for (const [name, values] of pending) {
      const [set, t] = this.locate(name);
      set.values(t).set(values);
    }
    this.weightsChanged();
  }

  /**
   * Tells an inference model that its weights were written in place (as magnitudePrune does), so
   * that its sparse kernel copies are made again before the next forward pass. setWeights calls it.
   */
  weightsChanged(): void {
    this.sparseCurrent = false;
  }

  /**
   * Per dense and convolution layer of an inference model: its kernel's density and the sparse
   * copy's bytes, or null where it runs dense at every batch. (Makes the copies if they are stale.)
   */
  sparseKernels(): { layer: string; density: number; bytes: number; mode: SparseMode }[] {
    this.check();
    this.ensureWorkspace(1); // makes the sparse copies if they are stale
    return this.layers.flatMap((l) => (l instanceof Dense || l instanceof Conv2D) && l.sparseKernel
      ? [{ layer: l.name, density: l.sparseKernel.density, bytes: l.sparseKernel.bytes, mode: this.sparse }] : []);
  }

  /** A table of layers, output shapes, parameters and FLOPs. */
  summary(): string {
    const rows = [['layer', 'type', 'output shape', 'params', 'FLOPs']];
    for (const layer of this.layers) {
      const count = this.tensorsByLayer.get(layer)!.reduce((s, t) => s + t.size, 0);
      rows.push([layer.name, layer.type, `[${layer.outputShape.join(', ')}]`, String(count), String(layer.flops())]);
    }
    rows.push(['total', '', '', String(this.parameterCount), String(this.flops)]);
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    return rows.map((r) => r.map((v, c) => (c >= 3 ? v.padStart(widths[c]) : v.padEnd(widths[c]))).join('  ')).join('\n');
  }

  /** Frees every region the model holds. The engine stays usable. */
  dispose(): void {
    if (this.disposed) return;
    this.freeWorkspace();
    for (const l of this.layers) l.dispose();
    this.optimizerChain?.dispose();
    this.currentParams.dispose();
    this.currentState.dispose();
    this.disposed = true;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  // --- internals ---

  private check(): void {
    if (this.disposed) throw new SlimtrainError('this model was disposed');
    if (this.engine.isDisposed) throw new SlimtrainError("this model's engine was disposed");
  }

  /** The layer's tensors, in its declaration order (a held kernel: its view in the full region). */
  private tensorsOf(layer: AnyLayer): TensorView[] {
    return layer.params().map((p) => {
      const name = `${layer.name}/${p.name}`;
      const view = this.held.get(name) ?? [this.currentParams, this.currentState].flatMap((set) => set.tensors).find((t) => t.name === name);
      if (!view) throw new ArgumentError('weight name', name, 'a tensor of this model');
      return view;
    });
  }

  /** The region and view of a tensor, held kernels put back first (for code that reads or writes its values). */
  private locate(name: string): [ParamSet, TensorView] {
    this.restoreDense();
    for (const set of [this.currentParams, this.currentState]) {
      const t = set.tensors.find((v) => v.name === name);
      if (t) return [set, t];
    }
    throw new ArgumentError('weight name', name, `one of ${[...this.params.tensors, ...this.state.tensors].map((t) => t.name).join(', ')}`);
  }

  private batchSize(x: Float32Array, argument: string): number {
    if (!(x instanceof Float32Array)) throw new ArgumentError(argument, x, 'a Float32Array');
    const n = x.length / this.inputSize;
    if (!Number.isInteger(n) || n < 1) {
      throw new ArgumentError(`${argument}.length`, x.length, `a positive multiple of the input size ${this.inputSize} ([${this.inputShape}])`);
    }
    checkFinite(argument, x);
    return n;
  }

  /** Sizes the workspace for batches of up to n samples (reallocated only when n grows) and binds the layers to it. */
  private ensureWorkspace(n: number): void {
    // Inference: the sparse copies first, since they decide the scratch the layers need.
    if (this.inference) this.prepareSparse();
    if (this.workspace && this.workspace.maxBatch >= n) return;
    this.freeWorkspace();
    const arena = this.engine.arena;
    this.workspace = planWorkspace(arena, this.layers, this.inputSize, this.outputSize, n, this.inference);
    if (!this.inference) {
      this.snapshot = arena.allocF32(this.params.size + this.state.size);
      this.takeSnapshot();
    }
    this.bindLayers(n);
  }

  /** Binds every layer to the workspace (sized for n samples) and to its tensors in the regions. */
  private bindLayers(n: number): void {
    const scratch = this.workspace!.scratch || undefined;
    for (const layer of this.layers) {
      const bound: Record<string, { ptr: Ptr; grad: Ptr; size: number }> = {};
      for (const t of this.tensorsByLayer.get(layer)!) {
        const set = t.kind === 'movingMean' || t.kind === 'movingVariance' ? this.currentState : this.currentParams;
        // A held kernel has no dense values to point at: its layer runs its sparse copy only.
        bound[t.name.slice(layer.name.length + 1)] = this.held.has(t.name) ? { ptr: 0, grad: 0, size: t.size } : { ptr: set.ptrOf(t), grad: set.ptrOf(t, set.grad), size: t.size };
      }
      layer.bind({ engine: this.engine, maxBatch: n, params: bound, random: this.dropoutRandom, ...(this.inference ? { inference: true, scratch } : {}) });
    }
  }

  private freeWorkspace(): void {
    if (!this.workspace) return;
    freeWorkspace(this.engine.arena, this.workspace);
    if (this.snapshot) this.engine.arena.free(this.snapshot);
    this.workspace = null;
    this.snapshot = 0;
  }

  private takeSnapshot(): void {
    const b = this.engine.backend;
    b.copy(this.params.ptr, this.snapshot, this.params.size);
    b.copy(this.state.ptr, this.snapshot + this.params.size * 4, this.state.size);
  }

  private restoreSnapshot(): void {
    const b = this.engine.backend;
    b.copy(this.snapshot, this.params.ptr, this.params.size);
    b.copy(this.snapshot + this.params.size * 4, this.state.ptr, this.state.size);
  }

  /**
   * Loads the targets of the n samples already in the input region, runs the forward pass and the
   * loss (its gradient into gradA when withGradient): the batch's mean data loss and accuracy
   * (NaN unless crossEntropy).
   */
  private forwardLoss(
    y: Targets, n: number, start: number, indices: Int32Array | null, total: number, training: boolean, withGradient: boolean,
  ): { data: number; accuracy: number } {
    const kind = gatherTargets(this.engine.arena, this.workspace!, y, this.lossName === 'crossEntropy', this.outputSize, n, start, indices, total);
    this.forward(n, training);
    const ws = this.workspace!;
    const last = ws.outputs[this.layers.length - 1];
    computeLoss(
      this.engine, this.lossName, last, kind === 'labels' ? ws.labels : 0, kind === 'targets' ? ws.targets : 0,
      withGradient ? ws.gradA : 0, ws.losses, n, this.outputSize,
    );
    return { data: this.meanLoss(n), accuracy: this.lossName === 'crossEntropy' ? this.accuracy(last, n, kind) : NaN };
  }

  /** Makes the layers' sparse kernel copies if the weights changed since (inference models), then holds the kernels they make redundant. */
  private prepareSparse(): void {
    if (this.sparseCurrent || this.sparse === 'never') return;
    // The copies decide the workspace (a convolution on the direct sparse kernel needs no im2col
    // columns, a fused ReLU is its input's memory): ensureWorkspace plans it anew after them.
    this.freeWorkspace();
    this.restoreDense();
    for (const layer of this.layers) {
      if (layer instanceof Dense || layer instanceof Conv2D) layer.useSparseKernel(this.engine, this.sparse, this.currentParams.ptrOf(this.currentParams.tensor(`${layer.name}/kernel`)));
    }
    this.sparseCurrent = true;
    this.holdSparse();
    this.fuseRelus();
  }

  /**
   * Inference models: a ReLU right after a convolution that runs the direct sparse kernel at every
   * batch is applied inside that kernel's write-back (the same bits as the ReLU layer), and the
   * ReLU layer becomes its input's memory.
   */
  private fuseRelus(): void {
    this.layers.forEach((layer, i) => {
      const next = this.layers[i + 1];
      if (!(next instanceof Activation)) return;
      const fuse = layer instanceof Conv2D && next.type === 'relu' && layer.sparseKernel?.product === 'convolution' && layer.sparseKernel.everyBatch;
      next.fused = fuse;
      if (layer instanceof Conv2D) layer.fusedRelu = fuse;
    });
  }

  /**
   * Inference models: frees the dense values of every kernel whose sparse copy runs at every batch
   * (SparseKernel.everyBatch), so that the model's memory follows its stored size. The parameter
   * region is laid out again without them and the layers rebound (such a kernel binds to no
   * values); getWeights rebuilds them from the sparse copies, bit for bit, and `params` (with
   * setWeights and everything that writes weights in place) first puts them back (restoreDense).
   */
  private holdSparse(): void {
    const names = this.layers.flatMap((l) => (l instanceof Dense || l instanceof Conv2D) && l.sparseKernel?.everyBatch ? [`${l.name}/kernel`] : []);
    if (names.length === 0) return;
    const full = this.currentParams;
    for (const name of names) this.held.set(name, full.tensor(name));
    this.relayout(full.tensors.filter((t) => !this.held.has(t.name)), () => {});
  }

  /** Puts the held kernels' dense values back into a full parameter region (inference models). */
  private restoreDense(): void {
    if (this.held.size === 0) return;
    // Every trainable tensor in layer order, as the constructor laid the region out.
    const views = this.layers.flatMap((l) => this.tensorsByLayer.get(l)!).filter((t) => t.kind !== 'movingMean' && t.kind !== 'movingVariance');
    const held = [...this.held.keys()].map((name) => {
      const layer = this.layers.find((l) => name === `${l.name}/kernel`) as Dense | Conv2D;
      return [name, layer.sparseKernel!.toDense()] as const;
    });
    this.held = new Map();
    this.relayout(views, (set) => {
      for (const [name, values] of held) set.values(set.tensor(name)).set(values);
    });
  }

  /** A new parameter region with these tensors (values copied from the current one where it has them, then `fill`), the layers rebound to it. */
  private relayout(views: readonly TensorView[], fill: (set: ParamSet) => void): void {
    const old = this.currentParams;
    const next = new ParamSet(this.engine, views.map(({ offset: _, ...t }) => t), false);
    for (const t of old.tensors) {
      const to = next.tensors.find((v) => v.name === t.name);
      if (to) next.values(to).set(old.values(t));
    }
    fill(next);
    this.currentParams = next;
    old.dispose();
    this.tensorsByLayer = new Map(this.layers.map((l) => [l, this.tensorsOf(l)]));
    if (this.workspace) this.bindLayers(this.workspace.maxBatch);
  }

  /** The forward pass over the n samples in the input region (an inference model's sparse copies were made by ensureWorkspace). */
  private forward(n: number, training: boolean): void {
    const ws = this.workspace!;
    let x = ws.input;
    this.layers.forEach((layer, i) => {
      layer.forward(x, ws.outputs[i], n, training);
      x = ws.outputs[i];
    });
  }

  /** Backpropagates from the loss gradient in gradA; returns the region holding dL/dinput when asked for it. */
  private backward(n: number, inputGradient = false): Ptr {
    const ws = this.workspace!;
    const firstTrainable = this.layers.findIndex((l) => this.tensorsByLayer.get(l)!.some((t) => t.kind !== 'movingMean' && t.kind !== 'movingVariance'));
    const stop = inputGradient ? 0 : Math.max(firstTrainable, 0);
    let dy = ws.gradA;
    let spare = ws.gradB;
    for (let i = this.layers.length - 1; i >= stop; i--) {
      const layer = this.layers[i];
      if (layer.aliasesInput) continue;
      const x = i === 0 ? ws.input : ws.outputs[i - 1];
      layer.backward(x, ws.outputs[i], dy, spare, n, inputGradient || i > firstTrainable);
      [dy, spare] = [spare, dy];
    }
    return dy;
  }

  private meanLoss(n: number): number {
    const losses = this.engine.arena.f32(this.workspace!.losses, n);
    let s = 0;
    for (let i = 0; i < n; i++) s += losses[i];
    return s / n;
  }

  /** Fraction of rows whose largest logit is the label (or the target's largest entry). */
  private accuracy(logits: Ptr, n: number, kind: 'labels' | 'targets'): number {
    const k = this.outputSize;
    const out = this.engine.arena.f32(logits, n * k);
    const labels = kind === 'labels' ? this.engine.arena.i32(this.workspace!.labels, n) : null;
    const targets = kind === 'targets' ? this.engine.arena.f32(this.workspace!.targets, n * k) : null;
    let correct = 0;
    for (let i = 0; i < n; i++) {
      const predicted = argmax(out, i * k, k);
      const truth = labels ? labels[i] : argmax(targets!, i * k, k);
      if (predicted === truth) correct++;
    }
    return correct / n;
  }
}

/** compile's options: see Sequential.compile. */
export interface CompileOptions {
  /** A chain, an optimizer, transforms then an optimizer, an OptimizerSpec, or an optimizer type ('adam') with its defaults. */
  optimizer: Chain | Optimizer | Transform[] | OptimizerSpec | string;
  /** Default 'crossEntropy'; TensorFlow.js / Keras names are aliases (LOSS_ALIASES). */
  loss?: LossName | LossAlias;
  /** Keras's metrics: 'accuracy' (or 'acc'), which classifiers always report. */
  metrics?: readonly ('accuracy' | 'acc')[];
}

const METRICS: readonly unknown[] = ['accuracy', 'acc'];

function isOptimizerSpec(value: unknown): value is OptimizerSpec {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype && typeof (value as { type?: unknown }).type === 'string';
}

/** Softmax of each row of k logits, in place (in float64, max subtracted: no overflow). */
function softmaxRows(values: Float32Array, k: number): void {
  for (let row = 0; row < values.length; row += k) {
    let max = -Infinity;
    for (let j = 0; j < k; j++) max = Math.max(max, values[row + j]);
    let sum = 0;
    for (let j = 0; j < k; j++) sum += Math.exp(values[row + j] - max);
    for (let j = 0; j < k; j++) values[row + j] = Math.exp(values[row + j] - max) / sum;
  }
}

function argmax(values: Float32Array, offset: number, k: number): number {
  let best = 0;
  for (let j = 1; j < k; j++) if (values[offset + j] > values[offset + best]) best = j;
  return best;
}




function isLayer(value: unknown): value is Layer {
  return typeof value === 'object' && value !== null && typeof (value as Layer).forward === 'function' && typeof (value as Layer).build === 'function';
}

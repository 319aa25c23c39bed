import type { Ptr } from '../backend/arena.js';
import type { Engine } from '../backend/engine.js';
import type { Random } from '../random.js';
import type { InitializerName } from './initializers.js';

/** The shape of one sample (no batch dimension): [features] or [height, width, channels]. */
export type Shape = readonly number[];

/**
 * What a parameter is, which decides what transforms touch it by default: regularisers and decays
 * act on kernels only; batch-norm moving statistics are state, never trained.
 */
export type ParamKind = 'kernel' | 'bias' | 'gamma' | 'beta' | 'movingMean' | 'movingVariance';

/** A parameter a layer declares; the model allocates it in its flat regions. */
export interface ParamSpec {
  /** Name within the layer, as TensorFlow.js names it: kernel, bias, gamma, beta, moving_mean, moving_variance. */
  name: string;
  shape: number[];
  kind: ParamKind;
  trainable: boolean;
  init: InitializerName;
  fanIn: number;
  fanOut: number;
}

/** Where a layer's parameters (and their gradients) live once the model has allocated them. */
export interface BoundParams {
  [name: string]: { ptr: Ptr; grad: Ptr; size: number };
}

/** What a layer receives when the model sizes its buffers for a batch. */
export interface BindContext {
  engine: Engine;
  /** The largest batch forward/backward will be called with. */
  maxBatch: number;
  params: BoundParams;
  /** The model's dropout generator. */
  random: Random;
  /** Inference-only model: no training buffers (argmax, dropout masks). */
  inference?: boolean;
  /** Inference-only model: a scratch region of the largest scratchFloats() any layer asked for, shared by all. */
  scratch?: Ptr;
}

/** The JSON description of a layer: `{ type: 'dense', units: 10 }`. */
export interface LayerSpec {
  type: string;
  name?: string;
  [option: string]: unknown;
}

/**
 * A layer of a Sequential model. Activations are [n, ...shape] row-major in the engine's memory;
 * forward and backward take pointers and the batch size n <= maxBatch.
 */
export abstract class Layer {
  abstract readonly type: string;
  /** Set by the model: 'dense_1', 'conv2d_2', ... unless the spec names it. */
  name = '';
  inputShape: Shape = [];
  outputShape: Shape = [];
  /** True when the output is the input's memory (Flatten; an inference model's fused ReLU): the model passes pointers through. */
  get aliasesInput(): boolean {
    return false;
  }
  protected engine!: Engine;
  protected bound: BoundParams = {};

  /** Checks the input shape, records it and returns the output shape. */
  build(inputShape: Shape): Shape {
    this.inputShape = inputShape;
    this.outputShape = this.computeOutputShape(inputShape);
    return this.outputShape;
  }

  protected abstract computeOutputShape(inputShape: Shape): Shape;

  /** The parameters this layer needs (after build). */
  params(): ParamSpec[] {
    return [];
  }

  /** Sizes workspaces for maxBatch and receives the parameter pointers. May be called again for a larger batch. */
  bind(context: BindContext): void {
    this.engine = context.engine;
    this.bound = context.params;
  }

  /** Floats of scratch the forward pass needs at this batch (an inference model shares one region among layers). */
  scratchFloats(_maxBatch: number): number {
    return 0;
  }

  /** y = layer(x) for n samples. training selects batch statistics and dropout. */
  abstract forward(x: Ptr, y: Ptr, n: number, training: boolean): void;

  /**
   * Given dy, writes the parameter gradients (overwriting them) and, when needInput, dx.
   * x and y are this step's input and output.
   */
  abstract backward(x: Ptr, y: Ptr, dy: Ptr, dx: Ptr, n: number, needInput: boolean): void;

  /** Multiply-adds times two, per sample, of the forward pass (what the FLOP counts of reduction report). */
  abstract flops(): number;

  /** The layer's JSON spec (with its name). */
  abstract toSpec(): LayerSpec;

  /** Frees workspaces. */
  dispose(): void {}

  get inputSize(): number {
    return size(this.inputShape);
  }

  get outputSize(): number {
    return size(this.outputShape);
  }
}

export function size(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

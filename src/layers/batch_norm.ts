import type { Ptr } from '../backend/arena.js';
import { ArgumentError } from '../errors.js';
import { knownKeys, numberIn, positiveNumber } from '../validate.js';
import { Layer, type BindContext, type LayerSpec, type ParamSpec, type Shape } from './layer.js';

export interface BatchNormOptions {
  /** Weight of the old value in the moving statistics. Default 0.99 (as Keras). */
  momentum?: number;
  /** Added to the variance. Default 1e-3 (as Keras). */
  epsilon?: number;
  name?: string;
}

/**
 * Batch normalisation over the last axis (features of a dense layer, channels of a conv layer).
 * Training normalises with the batch mean and biased variance and updates the moving statistics
 * as TensorFlow.js does: moving -= (moving - batch) * (1 - momentum). Inference uses the moving ones;
 * backward differentiates whichever mode the last forward ran in (inference mode: fine-tuning with
 * frozen statistics).
 *
 * @example
 * batchNorm()
 */
export class BatchNorm extends Layer {
  readonly type = 'batchNorm';
  readonly momentum: number;
  readonly epsilon: number;
  private mean: Ptr = 0;
  private variance: Ptr = 0;
  /** The mode of the last forward pass, which backward differentiates. */
  private training = true;

  constructor(options: BatchNormOptions = {}) {
    super();
    knownKeys('batchNorm', options, ['type', 'momentum', 'epsilon', 'name']);
    this.momentum = numberIn('batchNorm.momentum', options.momentum ?? 0.99, 0, 1);
    this.epsilon = positiveNumber('batchNorm.epsilon', options.epsilon ?? 1e-3);
    this.name = options.name ?? '';
  }

  private get channels(): number {
    return this.inputShape[this.inputShape.length - 1];
  }

  protected computeOutputShape(input: Shape): Shape {
    if (input.length !== 1 && input.length !== 3) throw new ArgumentError(`${this.name}: input shape`, input, '[features] or [height, width, channels]');
    return input;
  }

  params(): ParamSpec[] {
    const C = this.channels;
    const spec = (name: string, kind: ParamSpec['kind'], trainable: boolean, init: ParamSpec['init']): ParamSpec => ({
      name, shape: [C], kind, trainable, init, fanIn: C, fanOut: C,
    });
    return [
      spec('gamma', 'gamma', true, 'ones'),
      spec('beta', 'beta', true, 'zeros'),
      spec('moving_mean', 'movingMean', false, 'zeros'),
      spec('moving_variance', 'movingVariance', false, 'ones'),
    ];
  }

  bind(context: BindContext): void {
    super.bind(context);
    if (!this.mean) {
      this.mean = context.engine.arena.allocF32(this.channels);
      this.variance = context.engine.arena.allocF32(this.channels);
    }
  }

  forward(x: Ptr, y: Ptr, n: number, training: boolean): void {
    const b = this.engine.backend;
    const C = this.channels;
    const rows = (n * this.inputSize) / C;
    const { gamma, beta, moving_mean: movingMean, moving_variance: movingVariance } = this.bound;
    this.training = training;
    if (!training) {
      b.batchNormForwardInference(x, y, gamma.ptr, beta.ptr, movingMean.ptr, movingVariance.ptr, rows, C, this.epsilon);
      return;
    }
    b.batchNormForwardTrain(x, y, gamma.ptr, beta.ptr, this.mean, this.variance, rows, C, this.epsilon);
    const arena = this.engine.arena;
    const decay = 1 - this.momentum;
    for (const [moving, batch] of [[movingMean.ptr, this.mean], [movingVariance.ptr, this.variance]]) {
      const m = arena.f32(moving, C);
      const v = arena.f32(batch, C);
      for (let c = 0; c < C; c++) m[c] = m[c] - (m[c] - v[c]) * decay;
    }
  }

  backward(x: Ptr, _y: Ptr, dy: Ptr, dx: Ptr, n: number): void {
    const C = this.channels;
    const rows = (n * this.inputSize) / C;
    const { gamma, beta, moving_mean: movingMean, moving_variance: movingVariance } = this.bound;
    if (this.training) {
      this.engine.backend.batchNormBackward(x, dy, gamma.ptr, this.mean, this.variance, dx, gamma.grad, beta.grad, rows, C, this.epsilon);
    } else {
      this.engine.backend.batchNormBackwardInference(x, dy, gamma.ptr, movingMean.ptr, movingVariance.ptr, dx, gamma.grad, beta.grad, rows, C, this.epsilon);
    }
  }

  flops(): number {
    return 2 * this.inputSize;
  }

  toSpec(): LayerSpec {
    return { type: this.type, name: this.name, momentum: this.momentum, epsilon: this.epsilon };
  }

  dispose(): void {
    if (this.mean) {
      this.engine.arena.free(this.mean);
      this.engine.arena.free(this.variance);
    }
    this.mean = this.variance = 0;
  }
}

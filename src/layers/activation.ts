import type { Ptr } from '../backend/arena.js';
import type { ActivationKind } from '../backend/backend.js';
import { knownKeys, nonNegativeNumber } from '../validate.js';
import { Layer, type LayerSpec, type Shape } from './layer.js';

const DEFAULT_ALPHA: Record<ActivationKind, number> = { relu: 0, leakyRelu: 0.3, elu: 1, tanh: 0, sigmoid: 0 };

/**
 * An elementwise activation: relu, leakyRelu (alpha = slope below 0, default 0.3 as Keras),
 * elu (alpha = scale, default 1), tanh, sigmoid.
 *
 * @example
 * relu()
 * leakyRelu({ alpha: 0.1 })
 */
export class Activation extends Layer {
  readonly type: ActivationKind;
  readonly alpha: number;

  constructor(kind: ActivationKind, options: { alpha?: number; name?: string } = {}) {
    super();
    knownKeys(kind, options, ['type', 'alpha', 'name']);
    this.type = kind;
    this.alpha = nonNegativeNumber(`${kind}.alpha`, options.alpha ?? DEFAULT_ALPHA[kind]);
    this.name = options.name ?? '';
  }

  protected computeOutputShape(input: Shape): Shape {
    return input;
  }

  /**
   * Inference models: a ReLU that the convolution before it applies (Sequential fuses it there
   * when that convolution runs the direct sparse kernel at every batch): then this layer is its
   * input's memory and does nothing.
   */
  fused = false;

  override get aliasesInput(): boolean {
    return this.fused;
  }

  forward(x: Ptr, y: Ptr, n: number): void {
    if (this.fused) return;
    this.engine.backend.activationForward(this.type, x, y, n * this.inputSize, this.alpha);
  }

  backward(x: Ptr, y: Ptr, dy: Ptr, dx: Ptr, n: number): void {
    this.engine.backend.activationBackward(this.type, x, y, dy, dx, n * this.inputSize, this.alpha);
  }

  flops(): number {
    return this.inputSize;
  }

  toSpec(): LayerSpec {
    const spec: LayerSpec = { type: this.type, name: this.name };
    if (this.type === 'leakyRelu' || this.type === 'elu') spec.alpha = this.alpha;
    return spec;
  }
}

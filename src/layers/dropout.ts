import type { Ptr } from '../backend/arena.js';
import type { Random } from '../random.js';
import { knownKeys, numberIn } from '../validate.js';
import { Layer, type BindContext, type LayerSpec, type Shape } from './layer.js';

/**
 * Inverted dropout: in training each input is zeroed with probability `rate` and the rest are
 * scaled by 1 / (1 - rate); inference is the identity. The mask comes from the model's seeded
 * generator, so a seed fixes it.
 *
 * @example
 * dropout({ rate: 0.2 })
 */
export class Dropout extends Layer {
  readonly type = 'dropout';
  readonly rate: number;
  private mask: Ptr = 0;
  private random!: Random;
  private training = true;

  constructor(options: { rate: number; name?: string }) {
    super();
    knownKeys('dropout', options, ['type', 'rate', 'name']);
    this.rate = numberIn('dropout.rate', options.rate, 0, 1, { openHigh: true });
    this.name = options.name ?? '';
  }

  protected computeOutputShape(input: Shape): Shape {
    return input;
  }

  bind(context: BindContext): void {
    super.bind(context);
    this.random = context.random;
    if (this.mask) context.engine.arena.free(this.mask);
    this.mask = context.inference ? 0 : context.engine.arena.allocF32(context.maxBatch * this.inputSize);
  }

  forward(x: Ptr, y: Ptr, n: number, training: boolean): void {
    const b = this.engine.backend;
    const count = n * this.inputSize;
    b.copy(x, y, count);
    this.training = training;
    if (!training || this.rate === 0) return;
    const mask = this.engine.arena.f32(this.mask, count);
    const keep = 1 / (1 - this.rate);
    for (let i = 0; i < count; i++) mask[i] = this.random.next() < this.rate ? 0 : keep;
    b.maskMultiply(y, this.mask, count);
  }

  backward(_x: Ptr, _y: Ptr, dy: Ptr, dx: Ptr, n: number): void {
    const count = n * this.inputSize;
    this.engine.backend.copy(dy, dx, count);
    if (this.training && this.rate > 0) this.engine.backend.maskMultiply(dx, this.mask, count);
  }

  /** The identity at inference, which is what FLOP counts describe. */
  flops(): number {
    return 0;
  }

  toSpec(): LayerSpec {
    return { type: this.type, name: this.name, rate: this.rate };
  }

  dispose(): void {
    if (this.mask) this.engine.arena.free(this.mask);
    this.mask = 0;
  }
}

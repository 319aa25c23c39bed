import type { Ptr } from '../backend/arena.js';
import { knownKeys } from '../validate.js';
import { Layer, size, type LayerSpec, type Shape } from './layer.js';

/**
 * [H, W, C] -> [H*W*C]. NHWC rows are already contiguous, so the output is the input's memory:
 * forward and backward do nothing.
 *
 * @example
 * flatten()
 */
export class Flatten extends Layer {
  readonly type = 'flatten';
  override get aliasesInput(): boolean {
    return true;
  }

  constructor(options: { name?: string } = {}) {
    super();
    knownKeys('flatten', options, ['type', 'name']);
    this.name = options.name ?? '';
  }

  protected computeOutputShape(input: Shape): Shape {
    return [size(input)];
  }

  forward(_x: Ptr, _y: Ptr): void {}

  backward(): void {}

  /** A view of the input's memory: no arithmetic. */
  flops(): number {
    return 0;
  }

  toSpec(): LayerSpec {
    return { type: this.type, name: this.name };
  }
}

import type { Ptr } from '../backend/arena.js';
import type { WindowGeometry } from '../backend/backend.js';
import { ArgumentError } from '../errors.js';
import { windowGeometry, withBatch, type Padding } from '../ops/geometry.js';
import { knownKeys, oneOf, pair } from '../validate.js';
import { Layer, type BindContext, type LayerSpec, type Shape } from './layer.js';

export interface Pool2DOptions {
  /** Default 2. */
  poolSize?: number | [number, number];
  /** Default: the pool size. */
  strides?: number | [number, number];
  /** Default 'valid'. */
  padding?: Padding;
  name?: string;
}

/** Shared geometry of the two pooling layers: x [n, H, W, C] -> y [n, OH, OW, C]. */
abstract class Pool2D extends Layer {
  readonly poolSize: [number, number];
  readonly strides: [number, number];
  readonly padding: Padding;
  protected geometry!: WindowGeometry;

  constructor(type: string, options: Pool2DOptions) {
    super();
    knownKeys(type, options, ['type', 'poolSize', 'strides', 'padding', 'name']);
    this.poolSize = pair(`${type}.poolSize`, options.poolSize ?? 2);
    this.strides = pair(`${type}.strides`, options.strides ?? this.poolSize);
    this.padding = oneOf(`${type}.padding`, options.padding ?? 'valid', ['same', 'valid'] as const);
    this.name = options.name ?? '';
  }

  protected computeOutputShape(input: Shape): Shape {
    if (input.length !== 3) throw new ArgumentError(`${this.name}: input shape`, input, '[height, width, channels]');
    this.geometry = windowGeometry([1, ...input], this.poolSize, this.strides, this.padding);
    return [this.geometry.OH, this.geometry.OW, input[2]];
  }

  flops(): number {
    return this.outputSize * this.poolSize[0] * this.poolSize[1];
  }

  toSpec(): LayerSpec {
    return { type: this.type, name: this.name, poolSize: this.poolSize, strides: this.strides, padding: this.padding };
  }
}

/**
 * Max pooling. Training records where each maximum came from, and backward routes dy there.
 *
 * @example
 * maxPool2d({ poolSize: 2 })
 */
export class MaxPool2D extends Pool2D {
  readonly type = 'maxPool2d';
  private argmax: Ptr = 0;

  constructor(options: Pool2DOptions = {}) {
    super('maxPool2d', options);
  }

  bind(context: BindContext): void {
    super.bind(context);
    if (this.argmax) context.engine.arena.free(this.argmax);
    this.argmax = context.inference ? 0 : context.engine.arena.alloc(context.maxBatch * this.outputSize * 4);
  }

  forward(x: Ptr, y: Ptr, n: number, training: boolean): void {
    this.engine.backend.maxPoolForward(x, y, training ? this.argmax : 0, withBatch(this.geometry, n));
  }

  backward(_x: Ptr, _y: Ptr, dy: Ptr, dx: Ptr, n: number): void {
    this.engine.backend.maxPoolBackward(dy, this.argmax, dx, n * this.outputSize, n * this.inputSize, n);
  }

  dispose(): void {
    if (this.argmax) this.engine.arena.free(this.argmax);
    this.argmax = 0;
  }
}

/**
 * Average pooling; with 'same' padding the border windows average their in-bounds inputs only.
 *
 * @example
 * avgPool2d({ poolSize: 2 })
 */
export class AvgPool2D extends Pool2D {
  readonly type = 'avgPool2d';

  constructor(options: Pool2DOptions = {}) {
    super('avgPool2d', options);
  }

  forward(x: Ptr, y: Ptr, n: number): void {
    this.engine.backend.avgPoolForward(x, y, withBatch(this.geometry, n));
  }

  backward(_x: Ptr, _y: Ptr, dy: Ptr, dx: Ptr, n: number): void {
    this.engine.backend.avgPoolBackward(dy, dx, withBatch(this.geometry, n));
  }
}

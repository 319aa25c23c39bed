import type { Ptr } from '../backend/arena.js';
import type { Engine } from '../backend/engine.js';
import { ArgumentError } from '../errors.js';
import { windowGeometry, type Padding } from '../ops/geometry.js';
import { Im2colConvolution } from '../ops/im2col_convolution.js';
import { knownKeys, oneOf, pair, positiveInt } from '../validate.js';
import { checkInitializer, type InitializerName } from './initializers.js';
import { Layer, type BindContext, type LayerSpec, type ParamSpec, type Shape } from './layer.js';
import { SparseKernel, type SparseMode } from './sparse_kernel.js';

export interface Conv2DOptions {
  filters: number;
  /** 5 or [5, 5]. */
  kernelSize: number | [number, number];
  /** Default 1. */
  strides?: number | [number, number];
  /** Default 'valid' (as Keras). */
  padding?: Padding;
  useBias?: boolean;
  kernelInitializer?: InitializerName;
  biasInitializer?: InitializerName;
  name?: string;
}

/**
 * 2-D convolution over NHWC input, as im2col + GEMM (an inference model's pruned kernel: the
 * direct sparse convolution at stride 1, im2col + the sparse product otherwise).
 *   x [n, H, W, C]   kernel [KH, KW, C, filters] (viewed as [KH*KW*C, filters]: column k = channel k's group)
 *   y [n, OH, OW, filters]
 *
 * @example
 * conv2d({ filters: 20, kernelSize: 5 })
 */
export class Conv2D extends Layer {
  readonly type = 'conv2d';
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: Padding;
  readonly useBias: boolean;
  readonly kernelInitializer: InitializerName;
  readonly biasInitializer: InitializerName;
  private op: Im2colConvolution | null = null;
  /** Inference models: the kernel's sparse copy, made by useSparseKernel (null: the dense GEMM). */
  private sparse: SparseKernel | null = null;
  /** Inference models: apply the ReLU layer after this one here (see Activation.fused). */
  fusedRelu = false;

  constructor(options: Conv2DOptions) {
    super();
    knownKeys('conv2d', options, ['type', 'filters', 'kernelSize', 'strides', 'padding', 'useBias', 'kernelInitializer', 'biasInitializer', 'name']);
    this.filters = positiveInt('conv2d.filters', options.filters);
    this.kernelSize = pair('conv2d.kernelSize', options.kernelSize);
    this.strides = pair('conv2d.strides', options.strides ?? 1);
    this.padding = oneOf('conv2d.padding', options.padding ?? 'valid', ['same', 'valid'] as const);
    this.useBias = options.useBias ?? true;
    this.kernelInitializer = checkInitializer('conv2d.kernelInitializer', options.kernelInitializer ?? 'glorotUniform');
    this.biasInitializer = checkInitializer('conv2d.biasInitializer', options.biasInitializer ?? 'zeros');
    this.name = options.name ?? '';
  }

  protected computeOutputShape(input: Shape): Shape {
    if (input.length !== 3) throw new ArgumentError(`${this.name}: input shape`, input, '[height, width, channels]');
    const g = windowGeometry([1, ...input], this.kernelSize, this.strides, this.padding);
    return [g.OH, g.OW, this.filters];
  }

  params(): ParamSpec[] {
    const [KH, KW] = this.kernelSize;
    const C = this.inputShape[2];
    const fanIn = KH * KW * C;
    const fanOut = KH * KW * this.filters;
    const list: ParamSpec[] = [
      { name: 'kernel', shape: [KH, KW, C, this.filters], kind: 'kernel', trainable: true, init: this.kernelInitializer, fanIn, fanOut },
    ];
    if (this.useBias) list.push({ name: 'bias', shape: [this.filters], kind: 'bias', trainable: true, init: this.biasInitializer, fanIn, fanOut });
    return list;
  }

  bind(context: BindContext): void {
    super.bind(context);
    this.op?.dispose();
    this.op = new Im2colConvolution(
      context.engine,
      windowGeometry([context.maxBatch, ...this.inputShape], this.kernelSize, this.strides, this.padding),
      this.filters,
      undefined,
      context.inference ? context.scratch : undefined,
    );
  }

  scratchFloats(maxBatch: number): number {
    // Only the sparse product of a strided convolution multiplies im2col columns: the dense GEMMs
    // gather theirs as they go, and the direct sparse convolution reads the input itself.
    if (this.sparse?.product !== 'matmul') return 0;
    return Im2colConvolution.workspaceFloatsFor(windowGeometry([maxBatch, ...this.inputShape], this.kernelSize, this.strides, this.padding));
  }

  /** The kernel's sparse copy an inference model runs with where it is faster, or null. */
  get sparseKernel(): SparseKernel | null {
    return this.sparse;
  }

  /** Whether a forward pass over n samples runs on the sparse copy (in every chunk, for a strided convolution). */
  runsSparse(n: number): boolean {
    if (!this.sparse) return false;
    return this.sparse.uses(this.sparse.product === 'convolution' ? n : Math.min(n, this.op!.chunk) * this.outputShape[0] * this.outputShape[1]);
  }

  /**
   * (Re)makes the sparse copy of the bound kernel, as its [KH*KW*C, filters] matrix, for this mode
   * (inference models; `kernel` is where its values are): for the direct sparse convolution at
   * stride 1, else for im2col + sparseMatmul.
   */
  useSparseKernel(engine: Engine, mode: SparseMode, kernel: Ptr): SparseKernel | null {
    this.sparse?.dispose();
    const [KH, KW] = this.kernelSize;
    const product = this.strides[0] === 1 && this.strides[1] === 1 ? 'convolution' : 'matmul';
    this.sparse = SparseKernel.of(engine, kernel, KH * KW * this.inputShape[2], this.filters, mode, product);
    return this.sparse;
  }

  forward(x: Ptr, y: Ptr, n: number): void {
    this.op!.forward(x, this.bound.kernel.ptr, y, n, this.sparse, this.useBias ? this.bound.bias.ptr : 0, this.fusedRelu);
  }

  backward(x: Ptr, _y: Ptr, dy: Ptr, dx: Ptr, n: number, needInput: boolean): void {
    this.op!.backwardFilter(x, dy, this.bound.kernel.grad, false, n);
    if (this.useBias) this.engine.backend.biasGrad(dy, this.bound.bias.grad, n * this.outputShape[0] * this.outputShape[1], this.filters, false);
    if (needInput) this.op!.backwardInput(dy, this.bound.kernel.ptr, dx, n);
  }

  flops(): number {
    const [OH, OW] = this.outputShape;
    const [KH, KW] = this.kernelSize;
    return OH * OW * this.filters * (2 * KH * KW * this.inputShape[2] + (this.useBias ? 1 : 0));
  }

  toSpec(): LayerSpec {
    return {
      type: this.type,
      name: this.name,
      filters: this.filters,
      kernelSize: this.kernelSize,
      strides: this.strides,
      padding: this.padding,
      useBias: this.useBias,
      kernelInitializer: this.kernelInitializer,
      biasInitializer: this.biasInitializer,
    };
  }

  dispose(): void {
    this.op?.dispose();
    this.op = null;
    this.sparse?.dispose();
    this.sparse = null;
  }
}

import type { Ptr } from '../backend/arena.js';
import type { Engine } from '../backend/engine.js';
import { ArgumentError } from '../errors.js';
import { knownKeys, positiveInt } from '../validate.js';
import { checkInitializer, type InitializerName } from './initializers.js';
import { Layer, type LayerSpec, type ParamSpec, type Shape } from './layer.js';
import { SparseKernel, type SparseMode } from './sparse_kernel.js';

export interface DenseOptions {
  units: number;
  /** Default true. */
  useBias?: boolean;
  /** Default 'glorotUniform' (as Keras). */
  kernelInitializer?: InitializerName;
  /** Default 'zeros'. */
  biasInitializer?: InitializerName;
  name?: string;
}

/**
 * y = x W + b.   x [n, in], W [in, units] (column k = the group of output unit k), b [units]
 *
 * @example
 * dense({ units: 10 })
 */
export class Dense extends Layer {
  readonly type = 'dense';
  readonly units: number;
  readonly useBias: boolean;
  readonly kernelInitializer: InitializerName;
  readonly biasInitializer: InitializerName;
  /** Inference models: the kernel's sparse copy, made by useSparseKernel (null: the dense GEMM). */
  private sparse: SparseKernel | null = null;

  constructor(options: DenseOptions) {
    super();
    knownKeys('dense', options, ['type', 'units', 'useBias', 'kernelInitializer', 'biasInitializer', 'name']);
    this.units = positiveInt('dense.units', options.units);
    this.useBias = options.useBias ?? true;
    this.kernelInitializer = checkInitializer('dense.kernelInitializer', options.kernelInitializer ?? 'glorotUniform');
    this.biasInitializer = checkInitializer('dense.biasInitializer', options.biasInitializer ?? 'zeros');
    this.name = options.name ?? '';
  }

  protected computeOutputShape(input: Shape): Shape {
    if (input.length !== 1) throw new ArgumentError(`${this.name}: input shape`, input, 'a vector [features]: put a flatten layer before dense layers');
    return [this.units];
  }

  params(): ParamSpec[] {
    const fanIn = this.inputShape[0];
    const list: ParamSpec[] = [
      { name: 'kernel', shape: [fanIn, this.units], kind: 'kernel', trainable: true, init: this.kernelInitializer, fanIn, fanOut: this.units },
    ];
    if (this.useBias) list.push({ name: 'bias', shape: [this.units], kind: 'bias', trainable: true, init: this.biasInitializer, fanIn, fanOut: this.units });
    return list;
  }

  /** The kernel's sparse copy an inference model runs with where it is faster, or null. */
  get sparseKernel(): SparseKernel | null {
    return this.sparse;
  }

  /** Whether a forward pass over n samples runs on the sparse copy. */
  runsSparse(n: number): boolean {
    return this.sparse?.uses(n) ?? false;
  }

  /** (Re)makes the sparse copy of the kernel at `kernel` for this mode (inference models, after their weights change). */
  useSparseKernel(engine: Engine, mode: SparseMode, kernel: Ptr): SparseKernel | null {
    this.sparse?.dispose();
    this.sparse = SparseKernel.of(engine, kernel, this.inputShape[0], this.units, mode, 'matmul');
    return this.sparse;
  }

  forward(x: Ptr, y: Ptr, n: number): void {
    const b = this.engine.backend;
    if (this.sparse?.uses(n)) this.sparse.multiply(x, y, n);
    else b.gemm(false, false, n, this.units, this.inputShape[0], x, this.bound.kernel.ptr, y, false);
    if (this.useBias) b.biasAdd(y, this.bound.bias.ptr, n, this.units);
  }

  backward(x: Ptr, _y: Ptr, dy: Ptr, dx: Ptr, n: number, needInput: boolean): void {
    const b = this.engine.backend;
    const fanIn = this.inputShape[0];
    b.gemm(true, false, fanIn, this.units, n, x, dy, this.bound.kernel.grad, false);
    if (this.useBias) b.biasGrad(dy, this.bound.bias.grad, n, this.units, false);
    if (needInput) b.gemm(false, true, n, fanIn, this.units, dy, this.bound.kernel.ptr, dx, false);
  }

  flops(): number {
    return 2 * this.inputShape[0] * this.units + (this.useBias ? this.units : 0);
  }

  dispose(): void {
    this.sparse?.dispose();
    this.sparse = null;
  }

  toSpec(): LayerSpec {
    return {
      type: this.type,
      name: this.name,
      units: this.units,
      useBias: this.useBias,
      kernelInitializer: this.kernelInitializer,
      biasInitializer: this.biasInitializer,
    };
  }
}

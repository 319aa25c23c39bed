import { ArgumentError } from '../errors.js';
import type { Ptr } from '../backend/arena.js';
import type { Engine } from '../backend/engine.js';
import type { ParamSet } from '../model/param_set.js';
import { knownKeys, numberIn, oneOf, positiveNumber, nonNegativeNumber } from '../validate.js';
import { checkSchedule, scheduledRate, type Schedule } from './schedules.js';
import type { Optimizer, StepContext } from './transform.js';

/**
 * Where epsilon goes in RMSprop and Adagrad: 'tfjs' (the default, so that slimtrain matches
 * TensorFlow.js step for step) puts it inside the square root, 'pytorch' outside.
 */
export type Convention = 'tfjs' | 'pytorch';

/**
 * Where Adam's epsilon goes: 'bias-corrected' (the default; TensorFlow.js and PyTorch,
 * w -= lr m_hat / (sqrt(v_hat) + eps)) or 'epsilon-hat' (TensorFlow for Python and the Adam paper's
 * efficient form, w -= lr sqrt(1 - beta2^t) / (1 - beta1^t) m / (sqrt(v) + eps), which is the
 * first with eps scaled by sqrt(1 - beta2^t)).
 */
export type AdamEpsilon = 'bias-corrected' | 'epsilon-hat';

/** Shared bookkeeping: the schedule and the state regions, each the size of the parameter region. */
abstract class BaseOptimizer implements Optimizer {
  readonly kind = 'optimizer';
  /** Every update kernel flushes subnormals as it stores (assembly/optim.ts), what the context's `flush` names. */
  readonly flushesSubnormals = true;
  abstract readonly name: string;
  spec: { type: string; [option: string]: unknown } = { type: '' };
  protected engine!: Engine;
  protected regions: { name: string; ptr: Ptr; size: number }[] = [];

  constructor(readonly lr: Schedule) {}

  learningRate(step: number, stepsPerEpoch: number): number {
    return scheduledRate(this.lr, step, stepsPerEpoch);
  }

  init(engine: Engine, params: ParamSet): void {
    this.dispose();
    this.engine = engine;
    this.regions = this.stateNames().map(([name, value]) => {
      const ptr = engine.arena.allocF32(params.size);
      engine.backend.fill(ptr, params.size, value);
      return { name, ptr, size: params.size };
    });
  }

  /** Names and initial values of the state regions. */
  protected stateNames(): [string, number][] {
    return [];
  }

  protected state(name: string): Ptr {
    return this.regions.find((r) => r.name === name)!.ptr;
  }

  abstract update(context: StepContext): void;

  stateRegions(): { name: string; ptr: number; size: number }[] {
    return this.regions;
  }

  dispose(): void {
    for (const r of this.regions) this.engine.arena.free(r.ptr);
    this.regions = [];
  }
}

class Sgd extends BaseOptimizer {
  readonly name = 'sgd';
  update({ engine, params, lr, flush }: StepContext): void {
    engine.backend.sgdUpdate(params.ptr, params.grad, params.size, lr, flush);
  }
}

class Momentum extends BaseOptimizer {
  readonly name: string;
  constructor(lr: Schedule, readonly momentum: number, readonly nesterov: boolean) {
    super(lr);
    this.name = nesterov ? 'nesterov' : 'momentum';
  }
  protected stateNames(): [string, number][] {
    return [['velocity', 0]];
  }
  update({ engine, params, lr, flush }: StepContext): void {
    engine.backend.momentumUpdate(params.ptr, params.grad, this.state('velocity'), params.size, lr, this.momentum, this.nesterov, flush);
  }
}

class Adam extends BaseOptimizer {
  constructor(
    lr: Schedule,
    readonly beta1: number,
    readonly beta2: number,
    readonly epsilon: number,
    readonly epsilonForm: AdamEpsilon,
    readonly weightDecay: number,
    readonly name: string,
  ) {
    super(lr);
  }
  protected stateNames(): [string, number][] {
    return [['m', 0], ['v', 0]];
  }
  update({ engine, params, lr, step, flush }: StepContext): void {
    const t = step + 1;
    const c1 = 1 - this.beta1 ** t;
    const c2 = 1 - this.beta2 ** t;
    const [stepSize, denomScale] = this.epsilonForm === 'bias-corrected' ? [lr / c1, 1 / Math.sqrt(c2)] : [(lr * Math.sqrt(c2)) / c1, 1];
    engine.backend.adamUpdate(
      params.ptr, params.grad, this.state('m'), this.state('v'), params.size,
      stepSize, this.beta1, this.beta2, this.epsilon, denomScale, lr * this.weightDecay, flush,
    );
  }
}

class RmsProp extends BaseOptimizer {
  readonly name = 'rmsprop';
  constructor(lr: Schedule, readonly rho: number, readonly momentum: number, readonly epsilon: number, readonly centered: boolean, readonly convention: Convention) {
    super(lr);
  }
  protected stateNames(): [string, number][] {
    return this.centered ? [['ms', 0], ['mom', 0], ['mg', 0]] : [['ms', 0], ['mom', 0]];
  }
  update({ engine, params, lr, flush }: StepContext): void {
    engine.backend.rmspropUpdate(
      params.ptr, params.grad, this.state('ms'), this.state('mom'), this.centered ? this.state('mg') : 0, params.size,
      lr, this.rho, this.momentum, this.epsilon, this.centered, this.convention === 'pytorch', flush,
    );
  }
}

class Adagrad extends BaseOptimizer {
  readonly name = 'adagrad';
  constructor(lr: Schedule, readonly initialAccumulator: number, readonly epsilon: number, readonly convention: Convention) {
    super(lr);
  }
  protected stateNames(): [string, number][] {
    return [['accumulator', this.initialAccumulator]];
  }
  update({ engine, params, lr, flush }: StepContext): void {
    engine.backend.adagradUpdate(params.ptr, params.grad, this.state('accumulator'), params.size, lr, this.epsilon, this.convention === 'pytorch', flush);
  }
}

const CONVENTIONS = ['tfjs', 'pytorch'] as const;

/**
 * The learning rate: `lr`, or `learningRate` as TensorFlow.js and Keras spell it (the same
 * option; giving both is an error), else the optimizer's default.
 */
export interface LearningRateOption {
  lr?: Schedule;
  /** Another name for `lr`, as TensorFlow.js and Keras call it. */
  learningRate?: Schedule;
}

function rateOf(name: string, o: LearningRateOption, fallback?: Schedule): Schedule {
  if (o.lr !== undefined && o.learningRate !== undefined) throw new ArgumentError(`${name}.learningRate`, o.learningRate, 'no learningRate beside lr (they are one option: give one)');
  return o.learningRate !== undefined ? checkSchedule(`${name}.learningRate`, o.learningRate) : checkSchedule(`${name}.lr`, o.lr ?? fallback);
}

/** Plain SGD: w -= lr * g. `lr` (or `learningRate`) is required. */
export function sgd(options: LearningRateOption): Optimizer {
  knownKeys('sgd', options, ['lr', 'learningRate']);
  return withSpec(new Sgd(rateOf('sgd', options)), 'sgd', options);
}

/** Heavy-ball momentum (v = mu v + g; w -= lr v), or Nesterov's variant. Default momentum 0.9. */
export function momentum(options: LearningRateOption & { momentum?: number; nesterov?: boolean }): Optimizer {
  knownKeys('momentum', options, ['lr', 'learningRate', 'momentum', 'nesterov']);
  return withSpec(
    new Momentum(rateOf('momentum', options), numberIn('momentum.momentum', options.momentum ?? 0.9, 0, 1, { openHigh: true }), options.nesterov ?? false),
    'momentum',
    options,
  );
}

export interface AdamOptions extends LearningRateOption {
  /** Default 1e-3 (`learningRate` is the same option). */
  lr?: Schedule;
  /** Default 0.9. */
  beta1?: number;
  /** Default 0.999. */
  beta2?: number;
  /** Default 1e-7 (TensorFlow.js); PyTorch uses 1e-8. */
  epsilon?: number;
  /** Default 'bias-corrected', as TensorFlow.js and PyTorch. */
  epsilonForm?: AdamEpsilon;
}

/**
 * Adam, bias-corrected. Couple an L2 penalty to it with `chain(l2({ lambda }), adam())`, which is
 * what makes ReLU networks group-sparse; for decoupled decay use adamw.
 */
export function adam(options: AdamOptions = {}): Optimizer {
  knownKeys('adam', options, ['lr', 'learningRate', 'beta1', 'beta2', 'epsilon', 'epsilonForm']);
  return withSpec(makeAdam('adam', options, 0), 'adam', options);
}

/** AdamW (Loshchilov & Hutter): Adam plus w -= lr * weightDecay * w from the weight before the step. Default weightDecay 0.01. */
export function adamw(options: AdamOptions & { weightDecay?: number } = {}): Optimizer {
  knownKeys('adamw', options, ['lr', 'learningRate', 'beta1', 'beta2', 'epsilon', 'epsilonForm', 'weightDecay']);
  return withSpec(makeAdam('adamw', options, nonNegativeNumber('adamw.weightDecay', options.weightDecay ?? 0.01)), 'adamw', options);
}

function makeAdam(name: string, o: AdamOptions, weightDecay: number): Adam {
  return new Adam(
    rateOf(name, o, 1e-3),
    numberIn(`${name}.beta1`, o.beta1 ?? 0.9, 0, 1, { openHigh: true }),
    numberIn(`${name}.beta2`, o.beta2 ?? 0.999, 0, 1, { openHigh: true }),
    positiveNumber(`${name}.epsilon`, o.epsilon ?? 1e-7),
    oneOf(`${name}.epsilonForm`, o.epsilonForm ?? 'bias-corrected', ['bias-corrected', 'epsilon-hat'] as const),
    weightDecay,
    name,
  );
}

/** RMSprop as TensorFlow.js defines it (defaults rho 0.9, momentum 0, epsilon 1e-7, not centered). */
export function rmsprop(options: LearningRateOption & { rho?: number; momentum?: number; epsilon?: number; centered?: boolean; convention?: Convention } = {}): Optimizer {
  knownKeys('rmsprop', options, ['lr', 'learningRate', 'rho', 'momentum', 'epsilon', 'centered', 'convention']);
  return withSpec(new RmsProp(
    rateOf('rmsprop', options, 1e-3),
    numberIn('rmsprop.rho', options.rho ?? 0.9, 0, 1, { openHigh: true }),
    numberIn('rmsprop.momentum', options.momentum ?? 0, 0, 1, { openHigh: true }),
    positiveNumber('rmsprop.epsilon', options.epsilon ?? 1e-7),
    options.centered ?? false,
    oneOf('rmsprop.convention', options.convention ?? 'tfjs', CONVENTIONS),
  ), 'rmsprop', options);
}

/** Adagrad (defaults: initial accumulator 0.1 as TensorFlow.js, epsilon 1e-7). */
export function adagrad(options: LearningRateOption & { initialAccumulator?: number; epsilon?: number; convention?: Convention } = {}): Optimizer {
  knownKeys('adagrad', options, ['lr', 'learningRate', 'initialAccumulator', 'epsilon', 'convention']);
  return withSpec(new Adagrad(
    rateOf('adagrad', options, 0.01),
    nonNegativeNumber('adagrad.initialAccumulator', options.initialAccumulator ?? 0.1),
    positiveNumber('adagrad.epsilon', options.epsilon ?? 1e-7),
    oneOf('adagrad.convention', options.convention ?? 'tfjs', CONVENTIONS),
  ), 'adagrad', options);
}

function withSpec<T extends BaseOptimizer>(optimizer: T, type: string, options: LearningRateOption): T {
  // Specs name the rate `lr` whichever spelling was given.
  const { learningRate, ...rest } = options;
  optimizer.spec = { type, ...JSON.parse(JSON.stringify(learningRate !== undefined ? { lr: learningRate, ...rest } : rest)) };
  return optimizer;
}

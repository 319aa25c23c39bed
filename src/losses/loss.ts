import type { Ptr } from '../backend/arena.js';
import type { Engine } from '../backend/engine.js';
import { ArgumentError } from '../errors.js';
import { oneOf } from '../validate.js';

/**
 * - 'crossEntropy': softmax cross-entropy from logits, with integer labels or one-hot/soft targets;
 * - 'meanSquaredError': mean over outputs of the squared error, with float targets.
 * Both are averaged over the batch.
 */
export type LossName = 'crossEntropy' | 'meanSquaredError';
export const LOSSES: readonly LossName[] = ['crossEntropy', 'meanSquaredError'];

export function checkLoss(argument: string, name: unknown): LossName {
  return oneOf(argument, name, LOSSES);
}

/**
 * TensorFlow.js and Keras loss names, and the loss each is here. slimtrain models output logits,
 * so the cross-entropies are Keras's `from_logits=True` (end the model with a dense layer, no
 * softmax); integer labels and one-hot targets are both accepted by each.
 */
export const LOSS_ALIASES = {
  categoricalCrossentropy: 'crossEntropy',
  sparseCategoricalCrossentropy: 'crossEntropy',
  categorical_crossentropy: 'crossEntropy',
  sparse_categorical_crossentropy: 'crossEntropy',
  mse: 'meanSquaredError',
  mean_squared_error: 'meanSquaredError',
} as const satisfies Record<string, LossName>;

/** A loss as TensorFlow.js or Keras names it (see LOSS_ALIASES). */
export type LossAlias = keyof typeof LOSS_ALIASES;

/** A loss by our name or a TensorFlow.js / Keras alias, as our name. */
export function resolveLoss(argument: string, name: unknown): LossName {
  if (typeof name === 'string' && Object.hasOwn(LOSS_ALIASES, name)) return LOSS_ALIASES[name as LossAlias];
  if (LOSSES.includes(name as LossName)) return name as LossName;
  throw new ArgumentError(argument, name, `one of ${[...LOSSES, ...Object.keys(LOSS_ALIASES)].map((n) => JSON.stringify(n)).join(', ')}`);
}

/**
 * Per-row losses into `losses` and, when grad != 0, dL/dlogits of the batch mean into grad.
 * `labels` is an i32 region (integer labels) or 0, `targets` an f32 region [n, outputs] or 0.
 */
export function computeLoss(
  engine: Engine, loss: LossName, logits: Ptr, labels: Ptr, targets: Ptr, grad: Ptr, losses: Ptr, n: number, outputs: number,
): void {
  const b = engine.backend;
  if (loss === 'meanSquaredError') b.meanSquaredError(logits, targets, grad, losses, n, outputs, 1 / (n * outputs));
  else if (labels) b.softmaxCrossEntropy(logits, labels, grad, losses, n, outputs, 1 / n);
  else b.softmaxCrossEntropyDense(logits, targets, grad, losses, n, outputs, 1 / n);
}

import type { Ptr } from '../backend/arena.js';
import type { Engine } from '../backend/engine.js';
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

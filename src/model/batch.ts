import type { Arena } from '../backend/arena.js';
import { ArgumentError } from '../errors.js';
import type { Targets } from './sequential.js';
import type { Workspace } from './workspace.js';

// Gathering a batch into the engine's memory: rows start..start+n of a dataset, or rows
// indices[start..] of a shuffled epoch, straight into the workspace, with no copy of the dataset.

/** Copies n samples of inputSize floats into the workspace's input region. */
export function gatherInputs(arena: Arena, ws: Workspace, x: Float32Array, inputSize: number, n: number, start: number, indices: Int32Array | null): void {
  const dst = arena.f32(ws.input, n * inputSize);
  if (!indices) {
    dst.set(x.subarray(start * inputSize, (start + n) * inputSize));
    return;
  }
  for (let i = 0; i < n; i++) {
    const row = indices[start + i];
    dst.set(x.subarray(row * inputSize, (row + 1) * inputSize), i * inputSize);
  }
}

/**
 * Copies n targets into the labels (i32) or targets (f32) region and says which: class labels
 * when the loss takes them (`labelsAllowed`, i.e. cross-entropy) and y has one entry per sample of
 * the `total` in the dataset; else `outputs` target values per sample.
 */
export function gatherTargets(
  arena: Arena, ws: Workspace, y: Targets, labelsAllowed: boolean, outputs: number, n: number, start: number, indices: Int32Array | null, total = n,
): 'labels' | 'targets' {
  if (!y || typeof (y as ArrayLike<number>).length !== 'number') throw new ArgumentError('y', y, 'integer labels or a Float32Array of targets');
  const isLabels = labelsAllowed && y.length === total && !(outputs === 1 && y instanceof Float32Array);
  if (isLabels) {
    const dst = arena.i32(ws.labels, n);
    for (let i = 0; i < n; i++) {
      const row = indices ? indices[start + i] : start + i;
      const label = y[row];
      if (!Number.isInteger(label) || label < 0 || label >= outputs) {
        throw new ArgumentError(`y[${row}]`, label, `an integer class label in [0, ${outputs})`);
      }
      dst[i] = label;
    }
    return 'labels';
  }
  if (y.length !== total * outputs) {
    throw new ArgumentError('y.length', y.length, `${total} labels or ${total * outputs} target values (${total} samples x ${outputs} outputs)`);
  }
  const dst = arena.f32(ws.targets, n * outputs);
  for (let i = 0; i < n; i++) {
    const row = indices ? indices[start + i] : start + i;
    for (let j = 0; j < outputs; j++) dst[i * outputs + j] = y[row * outputs + j];
  }
  return 'targets';
}

import { ArgumentError } from '../errors.js';
import type { Sequential } from '../model/sequential.js';
import { knownKeys, nonNegativeNumber, positiveInt } from '../validate.js';
import { applyReduction, planReduction, reductionSources, type ReduceOptions, type ReductionRecord } from './reduce.js';

/**
 * Live reduction (fit's `reduce` option): every `everyEpochs` epochs (at an epoch's end) or every
 * `everySteps` optimizer steps, the model removes its dead and unused units in place, with the
 * planning and surgery of `reduce`, and training goes on with the smaller network.
 */
export interface LiveReductionOptions {
  /** Reduce after every this many epochs. Exactly one of everyEpochs and everySteps. */
  everyEpochs?: number;
  /** Reduce after every this many optimizer steps. */
  everySteps?: number;
  /** Dead-group threshold on ||w_k||; default: measureSparsity's gap rule, chosen again at every cut. */
  xi?: number;
  /** As in ReduceOptions: remove dead units that feed zero padding (inexact at the borders). Default false. */
  allowPaddingDeviation?: boolean;
}

/** One cut of a live reduction, as fit reports it (History.reductions, onReduce). */
export interface LiveCut {
  /** Epochs completed when the cut happened (fractional for an everySteps cut inside an epoch), and optimizer steps taken. */
  epoch: number;
  step: number;
  /** What was removed, layer by layer (replayable with applyReduction on the model as it was). */
  record: ReductionRecord;
  /** Units removed at this cut, over every weighted layer but the last. */
  removed: number;
  parameters: { before: number; after: number };
  flops: { before: number; after: number };
}

/** Checks fit's `reduce` option; a bad value is refused by name before training starts. */
export function checkLiveReduction(value: unknown): LiveReductionOptions {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ArgumentError('reduce', value, '{ everyEpochs } or { everySteps }, with xi? and allowPaddingDeviation?');
  }
  knownKeys('reduce', value, ['everyEpochs', 'everySteps', 'xi', 'allowPaddingDeviation']);
  const options = value as LiveReductionOptions;
  if ((options.everyEpochs === undefined) === (options.everySteps === undefined)) {
    throw new ArgumentError('reduce', value, 'exactly one of everyEpochs and everySteps');
  }
  if (options.everyEpochs !== undefined) positiveInt('reduce.everyEpochs', options.everyEpochs);
  if (options.everySteps !== undefined) positiveInt('reduce.everySteps', options.everySteps);
  if (options.xi !== undefined) nonNegativeNumber('reduce.xi', options.xi);
  if (options.allowPaddingDeviation !== undefined && typeof options.allowPaddingDeviation !== 'boolean') {
    throw new ArgumentError('reduce.allowPaddingDeviation', options.allowPaddingDeviation, 'true or false');
  }
  return options;
}

/**
 * Removes the model's dead and unused units in place (Sequential.adoptArchitecture): the same plan
 * and surgery as `reduce`, so the model then predicts what it did before with the removed groups
 * zeroed, and the optimizer chain's state (moments, accumulators, masks) follows the parameters it
 * belongs to. Returns the cut, or null when nothing was removable (the model is left untouched).
 *
 * @example
 * const cut = reduceInPlace(model);   // between two training steps
 * if (cut) console.log(`${cut.removed} units removed: ${cut.parameters.before} -> ${cut.parameters.after} parameters`);
 */
export function reduceInPlace(model: Sequential, options: ReduceOptions = {}, at: { epoch: number } = { epoch: 0 }): LiveCut | null {
  const record = planReduction(model, options);
  const removed = record.layers.reduce((sum, l) => sum + l.removed.length, 0);
  if (removed === 0) return null;
  const before = { parameters: model.parameterCount, flops: model.flops };
  const sources = reductionSources(model, record);
  model.adoptArchitecture(applyReduction(model, record), sources);
  return {
    epoch: at.epoch, step: model.step, record, removed,
    parameters: { before: before.parameters, after: model.parameterCount },
    flops: { before: before.flops, after: model.flops },
  };
}

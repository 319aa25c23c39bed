import { ArgumentError } from '../errors.js';
import type { Sequential, Targets } from '../model/sequential.js';
import { optimizerFromSpec, type OptimizerSpec } from '../optim/spec.js';
import { Chain, type Optimizer, type Transform } from '../optim/transform.js';
import type { FitOptions, History } from '../train/fit.js';
import { knownKeys } from '../validate.js';
import { magnitudePrune, type MagnitudePruneOptions, type MagnitudePruneResult } from './magnitude.js';
import { weightMask } from './mask.js';

/**
 * Prune, then fine-tune with the pruned weights held at zero (the DeepHoyer pipeline's second half,
 * and classic magnitude pruning): magnitudePrune(model, prune), then the model is compiled again with
 * `optimizer` (default adam at lr 1e-4) followed by a weightMask of the result, and fit.
 *
 * @example
 * await pruneAndFineTune(model, x, y, { prune: { stdMultiple: 0.25 }, optimizer: { type: 'adam', lr: 1e-4 }, fit: { epochs: 5, batchSize: 64 } });
 */
export async function pruneAndFineTune(
  model: Sequential,
  x: Float32Array,
  y: Targets,
  options: { prune: MagnitudePruneOptions; optimizer?: Chain | Optimizer | Transform[] | OptimizerSpec; fit: FitOptions },
): Promise<{ pruned: MagnitudePruneResult; history: History }> {
  if (options === null || typeof options !== 'object') throw new ArgumentError('options', options, '{ prune, optimizer?, fit }');
  knownKeys('pruneAndFineTune', options, ['prune', 'optimizer', 'fit']);
  const pruned = magnitudePrune(model, options.prune);
  const given = options.optimizer ?? { type: 'adam', lr: 1e-4 };
  const base =
    given instanceof Chain ? given :
    Array.isArray(given) ? new Chain(given) :
    (given as Optimizer).kind === 'optimizer' ? new Chain([given as Optimizer]) :
    optimizerFromSpec(given as OptimizerSpec);
  model.compile({ optimizer: new Chain([base, weightMask({ masks: pruned.masks })]), loss: model.loss });
  const history = await model.fit(x, y, options.fit);
  return { pruned, history };
}

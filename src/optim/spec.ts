import { ArgumentError } from '../errors.js';
import { l1, l2 } from '../regularize/coupled.js';
import { pnormDecay, proximalL1 } from '../regularize/decoupled.js';
import { groupLasso } from '../regularize/group_lasso.js';
import { groupHoyer, hoyerSquare } from '../regularize/hoyer.js';
import { lobster, selectiveDecay } from '../regularize/selective.js';
import { weightMask } from '../prune/mask.js';
import { padam } from './presets.js';
import { clipByGlobalNorm, decoupledWeightDecay } from './gradient_transforms.js';
import { adagrad, adam, adamw, momentum, rmsprop, sgd } from './optimizers.js';
import { Chain, type Optimizer, type Transform } from './transform.js';

/**
 * An optimizer chain as JSON, for model files, sweep configs, the CLI and worker messages:
 * `{ type: 'adam', lr: 1e-3, transforms: [{ type: 'l2', lambda: 1e-4 }] }`. The other keys are the
 * optimizer's options; each transform is `{ type, ...options }`.
 */
export interface OptimizerSpec {
  type: string;
  transforms?: { type: string; [option: string]: unknown }[];
  [option: string]: unknown;
}

const OPTIMIZERS: Record<string, (options: never) => Optimizer> = { sgd, momentum, adam, adamw, rmsprop, adagrad };
const TRANSFORMS: Record<string, (options: never) => Transform> = {
  l2, l1, decoupledWeightDecay, clipByGlobalNorm, pnormDecay, proximalL1, groupLasso, hoyerSquare, groupHoyer, selectiveDecay, lobster, weightMask,
};
/** Named chains: `{ type: 'padam', lr, lambda, p }` is adam followed by pnormDecay. */
const PRESETS: Record<string, (options: never) => Chain> = { padam };

/** The optimizer types and transform types a spec may name. */
export const OPTIMIZER_TYPES = [...Object.keys(OPTIMIZERS), ...Object.keys(PRESETS)];
/** The transform types an OptimizerSpec's transforms may name. */
export const TRANSFORM_TYPES = Object.keys(TRANSFORMS);

/** Builds a transform from `{ type, ...options }`. */
export function transformFromSpec(spec: { type: string; [option: string]: unknown }, argument = 'transform'): Transform {
  if (spec === null || typeof spec !== 'object') throw new ArgumentError(argument, spec, 'a transform spec { type, ...options }');
  const factory = TRANSFORMS[spec.type];
  if (!factory) throw new ArgumentError(`${argument}.type`, spec.type, `one of ${TRANSFORM_TYPES.join(', ')}`);
  const { type: _type, ...options } = spec;
  return factory(options as never);
}

/**
 * Builds an optimizer chain from JSON.
 *
 * @example
 * optimizerFromSpec({ type: 'adam', lr: 1e-3, transforms: [{ type: 'l2', lambda: 1e-4 }] })
 */
export function optimizerFromSpec(spec: OptimizerSpec): Chain {
  if (spec === null || typeof spec !== 'object') throw new ArgumentError('optimizer', spec, 'an optimizer spec { type, lr?, transforms? }');
  const factory = OPTIMIZERS[spec.type] ?? PRESETS[spec.type];
  if (!factory) throw new ArgumentError('optimizer.type', spec.type, `one of ${OPTIMIZER_TYPES.join(', ')}`);
  const { type: _type, transforms = [], ...options } = spec;
  if (!Array.isArray(transforms)) throw new ArgumentError('optimizer.transforms', transforms, 'an array of transform specs');
  const parts = transforms.map((t, i) => transformFromSpec(t, `optimizer.transforms[${i}]`));
  return new Chain([...parts, factory(options as never)]);
}

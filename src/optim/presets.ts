import { pnormDecay } from '../regularize/decoupled.js';
import type { Selector } from '../model/param_set.js';
import { ArgumentError } from '../errors.js';
import { adam, type AdamOptions } from './optimizers.js';
import { Chain } from './transform.js';

/**
 * pAdam (Outmezguine & Levi 2024; methods page, method 3): Adam followed by the decoupled p-norm
 * decay, as one chain. Defaults are the methods page's CIFAR-10 ones: lambda 1e-3, p 0.8 (its
 * Fashion-MNIST CNN used lambda 3e-3).
 *
 * @example
 * model.compile({ optimizer: padam({ lr: 1e-3, lambda: 3e-3, p: 0.8 }), loss: 'crossEntropy' });
 */
export function padam(options: AdamOptions & { lambda?: number; p?: number; selector?: Selector } = {}): Chain {
  if (options === null || typeof options !== 'object') throw new ArgumentError('padam options', options, '{ lr?, lambda?, p?, beta1?, beta2?, epsilon? }');
  const { lambda = 1e-3, p = 0.8, selector, ...adamOptions } = options;
  return new Chain([adam(adamOptions), pnormDecay({ lambda, p, ...(selector ? { selector } : {}) })]);
}

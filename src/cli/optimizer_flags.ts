import { l1, l2 } from '../regularize/coupled.js';
import { pnormDecay, proximalL1 } from '../regularize/decoupled.js';
import { groupLasso } from '../regularize/group_lasso.js';
import { groupHoyer, hoyerSquare } from '../regularize/hoyer.js';
import { lobster, selectiveDecay } from '../regularize/selective.js';
import { clipByGlobalNorm, decoupledWeightDecay } from '../optim/gradient_transforms.js';
import { adagrad, adam, adamw, momentum, rmsprop, sgd } from '../optim/optimizers.js';
import type { Schedule } from '../optim/schedules.js';
import { Chain, type Transform } from '../optim/transform.js';
import { UsageError } from './command.js';
import { choiceFlag, numberFlag, type FlagSpec } from './flags.js';

export const OPTIMIZER_NAMES = ['sgd', 'momentum', 'nesterov', 'adam', 'adamw', 'padam', 'rmsprop', 'adagrad'] as const;

/** The flags that describe an optimizer chain, shared by every command that trains. */
export const OPTIMIZER_FLAGS: Record<string, FlagSpec> = {
  optimizer: { type: 'string' },
  lr: { type: 'string' },
  schedule: { type: 'string' },
  momentum: { type: 'string' },
  l2: { type: 'string' },
  l1: { type: 'string' },
  'weight-decay': { type: 'string' },
  'clip-norm': { type: 'string' },
  'group-lasso': { type: 'string' },
  'proximal-group-lasso': { type: 'string' },
  'proximal-l1': { type: 'string' },
  'pnorm-decay': { type: 'string' },
  hoyer: { type: 'string' },
  'group-hoyer': { type: 'string' },
  'selective-decay': { type: 'string' },
  lobster: { type: 'string' },
};

export const OPTIMIZER_HELP = `optimizer:
  --optimizer NAME      ${OPTIMIZER_NAMES.join(', ')} (default adam)
  --lr X                learning rate (default 1e-3; 0.01 for sgd, momentum, adagrad)
  --schedule S          constant | step:EPOCHS[:FACTOR] (e.g. step:25:0.5) | cosine[:WARMUP_STEPS]
                        | exponential:RATE:STEPS (default constant)
  --momentum X          momentum of momentum/nesterov/rmsprop (default 0.9 / 0.9 / 0)
  --l2 X                coupled L2: X*w added to the gradient before the optimizer
  --l1 X                coupled L1: X*sign(w) added to the gradient
  --weight-decay X      decoupled decay after the step (adamw's own decay with --optimizer adamw)
  --clip-norm X         clip the global gradient norm to X
  --group-lasso X       coupled group lasso: X * w_k / ||w_k|| added to each output group's gradient
  --proximal-group-lasso X
                        proximal group lasso after the step: w_k *= max(0, 1 - lr X / ||w_k||)
  --proximal-l1 X       proximal L1 after the step: w = sign(w) max(|w| - lr X, 0)
  --pnorm-decay X:P     decoupled p-norm decay after the step (pAdam with adam), e.g. 3e-3:0.8;
                        --optimizer padam is adam with --pnorm-decay (default 1e-3:0.8)
  --hoyer X             DeepHoyer's Hoyer-Square per kernel, X * (sum|w|)^2 / sum w^2, coupled
  --group-hoyer X[:OUT:IN]
                        DeepHoyer's Group-HS over output and input groups of every kernel, the
                        two terms weighted OUT and IN (default 1:1)
  --selective-decay G[:ALPHA]
                        selective relevance decay: 2 G exp(-|g|/ALPHA) w added to the gradient
                        (ALPHA default 1), kernels and biases
  --lobster X           LOBSTER after the step: w -= X w max(0, 1 - |g|)
`;

function schedule(value: string | boolean | undefined, lr: number, totalSteps: number): Schedule {
  if (value === undefined || value === 'constant') return lr;
  const [kind, ...rest] = String(value).split(':');
  const n = (i: number, name: string, fallback?: number, integer = false) =>
    numberFlag(`schedule (${name})`, rest[i] ?? (fallback === undefined ? undefined : String(fallback)), NaN, { integer, min: 0, exclusiveMin: !integer });
  switch (kind) {
    case 'step':
      if (rest[0] === undefined) break;
      return { type: 'step', initial: lr, everyEpochs: n(0, 'epochs', undefined, true), factor: n(1, 'factor', 0.5) };
    case 'cosine':
      return { type: 'cosine', initial: lr, totalSteps, warmupSteps: rest[0] === undefined ? 0 : n(0, 'warmup steps', undefined, true) };
    case 'exponential':
      if (rest.length < 2) break;
      return { type: 'exponential', initial: lr, rate: n(0, 'rate'), decaySteps: n(1, 'steps', undefined, true) };
  }
  throw new UsageError(`--schedule = ${JSON.stringify(value)}: expected constant, step:EPOCHS[:FACTOR], cosine[:WARMUP_STEPS] or exponential:RATE:STEPS`);
}

/** Builds the optimizer chain the flags describe. */
export function optimizerFromFlags(values: Record<string, string | boolean | undefined>, totalSteps: number): Chain {
  const name = choiceFlag('optimizer', values.optimizer, 'adam', OPTIMIZER_NAMES);
  const lr = numberFlag('lr', values.lr, ['sgd', 'momentum', 'nesterov', 'adagrad'].includes(name) ? 0.01 : 1e-3, { min: 0, exclusiveMin: true });
  const rate = schedule(values.schedule, lr, totalSteps);
  const before: Transform[] = [];
  const after: Transform[] = [];
  if (values['clip-norm'] !== undefined) before.push(clipByGlobalNorm({ maxNorm: numberFlag('clip-norm', values['clip-norm'], 0, { min: 0, exclusiveMin: true }) }));
  if (values.l2 !== undefined) before.push(l2({ lambda: numberFlag('l2', values.l2, 0, { min: 0 }) }));
  if (values.l1 !== undefined) before.push(l1({ lambda: numberFlag('l1', values.l1, 0, { min: 0 }) }));
  if (values['group-lasso'] !== undefined) before.push(groupLasso({ lambda: numberFlag('group-lasso', values['group-lasso'], 0, { min: 0 }) }));
  if (values['proximal-group-lasso'] !== undefined) {
    after.push(groupLasso({ lambda: numberFlag('proximal-group-lasso', values['proximal-group-lasso'], 0, { min: 0 }), form: 'proximal' }));
  }
  if (values['proximal-l1'] !== undefined) after.push(proximalL1({ lambda: numberFlag('proximal-l1', values['proximal-l1'], 0, { min: 0 }) }));
  if (values['selective-decay'] !== undefined) {
    const [gamma, alpha, extra] = String(values['selective-decay']).split(':');
    if (extra !== undefined) throw new UsageError(`--selective-decay = ${JSON.stringify(values['selective-decay'])}: expected GAMMA or GAMMA:ALPHA, e.g. 1e-3:1`);
    // First in the chain: its relevance factor reads the data gradient.
    before.unshift(selectiveDecay({ gamma: numberFlag('selective-decay (gamma)', gamma, 0, { min: 0 }), alpha: numberFlag('selective-decay (alpha)', alpha, 1, { min: 0, exclusiveMin: true }) }));
  }
  if (values.hoyer !== undefined) before.push(hoyerSquare({ lambda: numberFlag('hoyer', values.hoyer, 0, { min: 0 }) }));
  if (values['group-hoyer'] !== undefined) {
    const [lambda, out, input, extra] = String(values['group-hoyer']).split(':');
    if (extra !== undefined || (out !== undefined && input === undefined)) {
      throw new UsageError(`--group-hoyer = ${JSON.stringify(values['group-hoyer'])}: expected LAMBDA or LAMBDA:OUTPUT_WEIGHT:INPUT_WEIGHT, e.g. 1e-3 or 1e-3:1:0`);
    }
    before.push(groupHoyer({
      lambda: numberFlag('group-hoyer (lambda)', lambda, 0, { min: 0 }),
      outputWeight: numberFlag('group-hoyer (output weight)', out, 1, { min: 0 }),
      inputWeight: numberFlag('group-hoyer (input weight)', input, 1, { min: 0 }),
    }));
  }
  if (values.lobster !== undefined) after.push(lobster({ lambda: numberFlag('lobster', values.lobster, 0, { min: 0 }) }));
  if (name === 'padam' && values['pnorm-decay'] === undefined) after.push(pnormDecay({ lambda: 1e-3, p: 0.8 }));
  if (values['pnorm-decay'] !== undefined) {
    const [lambda, p, extra] = String(values['pnorm-decay']).split(':');
    if (p === undefined || extra !== undefined) throw new UsageError(`--pnorm-decay = ${JSON.stringify(values['pnorm-decay'])}: expected LAMBDA:P, e.g. 3e-3:0.8`);
    after.push(pnormDecay({ lambda: numberFlag('pnorm-decay (lambda)', lambda, 0, { min: 0 }), p: numberFlag('pnorm-decay (p)', p, 0, { min: 0, max: 2, exclusiveMin: true }) }));
  }
  const decay = values['weight-decay'] === undefined ? undefined : numberFlag('weight-decay', values['weight-decay'], 0, { min: 0 });
  if (values.momentum !== undefined && !['momentum', 'nesterov', 'rmsprop'].includes(name)) {
    throw new UsageError(`--momentum = ${JSON.stringify(values.momentum)}: only momentum, nesterov and rmsprop take a momentum (--optimizer is ${name})`);
  }
  const mu = (fallback: number) => numberFlag('momentum', values.momentum, fallback, { min: 0, max: 0.999999 });
  let optimizer;
  switch (name) {
    case 'sgd':
      optimizer = sgd({ lr: rate });
      break;
    case 'momentum':
    case 'nesterov':
      optimizer = momentum({ lr: rate, momentum: mu(0.9), nesterov: name === 'nesterov' });
      break;
    case 'adam':
    case 'padam':
      optimizer = adam({ lr: rate });
      break;
    case 'adamw':
      optimizer = adamw({ lr: rate, weightDecay: decay ?? 0.01 });
      break;
    case 'rmsprop':
      optimizer = rmsprop({ lr: rate, momentum: mu(0) });
      break;
    case 'adagrad':
      optimizer = adagrad({ lr: rate });
      break;
  }
  if (decay !== undefined && name !== 'adamw') after.push(decoupledWeightDecay({ lambda: decay }));
  return new Chain([...before, optimizer, ...after]);
}

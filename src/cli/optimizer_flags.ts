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
import { flagValue, numberFlag, numberIn, oneOf, type FlagSpec, type FlagValues } from './flags.js';
import { MAX_EPOCHS, MAX_EPOCHS_WHY, MAX_LR, MAX_LR_WHY } from './limits.js';

export const OPTIMIZER_NAMES = ['sgd', 'momentum', 'nesterov', 'adam', 'adamw', 'padam', 'rmsprop', 'adagrad'] as const;

/** --schedule, parsed: the step count of a cosine schedule comes from the data, so it is filled in later. */
export type ScheduleFlag =
  | { type: 'constant' }
  | { type: 'step'; everyEpochs: number; factor: number }
  | { type: 'cosine'; warmupSteps: number }
  | { type: 'exponential'; rate: number; decaySteps: number };

const SCHEDULE_FORMS = 'constant, step:EPOCHS[:FACTOR], cosine[:WARMUP_STEPS] or exponential:RATE:STEPS';

function parseSchedule(text: string, flag: string): ScheduleFlag {
  const [kind, ...rest] = text.split(':');
  const part = (i: number, name: string, range: Parameters<typeof numberFlag>[2]) => numberFlag(`${flag} (${name})`, rest[i], range);
  if (kind === 'constant' && rest.length === 0) return { type: 'constant' };
  if (kind === 'step' && (rest.length === 1 || rest.length === 2)) {
    return {
      type: 'step',
      everyEpochs: part(0, 'epochs', { integer: true, min: 1, max: MAX_EPOCHS, why: MAX_EPOCHS_WHY }),
      factor: rest[1] === undefined ? 0.5 : part(1, 'factor', { min: 0, exclusiveMin: true, max: 1, why: 'a decay multiplies the rate by at most 1' }),
    };
  }
  if (kind === 'cosine' && rest.length <= 1) {
    return { type: 'cosine', warmupSteps: rest[0] === undefined ? 0 : part(0, 'warmup steps', { integer: true, min: 0 }) };
  }
  if (kind === 'exponential' && rest.length === 2) {
    return { type: 'exponential', rate: part(0, 'rate', { min: 0, exclusiveMin: true, max: 1, why: 'a decay multiplies the rate by at most 1' }), decaySteps: part(1, 'steps', { integer: true, min: 1 }) };
  }
  throw new UsageError(`${flagValue(flag, text)}: expected ${SCHEDULE_FORMS}`);
}

/** Splits `A:B:C` into at most `max` parts and at least `min`, or a UsageError showing the form. */
function parts(text: string, flag: string, min: number, max: number, form: string): string[] {
  const p = text.split(':');
  if (p.length < min || p.length > max) throw new UsageError(`${flagValue(flag, text)}: expected ${form}`);
  return p;
}

const lambda = numberIn({ min: 0 });

/** The flags that describe an optimizer chain, shared by every command that trains. */
export const OPTIMIZER_FLAGS = {
  optimizer: oneOf(OPTIMIZER_NAMES),
  lr: numberIn({ min: 0, exclusiveMin: true, max: MAX_LR, why: MAX_LR_WHY }),
  schedule: { type: 'string', parse: parseSchedule },
  momentum: numberIn({ min: 0, max: 1, exclusiveMax: true, why: 'momentum 1 never forgets a gradient' }),
  l2: lambda,
  l1: lambda,
  'weight-decay': lambda,
  'clip-norm': numberIn({ min: 0, exclusiveMin: true }),
  'group-lasso': lambda,
  'proximal-group-lasso': lambda,
  'proximal-l1': lambda,
  'pnorm-decay': {
    type: 'string',
    parse: (text: string, flag: string) => {
      const [l, p] = parts(text, flag, 2, 2, 'LAMBDA:P, e.g. 3e-3:0.8');
      return { lambda: numberFlag(`${flag} (lambda)`, l, { min: 0 }), p: numberFlag(`${flag} (p)`, p, { min: 0, exclusiveMin: true, max: 2 }) };
    },
  },
  hoyer: lambda,
  'group-hoyer': {
    type: 'string',
    parse: (text: string, flag: string) => {
      const [l, out, input] = parts(text, flag, 1, 3, 'LAMBDA or LAMBDA:OUTPUT_WEIGHT:INPUT_WEIGHT, e.g. 1e-3 or 1e-3:1:0');
      if (out !== undefined && input === undefined) throw new UsageError(`${flagValue(flag, text)}: expected LAMBDA or LAMBDA:OUTPUT_WEIGHT:INPUT_WEIGHT, e.g. 1e-3 or 1e-3:1:0`);
      return {
        lambda: numberFlag(`${flag} (lambda)`, l, { min: 0 }),
        outputWeight: out === undefined ? 1 : numberFlag(`${flag} (output weight)`, out, { min: 0 }),
        inputWeight: input === undefined ? 1 : numberFlag(`${flag} (input weight)`, input, { min: 0 }),
      };
    },
  },
  'selective-decay': {
    type: 'string',
    parse: (text: string, flag: string) => {
      const [gamma, alpha] = parts(text, flag, 1, 2, 'GAMMA or GAMMA:ALPHA, e.g. 1e-3:1');
      return { gamma: numberFlag(`${flag} (gamma)`, gamma, { min: 0 }), alpha: alpha === undefined ? 1 : numberFlag(`${flag} (alpha)`, alpha, { min: 0, exclusiveMin: true }) };
    },
  },
  lobster: lambda,
} satisfies Record<string, FlagSpec>;

export type OptimizerFlagValues = FlagValues<typeof OPTIMIZER_FLAGS>;

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

/** The learning rate the flags give before any schedule: --lr, else the optimizer's default. */
export function baseLearningRate(values: OptimizerFlagValues): number {
  return values.lr ?? (['sgd', 'momentum', 'nesterov', 'adagrad'].includes(values.optimizer ?? 'adam') ? 0.01 : 1e-3);
}

function schedule(values: OptimizerFlagValues, totalSteps: number): Schedule {
  const lr = baseLearningRate(values);
  const s = values.schedule ?? { type: 'constant' };
  switch (s.type) {
    case 'constant':
      return lr;
    case 'step':
      return { type: 'step', initial: lr, everyEpochs: s.everyEpochs, factor: s.factor };
    case 'exponential':
      return { type: 'exponential', initial: lr, rate: s.rate, decaySteps: s.decaySteps };
    case 'cosine':
      if (s.warmupSteps >= totalSteps) {
        throw new UsageError(`--schedule = "cosine:${s.warmupSteps}": expected fewer warmup steps than the run's ${totalSteps} optimizer steps (epochs x batches per epoch)`);
      }
      return { type: 'cosine', initial: lr, totalSteps, warmupSteps: s.warmupSteps };
  }
}

/**
 * Builds the optimizer chain the (parsed) flags describe, for a run of `totalSteps` optimizer
 * steps (a cosine schedule spans them; its warmup must be shorter). Throws a UsageError naming
 * the flag for combinations that do not work.
 */
export function optimizerFromFlags(values: OptimizerFlagValues, totalSteps: number): Chain {
  const name = values.optimizer ?? 'adam';
  const rate = schedule(values, totalSteps);
  const before: Transform[] = [];
  const after: Transform[] = [];
  if (values['clip-norm'] !== undefined) before.push(clipByGlobalNorm({ maxNorm: values['clip-norm'] }));
  if (values.l2 !== undefined) before.push(l2({ lambda: values.l2 }));
  if (values.l1 !== undefined) before.push(l1({ lambda: values.l1 }));
  if (values['group-lasso'] !== undefined) before.push(groupLasso({ lambda: values['group-lasso'] }));
  if (values['proximal-group-lasso'] !== undefined) after.push(groupLasso({ lambda: values['proximal-group-lasso'], form: 'proximal' }));
  if (values['proximal-l1'] !== undefined) after.push(proximalL1({ lambda: values['proximal-l1'] }));
  // First in the chain: its relevance factor reads the data gradient.
  if (values['selective-decay'] !== undefined) before.unshift(selectiveDecay(values['selective-decay']));
  if (values.hoyer !== undefined) before.push(hoyerSquare({ lambda: values.hoyer }));
  if (values['group-hoyer'] !== undefined) before.push(groupHoyer(values['group-hoyer']));
  if (values.lobster !== undefined) after.push(lobster({ lambda: values.lobster }));
  if (name === 'padam' && values['pnorm-decay'] === undefined) after.push(pnormDecay({ lambda: 1e-3, p: 0.8 }));
  if (values['pnorm-decay'] !== undefined) after.push(pnormDecay(values['pnorm-decay']));
  const decay = values['weight-decay'];
  if (values.momentum !== undefined && !['momentum', 'nesterov', 'rmsprop'].includes(name)) {
    throw new UsageError(`--momentum = "${values.momentum}": only momentum, nesterov and rmsprop take a momentum (--optimizer is ${name})`);
  }
  let optimizer;
  switch (name) {
    case 'sgd':
      optimizer = sgd({ lr: rate });
      break;
    case 'momentum':
    case 'nesterov':
      optimizer = momentum({ lr: rate, momentum: values.momentum ?? 0.9, nesterov: name === 'nesterov' });
      break;
    case 'adam':
    case 'padam':
      optimizer = adam({ lr: rate });
      break;
    case 'adamw':
      optimizer = adamw({ lr: rate, weightDecay: decay ?? 0.01 });
      break;
    case 'rmsprop':
      optimizer = rmsprop({ lr: rate, momentum: values.momentum ?? 0 });
      break;
    case 'adagrad':
      optimizer = adagrad({ lr: rate });
      break;
  }
  if (decay !== undefined && name !== 'adamw') after.push(decoupledWeightDecay({ lambda: decay }));
  return new Chain([...before, optimizer, ...after]);
}

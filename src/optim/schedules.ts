import { ArgumentError } from '../errors.js';
import { knownKeys, nonNegativeInt, nonNegativeNumber, positiveInt, positiveNumber } from '../validate.js';

/**
 * A learning-rate schedule as plain JSON, so it can live in a model or sweep config:
 * - a number: constant;
 * - `{ type: 'step', initial, factor = 0.5, everyEpochs }`: multiplied by factor every N epochs
 *   (the implicit-sparsity paper halves it every 25);
 * - `{ type: 'exponential', initial, rate, decaySteps, staircase = false }`: initial * rate^(step/decaySteps);
 * - `{ type: 'cosine', initial, totalSteps, warmupSteps = 0, final = 0 }`: linear warmup from 0, then
 *   a half cosine from initial down to final at totalSteps (held there after).
 */
export type Schedule =
  | number
  | { type: 'step'; initial: number; factor?: number; everyEpochs: number }
  | { type: 'exponential'; initial: number; rate: number; decaySteps: number; staircase?: boolean }
  | { type: 'cosine'; initial: number; totalSteps: number; warmupSteps?: number; final?: number };

/** Validates a schedule given by a user. */
export function checkSchedule(argument: string, schedule: unknown): Schedule {
  if (typeof schedule === 'number') return positiveNumber(argument, schedule);
  if (schedule === null || typeof schedule !== 'object') throw new ArgumentError(argument, schedule, 'a positive number or a schedule object');
  const s = schedule as Record<string, unknown>;
  switch (s.type) {
    case 'step':
      knownKeys(argument, s, ['type', 'initial', 'factor', 'everyEpochs']);
      positiveNumber(`${argument}.initial`, s.initial);
      positiveNumber(`${argument}.factor`, s.factor ?? 0.5);
      positiveInt(`${argument}.everyEpochs`, s.everyEpochs);
      break;
    case 'exponential':
      knownKeys(argument, s, ['type', 'initial', 'rate', 'decaySteps', 'staircase']);
      positiveNumber(`${argument}.initial`, s.initial);
      positiveNumber(`${argument}.rate`, s.rate);
      positiveInt(`${argument}.decaySteps`, s.decaySteps);
      break;
    case 'cosine':
      knownKeys(argument, s, ['type', 'initial', 'totalSteps', 'warmupSteps', 'final']);
      positiveNumber(`${argument}.initial`, s.initial);
      positiveInt(`${argument}.totalSteps`, s.totalSteps);
      nonNegativeInt(`${argument}.warmupSteps`, s.warmupSteps ?? 0);
      nonNegativeNumber(`${argument}.final`, s.final ?? 0);
      if ((s.warmupSteps as number ?? 0) >= (s.totalSteps as number)) {
        throw new ArgumentError(`${argument}.warmupSteps`, s.warmupSteps, `fewer than totalSteps (${s.totalSteps})`);
      }
      break;
    default:
      throw new ArgumentError(`${argument}.type`, s.type, '"step", "exponential" or "cosine"');
  }
  return schedule as Schedule;
}

/**
 * The learning rate for the update after `step` completed steps (0 for the first update); the
 * schedule is checked first (unknown keys, ranges), as an optimizer checks it.
 *
 * @example
 * learningRate({ type: 'step', initial: 0.1, everyEpochs: 25 }, 25 * 938, 938) // 0.05
 */
export function learningRate(schedule: Schedule, step: number, stepsPerEpoch: number): number {
  return scheduledRate(checkSchedule('schedule', schedule), step, stepsPerEpoch);
}

/** learningRate on a schedule already checked (the optimizers' per-step path: no checks, no allocation). */
export function scheduledRate(schedule: Schedule, step: number, stepsPerEpoch: number): number {
  if (typeof schedule === 'number') return schedule;
  switch (schedule.type) {
    case 'step': {
      const epoch = Math.floor(step / stepsPerEpoch);
      return schedule.initial * (schedule.factor ?? 0.5) ** Math.floor(epoch / schedule.everyEpochs);
    }
    case 'exponential': {
      const p = step / schedule.decaySteps;
      return schedule.initial * schedule.rate ** (schedule.staircase ? Math.floor(p) : p);
    }
    case 'cosine': {
      const warmup = schedule.warmupSteps ?? 0;
      const final = schedule.final ?? 0;
      if (step < warmup) return (schedule.initial * (step + 1)) / warmup;
      const t = Math.min(1, (step - warmup) / (schedule.totalSteps - warmup));
      return final + 0.5 * (schedule.initial - final) * (1 + Math.cos(Math.PI * t));
    }
  }
}

import { ArgumentError } from './errors.js';

/** Argument checks shared by every public entry point. Each returns the value, typed. */

export function positiveInt(argument: string, value: unknown): number {
  if (!Number.isInteger(value) || (value as number) < 1) throw new ArgumentError(argument, value, 'a positive integer');
  return value as number;
}

export function nonNegativeInt(argument: string, value: unknown): number {
  if (!Number.isInteger(value) || (value as number) < 0) throw new ArgumentError(argument, value, 'a non-negative integer');
  return value as number;
}

/** A finite number in [lo, hi] (or (lo, hi) ends when the flags say so). */
export function numberIn(argument: string, value: unknown, lo: number, hi: number, { openLow = false, openHigh = false } = {}): number {
  const v = value as number;
  const ok = typeof value === 'number' && Number.isFinite(v) && (openLow ? v > lo : v >= lo) && (openHigh ? v < hi : v <= hi);
  if (!ok) throw new ArgumentError(argument, value, `a finite number in ${openLow ? '(' : '['}${lo}, ${hi}${openHigh ? ')' : ']'}`);
  return v;
}

/** A finite number > 0. */
export function positiveNumber(argument: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new ArgumentError(argument, value, 'a finite number > 0');
  return value;
}

/** A finite number >= 0. */
export function nonNegativeNumber(argument: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new ArgumentError(argument, value, 'a finite number >= 0');
  return value;
}

export function oneOf<T extends string>(argument: string, value: unknown, options: readonly T[]): T {
  if (!options.includes(value as T)) throw new ArgumentError(argument, value, `one of ${options.map((o) => JSON.stringify(o)).join(', ')}`);
  return value as T;
}

/** A positive int or a pair of them: 5 -> [5, 5]. */
export function pair(argument: string, value: unknown): [number, number] {
  if (Array.isArray(value) && value.length === 2) return [positiveInt(`${argument}[0]`, value[0]), positiveInt(`${argument}[1]`, value[1])];
  if (Array.isArray(value)) throw new ArgumentError(argument, value, 'a positive integer or a pair of them');
  const v = positiveInt(argument, value);
  return [v, v];
}

/** Rejects option keys the caller did not mean: a typo must not be silently ignored. */
export function knownKeys(argument: string, options: object, allowed: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) throw new ArgumentError(`${argument}.${key}`, (options as Record<string, unknown>)[key], `no such option (known: ${allowed.join(', ')})`);
  }
}

/** NaN or Inf in an input would run silently through every layer: refuse it, naming the first one. */
export function checkFinite(argument: string, x: Float32Array): void {
  for (let i = 0; i < x.length; i++) {
    // x[i] - x[i] is 0 for finite numbers and NaN for NaN and +-Infinity: one test per element.
    if (x[i] - x[i] !== 0) throw new ArgumentError(`${argument}[${i}]`, x[i], 'a finite number (inputs must not hold NaN or Infinity)');
  }
}

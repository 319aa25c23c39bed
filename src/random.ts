import { ArgumentError } from './errors.js';

/** splitmix32: spreads a seed over the state of the generator below. */
function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/**
 * A seeded xoshiro128** generator: the one source of randomness in slimtrain (initialisation,
 * shuffling, dropout), so that a seed fixes every bit of a training run on any platform.
 *
 * @example
 * const random = new Random(42);
 * random.uniform(-1, 1); // the same number on every run
 */
export class Random {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spare: number | null = null;

  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new ArgumentError('seed', seed, 'an integer in [0, 2^32)');
    const mix = splitmix32(seed);
    this.s0 = mix();
    this.s1 = mix();
    this.s2 = mix();
    this.s3 = mix();
  }

  /** A generator for one purpose ('init', 'shuffle', 'dropout'), independent of the others. */
  static derive(seed: number, purpose: string): Random {
    let h = seed >>> 0;
    for (let i = 0; i < purpose.length; i++) h = Math.imul(h ^ purpose.charCodeAt(i), 0x01000193) >>> 0;
    return new Random(h);
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 random bits. */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Standard normal (Box-Muller, polar form). */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    let u: number, v: number, s: number;
    do {
      u = 2 * this.next() - 1;
      v = 2 * this.next() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const m = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * m;
    return u * m;
  }

  /** Normal with the given standard deviation, redrawn until within two deviations (as Keras). */
  truncatedNormal(stddev: number): number {
    let x: number;
    do x = this.normal();
    while (Math.abs(x) > 2);
    return x * stddev;
  }

  /** An integer uniform in [0, n). */
  below(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Shuffles in place (Fisher-Yates). */
  shuffle<T extends { length: number; [i: number]: number }>(values: T): T {
    for (let i = values.length - 1; i > 0; i--) {
      const j = this.below(i + 1);
      const t = values[i];
      values[i] = values[j];
      values[j] = t;
    }
    return values;
  }

  /** The generator's state, to save in a checkpoint. */
  getState(): number[] {
    return [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0, this.spare ?? NaN];
  }

  /** Continues where a generator with this state was. The cached normal may be NaN or null (JSON) for none. */
  setState(state: readonly (number | null)[]): void {
    if (!Array.isArray(state) || state.length !== 5 || state.slice(0, 4).some((v) => !Number.isInteger(v) || v! < -0x80000000 || v! > 0xffffffff)) {
      throw new ArgumentError('state', state, 'five numbers from getState()');
    }
    [this.s0, this.s1, this.s2, this.s3] = state.slice(0, 4).map((v) => v! >>> 0);
    this.spare = state[4] === null || Number.isNaN(state[4]) ? null : state[4];
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

import { beforeAll, describe, it } from 'vitest';
import { BUILDS, expectClose, harness, type Harness } from '../support/harness.js';
import { rng, uniform } from '../support/random.js';

const LENGTHS = [1, 3, 7, 17, 64, 129, 1000];

describe.each(BUILDS)('optimizer kernels (%s build) against the reference, random gradients', (build) => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness(build);
  });

  it('every update rule, on awkward lengths, over 5 steps with fresh gradients', () => {
    for (const n of LENGTHS) {
      const random = rng(n);
      const w = uniform(random, n);
      const state = () => uniform(random, n, 0, 0.1);
      const grads = Array.from({ length: 5 }, () => uniform(random, n));
      const cases: [string, Record<string, Float32Array>, (b: import('../../src/backend/backend.js').Backend, p: Record<string, number>, g: number) => void][] = [
        ['sgd', {}, (b, p, g) => b.sgdUpdate(p.w, g, n, 0.1)],
        ['momentum', { v: state() }, (b, p, g) => b.momentumUpdate(p.w, g, p.v, n, 0.1, 0.9, false)],
        ['nesterov', { v: state() }, (b, p, g) => b.momentumUpdate(p.w, g, p.v, n, 0.1, 0.9, true)],
        ['adam', { m: state(), v: state() }, (b, p, g) => b.adamUpdate(p.w, g, p.m, p.v, n, 0.01, 0.9, 0.999, 1e-7, 1, 0)],
        ['adamw', { m: state(), v: state() }, (b, p, g) => b.adamUpdate(p.w, g, p.m, p.v, n, 0.01, 0.9, 0.999, 1e-8, 1.2, 0.001)],
        ['rmsprop', { ms: state(), mom: state(), mg: state() }, (b, p, g) =>
          b.rmspropUpdate(p.w, g, p.ms, p.mom, p.mg, n, 0.01, 0.9, 0.5, 1e-7, false, false)],
        ['rmsprop centered', { ms: state(), mom: state(), mg: uniform(random, n, -0.01, 0.01) }, (b, p, g) =>
          b.rmspropUpdate(p.w, g, p.ms, p.mom, p.mg, n, 0.01, 0.9, 0, 1e-7, true, true)],
        ['adagrad', { acc: state() }, (b, p, g) => b.adagradUpdate(p.w, g, p.acc, n, 0.01, 1e-7, false)],
      ];
      for (const [name, extra, step] of cases) {
        const regions: Record<string, Float32Array> = { w, ...extra };
        grads.forEach((g, i) => (regions[`g${i}`] = g));
        const [got, want] = h.both(regions, (b, p) => grads.forEach((_, i) => step(b, p, p[`g${i}`])));
        for (const key of Object.keys(extra).concat('w')) {
          expectClose(got[key], want[key], { rtol: 1e-5, atol: 1e-6, label: `${name} ${key} n=${n}` });
        }
      }
    }
  });
});

import { beforeAll, describe, expect, it } from 'vitest';
import type { UpdateFlush } from '../../src/backend/backend.js';
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

  it('every update rule stores no subnormal: deep-subnormal results become zeros of their sign, as the reference gives them', () => {
    // Each value is either normal or deep in the subnormal range (|x| <= 1e-39, far from 2^-126),
    // so no result lands near the boundary where f32 and the reference's f64 could round apart.
    const n = 1031;
    const random = rng(5);
    const mixed = (scale = 1) => Float32Array.from({ length: n }, () => {
      const r = random();
      const sign = random() < 0.5 ? -1 : 1;
      return r < 0.45 ? sign * 1e-39 * (0.01 + random()) : r < 0.55 ? 0 : sign * scale * (0.01 + random());
    });
    const positive = () => mixed().map(Math.abs);
    const smallest = 2 ** -126;
    const ms = positive();
    const cases: [string, Record<string, Float32Array>, (b: import('../../src/backend/backend.js').Backend, p: Record<string, number>) => void][] = [
      ['sgd', {}, (b, p) => b.sgdUpdate(p.w, p.g, n, 0.1)],
      ['nesterov', { v: mixed() }, (b, p) => b.momentumUpdate(p.w, p.g, p.v, n, 0.1, 0.9, true)],
      ['adamw', { m: mixed(), v: positive() }, (b, p) => b.adamUpdate(p.w, p.g, p.m, p.v, n, 0.01, 0.9, 0.999, 1e-7, 1.2, 0.001)],
      // mg is normal only where ms is, so that ms - mg^2 stays positive.
      ['rmsprop centered', { ms, mom: mixed(), mg: ms.map((v) => (v >= smallest ? 1e-3 : 1e-3 * v) * (random() < 0.5 ? -1 : 1)) }, (b, p) =>
        b.rmspropUpdate(p.w, p.g, p.ms, p.mom, p.mg, n, 0.01, 0.9, 0.5, 1e-7, true, true)],
      ['adagrad', { acc: positive() }, (b, p) => b.adagradUpdate(p.w, p.g, p.acc, n, 0.01, 1e-7, false)],
    ];
    for (const [name, extra, step] of cases) {
      // Tiny gradients leave tiny weights tiny; the state decays by its factor each step.
      const regions: Record<string, Float32Array> = { w: mixed(), g: mixed(1e-3), ...extra };
      const [got, want] = h.both(regions, (b, p) => [0, 1, 2].forEach(() => step(b, p)));
      for (const key of Object.keys(extra).concat('w')) {
        let zeros = 0;
        for (let i = 0; i < n; i++) {
          const [x, y] = [got[key][i], want[key][i]];
          expect(x === 0 || Math.abs(x) >= smallest, `${name} ${key}[${i}] = ${x} is subnormal`).toBe(true);
          if (y === 0) {
            expect(Object.is(x, y), `${name} ${key}[${i}]: ${x}, the reference ${y}`).toBe(true);
            zeros++;
          }
        }
        // About 45% of the inputs are subnormal; some results must flush (Adam moves even tiny weights by about lr).
        expect(zeros, `${name} ${key}: zeros`).toBeGreaterThan(0.05 * n);
        expectClose(got[key], want[key], { rtol: 1e-5, atol: 1e-6, label: `${name} ${key}` });
      }
    }
  });

  it("flush 'all' and 'state' give the bits of flush 'none' followed by flushSubnormals over the flushed regions", () => {
    const n = 1031;
    const random = rng(11);
    const mixed = () => Float32Array.from({ length: n }, () => {
      const r = random();
      const sign = random() < 0.5 ? -1 : 1;
      return r < 0.4 ? sign * 1e-39 * (0.01 + random()) : r < 0.5 ? sign * 0 : sign * (0.01 + random());
    });
    const positive = () => mixed().map(Math.abs);
    type Update = (b: import('../../src/backend/backend.js').Backend, p: Record<string, number>, flush: UpdateFlush) => void;
    const cases: [string, Record<string, Float32Array>, Update][] = [
      ['sgd', {}, (b, p, f) => b.sgdUpdate(p.w, p.g, n, 0.1, f)],
      ['momentum', { v: mixed() }, (b, p, f) => b.momentumUpdate(p.w, p.g, p.v, n, 0.1, 0.9, false, f)],
      ['adam', { m: mixed(), v: positive() }, (b, p, f) => b.adamUpdate(p.w, p.g, p.m, p.v, n, 0.01, 0.9, 0.999, 1e-7, 1, 0, f)],
      ['rmsprop', { ms: positive(), mom: mixed() }, (b, p, f) => b.rmspropUpdate(p.w, p.g, p.ms, p.mom, 0, n, 0.01, 0.9, 0.5, 1e-7, false, true, f)],
      ['adagrad', { acc: positive() }, (b, p, f) => b.adagradUpdate(p.w, p.g, p.acc, n, 0.01, 1e-7, false, f)],
    ];
    const bits = (x: Float32Array) => Array.from(new Uint32Array(x.buffer, x.byteOffset, x.length));
    for (const [name, extra, update] of cases) {
      const regions: Record<string, Float32Array> = { w: mixed(), g: mixed().map((v) => v * 1e-3), ...extra };
      const state = Object.keys(extra);
      const run = (flush: UpdateFlush, after: string[]) => h.run(h.wasm, regions, (b, p) => {
        for (let t = 0; t < 3; t++) {
          update(b, p, flush);
          for (const key of after) b.flushSubnormals(p[key], n);
        }
      });
      const raw = run('none', []);
      let subnormal = 0;
      for (const key of ['w', ...state]) subnormal += raw[key].filter((v) => v !== 0 && Math.abs(v) < 2 ** -126).length;
      expect(subnormal, `${name}: 'none' leaves subnormals`).toBeGreaterThan(0);
      const all = run('all', []), allAfter = run('none', ['w', ...state]);
      const weightsRaw = run('state', []), stateAfter = run('none', state);
      for (const key of ['w', ...state]) {
        expect(bits(all[key]), `${name} ${key}: 'all'`).toEqual(bits(allAfter[key]));
        expect(bits(weightsRaw[key]), `${name} ${key}: 'state'`).toEqual(bits(stateAfter[key]));
      }
    }
  });
});

import { beforeAll, describe, expect, it } from 'vitest';
import { windowGeometry } from '../../src/ops/geometry.js';
import { BUILDS, expectBitIdentical, expectClose, harness, nans, type Harness } from '../support/harness.js';
import { rng, uniform } from '../support/random.js';
import { WINDOW_CASES, caseName } from '../support/shapes.js';

describe.each(BUILDS)('im2col, col2im and pooling (%s build) against the reference', (build) => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness(build);
  });

  it.each(WINDOW_CASES.map((c) => [caseName(c), c] as const))('%s', (_name, c) => {
    const g = windowGeometry(c.input, c.kernel, c.strides, c.padding);
    const random = rng(g.N * 1000 + g.H * 10 + g.C);
    const inSize = g.N * g.H * g.W * g.C;
    const outSize = g.N * g.OH * g.OW * g.C;
    const colSize = g.N * g.OH * g.OW * g.KH * g.KW * g.C;
    const x = uniform(random, inSize);

    const [w1, r1] = h.both({ x, cols: nans(colSize) }, (b, p) => b.im2col(p.x, p.cols, g));
    expectClose(w1.cols, r1.cols, { rtol: 0, atol: 0, label: 'im2col' });

    const cols = uniform(random, colSize);
    const [w2, r2] = h.both({ cols, dx: nans(inSize) }, (b, p) => b.col2im(p.cols, p.dx, g));
    expectClose(w2.dx, r2.dx, { rtol: 1e-6, atol: 1e-6, label: 'col2im' });

    const [w3, r3] = h.both({ x, y: nans(outSize), argmax: new Int32Array(outSize).fill(-1) }, (b, p) =>
      b.maxPoolForward(p.x, p.y, p.argmax, g),
    );
    expectClose(w3.y, r3.y, { rtol: 0, atol: 0, label: 'max pool' });
    expect(Array.from(w3.argmax)).toEqual(Array.from(r3.argmax));
    // Inference (no argmax): its own loops, the same maxima.
    const [w3i] = h.both({ x, y: nans(outSize) }, (b, p) => b.maxPoolForward(p.x, p.y, 0, g));
    expectBitIdentical(w3i.y, r3.y, 'max pool without argmax');

    const dy = uniform(random, outSize);
    const [w4, r4] = h.both({ dy, argmax: r3.argmax, dx: nans(inSize) }, (b, p) =>
      b.maxPoolBackward(p.dy, p.argmax, p.dx, outSize, inSize),
    );
    expectClose(w4.dx, r4.dx, { rtol: 1e-6, atol: 1e-7, label: 'max pool backward' });

    const [w5, r5] = h.both({ x, y: nans(outSize) }, (b, p) => b.avgPoolForward(p.x, p.y, g));
    expectClose(w5.y, r5.y, { rtol: 1e-5, atol: 1e-6, label: 'avg pool' });

    const [w6, r6] = h.both({ dy, dx: nans(inSize) }, (b, p) => b.avgPoolBackward(p.dy, p.dx, g));
    expectClose(w6.dx, r6.dx, { rtol: 1e-5, atol: 1e-6, label: 'avg pool backward' });
  });

  it('max pooling skips padding and takes the first of tied maxima', () => {
    // One 3x3 image, 2x2 windows, stride 2, same padding: windows at rows/cols {0,1}, {2}.
    const g = windowGeometry([1, 3, 3, 1], [2, 2], [2, 2], 'same');
    expect([g.OH, g.OW, g.PT, g.PL]).toEqual([2, 2, 0, 0]);
    const x = new Float32Array([-5, -5, -1, -7, -6, -2, -3, -4, -9]);
    const [w] = h.both({ x, y: nans(4), argmax: new Int32Array(4) }, (b, p) => b.maxPoolForward(p.x, p.y, p.argmax, g));
    expect(Array.from(w.y)).toEqual([-5, -1, -3, -9]);
    expect(Array.from(w.argmax)).toEqual([0, 2, 6, 8]);
    // Without argmax (inference, the unrolled 2x2 path on 4 channels): the first of tied maxima too, -0 before +0.
    const g4 = windowGeometry([1, 2, 2, 4], [2, 2], [2, 2], 'valid');
    const x4 = new Float32Array([-0, 1, 3, 0, 0, 1, 2, -0, 0, 1, 3, 0, 0, 1, 3, -0]);
    const [w4] = h.both({ x: x4, y: nans(4) }, (b, p) => b.maxPoolForward(p.x, p.y, 0, g4));
    expect(Array.from(w4.y).map((v) => Object.is(v, -0) ? '-0' : v)).toEqual(['-0', 1, 3, 0]);
  });

  it('average pooling divides by the in-bounds count only', () => {
    const g = windowGeometry([1, 3, 3, 1], [2, 2], [2, 2], 'same');
    const x = new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const [w] = h.both({ x, y: nans(4) }, (b, p) => b.avgPoolForward(p.x, p.y, g));
    expect(Array.from(w.y)).toEqual([3, 4.5, 7.5, 9]);
  });
});

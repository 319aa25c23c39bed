import { beforeAll, describe, expect, it } from 'vitest';
import { createReferenceBackend } from '../../src/backend/reference.js';
import { Engine } from '../../src/backend/engine.js';
import { Im2colConvolution } from '../../src/ops/im2col_convolution.js';
import { windowGeometry } from '../../src/ops/geometry.js';
import { BUILDS, expectClose, harness, nans, type Harness } from '../support/harness.js';
import { rng, uniform } from '../support/random.js';
import { WINDOW_CASES, caseName } from '../support/shapes.js';

describe.each(BUILDS)('Im2colConvolution op (%s build) against the same op on the reference backend', (build) => {
  let h: Harness;
  let refEngine: Engine;
  beforeAll(async () => {
    h = await harness(build);
    // An engine view that runs the reference kernels on the same arena.
    refEngine = new Engine(h.engine.arena, createReferenceBackend(h.engine.arena), 'reference', undefined);
  });

  const cases = WINDOW_CASES.map((c) => [caseName(c), c] as const);

  it.each(cases)('%s: forward, backward input, backward filter, chunked and whole', (_name, c) => {
    const g = windowGeometry(c.input, c.kernel, c.strides, c.padding);
    const filters = 5;
    const random = rng(g.H * 31 + g.C);
    const inSize = g.N * g.H * g.W * g.C;
    const wSize = g.KH * g.KW * g.C * filters;
    const ySize = g.N * g.OH * g.OW * filters;
    const x = uniform(random, inSize);
    const w = uniform(random, wSize);
    const dy = uniform(random, ySize);
    const dw0 = uniform(random, wSize);
    const results = [];
    // Whole batch in one chunk, one sample per chunk, and the reference.
    for (const [engine, budget] of [[h.engine, undefined], [h.engine, 1], [refEngine, undefined]] as const) {
      const conv = new Im2colConvolution(engine, g, filters, budget);
      if (budget === 1) expect(conv.chunk).toBe(1);
      results.push(
        h.run(engine.backend, { x, w, dy, y: nans(ySize), dx: nans(inSize), dw: nans(wSize), dwAcc: dw0 }, (_b, p) => {
          conv.forward(p.x, p.w, p.y);
          conv.backwardInput(p.dy, p.w, p.dx);
          conv.backwardFilter(p.x, p.dy, p.dw);
          conv.backwardFilter(p.x, p.dy, p.dwAcc, true);
        }),
      );
      conv.dispose();
    }
    const tol = { rtol: 1e-5, atol: 1e-5 };
    for (const got of results.slice(0, 2)) {
      const want = results[2];
      expectClose(got.y, want.y, { ...tol, label: 'y' });
      expectClose(got.dx, want.dx, { ...tol, label: 'dx' });
      expectClose(got.dw, want.dw, { ...tol, label: 'dw' });
      expectClose(got.dwAcc, want.dwAcc, { ...tol, label: 'dw accumulated' });
    }
  });

  it('rejects a bad filter count', () => {
    const g = windowGeometry([1, 4, 4, 1], [3, 3], [1, 1], 'valid');
    expect(() => new Im2colConvolution(h.engine, g, 0)).toThrow(/filters = 0: expected a positive integer/);
  });
});

describe('windowGeometry', () => {
  it("follows TensorFlow's output sizes and padding split", () => {
    expect(windowGeometry([1, 28, 28, 1], [5, 5], [1, 1], 'valid')).toMatchObject({ OH: 24, OW: 24, PT: 0, PL: 0 });
    expect(windowGeometry([1, 28, 28, 1], [5, 5], [1, 1], 'same')).toMatchObject({ OH: 28, OW: 28, PT: 2, PL: 2 });
    // Even kernel: total padding 1 goes to the bottom/right, as TensorFlow does.
    expect(windowGeometry([1, 4, 4, 1], [2, 2], [1, 1], 'same')).toMatchObject({ OH: 4, OW: 4, PT: 0, PL: 0 });
    expect(windowGeometry([1, 7, 8, 1], [3, 3], [2, 2], 'same')).toMatchObject({ OH: 4, OW: 4, PT: 1, PL: 0 });
    expect(windowGeometry([1, 7, 7, 1], [3, 3], [2, 2], 'valid')).toMatchObject({ OH: 3, OW: 3 });
  });

  it('names the bad argument', () => {
    expect(() => windowGeometry([1, 4, 4], [3, 3], [1, 1], 'same')).toThrow(/input shape = \[1, 4, 4\]: expected \[N, H, W, C\]/);
    expect(() => windowGeometry([1, 4, 4, 1], [5, 5], [1, 1], 'valid')).toThrow(/kernel size = \[5, 5\]/);
    expect(() => windowGeometry([1, 4, 4, 1], [3, 3], [0, 1], 'same')).toThrow(/strides\[0\] = 0: expected a positive integer/);
    expect(() => windowGeometry([1, 4, 4, 1], [3, 3], [1, 1], 'full' as never)).toThrow(/padding = "full"/);
  });
});

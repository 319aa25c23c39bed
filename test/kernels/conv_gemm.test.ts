import { beforeAll, describe, expect, it, vi } from 'vitest';
import { CONV_INPUT_GEMM_MAX_TAPS, type WindowGeometry } from '../../src/backend/backend.js';
import { windowGeometry, type Padding } from '../../src/ops/geometry.js';
import { Im2colConvolution, TRANSPOSED_MIN_CHANNELS } from '../../src/ops/im2col_convolution.js';
import { BUILDS, expectBitIdentical, expectClose, harness, nans, type Harness } from '../support/harness.js';
import { rng, uniform } from '../support/random.js';
import { WINDOW_CASES, caseName } from '../support/shapes.js';

type Case = { input: [number, number, number, number]; kernel: [number, number]; strides: [number, number]; padding: Padding; filters: number };

// The window cases (strides, padding, 1x1, a kernel as large as the input) with odd filter counts,
// and shapes that cross the GEMM's blocks: more than 96 output rows (several A panels), patches of
// more than 256 taps (several K blocks forward) and more than 96 (several panels of the weight
// gradient), more than 256 positions (several K blocks of the weight gradient) and more than 256
// filters (several K blocks of the input gradient). Shapes with kernel rows of under 8 floats take
// the direct path (A read from x in place); the last two exercise its K blocks and its mix of
// direct and gathered row groups.
const CASES: Case[] = [
  ...WINDOW_CASES.map((c, i) => ({ ...c, filters: [3, 9, 1, 20, 5, 8, 13, 4, 7][i] })),
  { input: [3, 14, 14, 1], kernel: [5, 5], strides: [1, 1], padding: 'valid', filters: 20 },
  { input: [2, 7, 6, 1], kernel: [5, 5], strides: [1, 1], padding: 'same', filters: 6 },
  { input: [2, 12, 12, 20], kernel: [5, 5], strides: [1, 1], padding: 'valid', filters: 50 },
  { input: [2, 9, 10, 32], kernel: [3, 3], strides: [1, 1], padding: 'same', filters: 37 },
  { input: [2, 6, 7, 33], kernel: [4, 4], strides: [1, 1], padding: 'same', filters: 5 },
  { input: [1, 5, 5, 40], kernel: [5, 5], strides: [1, 1], padding: 'same', filters: 3 },
  { input: [5, 11, 9, 3], kernel: [3, 3], strides: [2, 1], padding: 'same', filters: 32 },
  // Column strides over packed rows read in place (four output positions inside the image, at a
  // stride of SW*C floats of x): one K block, and K blocks that split a kernel row (325 taps in
  // blocks of 163, kernel rows of 65 floats), beside gathered groups at the padding and row ends.
  { input: [2, 9, 21, 6], kernel: [3, 3], strides: [2, 2], padding: 'valid', filters: 11 },
  { input: [1, 11, 23, 13], kernel: [5, 5], strides: [1, 2], padding: 'same', filters: 10 },
  // More than 256 filters: several K blocks of the input gradient.
  { input: [2, 5, 4, 3], kernel: [3, 3], strides: [1, 1], padding: 'same', filters: 300 },
  // One input channel (read in place): 280 taps in two K blocks of 140; and 'same' padding with
  // groups of rows inside the image and groups touching the padding in one call, 6 filters (a
  // short last sliver of a full row group).
  { input: [2, 44, 9, 1], kernel: [40, 7], strides: [1, 1], padding: 'valid', filters: 9 },
  { input: [2, 12, 12, 1], kernel: [3, 3], strides: [1, 1], padding: 'same', filters: 6 },
];

const name = (c: Case) => `${caseName(c)} -> ${c.filters} filters`;

describe.each(BUILDS)('convolution GEMMs (%s build): the bits of im2col + gemm, without the columns', (build) => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness(build);
  });

  /** The case's geometry, its region sizes, and a generator seeded by its size and `salt`. */
  function setUp(c: Case, salt: number) {
    const g: WindowGeometry = windowGeometry(c.input, c.kernel, c.strides, c.padding);
    const patch = g.KH * g.KW * g.C;
    const rows = g.N * g.OH * g.OW;
    const s = { patch, rows, inSize: g.N * g.H * g.W * g.C, colSize: rows * patch, outSize: rows * c.filters, filterSize: patch * c.filters };
    return { g, s, random: rng(s.inSize + salt * c.filters) };
  }

  it.each(CASES.map((c) => [name(c), c] as const))('forward, %s', (_name, c) => {
    const { g, s, random } = setUp(c, 7);
    const x = uniform(random, s.inSize);
    const w = uniform(random, s.filterSize);

    const direct = h.run(h.wasm, { x, w, y: nans(s.outSize) }, (b, p) => b.convGemm(p.x, p.w, p.y, g, c.filters)).y;
    const viaColumns = h.run(h.wasm, { x, w, cols: nans(s.colSize), y: nans(s.outSize) }, (b, p) => {
      b.im2col(p.x, p.cols, g);
      b.gemm(false, false, s.rows, c.filters, s.patch, p.cols, p.w, p.y, false);
    }).y;
    expectBitIdentical(direct, viaColumns, 'convGemm vs im2col + gemm');

    const reference = h.run(h.ref, { x, w, y: nans(s.outSize) }, (b, p) => b.convGemm(p.x, p.w, p.y, g, c.filters)).y;
    expectClose(direct, reference, { rtol: 1e-5, atol: 2e-6 * Math.sqrt(s.patch + 1), label: 'convGemm vs the reference' });
  });

  it.each(CASES.map((c) => [name(c), c] as const))('weight gradient, %s', (_name, c) => {
    const { g, s, random } = setUp(c, 11);
    const x = uniform(random, s.inSize);
    const dy = uniform(random, s.outSize);
    const dw0 = uniform(random, s.filterSize);

    for (const accumulate of [false, true]) {
      const start = accumulate ? dw0 : nans(s.filterSize);
      const direct = h.run(h.wasm, { x, dy, dw: start }, (b, p) => b.convFilterGemm(p.x, p.dy, p.dw, g, c.filters, accumulate)).dw;
      const viaColumns = h.run(h.wasm, { x, dy, cols: nans(s.colSize), dw: start }, (b, p) => {
        b.im2col(p.x, p.cols, g);
        b.gemm(true, false, s.patch, c.filters, s.rows, p.cols, p.dy, p.dw, accumulate);
      }).dw;
      expectBitIdentical(direct, viaColumns, `convFilterGemm vs im2col + gemm (accumulate ${accumulate})`);

      const reference = h.run(h.ref, { x, dy, dw: start }, (b, p) => b.convFilterGemm(p.x, p.dy, p.dw, g, c.filters, accumulate)).dw;
      expectClose(direct, reference, { rtol: 1e-5, atol: 2e-6 * Math.sqrt(s.rows + 1), label: `convFilterGemm vs the reference (accumulate ${accumulate})` });
    }
  });

  it.each(CASES.map((c) => [name(c), c] as const))('input gradient (gemm + col2im fused), %s', (_name, c) => {
    const { g, s, random } = setUp(c, 17);
    const w = uniform(random, s.filterSize);
    const dy = uniform(random, s.outSize);
    // dx starts as NaN: every element must be written, the ones no window covers as 0.
    const fused = h.run(h.wasm, { dy, w, dx: nans(s.inSize) }, (b, p) => b.convInputGemm(p.dy, p.w, p.dx, g, c.filters)).dx;
    const viaColumns = h.run(h.wasm, { dy, w, cols: nans(s.colSize), dx: nans(s.inSize) }, (b, p) => {
      b.gemm(false, true, s.rows, s.patch, c.filters, p.dy, p.w, p.cols, false);
      b.col2im(p.cols, p.dx, g);
    }).dx;
    expectBitIdentical(fused, viaColumns, 'convInputGemm vs gemm + col2im');

    const reference = h.run(h.ref, { dy, w, dx: nans(s.inSize) }, (b, p) => b.convInputGemm(p.dy, p.w, p.dx, g, c.filters)).dx;
    expectClose(fused, reference, { rtol: 1e-5, atol: 2e-6 * Math.sqrt(s.patch * c.filters + 1), label: 'convInputGemm vs the reference' });
  });

  it('the fused input gradient takes a patch of CONV_INPUT_GEMM_MAX_TAPS taps, and refuses a larger one by name', () => {
    // 2 x 2 x 512 = 2048 taps over an 11 x 11 input: 100 positions, two panels. 420 filters: the
    // packed kernel (420 x 2048) and a panel no longer fit the scratch together, so it is packed
    // again for each panel, K block by K block (two of 210).
    const g = windowGeometry([1, 11, 11, CONV_INPUT_GEMM_MAX_TAPS / 4], [2, 2], [1, 1], 'valid');
    const CO = 420, rows = 100, inSize = 11 * 11 * 512;
    const random = rng(2048);
    const w = uniform(random, CONV_INPUT_GEMM_MAX_TAPS * CO), dy = uniform(random, rows * CO);
    const fused = h.run(h.wasm, { dy, w, dx: nans(inSize) }, (b, p) => b.convInputGemm(p.dy, p.w, p.dx, g, CO)).dx;
    const viaColumns = h.run(h.wasm, { dy, w, cols: nans(rows * 2048), dx: nans(inSize) }, (b, p) => {
      b.gemm(false, true, rows, 2048, CO, p.dy, p.w, p.cols, false);
      b.col2im(p.cols, p.dx, g);
    }).dx;
    expectBitIdentical(fused, viaColumns, 'convInputGemm at the largest patch');
    const larger = windowGeometry([1, 3, 3, CONV_INPUT_GEMM_MAX_TAPS / 8 + 1], [3, 3], [1, 1], 'same');
    expect(() => h.wasm.convInputGemm(0, 0, 0, larger, 1)).toThrow(/convInputGemm: a patch of 2313 taps, more than the 2048/);
  });
});

describe.each(BUILDS)('the input gradient of a stride-1 convolution (%s build): a transposed convolution', (build) => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness(build);
  });

  it.each([[2, 3, 4, 5], [1, 1, 1, 1], [3, 5, 1, 20]])('flipKernel on a %ix%ix%ix%i kernel: the reference bits', (KH, KW, C, CO) => {
    const w = uniform(rng(KH * 100 + KW * 10 + C + CO), KH * KW * C * CO);
    const [got, want] = h.both({ w, wt: nans(w.length) }, (b, p) => b.flipKernel(p.w, p.wt, KH, KW, C, CO));
    expectBitIdentical(got.wt, want.wt, 'flipKernel');
    // [KH-1-kh, KW-1-kw, co, c] holds w[kh, kw, c, co]: check one element by hand.
    const [kh, kw, c, co] = [KH - 1, 0, C - 1, 0];
    expect(got.wt[((0 * KW + (KW - 1)) * CO + co) * C + c]).toBe(w[((kh * KW + kw) * C + c) * CO + co]);
  });

  it('a patch over CONV_INPUT_GEMM_MAX_TAPS taps writes the columns, chunk by chunk, to the same dx', () => {
    const fused = vi.spyOn(h.wasm, 'convInputGemm');
    // 3 x 3 x 256 = 2304 taps, stride 2: three images, so a budget of one image's columns gives chunks.
    const g = windowGeometry([3, 5, 5, 256], [3, 3], [2, 2], 'valid');
    const CO = 5, patch = 2304, rows = 3 * 2 * 2, inSize = 3 * 5 * 5 * 256;
    const random = rng(2304);
    const w = uniform(random, patch * CO), dy = uniform(random, rows * CO);
    const want = h.run(h.ref, { w, dy, cols: nans(rows * patch), dx: nans(inSize) }, (b, p) => {
      b.gemm(false, true, rows, patch, CO, p.dy, p.w, p.cols, false);
      b.col2im(p.cols, p.dx, g);
    }).dx;
    for (const budget of [undefined, 4 * patch]) {
      const conv = new Im2colConvolution(h.engine, g, CO, budget);
      expect(conv.chunk).toBe(budget ? 1 : 3);
      const got = h.run(h.wasm, { w, dy, dx: nans(inSize) }, (_b, p) => conv.backwardInput(p.dy, p.w, p.dx)).dx;
      conv.dispose();
      expectClose(got, want, { rtol: 1e-5, atol: 2e-6 * Math.sqrt(patch * CO + 1), label: `dx, budget ${budget}` });
    }
    expect(fused).not.toHaveBeenCalled();
    fused.mockRestore();
  });

  // Every stride-1 case: 'same' ones with 32 channels or more run the transposed convolution, the
  // others gemm + col2im fused (a pointwise one, a plain gemm).
  const strideOne = CASES.filter((c) => c.strides[0] === 1 && c.strides[1] === 1);
  it.each(strideOne.map((c) => [name(c), c] as const))('%s: dx equals gemm + col2im on the reference to rounding', (_name, c) => {
    const transposed = c.padding === 'same' && !(c.kernel[0] === 1 && c.kernel[1] === 1) && c.input[3] >= TRANSPOSED_MIN_CHANNELS;
    const flips = vi.spyOn(h.wasm, 'flipKernel');
    const fused = vi.spyOn(h.wasm, 'convInputGemm');
    const g = windowGeometry(c.input, c.kernel, c.strides, c.padding);
    const CO = c.filters;
    const patch = g.KH * g.KW * g.C, rows = g.N * g.OH * g.OW, inSize = g.N * g.H * g.W * g.C;
    const random = rng(inSize + 13 * CO);
    const w = uniform(random, patch * CO);
    const dy = uniform(random, rows * CO);
    const conv = new Im2colConvolution(h.engine, g, CO);
    const got = h.run(h.wasm, { w, dy, dx: nans(inSize) }, (_b, p) => conv.backwardInput(p.dy, p.w, p.dx)).dx;
    conv.dispose();
    expect(flips.mock.calls.length, 'the transposed convolution ran').toBe(transposed ? 1 : 0);
    const pointwise = c.kernel[0] === 1 && c.kernel[1] === 1 && c.padding === 'valid';
    expect(fused.mock.calls.length, 'gemm + col2im fused ran').toBe(transposed || pointwise ? 0 : 1);
    flips.mockRestore();
    fused.mockRestore();
    const want = h.run(h.ref, { w, dy, cols: nans(rows * patch), dx: nans(inSize) }, (b, p) => {
      b.gemm(false, true, rows, patch, CO, p.dy, p.w, p.cols, false);
      b.col2im(p.cols, p.dx, g);
    }).dx;
    expectClose(got, want, { rtol: 1e-5, atol: 2e-6 * Math.sqrt(patch * CO + 1), label: 'dx' });
  });
});

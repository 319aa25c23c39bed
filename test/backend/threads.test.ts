import { describe, expect, it } from 'vitest';
import { init, type Engine } from '../../src/backend/engine.js';
import { THREAD_THRESHOLDS } from '../../src/backend/wasm.js';
import { windowGeometry } from '../../src/ops/geometry.js';
import { presetSpec } from '../../src/model/presets.js';
import { Sequential } from '../../src/model/sequential.js';
import { optimizerFromSpec } from '../../src/optim/spec.js';
import { rng, uniform } from '../support/random.js';

const bits = (m: Sequential) => m.getWeights().map((w) => Buffer.from(w.values.buffer, w.values.byteOffset, w.values.byteLength).toString('hex')).join('');

/** C = op(A) op(B) on an engine, as bytes. */
function gemm(engine: Engine, transA: boolean, transB: boolean, M: number, N: number, K: number, accumulate: boolean): string {
  const random = rng(M * 7 + N * 3 + K);
  const { arena, backend } = engine;
  const a = arena.allocF32(M * K), b = arena.allocF32(K * N), c = arena.allocF32(M * N);
  arena.f32(a, M * K).set(uniform(random, M * K));
  arena.f32(b, K * N).set(uniform(random, K * N));
  arena.f32(c, M * N).set(uniform(random, M * N));
  backend.gemm(transA, transB, M, N, K, a, b, c, accumulate);
  const out = Buffer.from(arena.f32(c, M * N).slice().buffer).toString('hex');
  for (const p of [a, b, c]) arena.free(p);
  return out;
}

/** The convolution GEMMs (forward, the weight gradient accumulated onto a start, and the input gradient) on an engine, as bytes. */
function convGemms(engine: Engine, input: [number, number, number, number], kernel: [number, number], strides: [number, number], padding: 'same' | 'valid', CO: number): string {
  const g = windowGeometry(input, kernel, strides, padding);
  const random = rng(g.N * 13 + g.C * 5 + CO);
  const { arena, backend } = engine;
  const patch = g.KH * g.KW * g.C, rows = g.N * g.OH * g.OW;
  const put = (n: number) => {
    const p = arena.allocF32(n);
    arena.f32(p, n).set(uniform(random, n));
    return p;
  };
  const inSize = g.N * g.H * g.W * g.C;
  const x = put(inSize), w = put(patch * CO), y = put(rows * CO), dw = put(patch * CO), dx = put(inSize);
  backend.convGemm(x, w, y, g, CO);
  backend.convFilterGemm(x, y, dw, g, CO, true);
  backend.convInputGemm(y, w, dx, g, CO);
  const hex = (p: number, n: number) => Buffer.from(arena.f32(p, n).slice().buffer).toString('hex');
  const out = hex(y, rows * CO) + hex(dw, patch * CO) + hex(dx, inSize);
  for (const p of [x, w, y, dw, dx]) arena.free(p);
  return out;
}

describe('kernel threads', () => {
  it('GEMM split by rows over 2 and 3 threads gives the one-thread bits, in every form and on awkward shapes', async () => {
    const one = await init({ threads: 1 });
    const two = await init({ threads: 2 });
    const three = await init({ threads: 3 });
    expect([one.threads, two.threads, three.threads]).toEqual([1, 2, 3]);
    const shapes = [[129, 67, 300], [517, 33, 131], [96, 1000, 784], [13, 400, 513], [8, 4099, 80]];
    for (const [M, N, K] of shapes) {
      expect(M * N * K, 'shapes above the threading threshold').toBeGreaterThanOrEqual(THREAD_THRESHOLDS.gemm);
      for (const [transA, transB] of [[false, false], [false, true], [true, false], [true, true]]) {
        for (const accumulate of [false, true]) {
          const want = gemm(one, transA, transB, M, N, K, accumulate);
          expect(gemm(two, transA, transB, M, N, K, accumulate), `${M}x${N}x${K} ${transA} ${transB}`).toBe(want);
          expect(gemm(three, transA, transB, M, N, K, accumulate), `${M}x${N}x${K} ${transA} ${transB} (3)`).toBe(want);
        }
      }
    }
    for (const e of [one, two, three]) e.dispose();
  }, 60_000);

  it('the convolution GEMMs split over 2 and 3 threads give the one-thread bits', async () => {
    const engines = await Promise.all([1, 2, 3].map((threads) => init({ threads })));
    const shapes: [[number, number, number, number], [number, number], [number, number], 'same' | 'valid', number][] = [
      [[16, 28, 28, 1], [5, 5], [1, 1], 'valid', 20],
      [[8, 12, 12, 20], [5, 5], [1, 1], 'valid', 50],
      [[6, 17, 15, 32], [3, 3], [2, 1], 'same', 37],
    ];
    for (const [input, kernel, strides, padding, CO] of shapes) {
      const g = windowGeometry(input, kernel, strides, padding);
      expect(g.N * g.OH * g.OW * g.KH * g.KW * g.C * CO, 'above the threading threshold').toBeGreaterThanOrEqual(THREAD_THRESHOLDS.gemm);
      const [one, two, three] = engines.map((e) => convGemms(e, input, kernel, strides, padding, CO));
      expect(two, `${input} 2 threads`).toBe(one);
      expect(three, `${input} 3 threads`).toBe(one);
    }
    for (const e of engines) e.dispose();
  }, 60_000);

  it('max pooling, forward (with its argmax) and backward, split by images over 2 and 3 threads gives the one-thread bits', async () => {
    const engines = await Promise.all([1, 2, 3].map((threads) => init({ threads })));
    const cases: [[number, number, number, number], [number, number], [number, number], 'same' | 'valid'][] = [
      [[29, 24, 24, 20], [2, 2], [2, 2], 'valid'],
      [[5, 33, 31, 64], [3, 3], [2, 2], 'same'],
    ];
    for (const [input, kernel, strides, padding] of cases) {
      const g = windowGeometry(input, kernel, strides, padding);
      const inSize = g.N * g.H * g.W * g.C, outSize = g.N * g.OH * g.OW * g.C;
      expect(inSize, 'above the threading threshold').toBeGreaterThanOrEqual(THREAD_THRESHOLDS.elementwise);
      const run = (engine: Engine): string => {
        const random = rng(inSize);
        const { arena, backend } = engine;
        const x = arena.allocF32(inSize), dy = arena.allocF32(outSize), y = arena.allocF32(outSize), argmax = arena.alloc(outSize * 4), dx = arena.allocF32(inSize);
        // Rounded values, so windows have ties and the first maximum must win on every thread.
        arena.f32(x, inSize).set(uniform(random, inSize).map((v) => Math.round(v * 4) / 4));
        arena.f32(dy, outSize).set(uniform(random, outSize));
        backend.maxPoolForward(x, y, argmax, g);
        backend.maxPoolBackward(dy, argmax, dx, outSize, inSize, g.N);
        const out = [arena.f32(y, outSize), arena.i32(argmax, outSize), arena.f32(dx, inSize)].map((v) => Buffer.from(v.slice().buffer).toString('hex')).join('');
        for (const p of [x, dy, y, argmax, dx]) arena.free(p);
        return out;
      };
      const [one, two, three] = engines.map(run);
      expect(two === one, `${input}: 2 threads`).toBe(true);
      expect(three === one, `${input}: 3 threads`).toBe(true);
    }
    for (const e of engines) e.dispose();
  }, 60_000);

  it('activations (every kind, forward and backward) and the bias add split over 2 and 3 threads give the one-thread bits', async () => {
    const engines = await Promise.all([1, 2, 3].map((threads) => init({ threads })));
    const n = THREAD_THRESHOLDS.elementwise + 1237;
    const cols = 37;
    const run = (engine: Engine): string => {
      const random = rng(5);
      const { arena, backend } = engine;
      const put = (count: number) => {
        const p = arena.allocF32(count);
        arena.f32(p, count).set(uniform(random, count, -2, 2));
        return p;
      };
      const x = put(n), dy = put(n), b = put(cols), y = arena.allocF32(n), dx = arena.allocF32(n);
      let out = '';
      const hex = (p: number) => Buffer.from(arena.f32(p, n).slice().buffer).toString('hex');
      for (const kind of ['relu', 'leakyRelu', 'elu', 'tanh', 'sigmoid'] as const) {
        backend.activationForward(kind, x, y, n, 0.3);
        backend.activationBackward(kind, x, y, dy, dx, n, 0.3);
        out += hex(y) + hex(dx);
      }
      backend.biasAdd(x, b, Math.floor(n / cols), cols);
      out += hex(x);
      for (const p of [x, dy, b, y, dx]) arena.free(p);
      return out;
    };
    const [one, two, three] = engines.map(run);
    expect(two === one, '2 threads').toBe(true);
    expect(three === one, '3 threads').toBe(true);
    for (const e of engines) e.dispose();
  }, 60_000);

  it('the whole-region passes (copy, axpy, scale, fill, mask multiply) split over 2 and 3 threads give the one-thread values', async () => {
    const engines = await Promise.all([1, 2, 3].map((threads) => init({ threads })));
    const n = THREAD_THRESHOLDS.update * 3 + 13;
    const random = rng(11);
    const xs = uniform(random, n, -2, 2), ys = uniform(random, n, -2, 2);
    const mask = Float32Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 0 : 1.25));
    // The closed forms, in f32 (axpy: the product rounded, then the sum, as the SIMD build computes it).
    const f = Math.fround, a = f(-0.37);
    const want = {
      copy: xs,
      axpy: Float32Array.from(ys, (y, i) => f(y + f(a * xs[i]))),
      scale: Float32Array.from(xs, (x) => f(x * a)),
      fill: new Float32Array(n).fill(a),
      mask: Float32Array.from(xs, (x, i) => f(x * mask[i])),
    };
    for (const engine of engines) {
      const { arena, backend } = engine;
      const put = (v: Float32Array) => {
        const p = arena.allocF32(v.length + 2);
        arena.f32(p, v.length + 2).fill(7); // a sentinel on either side of the range the kernels get
        arena.f32(p + 4, v.length).set(v);
        return p + 4;
      };
      const read = (p: number) => arena.f32(p - 4, n + 2).slice();
      const x = put(xs), y = put(ys), m = put(mask), dst = put(new Float32Array(n));
      backend.copy(x, dst, n);
      const copied = read(dst);
      backend.axpy(y, x, n, a);
      const added = read(y);
      backend.scale(x, n, a);
      const scaled = read(x);
      arena.f32(x, n).set(xs);
      backend.maskMultiply(x, m, n);
      const masked = read(x);
      backend.fill(dst, n, a);
      const got = { copy: copied, axpy: added, scale: scaled, fill: read(dst), mask: masked };
      for (const [name, values] of Object.entries(got) as [keyof typeof want, Float32Array][]) {
        expect([values[0], values[n + 1]], `${name}, ${engine.threads} threads: the sentinels`).toEqual([7, 7]);
        const inner = values.subarray(1, n + 1);
        const wrong = inner.findIndex((v, i) => !Object.is(v, want[name][i]));
        expect(wrong, `${name}, ${engine.threads} threads: first wrong element`).toBe(-1);
      }
      for (const p of [x, y, m, dst]) arena.free(p - 4);
    }
    for (const e of engines) e.dispose();
  }, 60_000);

  it('50 training steps give bit-identical weights at 1 and 2 threads (MLP and LeNet-5)', async () => {
    const random = rng(3);
    for (const [preset, shape] of [['mlp', [784]], ['lenet5', [28, 28, 1]]] as const) {
      const x = uniform(random, 128 * 784, 0, 1);
      const y = Int32Array.from({ length: 128 }, (_, i) => i % 10);
      const results: string[] = [];
      for (const threads of [1, 2]) {
        const engine = await init({ threads });
        const model = Sequential.build(engine, presetSpec(preset, [...shape], 10, 1));
        model.compile({ optimizer: optimizerFromSpec({ type: 'adam', lr: 1e-3, transforms: [{ type: 'l2', lambda: 1e-4 }] }), loss: 'crossEntropy' });
        for (let s = 0; s < 50; s++) model.trainStep(x, y);
        results.push(bits(model));
        model.dispose();
        engine.dispose();
      }
      expect(results[1], preset).toBe(results[0]);
    }
  }, 120_000);

  it('a late notify does not run a finished task again (the caller preempted between its add and its notify)', async () => {
    const engine = await init({ threads: 2 });
    const { arena } = engine;
    const pool = (engine as unknown as { pool: { ctl: Int32Array; run(tasks: { op: string; args: number[] }[], local: () => void): void } }).pool;
    const n = 1024;
    const w = arena.allocF32(n), g = arena.allocF32(n);
    arena.f32(g, n).fill(1);
    // w -= 0.5 * g on the worker: once.
    pool.run([{ op: 'sgdUpdate', args: [w, g, 0] }, { op: 'sgdUpdate', args: [w, g, n, 0.5] }], () => {});
    expect(arena.f32(w, n).every((v) => v === -0.5)).toBe(true);
    // The notify the caller would have sent late; the worker has finished and waits again.
    Atomics.notify(pool.ctl, 0);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    expect(arena.f32(w, n).every((v) => v === -0.5), 'the worker ran the update a second time').toBe(true);
    engine.dispose();
  });

  it("refuses a task with more arguments than a worker's slot holds, instead of writing into the next slot", async () => {
    const engine = await init({ threads: 2 });
    const pool = (engine as unknown as { pool: { run(tasks: { op: string; args: number[] }[], local: () => void): void } }).pool;
    const task = (n: number) => ({ op: 'sparseConvolution', args: new Array<number>(n).fill(0) });
    expect(() => pool.run([task(1), task(21)], () => {})).toThrow(/sparseConvolution got 21 arguments, more than the 20 a slot holds/);
    engine.dispose();
  });

  it('checks the option', async () => {
    await expect(init({ threads: 0 })).rejects.toThrow(/threads = 0: expected "auto" or an integer from 1 to 256/);
    await expect(init({ threads: 2, simd: 'none' })).rejects.toThrow(/threads = 2: expected 1 with the scalar build/);
    const auto = await init();
    expect(auto.threads).toBeGreaterThanOrEqual(1);
    auto.dispose();
  });
});

describe('inference-only models', () => {
  it('predict the same bits as the trainable model with far less memory, and refuse to train', async () => {
    const engine = await init({ threads: 1 });
    const spec = presetSpec('lenet5', [28, 28, 1], 10, 1);
    const before = engine.arena.bytesInUse;
    const full = Sequential.build(engine, spec);
    const x = uniform(rng(9), 64 * 784, 0, 1);
    const want = full.predict(x, { batchSize: 64 });
    const fullBytes = engine.arena.bytesInUse - before;
    const middle = engine.arena.bytesInUse;
    const lean = full.toInference();
    expect(lean.inference).toBe(true);
    const got = lean.predict(x, { batchSize: 64 });
    const leanBytes = engine.arena.bytesInUse - middle;
    expect(Buffer.from(got.buffer).equals(Buffer.from(want.buffer))).toBe(true);
    expect(lean.predict(x.subarray(0, 784), { batchSize: 1 })).toEqual(want.subarray(0, 10));
    expect(leanBytes).toBeLessThan(fullBytes * 0.6);
    expect(() => lean.compile({ optimizer: optimizerFromSpec({ type: 'sgd', lr: 0.1 }) })).toThrow(/compile: this model is inference-only/);
    expect(() => lean.lossAndGradients(x.subarray(0, 784), [1])).toThrow(/inference-only/);
    expect(lean.evaluate(x.subarray(0, 784 * 4), [1, 2, 3, 4]).loss).toBeCloseTo(full.evaluate(x.subarray(0, 784 * 4), [1, 2, 3, 4]).loss, 6);
    full.dispose();
    lean.dispose();
    engine.dispose();
  });
});

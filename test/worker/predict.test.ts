import { describe, expect, it } from 'vitest';
import { init } from '../../src/backend/engine.js';
import { Sequential } from '../../src/model/sequential.js';
import { magnitudePrune } from '../../src/prune/magnitude.js';
import { serveTrainer } from '../../src/worker/server.js';

/** The trainer's message handler in this thread: request(op, args) resolves with its result. */
function inProcessTrainer() {
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let handler: (m: unknown) => void = () => {};
  serveTrainer({
    post: (m) => {
      const r = m as { kind: string; id: number; result?: unknown; error?: { message: string } };
      if (r.kind === 'result') waiting.get(r.id)?.resolve(r.result);
      else if (r.kind === 'error') waiting.get(r.id)?.reject(new Error(r.error!.message));
    },
    listen: (h) => (handler = h),
  });
  let id = 0;
  return <T>(op: string, args: object): Promise<T> =>
    new Promise((resolve, reject) => {
      waiting.set(++id, { resolve: resolve as (v: unknown) => void, reject });
      handler({ kind: 'request', id, op, args });
    });
}

describe("the worker's predict", () => {
  it('runs an inference copy that picks the sparse kernel for a pruned model; never gives the training bits; a weight change makes a new copy', async () => {
    const request = inProcessTrainer();
    await request('init', { threads: 1 });
    const spec = { inputShape: [64], seed: 3, layers: [{ type: 'dense', units: 48 }, { type: 'relu' }, { type: 'dense', units: 10 }] };
    await request('build', { spec });
    // The same model here, pruned to 5% density, and its weights sent over.
    const engine = await init({ threads: 1 });
    const local = Sequential.build(engine, spec);
    magnitudePrune(local, { fraction: 0.95 });
    await request('setWeights', { weights: local.getWeights() });
    const x = Float32Array.from({ length: 64 * 20 }, (_, i) => Math.sin(i * 0.37));
    const dense = local.predict(x);
    const never = await request<Float32Array>('predict', { x, sparse: 'never' });
    expect(never).toEqual(dense);
    const auto = await request<Float32Array>('predict', { x });
    const always = await request<Float32Array>('predict', { x, sparse: 'always' });
    const sparseLocal = local.toInference({ sparse: 'always' });
    const autoLocal = local.toInference();
    expect(auto).toEqual(autoLocal.predict(x));
    autoLocal.dispose();
    // What a local inference model with sparse kernels gives, bit for bit; within 1e-5 of dense.
    expect(always).toEqual(sparseLocal.predict(x));
    const scale = Math.max(...dense.map(Math.abs));
    for (const out of [auto, always]) for (let i = 0; i < dense.length; i++) expect(Math.abs(out[i] - dense[i])).toBeLessThanOrEqual(1e-5 * scale);
    // New weights: the copy is made again (the predictions follow them).
    local.setWeights(local.getWeights().map((w) => ({ ...w, values: w.values.map((v) => 2 * v) })));
    await request('setWeights', { weights: local.getWeights() });
    const after = await request<Float32Array>('predict', { x, sparse: 'always' });
    expect(after).not.toEqual(always);
    const sparseAfter = local.toInference({ sparse: 'always' });
    expect(after).toEqual(sparseAfter.predict(x));
    await expect(request('predict', { x, sparse: 'sometimes' })).rejects.toThrow(/^predict options.sparse = "sometimes": expected one of "auto", "always", "never"/);
    [sparseLocal, sparseAfter, local].forEach((m) => m.dispose());
    engine.dispose();
    await request('dispose', {});
  });
});

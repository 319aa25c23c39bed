// bench:inference — what a reduced model buys at inference: latency per sample at batch 1 and 64
// and memory, for the original and the reduced model, each as a trainable model and as an
// inference-only copy (toInference), beside the FLOP ratio the latency ratio should track.
//   npm run bench:inference [-- --json] [--quick]
// The models: LeNet-300-100 and LeNet-5 trained briefly on MNIST with Adam + coupled L2 strong
// enough to leave dead units, then reduced. One kernel thread, so that latency is comparable.
import { init, type Engine } from '../src/backend/engine.js';
import { loadMnist } from '../src/data/mnist.js';
import { presetSpec } from '../src/model/presets.js';
import { Sequential } from '../src/model/sequential.js';
import { optimizerFromSpec } from '../src/optim/spec.js';
import { reduce } from '../src/reduce/reduce.js';
import { parseBenchOptions } from './support/bench-options.js';
import { logProgress } from './support/progress-log.js';
import { formatTable, type TableColumn } from './support/text-table.js';

interface Row {
  model: string;
  variant: 'original' | 'reduced';
  params: number;
  flops: number;
  /** Milliseconds per sample. */
  latency_batch1_ms: number;
  latency_batch64_ms: number;
  /** Arena bytes a model holds once it has predicted at batch 64 (trainable / inference-only). */
  memory_trainable_bytes: number;
  memory_inference_bytes: number;
  inference_latency_batch1_ms: number;
  inference_latency_batch64_ms: number;
}

/** ms per sample: best of 5 windows of at least `windowMs`, alternating with `other` so noise hits both alike. */
function latency(models: Sequential[], x: Float32Array, batch: number, windowMs: number): number[] {
  const input = x.subarray(0, batch * models[0].inputSize);
  for (const m of models) m.predict(input, { batchSize: batch });
  const best = models.map(() => Infinity);
  for (let round = 0; round < 5; round++) {
    models.forEach((m, i) => {
      let calls = 0;
      const start = performance.now();
      while (performance.now() - start < windowMs || calls < 3) {
        m.predict(input, { batchSize: batch });
        calls++;
      }
      best[i] = Math.min(best[i], (performance.now() - start) / calls / batch);
    });
  }
  return best;
}

function memoryOf(engine: Engine, make: () => Sequential, x: Float32Array): { model: Sequential; bytes: number } {
  const before = engine.arena.bytesInUse;
  const model = make();
  model.predict(x.subarray(0, 64 * model.inputSize), { batchSize: 64 });
  return { model, bytes: engine.arena.bytesInUse - before };
}

export async function main(args: readonly string[]): Promise<void> {
  const options = parseBenchOptions(args, { threads: false });
  const engine = await init({ threads: 1 });
  const { train, test } = loadMnist({ limit: options.quick ? 4000 : 20000, testLimit: 256 });
  const rows: Row[] = [];
  const windowMs = options.quick ? 20 : 100;
  for (const [name, shape, l2, epochs] of [['lenet-300-100', [784], 1e-2, 3], ['lenet5', [28, 28, 1], 3e-3, 2]] as const) {
    logProgress(`bench:inference: training ${name}`);
    const model = Sequential.build(engine, presetSpec(name, [...shape], 10, 1));
    model.compile({ optimizer: optimizerFromSpec({ type: 'adam', lr: 3e-3, transforms: [{ type: 'l2', lambda: l2 }] }), loss: 'crossEntropy' });
    await model.fit(train.x, train.y, { epochs: options.quick ? 1 : epochs, batchSize: 64 });
    const { model: reduced } = reduce(model);
    for (const [variant, m] of [['original', model], ['reduced', reduced]] as const) {
      const trainable = memoryOf(engine, () => Sequential.build(engine, m.toSpec()), test.x);
      trainable.model.setWeights(m.getWeights());
      const lean = memoryOf(engine, () => m.toInference(), test.x);
      const [b1, i1] = latency([trainable.model, lean.model], test.x, 1, windowMs);
      const [b64, i64] = latency([trainable.model, lean.model], test.x, 64, windowMs);
      rows.push({
        model: name, variant, params: m.parameterCount, flops: m.flops,
        latency_batch1_ms: b1, latency_batch64_ms: b64, memory_trainable_bytes: trainable.bytes, memory_inference_bytes: lean.bytes,
        inference_latency_batch1_ms: i1, inference_latency_batch64_ms: i64,
      });
      trainable.model.dispose();
      lean.model.dispose();
    }
    model.dispose();
    reduced.dispose();
  }
  if (options.json) {
    process.stdout.write(`${JSON.stringify(rows)}\n`);
    return;
  }
  const columns: TableColumn[] = [
    { header: 'model' }, { header: 'variant' }, { header: 'params', align: 'right' }, { header: 'FLOPs', align: 'right' },
    { header: 'ms/sample b1', align: 'right' }, { header: 'ms/sample b64', align: 'right' },
    { header: 'inference-only b1', align: 'right' }, { header: 'inference-only b64', align: 'right' },
    { header: 'memory (trainable)', align: 'right' }, { header: 'memory (inference-only)', align: 'right' },
  ];
  const mb = (b: number) => `${(b / 2 ** 20).toFixed(2)} MB`;
  const ms = (v: number) => v.toFixed(4);
  process.stdout.write(`bench:inference — latency per sample (1 thread, best of 5 alternating windows) and memory\n\n${formatTable(columns, rows.map((r) => [
    r.model, r.variant, r.params.toLocaleString('en-US'), r.flops.toLocaleString('en-US'), ms(r.latency_batch1_ms), ms(r.latency_batch64_ms),
    ms(r.inference_latency_batch1_ms), ms(r.inference_latency_batch64_ms), mb(r.memory_trainable_bytes), mb(r.memory_inference_bytes),
  ]))}\n\n`);
  for (const name of new Set(rows.map((r) => r.model))) {
    const [o, r] = [rows.find((x) => x.model === name && x.variant === 'original')!, rows.find((x) => x.model === name && x.variant === 'reduced')!];
    process.stdout.write(`${name}: FLOP ratio reduced/original ${(r.flops / o.flops).toFixed(3)}; latency ratio at batch 1 ${(r.latency_batch1_ms / o.latency_batch1_ms).toFixed(3)}, at batch 64 ${(r.latency_batch64_ms / o.latency_batch64_ms).toFixed(3)}\n`);
  }
}

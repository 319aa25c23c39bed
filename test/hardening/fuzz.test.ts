import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { init, type Engine } from '../../src/backend/engine.js';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { parseFlags } from '../../src/cli/flags.js';
import { cifar10FromArchive, parseCifar10 } from '../../src/data/cifar10.js';
import { parseIdx } from '../../src/data/idx.js';
import { datasetFromIdxArrays } from '../../src/data/idx_dataset.js';
import { SlimtrainError } from '../../src/errors.js';
import { encodeContainer } from '../../src/io/container.js';
import { crc32 } from '../../src/io/crc32.js';
import { magnitudePrune } from '../../src/prune/magnitude.js';
import { encodeModel, modelFromBytes } from '../../src/io/model_file.js';
import { exportTfjsModel, importTfjsModel } from '../../src/io/tfjs.js';
import { Sequential } from '../../src/model/sequential.js';
import { serveTrainer } from '../../src/worker/server.js';
import { tarArchive } from '../data/tar_fixture.js';
import { idxBytes } from '../support/idx_bytes.js';
import { rng } from '../support/random.js';

// Seeded fuzzing of every reader and parser that takes outside input. Each input either works or
// raises a SlimtrainError (our checks, with a message); never another error, a hang, or a write
// outside an allocation (guard engines check the guard bands after every case).
// `npm test` runs a few thousand cases in seconds; `npm run fuzz` sets FUZZ_SCALE=20.
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
const cases = (n: number) => Math.round(n * SCALE);
/** Per test: generous at scale 1 (a loaded CI machine), and growing with the scale. */
const TIMEOUT = 60_000 * Math.max(1, SCALE);
const counts: Record<string, number> = {};

type Random = () => number;
const int = (random: Random, n: number) => Math.floor(random() * n);
const pick = <T>(random: Random, list: readonly T[]): T => list[int(random, list.length)];

/** Flips bits, truncates, extends or rewrites a byte range. */
function mutate(random: Random, bytes: Uint8Array): Uint8Array {
  const kind = int(random, 4);
  if (kind === 0) return bytes.slice(0, int(random, bytes.length + 1));
  if (kind === 1) {
    const out = new Uint8Array(bytes.length + 1 + int(random, 64));
    out.set(bytes);
    for (let i = bytes.length; i < out.length; i++) out[i] = int(random, 256);
    return out;
  }
  const out = bytes.slice();
  for (let k = 0, n = 1 + int(random, 4); k < n && out.length; k++) {
    const i = int(random, Math.min(out.length, kind === 2 ? 32 : out.length)); // kind 2: the header
    out[i] = kind === 2 ? int(random, 256) : out[i] ^ (1 << int(random, 8));
  }
  return out;
}

/** Runs f; an error must be a SlimtrainError. Returns whether it worked. */
async function survives(label: string, f: () => unknown): Promise<boolean> {
  counts[label] = (counts[label] ?? 0) + 1;
  try {
    await f();
    return true;
  } catch (e) {
    if (!(e instanceof SlimtrainError)) throw new Error(`${label}: a ${(e as Error)?.name} escaped: ${(e as Error)?.message}\n${(e as Error)?.stack}`);
    expect((e as Error).message.length).toBeGreaterThan(10);
    return false;
  }
}

describe(`fuzzing (scale ${SCALE})`, () => {
  it('IDX files: parseIdx and the dataset builder', async () => {
    const random = rng(1);
    const images = idxBytes([6, 28, 28], Uint8Array.from({ length: 6 * 784 }, (_, i) => i % 256));
    const labels = idxBytes([6], [0, 1, 2, 3, 4, 9]);
    let worked = 0;
    for (let c = 0; c < cases(2000); c++) {
      const [a, b] = c % 2 ? [mutate(random, images), labels] : [images, mutate(random, labels)];
      if (await survives('idx', () => datasetFromIdxArrays(parseIdx(a, 'images'), parseIdx(b, 'labels')))) worked++;
    }
    expect(worked).toBeGreaterThan(0);
  }, TIMEOUT);

  it('CIFAR-10 batches and archives', async () => {
    const random = rng(2);
    const record = (label: number) => Uint8Array.from({ length: 3073 }, (_, i) => (i === 0 ? label : (i * 7) % 256));
    const batch = new Uint8Array(3 * 3073);
    [3, 8, 1].forEach((l, i) => batch.set(record(l), i * 3073));
    for (let c = 0; c < cases(1000); c++) await survives('cifar batch', () => parseCifar10(mutate(random, batch), 'batch'));
    const files = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin', 'test_batch.bin'];
    const archive = gzipSync(tarArchive(files.map((f) => ({ name: `cifar-10-batches-bin/${f}`, data: batch }))));
    for (let c = 0; c < cases(150); c++) await survives('cifar archive', () => cifar10FromArchive(mutate(random, archive)));
  }, TIMEOUT);

  it('model files whose manifest is well-formed JSON with a valid checksum but arbitrary content', async () => {
    const random = rng(3);
    const engine = await init({ guards: true });
    const values = [-1, 0, 1, 2, 3, 2.5, 'x', null, true, [], {}, [2, 2], 1e9, -0];
    const layerTypes = ['dense', 'conv2d', 'maxPool2d', 'flatten', 'batchNorm', 'dropout', 'relu', 'elu', 'nonsense'];
    for (let c = 0; c < cases(1000); c++) {
      const layers = Array.from({ length: 1 + int(random, 4) }, () => {
        const layer: Record<string, unknown> = { type: pick(random, layerTypes) };
        for (const key of ['units', 'filters', 'kernelSize', 'rate', 'alpha', 'strides'].filter(() => random() < 0.5)) layer[key] = pick(random, values);
        return layer;
      });
      const spec = random() < 0.9 ? { inputShape: pick(random, [[4], [6, 6, 1], [0], [2, 2, 2, 2], 'x']), layers } : pick(random, values);
      const tensors = Array.from({ length: int(random, 4) }, (_, i) => ({ name: pick(random, ['dense_1/kernel', 'dense_1/bias', `t${i}`]), shape: [1 + int(random, 6)], values: new Float32Array(1 + int(random, 6)) }));
      const bytes = encodeContainer({ format: 'slimtrain-model', version: pick(random, [1, 1, 1, 2, 0]), spec: spec as never, metadata: {} }, tensors.map((t) => ({ ...t, shape: [t.values.length] })));
      await survives('model manifest', () => {
        const { model } = modelFromBytes(engine, bytes);
        model.predict(new Float32Array(model.inputSize).fill(0.5));
        model.dispose();
      });
      engine.arena.checkGuards();
    }
  }, TIMEOUT);

  it('sparse tensors in model files: damaged counts, indices, values and storage fields behind a valid checksum', async () => {
    const random = rng(11);
    const engine = await init({ guards: true });
    const source = Sequential.build(engine, { inputShape: [6, 6, 1], seed: 2, layers: [{ type: 'conv2d', filters: 3, kernelSize: 3 }, { type: 'relu' }, { type: 'flatten' }, { type: 'dense', units: 40 }, { type: 'dense', units: 3 }] });
    magnitudePrune(source, { fraction: 0.9 });
    const bytes = encodeModel(source);
    const length = new DataView(bytes.buffer).getUint32(8, true);
    const manifest = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + length)));
    const data = bytes.slice(16 + length);
    const sparse = manifest.tensors.filter((t: { storage?: unknown }) => t.storage);
    expect(sparse.length).toBeGreaterThan(1);
    const fields = ['nonzeros', 'countBytes', 'indexCoding', 'indexBytes', 'bytes', 'form'];
    const values: unknown[] = [-1, 0, 1, 2, 3, 4, 255, 1e9, 2.5, 'delta8', 'delta16', 'csc', 'csr', null, [], {}];
    let worked = 0;
    for (let c = 0; c < cases(1500); c++) {
      const m = structuredClone(manifest);
      let d = data;
      const t = pick(random, m.tensors.filter((x: { storage?: unknown }) => x.storage)) as { offset: number; storage: Record<string, unknown> };
      const kind = int(random, 4);
      if (kind === 0) t.storage[pick(random, fields)] = pick(random, values);
      else if (kind === 3) delete t.storage[pick(random, fields)];
      else {
        // Rewrite bytes inside this tensor (counts, indices, values), or cut the data short.
        d = data.slice();
        const size = Number(t.storage.bytes);
        for (let k = 0, n = 1 + int(random, 3); k < n; k++) d[t.offset + int(random, size)] = kind === 1 ? int(random, 256) : d[t.offset + int(random, size)] ^ (1 << int(random, 8));
        if (random() < 0.2) d = d.slice(0, int(random, d.length));
      }
      let json = JSON.stringify({ ...m, dataBytes: d.length });
      while (new TextEncoder().encode(json).length % 4) json += ' ';
      const text = new TextEncoder().encode(json);
      const file = new Uint8Array(16 + text.length + d.length);
      file.set(bytes.subarray(0, 8));
      file.set(text, 16);
      file.set(d, 16 + text.length);
      new DataView(file.buffer).setUint32(8, text.length, true);
      new DataView(file.buffer).setUint32(12, crc32(file.subarray(16)), true);
      if (await survives('sparse tensors', () => {
        const { model } = modelFromBytes(engine, file, 'm.slim', { inference: true });
        model.predict(new Float32Array(model.inputSize).fill(0.5));
        model.dispose();
      })) worked++;
      engine.arena.checkGuards();
    }
    expect(worked).toBeGreaterThan(0);
    expect(worked).toBeLessThan(cases(1500));
  }, TIMEOUT);

  it('the TensorFlow.js importer on damaged model.json and weights', async () => {
    const random = rng(4);
    const engine = await init({ guards: true });
    const source = Sequential.build(engine, { inputShape: [6, 6, 1], seed: 1, layers: [{ type: 'conv2d', filters: 2, kernelSize: 3 }, { type: 'batchNorm' }, { type: 'relu' }, { type: 'maxPool2d' }, { type: 'flatten' }, { type: 'dense', units: 3 }] });
    const { modelJson, weightData } = exportTfjsModel(source);
    const text = JSON.stringify(modelJson);
    const values: unknown[] = [-1, 0, 1, 3, 2.5, 'x', null, [], {}, [3, 3], 'softmax', 'valid', 'same', 'channels_first'];
    for (let c = 0; c < cases(1000); c++) {
      const json = JSON.parse(text);
      // Change one value somewhere in the layers' configs or the manifest.
      const layer = pick(random, json.modelTopology.config.layers as { class_name: string; config: Record<string, unknown> }[]);
      const target = random() < 0.8 ? layer.config : random() < 0.5 ? (layer as unknown as Record<string, unknown>) : json.weightsManifest[0].weights[int(random, json.weightsManifest[0].weights.length)];
      const keys = Object.keys(target);
      if (random() < 0.2) delete target[pick(random, keys)];
      else target[pick(random, keys)] = pick(random, values);
      const weights = random() < 0.3 ? mutate(random, weightData) : weightData;
      await survives('tfjs import', () => {
        const { model } = importTfjsModel(engine, json, [weights]);
        model.predict(new Float32Array(model.inputSize).fill(0.5));
        model.dispose();
      });
      engine.arena.checkGuards();
    }
  }, TIMEOUT);

  it('model specs: random layers and options build or are refused, and what builds runs within its memory', async () => {
    const random = rng(5);
    const engine = await init({ guards: true });
    // Mostly the options each layer has, with values that are sometimes out of range or of the wrong type.
    const sizes = [1, 2, 3, 5, 1, 2, 3, 0, -1, 2.5, '3', null, [2, 2], [1, 3], [0, 1]];
    const fractions = [0, 0.1, 0.5, 0.9, 1, -0.1, NaN, '0.5'];
    const OPTIONS: Record<string, [string, unknown[]][]> = {
      dense: [['units', sizes]], conv2d: [['filters', sizes], ['kernelSize', sizes], ['strides', sizes], ['padding', ['same', 'valid', 'full']]],
      maxPool2d: [['poolSize', sizes], ['strides', sizes], ['padding', ['same', 'valid', 1]]], avgPool2d: [['poolSize', sizes], ['strides', sizes], ['padding', ['same', 'valid']]],
      flatten: [], batchNorm: [['momentum', fractions], ['epsilon', [1e-3, 0, -1, 1e-5]]], dropout: [['rate', fractions]],
      relu: [], leakyRelu: [['alpha', fractions]], elu: [['alpha', fractions]], tanh: [], sigmoid: [],
    };
    const types = Object.keys(OPTIONS);
    let built = 0;
    for (let c = 0; c < cases(2000); c++) {
      const layers = Array.from({ length: 1 + int(random, 5) }, () => {
        const type = pick(random, types);
        const layer: Record<string, unknown> = { type };
        for (const [key, choices] of OPTIONS[type]) if (random() < 0.7) layer[key] = pick(random, choices);
        if (type === 'dense' && layer.units === undefined) layer.units = 3;
        if (type === 'conv2d') layer.filters ??= 2, layer.kernelSize ??= 2;
        if (type === 'dropout') layer.rate ??= 0.2;
        if (random() < 0.03) layer[pick(random, ['unit', 'size', 'activation'])] = 1;
        return layer;
      });
      const inputShape = pick(random, [[5], [7, 7, 2], [4, 3, 1], [1], [3, 3]]);
      await survives('model spec', () => {
        const model = Sequential.build(engine, { inputShape, layers: layers as never, seed: c });
        try {
          const x = Float32Array.from({ length: 3 * model.inputSize }, (_, i) => Math.sin(i));
          model.predict(x);
          built++;
          // A training step where the output is a vector of logits.
          if (model.outputShape.length === 1 && model.outputSize > 1) {
            model.compile({ optimizer: { kind: 'optimizer' } as never }); // a fake optimizer: refused
          }
        } finally {
          model.dispose();
        }
      });
      engine.arena.checkGuards();
    }
    counts['(model specs that built and ran)'] = built;
    expect(built).toBeGreaterThan(cases(2000) / 4);
  }, TIMEOUT);

  it('the worker message handler answers every request exactly once, whatever it holds', async () => {
    const random = rng(6);
    const replies: { kind: string; id: number }[] = [];
    let handler: (m: unknown) => void = () => {};
    serveTrainer({ post: (m) => void replies.push(m as { kind: string; id: number }), listen: (h) => (handler = h) });
    handler({ kind: 'request', id: 0, op: 'init', args: { threads: 1 } });
    const ops = ['build', 'compile', 'fit', 'evaluate', 'predict', 'measureSparsity', 'reduce', 'getWeights', 'setWeights', 'exportModel', 'importModel', 'abort', 'dispose', 'nonsense', 'toString', '__proto__'];
    const arg = (): unknown => pick(random, [
      -1, 0, 1, 2, 'x', null, [], {}, [4], new Float32Array(int(random, 9)), Int32Array.of(0, 1), new Uint8Array(20),
      { inputShape: [4], layers: [{ type: 'dense', units: 3 }] }, { type: 'adam' }, { epochs: 1, batchSize: 2 }, { epochs: 0 }, { type: 'sgd', lr: -1 },
    ]);
    const sent: number[] = [];
    for (let c = 1; c <= cases(1000); c++) {
      const op = random() < 0.2 ? 'build' : pick(random, ops);
      const args = random() < 0.1 ? arg() : Object.fromEntries(['spec', 'optimizer', 'x', 'y', 'options', 'weights', 'bytes', 'batchSize', 'target'].filter(() => random() < 0.4).map((k) => [k, arg()]));
      const message = random() < 0.05 ? pick(random, [null, 'hello', { kind: 'request' }, { kind: 'other', id: c }]) : { kind: 'request', id: c, op, args };
      if (message && typeof message === 'object' && 'id' in message && (message as { kind: string }).kind === 'request') sent.push(c);
      handler(message);
      if (c % 50 === 0) await new Promise((r) => setTimeout(r, 0));
    }
    // Let the queue drain.
    for (let i = 0; i < 200 && replies.filter((r) => r.kind !== 'progress').length < sent.length + 1; i++) await new Promise((r) => setTimeout(r, 10));
    const answered = replies.filter((r) => r.kind !== 'progress');
    const ids = answered.map((r) => r.id);
    const extra = ids.filter((id, i) => ids.indexOf(id) !== i || ![0, ...sent].includes(id));
    if (extra.length) console.log('extra replies', extra.slice(0, 5), answered.filter((r) => extra.includes(r.id)).slice(0, 5));
    expect(ids.sort((a, b) => a - b)).toEqual([0, ...sent]);
    counts['worker messages'] = sent.length + 1;
    handler({ kind: 'request', id: -1, op: 'dispose', args: {} });
  }, TIMEOUT);

  it("the command line's flag reader on random arguments, against every command's table", async () => {
    const random = rng(7);
    const values = ['0', '1', '-1', '1e12', '99999999999', '0.5', '1.5', 'NaN', 'Infinity', '-0', '', 'x', 'auto', 'adam', 'cosine:10', 'cosine', 'step:0',
      'std:0.25', 'fraction:2', '3e-3:0.8', '1e-3:1', 'mnist', 'gemm,conv', '1,2', '/nonexistent', '.', 'm.json', 'r.html', '--', '-', '-h'];
    let parsed = 0;
    for (let c = 0; c < cases(2000); c++) {
      const command = pick(random, COMMANDS);
      const flags = [...Object.keys(command.flags), 'help', 'optimiser', 'epoch', 'x'];
      const argv = Array.from({ length: int(random, 7) }, () => {
        const r = random();
        const flag = pick(random, flags);
        return r < 0.45 ? `--${flag}` : r < 0.6 ? `--${flag}=${pick(random, values)}` : pick(random, values);
      });
      if (await survives('cli flags', () => parseFlags(argv, command.flags))) parsed++;
    }
    // Some argument lists are valid (or --help); the rest were refused with a UsageError.
    expect(parsed).toBeGreaterThan(0);
  }, TIMEOUT);

  it('the guard bands do catch a kernel writing one float past its region', async () => {
    const engine = await init({ guards: true });
    const a = engine.arena.allocF32(10);
    const b = engine.arena.allocF32(10);
    engine.backend.fill(a, 10, 1);
    engine.arena.checkGuards();
    engine.backend.fill(a, 11, 1);
    expect(() => engine.arena.checkGuards()).toThrow(/memory guard: byte \d+ \(1 bytes after the region at \d+ of 40 bytes\) was overwritten/);
    expect(() => engine.arena.free(a)).toThrow(/memory guard/);
    engine.arena.free(b);
    // Before the region too.
    const c = engine.arena.allocF32(4);
    engine.backend.fill(c - 4, 1, 7);
    expect(() => engine.arena.checkGuards()).toThrow(/4 bytes before the region/);
  }, TIMEOUT);

  it('reports how many cases ran', () => {
    const total = Object.entries(counts).filter(([k]) => !k.startsWith('(')).reduce((a, [, b]) => a + b, 0);
    console.log(`fuzz cases: ${Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', ')}; ${total} in all`);
    expect(total).toBeGreaterThan(cases(5000));
  });
});

export type { Engine };

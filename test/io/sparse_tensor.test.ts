import { describe, expect, it } from 'vitest';
import { init } from '../../src/backend/engine.js';
import { crc32 } from '../../src/io/crc32.js';
import { decodeContainer, encodeContainer, ModelFileError } from '../../src/io/container.js';
import { decodeModel, encodeModel, MODEL_FORMAT_VERSION, modelFromBytes, type ModelManifest } from '../../src/io/model_file.js';
import { decodeSparseTensor, sparseForm, type SparseStorage } from '../../src/io/sparse_tensor.js';
import { Sequential } from '../../src/model/sequential.js';
import { presetSpec } from '../../src/model/presets.js';
import { magnitudePrune } from '../../src/prune/magnitude.js';
import { expectBitIdentical } from '../support/harness.js';
import { rng, uniform } from '../support/random.js';

/** values in [-1, 1] with about `density` of them nonzero. */
function pruned(random: () => number, n: number, density: number): Float32Array {
  const w = uniform(random, n);
  for (let i = 0; i < n; i++) if (random() >= density) w[i] = 0;
  return w;
}

/** The model file's manifest and data section, and a function that writes them back as a valid file (checksum recomputed). */
function parts(bytes: Uint8Array): { manifest: ModelManifest; data: Uint8Array } {
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
  return { manifest: JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + length))), data: bytes.slice(16 + length) };
}
function rebuild(manifest: ModelManifest, data: Uint8Array): Uint8Array {
  let json = JSON.stringify({ ...manifest, dataBytes: data.length });
  while (new TextEncoder().encode(json).length % 4) json += ' ';
  const text = new TextEncoder().encode(json);
  const out = new Uint8Array(16 + text.length + data.length);
  out.set([0x53, 0x4c, 0x49, 0x4d, 0x54, 0x52, 0x4e, 0x00]);
  out.set(text, 16);
  out.set(data, 16 + text.length);
  const view = new DataView(out.buffer);
  view.setUint32(8, text.length, true);
  view.setUint32(12, crc32(out.subarray(16)), true);
  return out;
}

describe('sparse tensors in model files', () => {
  it('round-trips bit for bit at every density and shape, -0 included, and picks the smaller form', () => {
    const random = rng(1);
    for (const shape of [[784, 300], [5, 5, 6, 16], [1, 1], [300], [3, 3, 64, 64], [1000, 1]])
      for (const density of [0, 0.001, 0.01, 0.05, 0.2, 0.5, 0.9, 1]) {
        const n = shape.reduce((a, b) => a * b, 1);
        const w = pruned(random, n, density);
        if (n > 3) w[1] = -0;
        const form = sparseForm(w, shape);
        const label = `[${shape}] density ${density}`;
        if (!form) {
          // Dense was no larger: the sparse form would have taken at least 4 bytes a value.
          expect(density > 0.5 || n === 1, label).toBe(true);
          continue;
        }
        expect(form.bytes.length, label).toBeLessThan(4 * n);
        expectBitIdentical(decodeSparseTensor(form.bytes, form.storage, shape, label), w, label);
      }
  });

  it('size: within 1.25x of nonzeros x 4 + index bytes at <= 20% density; indices cost about a byte each', () => {
    const random = rng(2);
    for (const density of [0.2, 0.1, 0.05, 0.02, 0.01]) {
      const w = pruned(random, 784 * 300, density);
      const form = sparseForm(w, [784, 300])!;
      const { nonzeros, indexBytes } = form.storage;
      expect(form.bytes.length).toBeLessThanOrEqual(1.25 * (4 * nonzeros + indexBytes));
      // Mean row gap 1/density: delta8 needs one byte per nonzero plus one per 255 rows skipped.
      expect(indexBytes / nonzeros).toBeLessThan(1 + 1 / (255 * density) + 0.05);
      expect(form.storage.indexCoding).toBe('delta8');
    }
  });

  it('a 2%-dense LeNet-300-100 file is at most 5% of the dense file; old (all-dense, version 1) files still load', async () => {
    const engine = await init();
    const model = Sequential.build(engine, presetSpec('lenet-300-100', [784], 10, 1));
    // Every tensor dense, as the version-1 writer stored them.
    const denseFile = () => encodeContainer({ format: 'slimtrain-model', version: 1, spec: model.toSpec(), metadata: {} }, model.getWeights());
    const dense = denseFile();
    expect(dense.length).toBeGreaterThan(4 * model.parameterCount);
    // Nonzero biases: nothing is smaller sparse, so the file is written as before, version 1.
    model.setWeights(Object.fromEntries(model.getWeights().filter((w) => w.name.endsWith('bias')).map((w) => [w.name, w.values.map((_, i) => 0.01 * (i + 1))])));
    expect(decodeModel(encodeModel(model)).manifest.version).toBe(1);
    expect(encodeModel(model)).toEqual(denseFile());
    magnitudePrune(model, { fraction: 0.98 });
    const sparse = encodeModel(model);
    const { manifest, weights } = decodeModel(sparse);
    expect(manifest.version).toBe(MODEL_FORMAT_VERSION);
    expect(sparse.length / dense.length).toBeLessThan(0.05);
    for (const t of manifest.tensors) expect(t.storage?.form, t.name).toBe(t.name.endsWith('kernel') ? 'csc' : undefined);
    for (const [i, w] of model.getWeights().entries()) expectBitIdentical(weights[i].values, w.values, w.name);
    // A file written by the version-1 writer (every tensor dense) decodes to the same weights.
    const loaded = modelFromBytes(engine, denseFile()).model;
    for (const [i, w] of loaded.getWeights().entries()) expectBitIdentical(w.values, weights[i].values, w.name);
    loaded.dispose();
    model.dispose();
    engine.dispose();
  });

  it('refuses out-of-range, duplicated rows, count mismatches and truncation, naming the tensor', () => {
    const shape = [6, 2];
    // Column 0: rows 1, 4; column 1: row 5.
    const w = new Float32Array(12);
    w[1 * 2] = 1.5;
    w[4 * 2] = -2;
    w[5 * 2 + 1] = 3;
    const form = sparseForm(new Float32Array([...w, ...new Float32Array(48)]), [30, 2])!; // tall enough to be sparse
    expect(form.storage.nonzeros).toBe(3);
    const small = { bytes: form.bytes, storage: form.storage, shape: [30, 2] };
    const decode = (bytes: Uint8Array, storage: Partial<SparseStorage>, s = small.shape) =>
      () => decodeSparseTensor(bytes, { ...small.storage, ...storage } as SparseStorage, s, 'f: tensor "dense_1/kernel" (sparse)');
    expect(decodeSparseTensor(small.bytes, small.storage, small.shape, 'ok')[11]).toBe(3);
    // Layout: counts [2, 1], deltas [2, 3, 6], one byte of padding, values.
    expect([...small.bytes.subarray(0, 6)]).toEqual([2, 1, 2, 3, 6, 0]);
    const edit = (i: number, v: number) => Object.assign(small.bytes.slice(), { [i]: v });
    expect(decode(edit(4, 31), {})).toThrow(/dense_1\/kernel.*column 1 has a nonzero at row 30: out of range \(30 rows\)/);
    expect(decode(edit(3, 0), {})).toThrow(/dense_1\/kernel.*column 0 repeats row 1: row indices must be strictly ascending, without duplicates/);
    expect(decode(edit(0, 3), {})).toThrow(/dense_1\/kernel.*index stream ends inside column 1 \(truncated\)|counts add up/);
    expect(decode(edit(1, 0), {})).toThrow(/dense_1\/kernel.*counts add up to 2: expected its 3 nonzeros/);
    expect(decode(edit(0, 31), {})).toThrow(/column 0 has 31 nonzeros: more than its 30 rows/);
    expect(decode(small.bytes.subarray(0, 10), {})).toThrow(/dense_1\/kernel.*truncated: 10 bytes of its 20/);
    expect(decode(small.bytes, { nonzeros: 61 })).toThrow(/61 nonzeros: expected an integer from 0 to 60/);
    expect(decode(small.bytes, { indexBytes: 4 })).toThrow(/its index stream has 1 bytes left over/);
    expect(decode(small.bytes, { countBytes: 3 as 1 })).toThrow(/countBytes 3: expected 1, 2 or 4/);
    expect(decode(small.bytes, { indexCoding: 'delta32' as 'delta8' })).toThrow(/indexCoding "delta32"/);
    expect(decode(small.bytes, {}, [5, 2])).toThrow(/column 1 has a nonzero at row 5: out of range \(5 rows\)/); // a shape it does not fit
    for (const f of [decode(edit(4, 31), {}), decode(small.bytes.subarray(0, 10), {})]) expect(f).toThrow(ModelFileError);
  });

  it('the file reader refuses a damaged sparse tensor (checksum valid) with an error naming file and tensor', async () => {
    const engine = await init();
    const model = Sequential.build(engine, presetSpec('mlp', [20], 3, 1));
    magnitudePrune(model, { fraction: 0.9 });
    const { manifest, data } = parts(encodeModel(model));
    const t = manifest.tensors.find((x) => x.storage)!;
    const broken = data.slice();
    // Make the first row delta of the tensor 0: a duplicated row.
    const cols = t.shape[t.shape.length - 1];
    broken[t.offset + cols * t.storage!.countBytes] = 0;
    const first = [...data.subarray(t.offset, t.offset + cols)].findIndex((c) => c > 0);
    expect(first).toBe(0);
    expect(() => decodeContainer(rebuild(manifest, broken), 'slimtrain-model', MODEL_FORMAT_VERSION, 'm.slim')).toThrow(
      new RegExp(`m\\.slim: tensor "${t.name}" \\(sparse\\): column 0 repeats row -1`),
    );
    const short = { ...manifest, tensors: manifest.tensors.map((x) => (x === t ? { ...x, storage: { ...x.storage!, bytes: x.storage!.bytes + 4 } } : x)) };
    expect(() => decodeContainer(rebuild(short, data), 'slimtrain-model', MODEL_FORMAT_VERSION, 'm.slim')).toThrow(/m\.slim: tensor .* has an invalid|expected/);
    model.dispose();
    engine.dispose();
  });
});

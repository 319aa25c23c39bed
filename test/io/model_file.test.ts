import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { init, type Engine } from '../../src/backend/engine.js';
import { crc32 } from '../../src/io/crc32.js';
import { ModelFileError } from '../../src/io/container.js';
import { decodeModel, encodeModel, modelFromBytes } from '../../src/io/model_file.js';
import { loadModelFile, removeStaleTempFiles, saveModelFile } from '../../src/io/model_files_node.js';
import { Sequential, type ModelSpec } from '../../src/model/sequential.js';
import { adam } from '../../src/optim/optimizers.js';
import { layerTypesMissing } from '../support/layer_coverage.js';
import { rng, uniform } from '../support/random.js';
import { tempDir } from '../support/temp_dir.js';

const SPEC: ModelSpec = {
  inputShape: [8, 8, 1],
  layers: [
    { type: 'conv2d', filters: 3, kernelSize: 3, padding: 'same' }, { type: 'batchNorm' }, { type: 'relu' }, { type: 'maxPool2d' },
    { type: 'conv2d', filters: 4, kernelSize: 2, strides: 1 }, { type: 'elu', alpha: 0.5 }, { type: 'avgPool2d' },
    { type: 'flatten' }, { type: 'dropout', rate: 0.2 }, { type: 'dense', units: 4 }, { type: 'leakyRelu', alpha: 0.1 },
    { type: 'dense', units: 5 }, { type: 'tanh' }, { type: 'dense', units: 4 }, { type: 'sigmoid' }, { type: 'dense', units: 3 },
  ],
  seed: 3,
};

/** A model file with its manifest edited (same length) and its checksum recomputed: a valid file. */
function editManifest(bytes: Uint8Array, edit: (text: string) => string): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const length = view.getUint32(8, true);
  const text = edit(new TextDecoder().decode(bytes.subarray(16, 16 + length)));
  const out = bytes.slice();
  out.set(new TextEncoder().encode(text), 16);
  new DataView(out.buffer).setUint32(12, crc32(out.subarray(16)), true);
  return out;
}

describe('model files', () => {
  it('the round-trip model holds every layer type of the registry', () => {
    expect(layerTypesMissing(SPEC.layers)).toEqual([]);
  });

  let engine: Engine;
  let model: Sequential;
  const x = uniform(rng(1), 5 * 64, 0, 1);
  beforeAll(async () => {
    engine = await init();
    model = Sequential.build(engine, SPEC);
    model.compile({ optimizer: adam({ lr: 0.01 }), loss: 'crossEntropy' });
    for (let i = 0; i < 5; i++) model.trainStep(x, new Int32Array([0, 1, 2, 0, 1]));
  });

  it('round-trip every layer type, batch-norm statistics included: identical predictions', () => {
    const bytes = encodeModel(model, { note: 'test' });
    const { model: copy, manifest } = modelFromBytes(engine, bytes);
    expect(manifest.metadata).toEqual({ note: 'test' });
    expect(copy.toSpec()).toEqual(model.toSpec());
    expect(Array.from(copy.predict(x))).toEqual(Array.from(model.predict(x)));
    copy.dispose();
  });

  it('checks the CRC-32 against the standard check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('rejects corrupted, truncated and newer-version files with clear errors', () => {
    const bytes = encodeModel(model);
    expect(() => decodeModel(bytes.slice(0, bytes.length - 1), 'm.slim')).toThrow(/m.slim: \d+ data bytes: expected \d+ \(truncated\)/);
    expect(() => decodeModel(bytes.slice(0, 20), 'm.slim')).toThrow(/truncated/);
    const flipped = bytes.slice();
    flipped[flipped.length - 3] ^= 0x10;
    expect(() => decodeModel(flipped, 'm.slim')).toThrow(/checksum .* the file is corrupted/);
    expect(() => decodeModel(new Uint8Array(100), 'm.slim')).toThrow(/not a slimtrain model file/);
    const newer = editManifest(bytes, (text) => text.replace('"version":1', '"version":9'));
    expect(() => decodeModel(newer, 'm.slim')).toThrow(/format version 9 is newer than this slimtrain reads \(2\)/);
  });

  it('every byte flip and truncation (3,000 cases) either loads the same model or fails with a ModelFileError', () => {
    const bytes = encodeModel(model);
    const random = rng(99);
    const reference = Array.from(model.predict(x));
    let rejected = 0;
    for (let trial = 0; trial < 3000; trial++) {
      const corrupt = bytes.slice(0, trial % 3 === 0 ? Math.floor(random() * bytes.length) : bytes.length);
      if (trial % 3 !== 0) corrupt[Math.floor(random() * corrupt.length)] ^= 1 << Math.floor(random() * 8);
      try {
        const { model: m } = modelFromBytes(engine, corrupt);
        // Accepted: then it must be the same model (a flip in JSON whitespace padding, say).
        expect(Array.from(m.predict(x))).toEqual(reference);
        m.dispose();
      } catch (e) {
        expect(e).toBeInstanceOf(ModelFileError);
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(2500);
  });

  it('checkpoints too: 1,000 flips and truncations load intact or fail with a ModelFileError', async () => {
    const { encodeCheckpoint, restoreCheckpoint } = await import('../../src/io/checkpoint.js');
    const bytes = encodeCheckpoint(model, null);
    const random = rng(5);
    let rejected = 0;
    for (let trial = 0; trial < 1000; trial++) {
      const corrupt = bytes.slice(0, trial % 4 === 0 ? Math.floor(random() * bytes.length) : bytes.length);
      if (trial % 4 !== 0) corrupt[Math.floor(random() * corrupt.length)] ^= 1 << Math.floor(random() * 8);
      try {
        restoreCheckpoint(model, corrupt);
      } catch (e) {
        expect(e).toBeInstanceOf(ModelFileError);
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(900);
  });

  it('saves atomically: a process killed while saving leaves the previous file intact', async () => {
    const dir = tempDir('slimtrain-');
    const path = join(dir, 'model.slim');
    saveModelFile(model, path);
    const root = fileURLToPath(new URL('../../', import.meta.url));
    // A child that saves a much larger model in a loop; killed with SIGKILL mid-way.
    const script = `
      import { Sequential, saveModelFile } from 'slimtrain';
      const big = await Sequential.create({ inputShape: [2000], layers: [{ type: 'dense', units: 2000 }] });
      for (;;) saveModelFile(big, ${JSON.stringify(path)});
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: root, stdio: 'ignore' });
    const exited = new Promise((r) => child.on('exit', r));
    await new Promise((r) => setTimeout(r, 1500));
    child.kill('SIGKILL');
    await exited;
    const after = readFileSync(path);
    // Either the old file or a complete new one: never a torn one.
    const decoded = decodeModel(new Uint8Array(after), path);
    expect([model.getWeights().length, 2]).toContain(decoded.weights.length);
    // Leftover temporary files are allowed (the kill interrupted a write), the target is whole.
    expect(readdirSync(dir).filter((f) => f === 'model.slim')).toHaveLength(1);
    const { model: loaded } = loadModelFile(engine, path);
    loaded.dispose();
  }, 20_000);

  it('the next save removes the temporary files SIGKILLed saves left, and nothing that is not ours', async () => {
    const dir = tempDir('slimtrain-');
    const path = join(dir, 'model.slim');
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const script = `
      import { Sequential, saveModelFile } from 'slimtrain';
      const big = await Sequential.create({ inputShape: [2000], layers: [{ type: 'dense', units: 2000 }] });
      for (;;) saveModelFile(big, ${JSON.stringify(path)});
    `;
    // Kill a saving child while its temporary file exists, until one is left behind (a kill can land just after a rename).
    const leftovers = () => readdirSync(dir).filter((f) => /^model\.slim\.tmp-\d+-[0-9a-z]+$/.test(f));
    let deadPid = 0;
    for (let attempt = 0; attempt < 10 && leftovers().length === 0; attempt++) {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: root, stdio: 'ignore' });
      const exited = new Promise((r) => child.on('exit', r));
      while (!readdirSync(dir).some((f) => f.startsWith(`model.slim.tmp-${child.pid}-`))) await new Promise((r) => setTimeout(r, 2));
      child.kill('SIGKILL');
      await exited;
      deadPid = child.pid!;
    }
    const stale = leftovers();
    expect(stale.length, 'a SIGKILL left a temporary file').toBeGreaterThan(0);
    // Beside them, names that are not ours to remove: a live process's (this one's, the parent's),
    // another file's, other patterns, and a folder.
    const keep = [`model.slim.tmp-${process.pid}-abc`, `model.slim.tmp-${process.ppid}-abc`, 'model.slim.tmp-notes', `other.slim.tmp-${deadPid}-abc`,
      `model.slim.tmp-${deadPid}-ABC`, `model.slim.tmp-${deadPid}-abc.bak`, `xmodel.slim.tmp-${deadPid}-abc`];
    for (const f of keep) writeFileSync(join(dir, f), 'not ours');
    mkdirSync(join(dir, `model.slim.tmp-${deadPid}-folder`));
    writeFileSync(join(dir, `model.slim.tmp-${deadPid}-zz9`), 'an old leftover');
    saveModelFile(model, path);
    expect(readdirSync(dir).sort()).toEqual(['model.slim', ...keep, `model.slim.tmp-${deadPid}-folder`].sort());
    expect(removeStaleTempFiles(path)).toEqual([]);
  }, 30_000);

  it('names the problem when a file does not exist or its spec does not build', () => {
    expect(() => loadModelFile(engine, '/nonexistent/m.slim')).toThrow(/model file \/nonexistent\/m.slim does not exist/);
    const dir = tempDir('slimtrain-');
    const broken = editManifest(encodeModel(model), (text) => text.replace('"units":4', '"units":0'));
    writeFileSync(join(dir, 'b.slim'), broken);
    expect(() => loadModelFile(engine, join(dir, 'b.slim'))).toThrow(/its model spec does not build: dense.units = 0/);
  });
});

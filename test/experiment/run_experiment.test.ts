import { describe, expect, it } from 'vitest';
import { init } from '../../src/backend/engine.js';
import { imageAugmentation } from '../../src/data/augment.js';
import { createDataset } from '../../src/data/dataset.js';
import { runExperiment, type CheckpointStore, type ExperimentSpec } from '../../src/experiment/run_experiment.js';
import { weightsHash } from '../../src/sweep/fingerprint.js';
import { Sequential } from '../../src/model/sequential.js';
import { optimizerFromSpec } from '../../src/optim/spec.js';
import { rng, uniform } from '../support/random.js';

const random = rng(5);
function make(n: number) {
  const x = uniform(random, n * 6);
  const y = Uint8Array.from({ length: n }, (_, i) => (x[i * 6] > 0 ? 1 : 0));
  return createDataset({ x, y, shape: [6], classes: 2 });
}
const data = { train: make(256), test: make(64) };
const SPEC: ExperimentSpec = {
  model: { layers: [{ type: 'dense', units: 8 }, { type: 'relu' }, { type: 'dense', units: 2 }] },
  optimizer: { type: 'adam', lr: 0.01, transforms: [{ type: 'l2', lambda: 1e-3 }] }, epochs: 3, batchSize: 32, seed: 4,
};

describe('runExperiment', async () => {
  const engine = await init({ threads: 1 });
  const finish = async (r: Awaited<ReturnType<typeof runExperiment>>) => {
    const hash = await weightsHash(r.model.getWeights());
    r.reduced?.model.dispose();
    r.model.dispose();
    return hash;
  };
  const straight = await finish(await runExperiment(engine, SPEC, data));

  it('resumes a checkpoint written by a plain fit (before checkpoints named their run) when told it must', async () => {
    // The same run by hand, stopped after epoch 1 with fit's own checkpoint.
    const model = Sequential.build(engine, { inputShape: [6], layers: (SPEC.model as { layers: never[] }).layers, seed: 4 });
    model.compile({ optimizer: optimizerFromSpec(SPEC.optimizer), loss: 'crossEntropy' });
    let saved: Uint8Array | null = null;
    await model.fit(data.train.x, data.train.y, { epochs: 1, batchSize: 32, seed: 4, checkpoint: { everyEpochs: 1, save: (b) => { saved = b; } } });
    model.dispose();
    const store: CheckpointStore = { load: () => saved, save: () => {} };
    const resumed = await runExperiment(engine, SPEC, data, { checkpoint: { store, everySteps: 0, run: 'r', hash: 'h', required: true } });
    expect(await finish(resumed)).toBe(straight);
  });

  it("refuses, when it must resume, another run's checkpoint", async () => {
    let saved: Uint8Array | null = null;
    const store: CheckpointStore = { load: () => saved, save: (b) => { saved = b; } };
    await finish(await runExperiment(engine, SPEC, data, { checkpoint: { store, everySteps: 0, run: 'a', hash: 'h' } }));
    await expect(runExperiment(engine, SPEC, data, { checkpoint: { store, everySteps: 0, run: 'b', hash: 'h', required: true } }))
      .rejects.toThrow(/the checkpoint of b was taken for a \(hash h\): it cannot continue this run/);
    // Not required: a note, and a fresh start with the uninterrupted weights.
    const notes: string[] = [];
    expect(await finish(await runExperiment(engine, SPEC, data, { checkpoint: { store, everySteps: 0, run: 'b', hash: 'h' }, onNote: (t) => notes.push(t) }))).toBe(straight);
    expect(notes).toEqual(['its checkpoint was taken for another run: starting from the beginning']);
  });

  it('names the bad field of a spec', async () => {
    const bad = (patch: object) => runExperiment(engine, { ...SPEC, ...patch } as ExperimentSpec, data);
    await expect(bad({ epochs: 0 })).rejects.toThrow(/^experiment.epochs = 0: expected a positive integer/);
    await expect(bad({ fineTune: { epochs: 1 } })).rejects.toThrow(/^experiment.fineTune = .*: expected a prune step to fine-tune after/);
    await expect(bad({ validationSamples: 256 })).rejects.toThrow(/^validationSamples = 256: expected fewer than the 256 training samples/);
    await expect(bad({ iterative: { interval: 1, floor: 0.5, validationSplit: 0.2 }, prune: { fraction: 0.5 } })).rejects.toThrow(/^experiment.iterative = .*: expected no iterative loop beside validationSamples or prune/);
    await expect(bad({ augment: { rotate: 10 } })).rejects.toThrow(/^experiment.augment = .*: expected images \[height, width, channels\]; the training samples have shape \[6\]/);
    await expect(bad({ augment: { rotate: -3 } })).rejects.toThrow(/^experiment.augment.rotate = -3: expected a finite number in \[0, 180\]/);
    await expect(bad({ augment: { flip: true }, iterative: { interval: 1, floor: 0.5, validationSplit: 0.2 } })).rejects.toThrow(/^experiment.augment = .*: expected no augmentation beside iterative/);
  });

  it('augments as spec.augment says, the same as the function built from it; not both', async () => {
    const images = (n: number) => {
      const x = uniform(random, n * 25);
      const y = Uint8Array.from({ length: n }, (_, i) => (x[i * 25 + 12] > 0 ? 1 : 0));
      return createDataset({ x, y, shape: [5, 5, 1], classes: 2 });
    };
    const pictures = { train: images(128), test: images(32) };
    const spec: ExperimentSpec = { ...SPEC, model: { layers: [{ type: 'flatten' }, ...(SPEC.model as { layers: never[] }).layers] }, epochs: 1 };
    const transforms = { rotate: 20, translate: 0.2, flip: true };
    const asData = await finish(await runExperiment(engine, { ...spec, augment: transforms }, pictures));
    const asFunction = await finish(await runExperiment(engine, spec, pictures, { augment: imageAugmentation({ shape: [5, 5, 1], ...transforms }) }));
    const plain = await finish(await runExperiment(engine, spec, pictures));
    expect(asData).toBe(asFunction);
    expect(asData).not.toBe(plain);
    await expect(runExperiment(engine, { ...spec, augment: transforms }, pictures, { augment: () => {} })).rejects.toThrow(/^runExperiment options.augment = .*: expected no augmentation function beside experiment.augment/);
  });
});

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
    await expect(bad({ epochs: 1.5 })).rejects.toThrow(/^experiment.epochs = 1.5: expected a non-negative integer/);
    await expect(bad({ fineTune: { epochs: 1 } })).rejects.toThrow(/^experiment.fineTune = .*: expected a prune step to fine-tune after/);
    await expect(bad({ validationSamples: 256 })).rejects.toThrow(/^validationSamples = 256: expected fewer than the 256 training samples/);
    await expect(bad({ iterative: { interval: 1, floor: 0.5, validationSplit: 0.2 }, prune: { fraction: 0.5 } })).rejects.toThrow(/^experiment.iterative = .*: expected no iterative loop beside validationSamples or prune/);
    await expect(bad({ augment: { rotate: 10 } })).rejects.toThrow(/^experiment.augment = .*: expected images \[height, width, channels\]; the training samples have shape \[6\]/);
    await expect(bad({ augment: { rotate: -3 } })).rejects.toThrow(/^experiment.augment.rotate = -3: expected a finite number in \[0, 180\]/);
    await expect(bad({ augment: { flip: true }, iterative: { interval: 1, floor: 0.5, validationSplit: 0.2 } })).rejects.toThrow(/^experiment.augment = .*: expected no augmentation beside iterative/);
  });

  it('prunes and fine-tunes in rounds (iterative magnitude pruning), each round pruning its fraction of what is left; resumes inside a later round bit-identically', async () => {
    const spec: ExperimentSpec = { ...SPEC, epochs: 1, prune: { fraction: 0.5 }, fineTune: { epochs: 2, rounds: 3 } };
    const r = await runExperiment(engine, spec, data);
    // Per kernel, round(k / 2) of the kept k go each round: 48 -> 24 -> 12 -> 6 and 16 -> 8 -> 4 -> 2.
    expect(r.pruned).toMatchObject({ kept: 8, total: 64 });
    const zeros = r.model.getWeights().filter((w) => w.name.endsWith('kernel')).reduce((n, w) => n + w.values.filter((v) => v === 0).length, 0);
    expect(zeros).toBe(56);
    expect(r.history.filter((h) => h.phase === 'fine-tune')).toHaveLength(6);
    const straightHash = await finish(r);
    // One round is not three.
    expect(await finish(await runExperiment(engine, { ...spec, fineTune: { epochs: 2 } }, data))).not.toBe(straightHash);

    // Interrupted in the second round's first epoch, then resumed from its checkpoint.
    let saved: Uint8Array | null = null;
    const store: CheckpointStore = { load: () => saved, save: (b) => { saved = b; } };
    const controller = new AbortController();
    let fineTuneBatches = 0;
    await expect(runExperiment(engine, spec, data, {
      checkpoint: { store, everySteps: 1, run: 'imp', hash: 'h' }, signal: controller.signal,
      onBatchEnd: (phase) => {
        if (phase === 'fine-tune' && ++fineTuneBatches === 2 * 8 + 3) controller.abort(new Error('stopped'));
      },
    })).rejects.toThrow('stopped');
    const notes: string[] = [];
    const resumed = await runExperiment(engine, spec, data, { checkpoint: { store, everySteps: 1, run: 'imp', hash: 'h' }, onNote: (t) => notes.push(t) });
    expect(notes[0]).toMatch(/^resuming from its checkpoint \(fine-tune, next epoch 1 batch 4/);
    expect(resumed.pruned).toMatchObject({ kept: 8, total: 64 });
    expect(await finish(resumed)).toBe(straightHash);
  });

  it("fineTune keep: 'best' keeps the epoch of best validation accuracy, chosen on validation only", async () => {
    const spec: ExperimentSpec = { ...SPEC, epochs: 2, validationSamples: 64, prune: { fraction: 0.5 }, fineTune: { epochs: 4, keep: 'best', optimizer: { type: 'adam', lr: 0.3 } } };
    const epochs: { valAccuracy: number }[] = [];
    const r = await runExperiment(engine, spec, data, {
      onEpochEnd: (record, log) => {
        if (record.phase === 'fine-tune') epochs.push({ valAccuracy: log.valAccuracy! });
      },
    });
    const best = Math.max(...epochs.map((e) => e.valAccuracy));
    // The case is one where the last epoch is not the best (else 'last' would pass too).
    expect(epochs.at(-1)!.valAccuracy).toBeLessThan(best);
    // The kept weights score the best epoch's validation accuracy again.
    const validation = { x: data.train.x.subarray((256 - 64) * 6), y: data.train.y.subarray(256 - 64) };
    expect(r.model.evaluate(validation.x, validation.y).accuracy).toBe(best);
    await finish(r);
    await expect(runExperiment(engine, { ...spec, validationSamples: undefined } as ExperimentSpec, data)).rejects.toThrow(/^experiment.fineTune.keep = "best": expected 'last', or validationSamples to choose the best epoch on/);
    await expect(runExperiment(engine, { ...spec, fineTune: { epochs: 1, rounds: 0 } }, data)).rejects.toThrow(/^experiment.fineTune.rounds = 0: expected a positive integer/);
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

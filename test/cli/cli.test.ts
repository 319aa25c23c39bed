import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../support/temp_dir.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const cli = `${root}dist/cli.js`;

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, SLIMTRAIN_DATA: '' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// The command line as a user runs it: the built package's bin, in a subprocess.
describe('slimtrain command line', () => {
  const dir = tempDir('slimtrain-cli-');
  const model = join(dir, 'mnist.slim');
  const small = join(dir, 'mnist-reduced.slim');
  const report = join(dir, 'report.html');

  it('sparsity FILE shows per tensor the density and the stored form; reduce writes the sparse form', async () => {
    const { init } = await import('../../src/backend/engine.js');
    const { Sequential } = await import('../../src/model/sequential.js');
    const { presetSpec } = await import('../../src/model/presets.js');
    const { magnitudePrune } = await import('../../src/prune/magnitude.js');
    const { saveModelFile } = await import('../../src/io/model_files_node.js');
    const engine = await init();
    const m = Sequential.build(engine, presetSpec('lenet-300-100', [784], 10, 1));
    m.setWeights({ 'dense_3/bias': Float32Array.from({ length: 10 }, (_, i) => i / 10) });
    magnitudePrune(m, { fraction: 0.95 });
    const pruned = join(dir, 'pruned.slim');
    saveModelFile(m, pruned, { dataset: 'mnist' });
    m.dispose();
    engine.dispose();
    const text = run(['sparsity', '--model', pruned]);
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/dense_1\/kernel\s+\[784, 300\]\s+5\.00%\s+csc delta8\s+[\d,]+/);
    expect(text.stdout).toMatch(/dense_3\/bias\s+\[10\]\s+90\.00%\s+dense\s+40\n/);
    const json = JSON.parse(run(['sparsity', '--model', pruned, '--json']).stdout);
    const kernel = json.tensors.find((t: { name: string }) => t.name === 'dense_1/kernel');
    expect(kernel).toMatchObject({ shape: [784, 300], density: 0.05, stored: 'csc delta8' });
    // 11,760 nonzeros: 4 bytes of value and about one of index each, plus 300 column counts.
    expect(kernel.bytes).toBeLessThan(11760 * 5.2 + 300);
    expect(json.file_bytes).toBe(readFileSync(pruned).length);
    expect(json.file_bytes).toBeLessThan(0.08 * 4 * 266610);
  });

  it('train --checkpoint, killed with SIGKILL, then train --resume: the final weights equal an uninterrupted run', async () => {
    const flags = ['train', '--dataset', 'mnist', '--model', 'lenet-300-100', '--limit', '6000', '--test-limit', '200', '--epochs', '3', '--l2', '1e-4', '--no-reduce'];
    const full = join(dir, 'full.slim');
    const straight = run([...flags, '--save', full]);
    expect(straight.status, straight.stderr).toBe(0);
    const checkpoint = join(dir, 'run.ckpt');
    const resumed = join(dir, 'resumed.slim');
    const { spawn } = await import('node:child_process');
    const { existsSync } = await import('node:fs');
    const child = spawn(process.execPath, [cli, ...flags, '--save', resumed, '--checkpoint', checkpoint, '--checkpoint-steps', '25'], { cwd: root, stdio: 'ignore' });
    const exited = new Promise((r) => child.on('exit', r));
    while (!existsSync(checkpoint)) await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGKILL');
    await exited;
    expect(existsSync(resumed), 'killed before it finished').toBe(false);
    const again = run(['train', '--resume', checkpoint]);
    expect(again.status, again.stderr).toBe(0);
    const { decodeModel } = await import('../../src/io/model_file.js');
    const a = decodeModel(new Uint8Array(readFileSync(full))).weights;
    const b = decodeModel(new Uint8Array(readFileSync(resumed))).weights;
    expect(b.map((w) => Buffer.from(w.values.buffer).toString('hex'))).toEqual(a.map((w) => Buffer.from(w.values.buffer).toString('hex')));
    expect(run(['train', '--resume', join(dir, 'none.ckpt')]).stderr).toMatch(/^slimtrain train: --resume = ".*none.ckpt": expected a checkpoint file, and there is no such file$/m);
    expect(run(['train', '--checkpoint-steps', '5']).stderr).toMatch(/^slimtrain train: --checkpoint-steps = "5": it needs --checkpoint/m);
  }, 60_000);

  it('export --format tfjs|onnx and import --format tfjs round-trip a saved model', async () => {
    const saved = join(dir, 'small.slim');
    expect(run(['train', '--model', 'lenet-300-100', '--epochs', '1', '--limit', '1000', '--test-limit', '200', '--no-reduce', '--save', saved]).status).toBe(0);
    const web = join(dir, 'web');
    const a = run(['export', '--model', saved, '--format', 'tfjs', '--out', web]);
    expect(a.status, a.stderr).toBe(0);
    expect(a.stdout).toMatch(/wrote .*web\/model.json and .*weights.bin \(266610 parameters\)/);
    const onnx = join(dir, 'm.onnx');
    const b = run(['export', '--model', saved, '--format', 'onnx', '--out', onnx]);
    expect(b.status, b.stderr).toBe(0);
    expect(b.stdout).toMatch(/ONNX opset 13/);
    const back = join(dir, 'back.slim');
    const c = run(['import', '--format', 'tfjs', '--model', join(web, 'model.json'), '--out', back]);
    expect(c.status, c.stderr).toBe(0);
    const { decodeModel } = await import('../../src/io/model_file.js');
    const w1 = decodeModel(new Uint8Array(readFileSync(saved))).weights;
    const w2 = decodeModel(new Uint8Array(readFileSync(back))).weights;
    expect(w2.map((w) => Array.from(w.values))).toEqual(w1.map((w) => Array.from(w.values)));
    expect(run(['export', '--model', saved, '--out', onnx]).stderr).toMatch(/--format is required/);
    expect(run(['export', '--model', saved, '--format', 'caffe', '--out', onnx]).stderr).toMatch(/--format = "caffe": expected one of tfjs, onnx/);
  }, 60_000);

  it('train with a DeepHoyer regulariser, prune at 0.25 std and fine-tune: the pruned weights are gone from the result', () => {
    const r = run([
      'train', '--dataset', 'mnist', '--model', 'lenet-300-100', '--epochs', '1', '--limit', '3000', '--test-limit', '500',
      '--hoyer', '3e-4', '--prune', 'std:0.25', '--fine-tune-epochs', '1', '--json',
    ]);
    expect(r.status, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.pruned.total).toBe(784 * 300 + 300 * 100 + 100 * 10);
    expect(result.pruned.kept).toBeLessThan(result.pruned.total * 0.95);
    // Every pruned weight is still exactly zero after fine-tuning: measured zeros >= pruned ones.
    expect(result.sparsity.zero_weights).toBeGreaterThanOrEqual(result.pruned.total - result.pruned.kept);
    expect(r.stderr).toMatch(/pruned \{"stdMultiple":0.25\}: \d+ of 266200 kernel weights kept/);
    expect(run(['train', '--prune', 'std']).stderr).toMatch(/--prune = "std": expected std:S, fraction:F or threshold:T/);
    expect(run(['train', '--fine-tune-epochs', '2']).stderr).toMatch(/fine-tuning follows --prune, which is missing/);
    expect(run(['train', '--group-hoyer', '1e-3:1']).stderr).toMatch(/--group-hoyer = "1e-3:1": expected LAMBDA or LAMBDA:OUTPUT_WEIGHT:INPUT_WEIGHT/);
  });

  it('train --reduce-every 1 cuts units while training: a line per cut, the size on each epoch line, the cuts in the JSON', () => {
    // xi 0.5 lies inside the hidden layers' group norms (~0.3-0.8 after an epoch), so each cut removes units for sure.
    const r = run(['train', '--dataset', 'mnist', '--model', 'lenet-300-100', '--epochs', '2', '--limit', '2000', '--test-limit', '500', '--reduce-every', '1', '--xi', '0.5', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout);
    const cuts = result.live_reductions;
    expect(cuts.length).toBeGreaterThan(0);
    expect(cuts[0].epoch).toBe(1);
    expect(cuts[0].params_before).toBe(266610);
    for (const c of cuts) expect(c.params_after).toBeLessThan(c.params_before);
    expect(result.parameters).toBe(cuts[cuts.length - 1].params_after);
    expect(result.history.map((e: { parameters: number }) => e.parameters)[0]).toBe(cuts[0].params_after);
    expect(r.stderr).toMatch(new RegExp(`live reduction after epoch 1: \\d+ units? removed, 266610 -> ${cuts[0].params_after} parameters`));
    expect(r.stderr).toMatch(new RegExp(`epoch 1/2: .*, ${cuts[0].params_after} parameters\n`));
    expect(run(['train', '--reduce-every', '0']).stderr).toMatch(/--reduce-every = "0": expected an integer/);
  });

  it('train --epochs 1 on an MNIST subset prints progress and a JSON result above 90% accuracy, saves and reports', () => {
    const r = run([
      'train', '--dataset', 'mnist', '--model', 'lenet-300-100', '--epochs', '1', '--limit', '20000', '--batch-size', '32', '--test-limit', '2000',
      '--l2', '1e-4', '--json', '--save', model, '--save-reduced', small, '--report', report,
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/epoch 1\/1: loss [\d.]+, acc [\d.]+%, \d+ samples\/s/);
    expect(r.stderr).toMatch(/group sparsity/);
    const result = JSON.parse(r.stdout);
    // The run in one line, last: the same numbers as the JSON.
    const count = (x: number) => x.toLocaleString('en-US');
    const summary = r.stderr.trimEnd().split('\n').at(-1)!;
    expect(summary).toMatch(new RegExp(`^result: \\d+ of 400 hidden units removed \\([\\d.]+%\\); parameters ${count(result.reduced.params_before)} -> ${count(result.reduced.params_after)} \\([-+][\\d.]+%\\); FLOPs/sample ${count(result.reduced.flops_before)} -> ${count(result.reduced.flops_after)} .*; test accuracy ${(100 * result.test_accuracy).toFixed(2)}% -> ${(100 * result.reduced.test_accuracy_after).toFixed(2)}%$`));
    expect(result.test_accuracy).toBeGreaterThan(0.9);
    expect(result.epochs).toBe(1);
    expect(result.sparsity.layers.map((l: { name: string }) => l.name)).toEqual(['dense_1', 'dense_2', 'dense_3']);
    expect(result.sparsity.xi).toBeGreaterThan(0);
    // Reduction ran: never larger, the same predictions as the original with removed groups zeroed.
    expect(result.reduced.params_after).toBeLessThanOrEqual(result.reduced.params_before);
    expect(result.reduced.max_logit_diff_relative).toBeLessThanOrEqual(1e-5);
    expect(result.reduced.test_accuracy_after).toBe(result.test_accuracy);
    expect(readFileSync(report, 'utf8')).toMatch(/<html/i);

    const s = run(['sparsity', '--model', model, '--json']);
    expect(s.status, s.stderr).toBe(0);
    expect(JSON.parse(s.stdout).dead_hidden_units).toBe(result.sparsity.dead_hidden_units);

    const out = join(dir, 'again.slim');
    const d = run(['reduce', '--model', model, '--out', out, '--json']);
    expect(d.status, d.stderr).toBe(0);
    expect(JSON.parse(d.stdout).params_after).toBe(result.reduced.params_after);
    const es = run(['eval', '--model', small, '--test-limit', '2000', '--json']);
    expect(JSON.parse(es.stdout).test_accuracy).toBe(result.test_accuracy);

    const e = run(['eval', '--model', model, '--test-limit', '2000', '--json']);
    expect(e.status, e.stderr).toBe(0);
    // The saved model scores exactly what the trained one did.
    expect(JSON.parse(e.stdout).test_accuracy).toBe(result.test_accuracy);

    const p = run(['predict', '--model', model, '--count', '3', '--json']);
    expect(p.status, p.stderr).toBe(0);
    expect(JSON.parse(p.stdout).map((row: { label: number }) => row.label)).toEqual([7, 2, 1]);
  }, 120_000);

  it.each([
    [['train', '--epochs', '0'], /--epochs = "0": expected an integer from 1 to 10000/],
    [['train', '--optimiser', 'adam'], /--optimiser: no such flag \(did you mean --optimizer\?\)/],
    [['train', '--optimizer', 'adamax'], /--optimizer = "adamax": expected one of sgd, momentum, nesterov, adam, adamw, padam, rmsprop, adagrad/],
    [['train', '--lr', 'fast'], /--lr = "fast": expected a number in \(0, 100\]/],
    [['train', '--dataset', 'imagenet'], /--dataset = "imagenet": expected one of mnist, fashion-mnist, cifar10/],
    [['train', '--model', 'resnet'], /--model = "resnet": expected one of mlp, lenet-300-100, lenet5, cifar-cnn, fashion-cnn or a .json model spec file/],
    [['train', '--schedule', 'step'], /--schedule = "step": expected constant, step:EPOCHS/],
    [['train', '--momentum', '0.9'], /--momentum = "0.9": only momentum, nesterov and rmsprop take a momentum/],
    [['train', '--patience', '-2'], /--patience = "-2": expected an integer from 0 to 10000/],
    [['train', '--patience', 'x'], /--patience = "x": expected an integer from 0 to 10000/],
    [['train', '--pnorm-decay', '3e-3'], /--pnorm-decay = "3e-3": expected LAMBDA:P/],
    [['train', '--pnorm-decay', '3e-3:2.5'], /--pnorm-decay \(p\) = "2.5": expected a number in \(0, 2\]/],
    [['train', '--report', 'out.pdf'], /--report = "out.pdf": expected a file name ending in .html/],
    [['train', 'extra'], /unexpected argument "extra"/],
    [['eval'], /--model is required/],
    [['reduce', '--model', 'm.slim'], /--model = "m.slim": expected a model file saved by slimtrain train --save, and there is no such file/],
    [['sparsity', '--model', 'x.slim', '--xi=-1'], /--model = "x.slim": expected a model file/],
    [['frobnicate'], /unknown command "frobnicate"/],
  ])('%j exits non-zero naming the flag', (args, message) => {
    const r = run(args as string[]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message as RegExp);
  });

  it('a dataset it cannot find is a clear error saying where it looked', () => {
    const empty = tempDir('slimtrain-empty-');
    const r = run(['train', '--dataset', 'cifar10', '--data', empty]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(empty);
    expect(r.stderr).toMatch(/--data|SLIMTRAIN_DATA/);
  });

  it('every command has --help', () => {
    for (const command of ['train', 'eval', 'predict', 'sparsity', 'reduce', 'bench', 'info']) {
      const r = run([command, '--help']);
      expect(r.status, command).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^usage: slimtrain ${command}`));
    }
    expect(run(['--help']).stdout).toMatch(/commands:\n {2}train/);
  });
});

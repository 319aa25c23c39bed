// Reproduces the claim of Yaguchi et al. (ICMLA 2018), "Adam Induces Implicit Weight Sparsity in
// Rectifier Neural Networks" (methods page, method 1): ReLU + coupled L2 + Adam (or RMSprop) leaves
// whole hidden units with zero incoming weights; SGD, momentum, no L2 or smooth activations do not.
//
//   npm run experiment:implicit-sparsity -- [--epochs 5] [--long-epochs 30] [--jobs 2] [--limit N]
//       [--lambda 5e-4] [--lambda-lenet 3e-3] [--data DIR] [--cifar-epochs 2] [--no-cifar]
//       [--out docs/experiments]
//
// The grid runs in --jobs child processes; every finished run is appended to a JSONL file, and
// runs already there are skipped, so an interrupted experiment resumes where it stopped. At the
// end it writes docs/experiments/implicit-sparsity.md (the table) and implicit-sparsity.svg (the
// log10 group-norm histograms).
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { init } from '../src/backend/engine.js';
import { loadDataset } from '../src/data/load_dataset.js';
import { standardizeSplits } from '../src/data/normalize.js';
import type { LayerSpec } from '../src/layers/layer.js';
import { presetSpec } from '../src/model/presets.js';
import { Sequential } from '../src/model/sequential.js';
import { adagrad, adam, momentum, rmsprop, sgd } from '../src/optim/optimizers.js';
import { chain } from '../src/optim/transform.js';
import { l2 } from '../src/regularize/coupled.js';
import { reduce } from '../src/reduce/reduce.js';
import { measureSparsity } from '../src/sparsity/measure.js';

let values: Record<string, string | boolean | undefined>;
let epochs = 0, cifarEpochs = 0, longEpochs = 0, jobs = 1, lambda = 0, lambdaLenet = 0;
let limit: number | undefined;
let dataDir = '', outDir = '', results = '';

function configure(args: string[]): void {
  ({ values } = parseArgs({
  args,
  options: {
    epochs: { type: 'string', default: '5' },
    'cifar-epochs': { type: 'string', default: '2' },
    'long-epochs': { type: 'string', default: '30' },
    jobs: { type: 'string', default: '2' },
    limit: { type: 'string' },
    lambda: { type: 'string', default: '5e-4' },
    'lambda-lenet': { type: 'string', default: '3e-3' },
    data: { type: 'string' },
    out: { type: 'string', default: 'docs/experiments' },
    'no-cifar': { type: 'boolean' },
    worker: { type: 'string' },
  },
  }));
  epochs = number('epochs', values.epochs as string, true);
  cifarEpochs = number('cifar-epochs', values['cifar-epochs'] as string, true);
  longEpochs = number('long-epochs', values['long-epochs'] as string, true);
  jobs = Math.max(1, number('jobs', values.jobs as string, true));
  lambda = number('lambda', values.lambda as string);
  lambdaLenet = number('lambda-lenet', values['lambda-lenet'] as string);
  limit = values.limit === undefined ? undefined : number('limit', values.limit as string, true);
  dataDir = (values.data as string | undefined) ?? process.env.SLIMTRAIN_DATA ?? '../shared/data';
  outDir = values.out as string;
  results = `${outDir}/implicit-sparsity.jsonl`;
}

const number = (name: string, v: string | undefined, integer = false): number => {
  const n = Number(v);
  if (v === undefined || !Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n))) {
    console.error(`--${name} = ${JSON.stringify(v)}: expected a non-negative ${integer ? 'integer' : 'number'}`);
    process.exit(2);
  }
  return n;
};

const OPTIMIZERS = ['sgd', 'momentum', 'adam', 'rmsprop', 'adagrad'] as const;
const ACTIVATIONS = ['relu', 'elu', 'leakyRelu', 'tanh'] as const;
/** Learning rates: the usual defaults of each optimizer (the paper's are not restated here). */
const LR: Record<(typeof OPTIMIZERS)[number], number> = { sgd: 0.1, momentum: 0.01, adam: 1e-3, rmsprop: 1e-3, adagrad: 0.01 };

interface Run {
  id: string;
  dataset: 'mnist' | 'cifar10';
  model: 'mlp' | 'lenet-300-100' | 'cifar-cnn';
  optimizer: (typeof OPTIMIZERS)[number];
  activation: string;
  l2: number;
  epochs: number;
}

function grid(): Run[] {
  const runs: Run[] = [];
  for (const optimizer of OPTIMIZERS)
    for (const activation of ACTIVATIONS)
      for (const on of [true, false]) {
        runs.push({ id: `mnist/${optimizer}/${activation}/${on ? 'l2' : 'none'}`, dataset: 'mnist', model: 'mlp', optimizer, activation, l2: on ? lambda : 0, epochs });
      }
  // The two runs that matter most, for longer: Adam + ReLU + L2 against SGD + ReLU + L2.
  if (longEpochs > 0) {
    for (const optimizer of ['adam', 'sgd'] as const) {
      runs.push({ id: `mnist/${optimizer}/relu/l2/${longEpochs}ep`, dataset: 'mnist', model: 'mlp', optimizer, activation: 'relu', l2: lambda, epochs: longEpochs });
    }
  }
  // The same question without batch norm, where units die within a few epochs: LeNet-300-100.
  for (const optimizer of ['adam', 'rmsprop', 'sgd', 'momentum'] as const)
    for (const activation of ['relu', 'tanh'])
      runs.push({ id: `mnist-lenet/${optimizer}/${activation}/l2`, dataset: 'mnist', model: 'lenet-300-100', optimizer, activation, l2: lambdaLenet, epochs });
  if (!values['no-cifar'] && cifarEpochs > 0) {
    for (const optimizer of ['adam', 'sgd'] as const) {
      runs.push({ id: `cifar10/${optimizer}/relu/l2`, dataset: 'cifar10', model: 'cifar-cnn', optimizer, activation: 'relu', l2: lambda, epochs: cifarEpochs });
    }
  }
  return runs;
}

function optimizerFor(run: Run) {
  const lr = { type: 'step' as const, initial: LR[run.optimizer], factor: 0.5, everyEpochs: 25 };
  const opt =
    run.optimizer === 'sgd' ? sgd({ lr }) :
    run.optimizer === 'momentum' ? momentum({ lr, momentum: 0.9 }) :
    run.optimizer === 'adam' ? adam({ lr }) :
    run.optimizer === 'rmsprop' ? rmsprop({ lr }) : adagrad({ lr });
  return run.l2 > 0 ? chain(l2({ lambda: run.l2 }), opt) : chain(opt);
}

async function execute(run: Run): Promise<Record<string, unknown>> {
  const started = performance.now();
  const { train, test } = await loadDataset(run.dataset, { dir: dataDir, limit });
  let spec;
  if (run.dataset === 'mnist') {
    // The paper's network: one hidden layer of 1000 units, batch norm before the activation (or LeNet-300-100).
    spec = presetSpec(run.model as 'mlp' | 'lenet-300-100', [784], 10, 1);
    spec.layers = spec.layers.map((l: LayerSpec) => (l.type === 'relu' ? { type: run.activation } : l));
  } else {
    standardizeSplits({ train, test });
    spec = presetSpec('cifar-cnn', [32, 32, 3], 10, 1);
  }
  const model = Sequential.build(await init({ threads: 1 }), spec); // parallel across runs
  model.compile({ optimizer: optimizerFor(run), loss: 'crossEntropy' });
  await model.fit(train.x, train.y, {
    epochs: run.epochs,
    batchSize: 64,
    onEpochEnd: (e) => process.stderr.write(`  ${run.id} epoch ${e.epoch + 1}/${run.epochs}: loss ${e.loss.toFixed(4)} acc ${(100 * e.accuracy).toFixed(2)}% ${e.samplesPerSecond.toFixed(0)}/s\n`),
  });
  const accuracy = model.evaluate(test.x, test.y).accuracy;
  const sparsity = measureSparsity(model);
  const { model: reduced } = reduce(model);
  const hidden = sparsity.layers.slice(0, -1);
  return {
    ...run,
    test_accuracy: accuracy,
    reduced_accuracy: reduced.evaluate(test.x, test.y).accuracy,
    hidden_units: sparsity.hiddenUnits,
    dead_units: sparsity.deadHiddenUnits,
    xi: sparsity.threshold.xi,
    xi_rule: sparsity.threshold.rule,
    params_before: model.parameterCount,
    params_after: reduced.parameterCount,
    log10_norms: hidden.flatMap((l) => Array.from(l.norms, (n) => (n > 0 ? Math.log10(n) : -45))),
    seconds: (performance.now() - started) / 1000,
  };
}

function done(): Set<string> {
  if (!existsSync(results)) return new Set();
  return new Set(readFileSync(results, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).id));
}

async function worker(index: number): Promise<void> {
  const finished = done();
  const mine = grid().filter((_, i) => i % jobs === index).filter((r) => !finished.has(r.id));
  for (const run of mine) {
    process.stderr.write(`[worker ${index}] ${run.id}\n`);
    const result = await execute(run);
    appendFileSync(results, `${JSON.stringify(result)}\n`);
  }
}

function histogramSvg(rows: Record<string, unknown>[]): string {
  const pick = (id: string) => rows.find((r) => r.id === id);
  const long = rows.find((r) => String(r.id).startsWith('mnist/adam/relu/l2/'));
  const suffix = long ? String(long.id).slice('mnist/adam/relu/l2'.length) : '';
  const series = [
    [`mnist/adam/relu/l2${suffix}`, `Adam + ReLU + L2${suffix ? ` (${suffix.slice(1)})` : ''}`, '#d62728'],
    [`mnist/sgd/relu/l2${suffix}`, `SGD + ReLU + L2${suffix ? ` (${suffix.slice(1)})` : ''}`, '#1f77b4'],
    ['mnist/adam/relu/none', 'Adam + ReLU, no L2', '#2ca02c'],
    ['mnist-lenet/adam/relu/l2', 'LeNet-300-100, Adam + ReLU + L2', '#9467bd'],
  ].filter(([id]) => pick(id));
  const lo = -46;
  const hi = 1;
  const bins = 47;
  const counts = series.map(([id]) => {
    const c = new Array(bins).fill(0);
    for (const v of pick(id)!.log10_norms as number[]) c[Math.min(bins - 1, Math.max(0, Math.floor(v - lo)))]++;
    return c;
  });
  const max = Math.max(1, ...counts.flat());
  const [W, H, L, B] = [760, 300, 50, 40];
  const x = (b: number) => L + ((W - L - 10) * b) / bins;
  const y = (c: number) => H - B - ((H - B - 20) * Math.log10(1 + c)) / Math.log10(1 + max);
  let svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`;
  svg += `<rect width="${W}" height="${H}" fill="white"/>`;
  svg += `<text x="${W / 2}" y="14" text-anchor="middle" font-size="13">Hidden-unit group norms after training (MNIST): log10 ||w_k||</text>`;
  for (let t = lo + 1; t <= hi; t += 5) svg += `<text x="${x(t - lo)}" y="${H - B + 14}" text-anchor="middle">${t <= -45 ? '0' : `1e${t}`}</text>`;
  svg += `<text x="${W / 2}" y="${H - 8}" text-anchor="middle">group norm (log scale; exact zeros in the first bin); bar height: log(1 + units)</text>`;
  counts.forEach((c, s) => {
    const w = (W - L - 10) / bins / series.length;
    c.forEach((n, b) => {
      if (n) svg += `<rect x="${x(b) + s * w}" y="${y(n)}" width="${w}" height="${H - B - y(n)}" fill="${series[s][2]}"><title>${series[s][1]}: ${n}</title></rect>`;
    });
    svg += `<rect x="${L + 10}" y="${26 + 16 * s}" width="10" height="10" fill="${series[s][2]}"/><text x="${L + 26}" y="${35 + 16 * s}">${series[s][1]}</text>`;
  });
  svg += `<line x1="${L}" y1="${H - B}" x2="${W - 10}" y2="${H - B}" stroke="#333"/></svg>\n`;
  return svg;
}

function writeReport(): void {
  const rows = readFileSync(results, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const order = grid().map((r) => r.id);
  rows.sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
  const pct = (v: number) => `${(100 * v).toFixed(2)}%`;
  const table = [
    '| dataset | model | optimizer | activation | L2 | epochs | test accuracy | hidden units removable | params after reduction | accuracy after |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) =>
      `| ${r.dataset} | ${r.model} | ${r.optimizer} | ${r.activation} | ${r.l2 || 'off'} | ${r.epochs} | ${pct(r.test_accuracy)} | ${r.dead_units} of ${r.hidden_units} (${pct(r.dead_units / r.hidden_units)}) | ${r.params_after} of ${r.params_before} | ${pct(r.reduced_accuracy)} |`),
  ].join('\n');
  writeFileSync(`${outDir}/implicit-sparsity.svg`, histogramSvg(rows));
  // Hand-written findings live beside the generated table and are kept across regenerations.
  const notesFile = `${outDir}/implicit-sparsity.notes.md`;
  const notes = existsSync(notesFile) ? `${readFileSync(notesFile, 'utf8').trim()}\n\n` : '';
  const md = `# Implicit group sparsity from Adam + L2 + ReLU (reproduction)

Claim (Yaguchi et al., ICMLA 2018; methods page, method 1): training with ReLU, a coupled L2 penalty
and Adam drives whole groups of incoming weights to zero; SGD and momentum do not, smooth
activations much less, and without L2 nothing becomes sparse.

Setup: the paper's MNIST network (784 -> 1000 hidden units -> batch norm -> activation -> 10),
pixels / 255, batch 64, learning rate halved every 25 epochs (not reached here), coupled L2
lambda = ${lambda} on the kernels when on (the paper's value is not restated in our methods page;
this is our choice), learning rates ${Object.entries(LR).map(([k, v]) => `${k} ${v}`).join(', ')}
(each optimizer's usual default), seed 1. CIFAR-10: the cifar-cnn preset (conv3x3-32 x2, pool,
conv3x3-64 x2, pool, dense 256, dense 10), standardised channels. A hidden unit is removable when
its group norm is below xi, chosen from the gap between the dead and live clusters of log10 norms
(measureSparsity); "params after reduction" is the physically reduced model (reduce), whose test
accuracy is in the last column. Epoch counts are far below the paper's 100 to fit this machine.

LeNet-300-100 rows (784-300-100-10, no batch norm) use lambda = ${lambdaLenet}: the same question
on a network without batch norm, where units die within a few epochs.

Adam + ReLU + L2 and SGD + ReLU + L2 also ran for ${longEpochs} epochs (the rows with that count).

${notes}Command: \`npm run experiment:implicit-sparsity -- --epochs ${epochs} --long-epochs ${longEpochs} --cifar-epochs ${cifarEpochs}\`

${table}

![log10 group norms](implicit-sparsity.svg)
`;
  writeFileSync(`${outDir}/implicit-sparsity.md`, md);
  process.stderr.write(`wrote ${outDir}/implicit-sparsity.md and .svg (${rows.length} runs)\n`);
}

/** Entry point (bench/run.mjs bundles this file and calls main with the arguments). */
export async function main(args: string[]): Promise<void> {
  configure(args);
  if (values.worker !== undefined) {
    await worker(Number(values.worker));
    return;
  }
  mkdirSync(outDir, { recursive: true });
  // Each worker is this bundle again, in its own process, with --worker i.
  const self = import.meta.url;
  const children = Array.from({ length: jobs }, (_, i) =>
    new Promise<number>((resolve) => {
      const code = `import(${JSON.stringify(self)}).then((m) => m.main(${JSON.stringify([...args, '--worker', String(i)])}))`;
      const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'inherit', 'inherit'] });
      child.on('exit', (exit) => resolve(exit ?? 1));
    }),
  );
  const codes = await Promise.all(children);
  if (codes.some((c) => c !== 0)) {
    process.stderr.write(`a worker failed (exit codes ${codes.join(', ')}); finished runs are in ${results}, run again to resume\n`);
    process.exit(1);
  }
  writeReport();
}

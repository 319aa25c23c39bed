// bench:live-reduction — what shrinking while training buys: the same run (model, optimizer, seed,
// epochs) trained twice in this process, once with fit's `reduce: { everyEpochs: 1 }` and then as it is,
// one after the other on the same data and engine settings. Per case: wall-clock seconds to the same
// epoch count, their ratio, final test accuracy and parameters, and when the units died.
//   npm run bench:live-reduction [-- --json] [--quick] [--models mlp-l2,lenet-300-100-ghs] [--threads 1]
// --quick trains 3 epochs on 10,000 images: a smoke run, not a measurement.
import { init } from '../src/backend/engine.js';
import { loadMnist } from '../src/data/mnist.js';
import { Sequential } from '../src/model/sequential.js';
import { presetSpec, type ModelPreset } from '../src/model/presets.js';
import { optimizerFromSpec, type OptimizerSpec } from '../src/optim/spec.js';
import type { LiveCut } from '../src/reduce/live.js';
import { parseBenchOptions } from './support/bench-options.js';
import { logProgress } from './support/progress-log.js';
import { formatTable, type TableColumn } from './support/text-table.js';

interface Case {
  name: string;
  description: string;
  preset: ModelPreset;
  optimizer: OptimizerSpec;
  epochs: number;
}

const CASES: Case[] = [
  {
    name: 'mlp-l2', preset: 'mlp', epochs: 30,
    description: 'MNIST 784-1000-BN-ReLU-10, Adam lr 1e-3 + coupled L2 5e-4 on the kernels, batch 64 (implicit-grid settings, constant lr)',
    optimizer: { type: 'adam', lr: 1e-3, transforms: [{ type: 'l2', lambda: 5e-4 }] },
  },
  {
    name: 'lenet-300-100-ghs', preset: 'lenet-300-100', epochs: 30,
    description: 'MNIST LeNet-300-100, Adam lr 1e-3 + Group-HS 2e-3 (tradeoff-lenet-300-100: 202 of 400 units dead at 5 epochs), batch 64',
    optimizer: { type: 'adam', lr: 1e-3, transforms: [{ type: 'groupHoyer', lambda: 2e-3 }] },
  },
];

interface Run {
  live: boolean;
  seconds: number;
  testAccuracy: number;
  parameters: { start: number; end: number };
  flops: { start: number; end: number };
  cuts: { epoch: number; removed: number; parameters: number }[];
  /** Mean training samples/s of the first and of the last epoch. */
  samplesPerSecond: { first: number; last: number };
}

interface CaseRecord {
  case: string;
  description: string;
  epochs: number;
  training_samples: number;
  threads: number;
  dense: Run;
  live: Run;
  /** dense seconds / live seconds: how much faster live reduction reached the same epoch count. */
  speedup: number;
  /** live - dense test accuracy, in points. */
  accuracy_change_points: number;
}

async function train(c: Case, epochs: number, data: ReturnType<typeof loadMnist>, threads: number, live: boolean): Promise<Run> {
  const engine = await init({ threads });
  const model = Sequential.build(engine, presetSpec(c.preset, [784], 10, 1));
  model.compile({ optimizer: optimizerFromSpec(c.optimizer) });
  const start = { parameters: model.parameterCount, flops: model.flops };
  const cuts: LiveCut[] = [];
  const began = performance.now();
  const history = await model.fit(data.train.x, data.train.y, {
    epochs, batchSize: 64, seed: 1, yieldEveryMs: 0,
    ...(live ? { reduce: { everyEpochs: 1 }, onReduce: (cut: LiveCut) => cuts.push(cut) } : {}),
    onEpochEnd: (e) => logProgress(`${c.name} ${live ? 'live ' : 'dense'}: epoch ${e.epoch + 1}/${epochs}, ${e.samplesPerSecond.toFixed(0)} samples/s, ${e.parameters} parameters`),
  });
  const seconds = (performance.now() - began) / 1000;
  const testAccuracy = model.evaluate(data.test.x, data.test.y).accuracy;
  const run: Run = {
    live, seconds, testAccuracy,
    parameters: { start: start.parameters, end: model.parameterCount },
    flops: { start: start.flops, end: model.flops },
    cuts: cuts.map((k) => ({ epoch: k.epoch, removed: k.removed, parameters: k.parameters.after })),
    samplesPerSecond: { first: history.epochs[0].samplesPerSecond, last: history.epochs[history.epochs.length - 1].samplesPerSecond },
  };
  model.dispose();
  engine.dispose();
  return run;
}

const COLUMNS: TableColumn[] = [
  { header: 'case' }, { header: 'run' }, { header: 'seconds', align: 'right' }, { header: 'speedup', align: 'right' },
  { header: 'test acc', align: 'right' }, { header: 'params start', align: 'right' }, { header: 'params end', align: 'right' },
  { header: 'samples/s first', align: 'right' }, { header: 'samples/s last', align: 'right' }, { header: 'cuts (epoch: units)' },
];

function formatRecords(records: readonly CaseRecord[]): string {
  const rows = records.flatMap((r) => [r.dense, r.live].map((run) => [
    r.case, run.live ? 'live reduction' : 'no reduction', run.seconds.toFixed(1), run.live ? `${r.speedup.toFixed(2)}x` : '1.00x',
    `${(100 * run.testAccuracy).toFixed(2)}%`, run.parameters.start.toLocaleString('en-US'), run.parameters.end.toLocaleString('en-US'),
    run.samplesPerSecond.first.toFixed(0), run.samplesPerSecond.last.toFixed(0),
    run.cuts.length ? run.cuts.map((k) => `${k.epoch}: ${k.removed}`).join(', ') : '-',
  ]));
  return [
    'bench:live-reduction — the same run with and without fit({ reduce: { everyEpochs: 1 } }), one after the other in one process',
    ...records.map((r) => `  ${r.case}: ${r.description}; ${r.epochs} epochs on ${r.training_samples} images, ${r.threads} thread(s)`),
    '',
    formatTable(COLUMNS, rows),
    '',
    'speedup: seconds without / seconds with live reduction to the same epoch count (the cut itself included).',
    '',
  ].join('\n');
}

/** Runs the bench; `args` are the command-line flags (see support/bench-options.ts). */
export async function main(args: readonly string[]): Promise<void> {
  const options = parseBenchOptions(args, { models: CASES.map((c) => c.name) });
  const threads = options.threads[options.threads.length - 1];
  const data = loadMnist(options.quick ? { limit: 10000 } : {});
  const records: CaseRecord[] = [];
  for (const c of CASES.filter((k) => !options.models || options.models.includes(k.name))) {
    const epochs = options.quick ? 3 : c.epochs;
    // Live first, then dense: a machine that gets slower over time then favours the dense run.
    const live = await train(c, epochs, data, threads, true);
    const dense = await train(c, epochs, data, threads, false);
    records.push({
      case: c.name, description: c.description, epochs, training_samples: data.train.y.length, threads, dense, live,
      speedup: dense.seconds / live.seconds, accuracy_change_points: 100 * (live.testAccuracy - dense.testAccuracy),
    });
  }
  process.stdout.write(options.json ? `${JSON.stringify(records, null, 2)}\n` : formatRecords(records));
}

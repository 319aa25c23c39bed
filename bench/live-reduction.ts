// bench:live-reduction — what shrinking while training buys: the same run (model, optimizer, seed,
// epochs) trained twice in this process, once with fit's `reduce: { everyEpochs: 1 }` and then as it is,
// their epochs taking turns, on the same data and engine settings. Per case: wall-clock seconds to the same
// epoch count, their ratio, final test accuracy and parameters, and when the units died.
//   npm run bench:live-reduction [-- --json] [--quick] [--models mlp-l2,lenet-300-100-ghs] [--threads 1]
// mlp-l2-100 (the implicit-grid schedule, 100 epochs: about an hour on one core) runs only when
// --models names it.
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
  /** Runs only when --models names it (an hour or more on one core). */
  long?: boolean;
  /** The dead-unit threshold of the cuts (fit's reduce.xi); default the gap rule. */
  xi?: number;
}

const CASES: Case[] = [
  {
    name: 'mlp-l2', preset: 'mlp', epochs: 30,
    description: 'MNIST 784-1000-BN-ReLU-10, Adam lr 1e-3 + coupled L2 5e-4 on the kernels, batch 64 (implicit-grid settings, constant lr)',
    optimizer: { type: 'adam', lr: 1e-3, transforms: [{ type: 'l2', lambda: 5e-4 }] },
  },
  {
    name: 'mlp-l2-100', preset: 'mlp', epochs: 100, long: true,
    description: 'MNIST 784-1000-BN-ReLU-10, the implicit-grid run: Adam lr 1e-3 halved every 25 epochs + coupled L2 5e-4, batch 64, 100 epochs (658 of 1000 units removable at the end)',
    optimizer: { type: 'adam', lr: { type: 'step', initial: 1e-3, everyEpochs: 25, factor: 0.5 }, transforms: [{ type: 'l2', lambda: 5e-4 }] },
  },
  {
    name: 'lenet-300-100-ghs', preset: 'lenet-300-100', epochs: 30,
    description: 'MNIST LeNet-300-100, Adam lr 1e-3 + Group-HS 2e-3 (tradeoff-lenet-300-100: 202 of 400 units dead at 5 epochs), batch 64',
    optimizer: { type: 'adam', lr: 1e-3, transforms: [{ type: 'groupHoyer', lambda: 2e-3 }] },
  },
  {
    name: 'lenet-300-100-ghs-xi', preset: 'lenet-300-100', epochs: 30, xi: 1e-3,
    description: 'the same Group-HS run, cut at a fixed threshold xi = 1e-3 (units whose incoming group norm Group-HS has shrunk below it leave at once, instead of when the gap rule first finds exact zeros)',
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

/** A model of the case, built and compiled on its own engine. */
async function build(c: Case, threads: number): Promise<Sequential> {
  const engine = await init({ threads });
  const model = Sequential.build(engine, presetSpec(c.preset, [784], 10, 1));
  model.compile({ optimizer: optimizerFromSpec(c.optimizer) });
  return model;
}

/**
 * Trains the case twice, epoch by epoch in turn (live, then dense, then live...), so that a load
 * that comes and goes slows both runs alike. Each epoch is one fit call with the same shuffle seed
 * for both models (seed 1 + epoch); the live model's fit cuts at the epoch's end.
 */
async function trainPair(c: Case, epochs: number, data: ReturnType<typeof loadMnist>, threads: number): Promise<{ live: Run; dense: Run }> {
  const runs = await Promise.all([true, false].map(async (live) => ({
    live, model: await build(c, threads), seconds: 0, cuts: [] as LiveCut[], rates: [] as number[],
  })));
  const start = { parameters: runs[0].model.parameterCount, flops: runs[0].model.flops };
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (const run of runs) {
      const began = performance.now();
      const history = await run.model.fit(data.train.x, data.train.y, {
        epochs: 1, batchSize: 64, seed: 1 + epoch, yieldEveryMs: 0,
        ...(run.live ? { reduce: { everyEpochs: 1, ...(c.xi !== undefined ? { xi: c.xi } : {}) }, onReduce: (cut: LiveCut) => run.cuts.push({ ...cut, epoch: epoch + 1 }) } : {}),
      });
      run.seconds += (performance.now() - began) / 1000;
      run.rates.push(history.epochs[0].samplesPerSecond);
      logProgress(`${c.name} ${run.live ? 'live ' : 'dense'}: epoch ${epoch + 1}/${epochs}, ${history.epochs[0].samplesPerSecond.toFixed(0)} samples/s, ${run.model.parameterCount} parameters`);
    }
  }
  const result = runs.map((run): Run => {
    const testAccuracy = run.model.evaluate(data.test.x, data.test.y).accuracy;
    const out: Run = {
      live: run.live, seconds: run.seconds, testAccuracy,
      parameters: { start: start.parameters, end: run.model.parameterCount },
      flops: { start: start.flops, end: run.model.flops },
      cuts: run.cuts.map((k) => ({ epoch: k.epoch, removed: k.removed, parameters: k.parameters.after })),
      samplesPerSecond: { first: run.rates[0], last: run.rates[run.rates.length - 1] },
    };
    const engine = run.model.engine;
    run.model.dispose();
    engine.dispose();
    return out;
  });
  return { live: result[0], dense: result[1] };
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
    'bench:live-reduction — the same run with and without fit({ reduce: { everyEpochs: 1 } }), their epochs taking turns in one process',
    ...records.map((r) => `  ${r.case}: ${r.description}; ${r.epochs} epochs on ${r.training_samples} images, ${r.threads} thread(s)`),
    '',
    formatTable(COLUMNS, rows),
    '',
    'speedup: seconds without / seconds with live reduction to the same epoch count (the cuts included); epoch e shuffles with seed 1 + e in both runs.',
    '',
  ].join('\n');
}

/** Runs the bench; `args` are the command-line flags (see support/bench-options.ts). */
export async function main(args: readonly string[]): Promise<void> {
  const options = parseBenchOptions(args, { models: CASES.map((c) => c.name) });
  const threads = options.threads[options.threads.length - 1];
  const data = loadMnist(options.quick ? { limit: 10000 } : {});
  const records: CaseRecord[] = [];
  for (const c of CASES.filter((k) => (options.models ? options.models.includes(k.name) : !k.long))) {
    const epochs = options.quick ? 3 : c.epochs;
    const { live, dense } = await trainPair(c, epochs, data, threads);
    records.push({
      case: c.name, description: c.description, epochs, training_samples: data.train.y.length, threads, dense, live,
      speedup: dense.seconds / live.seconds, accuracy_change_points: 100 * (live.testAccuracy - dense.testAccuracy),
    });
  }
  process.stdout.write(options.json ? `${JSON.stringify(records, null, 2)}\n` : formatRecords(records));
}

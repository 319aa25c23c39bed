import { BatchCurve } from '../../src/train/batch_curve.js';
import type { EpochLog } from '../../src/train/fit.js';
import type { TrainingReportData } from '../../src/report/training_report.js';
import { rng } from '../support/random.js';

/** A standard normal draw (Box-Muller) from a uniform generator. */
function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

const LAYERS = [
  { name: 'conv2d_1', units: 16, finalSparsity: 0.25 },
  { name: 'conv2d_2', units: 32, finalSparsity: 0.5 },
  { name: 'dense_1', units: 128, finalSparsity: 0.75 },
];

/**
 * A plausible run of a small CNN under group lasso: 12 epochs with validation, sparsity rising per
 * layer, bimodal final group norms (kept units near 1, pruned ones near 1e-5, a few exact zeros).
 */
export function sampleReportData(): TrainingReportData {
  const random = rng(7);
  const epochs: EpochLog[] = [];
  // 12 epochs of 94 batches, the group-lasso penalty shrinking as units die.
  const curve = new BatchCurve({ maxPoints: 300 });
  const batches = 94;
  for (let epoch = 0; epoch < 12; epoch++) {
    for (let batch = 0; batch < batches; batch++) {
      const t = epoch + (batch + 1) / batches;
      const dataLoss = 0.05 + 0.6 * Math.exp(-t / 2.5) + 0.08 * random();
      const penalty = 0.02 + 0.05 * Math.exp(-t / 4);
      curve.add({ epoch, batch, batches, dataLoss, penalty, loss: dataLoss + penalty, accuracy: 0.985 - 0.2 * Math.exp(-t / 2) - 0.03 * random() });
    }
    const t = epoch + 1;
    const penalty = 0.02 + 0.05 * Math.exp(-t / 4);
    const dataLoss = 0.05 + 0.6 * Math.exp(-t / 2.5) + 0.005 * random();
    epochs.push({
      epoch,
      dataLoss,
      penalty,
      loss: dataLoss + penalty,
      accuracy: 0.985 - 0.2 * Math.exp(-t / 2),
      valLoss: 0.08 + 0.5 * Math.exp(-t / 2.8) + 0.01 * random(),
      valAccuracy: 0.978 - 0.18 * Math.exp(-t / 2.2) + 0.002 * random(),
      seconds: 4.2 + random(),
      samplesPerSecond: 12500 + 500 * random(),
      lr: 0.001 * 0.5 * (1 + Math.cos((Math.PI * epoch) / 12)),
    });
  }
  const sparsity = [-1, ...epochs.map((e) => e.epoch)].map((epoch) => ({
    epoch,
    layers: LAYERS.map((l) => {
      const progress = epoch < 0 ? 0 : 1 / (1 + Math.exp(-(epoch - 4)));
      return { name: l.name, units: l.units, belowThreshold: Math.round(l.units * l.finalSparsity * progress), threshold: 1e-3 };
    }),
  }));
  const groupNorms = LAYERS.map((l) => {
    const pruned = Math.round(l.units * l.finalSparsity);
    const norms = new Float32Array(l.units);
    for (let k = 0; k < l.units; k++) {
      if (k < 2 && l.name === 'dense_1') norms[k] = 0;
      else if (k < pruned) norms[k] = 10 ** (-5 + 0.6 * gaussian(random));
      else norms[k] = 10 ** (-0.15 + 0.2 * gaussian(random));
    }
    return { name: l.name, norms };
  });
  return {
    title: 'mnist-cnn · group lasso λ=1e-4',
    model: {
      summary: [
        'layer      type     output shape   params   FLOPs',
        'conv2d_1   conv2d   [26, 26, 16]      160  194688',
        'conv2d_2   conv2d   [24, 24, 32]     4640  5308416',
        'flatten_1  flatten  [18432]             0       0',
        'dense_1    dense    [128]         2359424  4718592',
        'dense_2    dense    [10]             1290    2560',
        'total                             2365514  10224256',
      ].join('\n'),
      parameters: 2365514,
      flops: 10224256,
    },
    history: { epochs, stoppedEarly: false },
    batches: curve.points,
    sparsity,
    settings: { dataset: 'mnist', model: 'mnist-cnn', epochs: 12, 'batch size': 64, seed: 1, optimizer: 'adam (lr 0.001)', 'transforms (in chain order)': 'groupLasso (lambda 0.0001, form coupled)', 'validation split': 0.1 },
    environment: { runtime: 'Node v20.20.2', platform: 'linux x64', 'kernel build': 'simd', threads: 2 },
    groupNorms,
    test: { accuracy: 0.9812, loss: 0.0613, samples: 10000 },
    startedAt: new Date(Date.UTC(2025, 2, 1, 14, 5, 9)),
    finishedAt: new Date(Date.UTC(2025, 2, 1, 14, 6, 2)),
    commandLine: 'slimtrain train --model mnist-cnn --epochs 12 --group-lasso 1e-4 --report out.html',
  };
}

/** The same run after reduction removed the units below threshold. */
export function sampleReduction(): NonNullable<TrainingReportData['reduction']> {
  return {
    parameters: { before: 2365514, after: 593034 },
    flops: { before: 10224256, after: 2703136 },
    layers: LAYERS.map((l) => ({ name: l.name, units: l.units, kept: l.units - Math.round(l.units * l.finalSparsity) })),
    testAccuracyAfter: 0.9809,
  };
}

/** sampleReduction with everything `slimtrain train` measures: sizes, latency, and per layer the reasons and sizes. */
export function fullSampleReduction(): NonNullable<TrainingReportData['reduction']> {
  const r = sampleReduction();
  return {
    ...r,
    nonzeros: { before: 2365514, after: 593034 },
    bytes: { before: 9462400, after: 2372480 },
    latencyMs: { batch1: { before: 0.4812, after: 0.1377 }, batch64: { before: 0.1203, after: 0.0351 } },
    maxLogitDifference: 3.1e-7,
    xi: 1e-3,
    xiRule: 'gap',
    layers: r.layers.map((l, i) => ({ ...l, dead: l.units - l.kept - i, unused: i, parameters: { before: 1000 * (i + 1), after: 400 * (i + 1) }, nonzeros: { before: 990 * (i + 1), after: 400 * (i + 1) }, flops: { before: 2000 * (i + 1), after: 800 * (i + 1) } })),
  };
}

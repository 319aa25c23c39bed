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
  for (let epoch = 0; epoch < 12; epoch++) {
    const t = epoch + 1;
    epochs.push({
      epoch,
      loss: 0.05 + 0.6 * Math.exp(-t / 2.5) + 0.005 * random(),
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
    sparsity,
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

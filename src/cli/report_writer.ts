import { writeFileAtomic } from '../io/model_files_node.js';
import type { Sequential } from '../model/sequential.js';
import { renderTrainingReport } from '../report/training_report.js';
import type { EpochLog } from '../train/fit.js';
import type { SparsitySnapshot } from './sparsity_table.js';

/** Writes `slimtrain train --report FILE.html`: the training run as one self-contained page. */
export function writeTrainingReport(
  path: string,
  run: {
    model: Sequential;
    dataset: string;
    history: EpochLog[];
    snapshots: SparsitySnapshot[];
    testAccuracy: number;
    testLoss: number;
    testSamples: number;
    startedAt: Date;
    argv: string[];
  },
): void {
  const { model, snapshots } = run;
  const final = snapshots[snapshots.length - 1];
  const html = renderTrainingReport({
    title: `${run.dataset}: ${model.layers.filter((l) => l.type === 'dense' || l.type === 'conv2d').length} weighted layers, ${run.history.length} epochs`,
    model: { summary: model.summary(), parameters: model.parameterCount, flops: model.flops },
    history: { epochs: run.history },
    sparsity: snapshots.map((s) => ({
      epoch: s.epoch,
      layers: s.layers.map((l) => ({ name: l.layer, units: l.units, belowThreshold: l.norms.filter((n) => n < s.xi).length, threshold: s.xi })),
    })),
    groupNorms: final ? final.layers.map((l) => ({ name: l.layer, norms: l.norms, threshold: final.xi })) : [],
    test: { accuracy: run.testAccuracy, loss: run.testLoss, samples: run.testSamples },
    startedAt: run.startedAt,
    finishedAt: new Date(),
    commandLine: ['slimtrain', 'train', ...run.argv].join(' '),
  });
  writeFileAtomic(path, new TextEncoder().encode(html));
}

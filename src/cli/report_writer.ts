import { writeFileAtomic } from '../io/model_files_node.js';
import type { Sequential } from '../model/sequential.js';
import { renderTrainingReport } from '../report/training_report.js';
import type { EpochLog } from '../train/fit.js';
import type { SparsityReport } from '../sparsity/measure.js';
import type { SparsitySnapshot } from './sparsity_table.js';

/** Writes `slimtrain train --report FILE.html`: the training run as one self-contained page. */
export function writeTrainingReport(
  path: string,
  run: {
    model: Sequential;
    dataset: string;
    history: EpochLog[];
    snapshots: SparsitySnapshot[];
    sparsity: SparsityReport;
    reduction: Record<string, unknown> | null;
    testAccuracy: number;
    testLoss: number;
    testSamples: number;
    startedAt: Date;
    argv: string[];
  },
): void {
  const { model, snapshots } = run;
  const xi = run.sparsity.threshold.xi;
  const r = run.reduction as
    | { params_before: number; params_after: number; flops_before: number; flops_after: number; test_accuracy_after: number; layers: { name: string; units: number; kept: number }[] }
    | null;
  const html = renderTrainingReport({
    title: `${run.dataset}: ${model.layers.filter((l) => l.type === 'dense' || l.type === 'conv2d').length} weighted layers, ${run.history.length} epochs`,
    model: { summary: model.summary(), parameters: model.parameterCount, flops: model.flops },
    history: { epochs: run.history },
    sparsity: snapshots.map((s) => ({
      epoch: s.epoch,
      layers: s.layers.map((l) => ({ name: l.layer, units: l.units, belowThreshold: l.norms.filter((n) => n < xi).length, threshold: xi })),
    })),
    groupNorms: run.sparsity.layers.map((l) => ({ name: l.layer, norms: l.norms, threshold: xi })),
    reduction: r
      ? {
          parameters: { before: r.params_before, after: r.params_after },
          flops: { before: r.flops_before, after: r.flops_after },
          layers: r.layers.map((l) => ({ name: l.name, units: l.units, kept: l.kept })),
          testAccuracyAfter: r.test_accuracy_after,
        }
      : undefined,
    test: { accuracy: run.testAccuracy, loss: run.testLoss, samples: run.testSamples },
    startedAt: run.startedAt,
    finishedAt: new Date(),
    commandLine: ['slimtrain', 'train', ...run.argv].join(' '),
  });
  writeFileAtomic(path, new TextEncoder().encode(html));
}

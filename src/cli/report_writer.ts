import type { Engine } from '../backend/engine.js';
import { writeFileAtomic } from '../io/model_files_node.js';
import type { Sequential } from '../model/sequential.js';
import type { ReductionRecord } from '../reduce/reduce.js';
import type { ReductionReport } from '../reduce/report.js';
import { countNoun } from '../report/report_numbers.js';
import { specText } from '../report/spec_text.js';
import { renderTrainingReport, type ReductionSummary, type SettingValue } from '../report/training_report.js';
import type { LayerActivationDeadness } from '../sparsity/dead_activations.js';
import type { SparsityReport } from '../sparsity/measure.js';
import type { BatchCurvePoint } from '../train/batch_curve.js';
import type { EpochLog } from '../train/fit.js';
import type { SparsitySnapshot } from './sparsity_table.js';

/** Writes `slimtrain train --report FILE.html`: the training run as one self-contained page. */
export function writeTrainingReport(
  path: string,
  run: {
    model: Sequential;
    engine: Engine;
    dataset: string;
    history: EpochLog[];
    batches: BatchCurvePoint[];
    snapshots: SparsitySnapshot[];
    sparsity: SparsityReport;
    activity: { samples: number; layers: LayerActivationDeadness[] };
    /** The reduction's report and the reduced model, when reduction ran. */
    reduction: { report: ReductionReport; record: ReductionRecord; model: Sequential; testAccuracy: number } | null;
    testAccuracy: number;
    testLoss: number;
    testSamples: number;
    /** The run's settings in display order; the optimizer chain is added from the model. */
    settings: Record<string, SettingValue>;
    startedAt: Date;
    argv: string[];
  },
): void {
  const { model, snapshots } = run;
  const xi = run.sparsity.threshold.xi;
  const weighted = model.layers.filter((l) => l.type === 'dense' || l.type === 'conv2d').length;
  const epochs = run.history.length;
  const spec = model.optimizer?.toSpec();
  const { transforms, ...optimizer } = spec ?? { transforms: [] };
  const process = (globalThis as { process?: { version: string; platform: string; arch: string } }).process;
  const html = renderTrainingReport({
    title: `${run.dataset}: ${countNoun(weighted, 'weighted layer')}, ${countNoun(epochs, 'epoch')}`,
    model: { summary: model.summary(), parameters: model.parameterCount, flops: model.flops },
    history: { epochs: run.history },
    batches: run.batches,
    sparsity: snapshots.map((s) => ({
      epoch: s.epoch,
      ...(s.at === undefined ? {} : { at: s.at }),
      layers: s.layers.map((l) => ({ name: l.layer, units: l.units, belowThreshold: l.norms.filter((n) => n < xi).length, threshold: xi })),
    })),
    groupNorms: run.sparsity.layers.map((l) => ({ name: l.layer, norms: l.norms, threshold: xi })),
    activity: {
      samples: run.activity.samples,
      layers: run.activity.layers.map((l) => ({ layer: l.layer, observed: l.observed, units: l.units, zero: l.zero.length, constant: l.constant.length })),
    },
    reduction: run.reduction ? reductionSummary(run.reduction) : undefined,
    test: { accuracy: run.testAccuracy, loss: run.testLoss, samples: run.testSamples },
    settings: {
      dataset: run.dataset,
      ...run.settings,
      optimizer: spec ? specText(optimizer) : model.optimizer?.optimizer.name ?? null,
      'transforms (in chain order)': spec ? (transforms.length ? transforms.map(specText).join(' → ') : null) : 'not serialisable',
      'dead-unit threshold xi': `${xi.toExponential(2)} (${run.sparsity.threshold.rule})`,
    },
    environment: {
      runtime: process ? `Node ${process.version}` : 'unknown',
      platform: process ? `${process.platform} ${process.arch}` : 'unknown',
      'kernel build': run.engine.kernels,
      threads: run.engine.threads,
    },
    startedAt: run.startedAt,
    finishedAt: new Date(),
    commandLine: ['slimtrain', 'train', ...run.argv].join(' '),
  });
  writeFileAtomic(path, new TextEncoder().encode(html));
}

function reductionSummary(r: NonNullable<Parameters<typeof writeTrainingReport>[1]['reduction']>): ReductionSummary {
  return { ...r.report, testAccuracyAfter: r.testAccuracy };
}

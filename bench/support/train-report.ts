// bench:train's results: one record per model, printed as an aligned table for people (default)
// or as a JSON array for tools (--json, which prints nothing else to stdout).
import { formatTable, type TableColumn } from './text-table.js';

/** One model's results. Samples/s at batch TRAIN_BATCH; null = not measured (see note). MB = 2^20 bytes. */
export interface TrainRecord {
  model: string;
  /** Steady-state training throughput: the fastest ~1 s window of steps after warm-up. */
  slimtrain_samples_per_s: number;
  tfjs_wasm_samples_per_s: number | null;
  /** Estimated from a smaller batch where a batch-128 step would take too long: see tfjs_cpu_batch. */
  tfjs_cpu_samples_per_s: number | null;
  /** Peak RSS of a fresh Node process that trains this model with slimtrain alone (no TensorFlow.js loaded). */
  slimtrain_peak_rss_mb: number;
  /** That process's RSS before the model was created (Node, slimtrain's code, its engine, the batch). */
  slimtrain_rss_baseline_mb: number;
  /** Size of slimtrain's WebAssembly memory after training steps (parameters, Adam state, activations, workspaces). */
  slimtrain_wasm_memory_mb: number;
  /** The relaxed-SIMD build; null where relaxed SIMD does not validate (Node 20 without --relaxed). */
  slimtrain_relaxed_samples_per_s: number | null;
  /** The median window, for how steady the numbers were. */
  slimtrain_median_samples_per_s: number;
  tfjs_wasm_median_samples_per_s: number | null;
  /** slimtrain_samples_per_s / tfjs_wasm_samples_per_s. */
  ratio_vs_tfjs_wasm: number | null;
  ratio_vs_tfjs_cpu: number | null;
  /** What ran on tfjs wasm for Conv2DBackpropFilter, which tfjs-backend-wasm lacks; null for models without convolutions. */
  tfjs_wasm_conv2d_backprop_filter: string | null;
  /** The batch tfjs cpu was timed at (TRAIN_BATCH unless estimated). */
  tfjs_cpu_batch: number | null;
  tfjs_cpu_estimated: boolean;
  /** max over the first two steps of |loss - slimtrain's loss| / slimtrain's first loss, from the same weights and batch. */
  tfjs_wasm_loss_error: number | null;
  tfjs_cpu_loss_error: number | null;
  batch: number;
  description: string;
  /** slimtrain's model.flops: forward FLOPs per sample (2 per multiply-add). */
  forward_flops_per_sample: number;
  /** 3 x forward: forward, input gradient and weight gradient each cost about one forward. */
  training_flops_per_sample: number;
  /** Samples/s if every training FLOP ran at the single-core WASM SIMD mul+add peak: the arithmetic ceiling. */
  ceiling_samples_per_s: number;
  /** slimtrain_samples_per_s / ceiling_samples_per_s. */
  slimtrain_fraction_of_peak: number;
  note: string | null;
}

/** What the header of the human-readable output says about the run. */
export interface TrainReportContext {
  title: string;
  lines: string[];
  footnotes: string[];
}

function rate(value: number | null, suffix = ''): string {
  if (value === null) return '-';
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : value >= 1 ? 2 : 3;
  return `${value.toFixed(digits)}${suffix}`;
}

function ratio(value: number | null): string {
  return value === null ? '-' : `${value.toFixed(value >= 100 ? 0 : 2)}x`;
}

const COLUMNS: TableColumn[] = [
  { header: 'model' },
  { header: 'slimtrain', align: 'right' },
  { header: 'relaxed', align: 'right' },
  { header: 'tfjs wasm', align: 'right' },
  { header: 'tfjs cpu', align: 'right' },
  { header: 'vs wasm', align: 'right' },
  { header: 'vs cpu', align: 'right' },
  { header: 'ceiling', align: 'right' },
  { header: '% peak', align: 'right' },
  { header: 'peak RSS', align: 'right' },
  { header: 'wasm mem', align: 'right' },
  { header: 'MFLOP/sample', align: 'right' },
];

/** The human-readable report: header lines, the table, the ratio line, footnotes, notes. */
export function formatTrainReport(records: readonly TrainRecord[], context: TrainReportContext): string {
  const rows = records.map((r) => [
    r.model,
    rate(r.slimtrain_samples_per_s),
    rate(r.slimtrain_relaxed_samples_per_s),
    rate(r.tfjs_wasm_samples_per_s, r.tfjs_wasm_conv2d_backprop_filter ? ' (polyfill)' : ''),
    rate(r.tfjs_cpu_samples_per_s, r.tfjs_cpu_estimated ? ` (est., batch ${r.tfjs_cpu_batch})` : ''),
    ratio(r.ratio_vs_tfjs_wasm),
    ratio(r.ratio_vs_tfjs_cpu),
    rate(r.ceiling_samples_per_s),
    `${(100 * r.slimtrain_fraction_of_peak).toFixed(1)}%`,
    `${r.slimtrain_peak_rss_mb.toFixed(0)} MB`,
    `${r.slimtrain_wasm_memory_mb.toFixed(0)} MB`,
    (r.training_flops_per_sample / 1e6).toFixed(1),
  ]);
  const ratios = records
    .filter((r) => r.ratio_vs_tfjs_wasm !== null)
    .map((r) => `${r.model} ${ratio(r.ratio_vs_tfjs_wasm)}`)
    .join(', ');
  const notes = records.filter((r) => r.note).map((r) => `  ${r.model}: ${r.note}`);
  return [
    context.title,
    ...context.lines.map((l) => `  ${l}`),
    '',
    'Training samples/s at batch 128 (higher is better); "vs wasm"/"vs cpu" = slimtrain / tfjs; "ceiling" = samples/s if every',
    'training FLOP ran at the single-core SIMD mul+add peak; "% peak" = slimtrain / ceiling; memory is slimtrain\'s alone.',
    formatTable(COLUMNS, rows),
    '',
    `slimtrain / tfjs wasm (target 5x, single thread): ${ratios || 'not measured'}`,
    ...(context.footnotes.length ? ['', ...context.footnotes] : []),
    ...(notes.length ? ['', 'notes:', ...notes] : []),
    '',
  ].join('\n');
}

/** Prints the records as the options ask: JSON only, or the table. */
export function printTrainReport(records: readonly TrainRecord[], context: TrainReportContext, json: boolean): void {
  process.stdout.write(json ? `${JSON.stringify(records, null, 2)}\n` : formatTrainReport(records, context));
}

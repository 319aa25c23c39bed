// bench:train's results: one record per model, printed as an aligned table for people (default)
// or as a JSON array for tools (--json, which prints nothing else to stdout).
import { formatTable, type TableColumn } from './text-table.js';

/** One model's results. Samples/s at batch TRAIN_BATCH; null = not measured (see note). MB = 2^20 bytes. */
export interface TrainRecord {
  model: string;
  /**
   * Steady-state training throughput: the fastest ~1 s window of steps after warm-up, at
   * slimtrain_threads kernel threads (the first count of --threads; 1 by default).
   */
  slimtrain_samples_per_s: number;
  slimtrain_threads: number;
  /** slimtrain_samples_per_s at each thread count of --threads (keys: the counts), timed in alternating windows. */
  slimtrain_samples_per_s_by_threads: Record<string, number>;
  slimtrain_median_samples_per_s_by_threads: Record<string, number>;
  /** Samples/s at each count above 1 over samples/s at 1 thread; null unless --threads lists 1 and a larger count. */
  slimtrain_speedup_by_threads: Record<string, number> | null;
  /** The register-only SIMD loop on N threads at once over one thread (BenchSession.peakScaling): the host's ceiling for those speedups. */
  host_peak_scaling_by_threads: Record<string, number> | null;
  /** Whether the weights after threads_check_steps training steps had the same bits at every count of threads_check_threads. */
  threads_bit_identical: boolean;
  /** The thread counts of that check: 1, 2 and every count of --threads. */
  threads_check_threads: number[];
  threads_check_steps: number;
  /** SHA-256 (first 16 hex digits) of the weights' bytes after those steps, by thread count. */
  threads_weights_sha256: Record<string, string>;
  tfjs_wasm_samples_per_s: number | null;
  /** Threads tfjs wasm ran (getThreadsCount()); it was asked for tfjs_wasm_threads_requested (setThreadsCount). */
  tfjs_wasm_threads: number;
  tfjs_wasm_threads_requested: number;
  /** Why tfjs wasm runs fewer threads than asked (under Node: always one); null when it runs them all. */
  tfjs_wasm_threads_note: string | null;
  /** Estimated from a smaller batch where a batch-128 step would take too long: see tfjs_cpu_batch. */
  tfjs_cpu_samples_per_s: number | null;
  /** Peak RSS of a fresh Node process that trains this model with slimtrain alone (no TensorFlow.js loaded), at slimtrain_threads. */
  slimtrain_peak_rss_mb: number;
  /** The same at each thread count (kernel threads are worker threads: each adds its own V8 isolate). */
  slimtrain_peak_rss_mb_by_threads: Record<string, number>;
  /** That process's RSS before the model was created (Node, slimtrain's code, its engine, the batch). */
  slimtrain_rss_baseline_mb: number;
  /** Size of slimtrain's WebAssembly memory after training steps (parameters, Adam state, activations, workspaces). */
  slimtrain_wasm_memory_mb: number;
  slimtrain_wasm_memory_mb_by_threads: Record<string, number>;
  /** The relaxed-SIMD build; null where relaxed SIMD does not validate (Node 20 without --relaxed). */
  slimtrain_relaxed_samples_per_s: number | null;
  /** The median window, for how steady the numbers were. */
  slimtrain_median_samples_per_s: number;
  tfjs_wasm_median_samples_per_s: number | null;
  /** slimtrain_samples_per_s / tfjs_wasm_samples_per_s (slimtrain at slimtrain_threads). */
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
  /** jax-js on its wasm device, timed in the same interleaved windows as slimtrain and tfjs wasm; null where it did not run (see jaxjs_unsupported). */
  jaxjs_wasm_samples_per_s: number | null;
  jaxjs_wasm_median_samples_per_s: number | null;
  /** slimtrain_samples_per_s / jaxjs_wasm_samples_per_s. */
  ratio_vs_jaxjs_wasm: number | null;
  /** The batch jax-js was timed at (TRAIN_BATCH unless estimated, as tfjs_cpu_batch); null where it did not run. */
  jaxjs_wasm_batch: number | null;
  /** Timed alone at jaxjs_wasm_batch < 128 because its batch-128 step would take too long (samples/s at that batch). */
  jaxjs_wasm_estimated: boolean;
  /** Peak RSS (VmHWM) of a fresh Node process that trains this model with jax-js alone (no slimtrain engine, no TensorFlow.js). */
  jaxjs_peak_rss_mb: number | null;
  /** That process's RSS after starting jax-js's wasm device, before the model existed. */
  jaxjs_rss_baseline_mb: number | null;
  /** As tfjs_wasm_loss_error, for jax-js. */
  jaxjs_loss_error: number | null;
  /** The @jax-js/jax version installed. */
  jaxjs_version: string;
  /** Threads jax-js's wasm device runs: 1 under Node (no global Worker); null where it runs its worker pool. */
  jaxjs_wasm_threads: number | null;
  /** Why jax-js could not express this model (it was not run); null when it ran. */
  jaxjs_unsupported: string | null;
  batch: number;
  description: string;
  /** slimtrain's model.flops: forward FLOPs per sample (2 per multiply-add). */
  forward_flops_per_sample: number;
  /** 3 x forward: forward, input gradient and weight gradient each cost about one forward. */
  training_flops_per_sample: number;
  /** Samples/s if every training FLOP ran at the single-core WASM SIMD mul+add peak: the arithmetic ceiling. */
  ceiling_samples_per_s: number;
  /**
   * The single-core SIMD peak (GFLOP/s) the ceiling uses: the higher of the run's start-up
   * measurement and the one taken right after this model's timing windows, so that a host slowed
   * down at start-up cannot inflate "% peak".
   */
  peak_gflops: number;
  /** The peak measured right after this model's timing windows. */
  peak_gflops_after_timing: number;
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

/** The thread counts of the run, ascending (every record has the same ones). */
function threadCounts(records: readonly TrainRecord[]): number[] {
  return records.length ? Object.keys(records[0].slimtrain_samples_per_s_by_threads).map(Number).sort((a, b) => a - b) : [1];
}

/** "95 MB", or "95 / 102 MB" for several thread counts. */
function megabytes(byThreads: Record<string, number>, counts: readonly number[]): string {
  return `${counts.map((t) => byThreads[String(t)]?.toFixed(0) ?? '-').join(' / ')} MB`;
}

/**
 * The columns: one "slimtrain" column at a single thread count of 1 (as before --threads), else one
 * per count ("1T", "2T") and their "NT/1T" speedups; memory per count; the bit-identity check last.
 */
function columns(counts: readonly number[], check: readonly number[]): TableColumn[] {
  const single = counts.length === 1 && counts[0] === 1;
  const suffix = single ? '' : ` ${counts.join('/')}T`;
  return [
    { header: 'model' },
    ...counts.map((t): TableColumn => ({ header: single ? 'slimtrain' : `slimtrain ${t}T`, align: 'right' })),
    ...(counts.includes(1) ? counts.filter((t) => t > 1).map((t): TableColumn => ({ header: `${t}T/1T`, align: 'right' })) : []),
    { header: 'relaxed', align: 'right' },
    { header: 'tfjs wasm', align: 'right' },
    { header: 'tfjs cpu', align: 'right' },
    { header: 'jax-js wasm', align: 'right' },
    { header: 'vs wasm', align: 'right' },
    { header: 'vs cpu', align: 'right' },
    { header: 'vs jax-js', align: 'right' },
    { header: 'ceiling', align: 'right' },
    { header: '% peak', align: 'right' },
    { header: `peak RSS${suffix}`, align: 'right' },
    { header: `wasm mem${suffix}`, align: 'right' },
    { header: 'jax-js RSS', align: 'right' },
    { header: 'MFLOP/sample', align: 'right' },
    { header: `same bits ${check.join('/')}T` },
  ];
}

/** The human-readable report: header lines, the table, the ratio lines, footnotes, notes. */
export function formatTrainReport(records: readonly TrainRecord[], context: TrainReportContext): string {
  const counts = threadCounts(records);
  const check = records[0]?.threads_check_threads ?? [1, 2];
  const steps = records[0]?.threads_check_steps ?? 0;
  const more = counts.includes(1) ? counts.filter((t) => t > 1) : [];
  const rows = records.map((r) => [
    r.model,
    ...counts.map((t) => rate(r.slimtrain_samples_per_s_by_threads[String(t)] ?? null)),
    ...more.map((t) => ratio(r.slimtrain_speedup_by_threads?.[String(t)] ?? null)),
    rate(r.slimtrain_relaxed_samples_per_s),
    rate(r.tfjs_wasm_samples_per_s, r.tfjs_wasm_conv2d_backprop_filter ? ' (polyfill)' : ''),
    rate(r.tfjs_cpu_samples_per_s, r.tfjs_cpu_estimated ? ` (est., batch ${r.tfjs_cpu_batch})` : ''),
    rate(r.jaxjs_wasm_samples_per_s, r.jaxjs_wasm_estimated ? ` (est., batch ${r.jaxjs_wasm_batch})` : ''),
    ratio(r.ratio_vs_tfjs_wasm),
    ratio(r.ratio_vs_tfjs_cpu),
    ratio(r.ratio_vs_jaxjs_wasm),
    rate(r.ceiling_samples_per_s),
    `${(100 * r.slimtrain_fraction_of_peak).toFixed(1)}%`,
    megabytes(r.slimtrain_peak_rss_mb_by_threads, counts),
    megabytes(r.slimtrain_wasm_memory_mb_by_threads, counts),
    r.jaxjs_peak_rss_mb === null ? '-' : `${r.jaxjs_peak_rss_mb.toFixed(0)} MB`,
    (r.training_flops_per_sample / 1e6).toFixed(1),
    r.threads_bit_identical ? 'yes' : 'NO',
  ]);
  const first = counts[0];
  const perModel = (value: (r: TrainRecord) => string) => records.map((r) => `${r.model} ${value(r)}`).join(', ');
  const ratios = records
    .filter((r) => r.ratio_vs_tfjs_wasm !== null)
    .map((r) => `${r.model} ${ratio(r.ratio_vs_tfjs_wasm)}`)
    .join(', ');
  const jaxjsRatios = records
    .filter((r) => r.ratio_vs_jaxjs_wasm !== null)
    .map((r) => `${r.model} ${ratio(r.ratio_vs_jaxjs_wasm)}`)
    .join(', ');
  const tfjsThreads = records[0]?.tfjs_wasm_threads ?? 1;
  const notes = records.filter((r) => r.note).map((r) => `  ${r.model}: ${r.note}`);
  return [
    context.title,
    ...context.lines.map((l) => `  ${l}`),
    '',
    `Training samples/s at batch 128 (higher is better)${counts.length > 1 || first !== 1 ? '; "NT" = slimtrain on N kernel threads' : ''}${more.length ? ', "NT/1T" = its speedup over 1 thread' : ''};`,
    `"vs wasm"/"vs cpu"/"vs jax-js" = slimtrain${counts.length > 1 || first !== 1 ? ` ${first}T` : ''} / tfjs wasm, tfjs cpu, jax-js wasm; "ceiling" = samples/s if every training FLOP ran at the single-core SIMD mul+add peak;`,
    `"% peak" = slimtrain${counts.length > 1 || first !== 1 ? ` ${first}T` : ''} / ceiling; peak RSS and wasm mem are slimtrain's alone, "jax-js RSS" jax-js's alone; "same bits" = weights after ${steps} steps bit-identical at ${check.join(', ')} threads.`,
    formatTable(columns(counts, check), rows),
    '',
    `slimtrain / tfjs wasm (target 5x, slimtrain on ${first} thread${first === 1 ? '' : 's'}, tfjs wasm on ${tfjsThreads}): ${ratios || 'not measured'}`,
    `slimtrain / jax-js wasm (target 3x, slimtrain on ${first} thread${first === 1 ? '' : 's'}, jax-js on ${records[0]?.jaxjs_wasm_threads ?? 'its pool of'} thread(s)): ${jaxjsRatios || 'not measured'}`,
    ...more.map((t) => `speedup of ${t} threads over 1 (alternating windows, same process): ${perModel((r) => ratio(r.slimtrain_speedup_by_threads?.[String(t)] ?? null))}`),
    `weights after ${steps} training steps bit-identical at ${check.join(', ')} threads: ${perModel((r) => (r.threads_bit_identical ? 'yes' : 'NO'))}`,
    ...(context.footnotes.length ? ['', ...context.footnotes] : []),
    ...(notes.length ? ['', 'notes:', ...notes] : []),
    '',
  ].join('\n');
}

/** Prints the records as the options ask: JSON only, or the table. */
export function printTrainReport(records: readonly TrainRecord[], context: TrainReportContext, json: boolean): void {
  process.stdout.write(json ? `${JSON.stringify(records, null, 2)}\n` : formatTrainReport(records, context));
}

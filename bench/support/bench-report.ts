// One bench result per (op, shape, form), and the two ways it is printed: an aligned table for
// people (default) or a JSON array for tools (--json, which prints nothing else to stdout).
import { formatTable, type TableColumn } from './text-table.js';

/** One measured case. GFLOP/s are 1e9 flops per second; null = not measured (see note). */
export interface BenchRecord {
  op: 'gemm' | 'conv2d';
  shape: string;
  /** 'NN' | 'NT' | 'TN' for gemm; 'forward' | 'backward_input' | 'backward_filter' for conv2d. */
  form: string;
  /** slimtrain's plain build at slimtrain_threads kernel threads (the first count of --threads; 1 by default). */
  slimtrain_gflops: number;
  slimtrain_threads: number;
  /** GFLOP/s at each thread count of --threads (keys: the counts), timed alternately. */
  slimtrain_gflops_by_threads: Record<string, number>;
  /** GFLOP/s at each count above 1 over GFLOP/s at 1 thread; null unless --threads lists 1 and a larger count. */
  speedup_by_threads: Record<string, number> | null;
  /** Whether every thread count gave the same output bits; null with one count. */
  threads_bit_identical: boolean | null;
  tfjs_wasm_gflops: number | null;
  tfjs_cpu_gflops: number | null;
  /** Single-core WASM SIMD mul+add peak measured by this run. */
  peak_gflops: number;
  /** The relaxed-SIMD build of slimtrain; null where relaxed SIMD does not validate. */
  slimtrain_relaxed_gflops: number | null;
  /** Single-core relaxed_madd peak; null where relaxed SIMD does not validate. */
  peak_relaxed_gflops: number | null;
  /** slimtrain_gflops / tfjs_wasm_gflops. */
  ratio_vs_tfjs_wasm: number | null;
  /** jax-js's op on its wasm device, jit-compiled; null where the bench does not run jax-js (bench:conv). */
  jaxjs_wasm_gflops: number | null;
  /** slimtrain_gflops / jaxjs_wasm_gflops. */
  ratio_vs_jaxjs_wasm: number | null;
  /** slimtrain_gflops / peak_gflops (the single-core peak, whatever slimtrain_threads is). */
  fraction_of_peak: number;
  /** The network layer the shape comes from, when it comes from one. */
  layer: string | null;
  /** Floating-point operations of one call. */
  flops: number;
  /** What ran on tfjs wasm when it is not the op's own kernel (the backward-filter polyfill). */
  tfjs_wasm_kernel: string | null;
  note: string | null;
}

/** What the header of the human-readable output says about the run. */
export interface BenchContext {
  title: string;
  lines: string[];
  footnotes: string[];
}

/** More output after the table: text for people, fields beside `records` in the JSON. */
export interface BenchAppendix {
  text: string;
  json: Record<string, unknown>;
}

function gflops(value: number | null | undefined, suffix = ''): string {
  return value === null || value === undefined ? '-' : `${value.toFixed(2)}${suffix}`;
}

function speedup(value: number | undefined): string {
  return value === undefined ? '-' : `${value.toFixed(2)}x`;
}

/** The thread counts of the run, ascending (every record has the same ones). */
function threadCounts(records: readonly BenchRecord[]): number[] {
  return records.length ? Object.keys(records[0].slimtrain_gflops_by_threads).map(Number).sort((a, b) => a - b) : [1];
}

/**
 * The columns: one "slimtrain" column at a single thread count of 1 (as before --threads), else
 * one per count ("1T", "2T"), then "2T/1T" speedups and a bit-identity column.
 */
function columns(counts: readonly number[], jaxjs: boolean): TableColumn[] {
  const single = counts.length === 1 && counts[0] === 1;
  const hasOne = counts.includes(1);
  return [
    { header: 'op' },
    { header: 'layer' },
    { header: 'shape' },
    { header: 'form' },
    ...counts.map((t): TableColumn => ({ header: single ? 'slimtrain' : `slimtrain ${t}T`, align: 'right' })),
    ...(hasOne ? counts.filter((t) => t > 1).map((t): TableColumn => ({ header: `${t}T/1T`, align: 'right' })) : []),
    ...(counts.length > 1 ? [{ header: 'same bits' }] : []),
    { header: 'relaxed', align: 'right' },
    { header: 'tfjs wasm', align: 'right' },
    { header: 'tfjs cpu', align: 'right' },
    ...(jaxjs ? [{ header: 'jax-js wasm', align: 'right' } as TableColumn] : []),
    { header: 'vs wasm', align: 'right' },
    ...(jaxjs ? [{ header: 'vs jax-js', align: 'right' } as TableColumn] : []),
    { header: '% peak', align: 'right' },
    { header: 'note' },
  ];
}

/** The human-readable report: header lines, the table (GFLOP/s), footnotes. */
export function formatReport(records: readonly BenchRecord[], context: BenchContext): string {
  const counts = threadCounts(records);
  const hasOne = counts.includes(1);
  // The jax-js columns only where some case ran jax-js (bench:gemm, not bench:conv).
  const jaxjs = records.some((r) => r.jaxjs_wasm_gflops !== null);
  const rows = records.map((r) => [
    r.op,
    r.layer ?? '',
    r.shape,
    r.form,
    ...counts.map((t) => gflops(r.slimtrain_gflops_by_threads[String(t)])),
    ...(hasOne ? counts.filter((t) => t > 1).map((t) => speedup(r.speedup_by_threads?.[String(t)])) : []),
    ...(counts.length > 1 ? [r.threads_bit_identical === null ? '-' : r.threads_bit_identical ? 'yes' : 'NO'] : []),
    gflops(r.slimtrain_relaxed_gflops),
    gflops(r.tfjs_wasm_gflops, r.tfjs_wasm_kernel ? ' (polyfill)' : ''),
    gflops(r.tfjs_cpu_gflops),
    ...(jaxjs ? [gflops(r.jaxjs_wasm_gflops)] : []),
    r.ratio_vs_tfjs_wasm === null ? '-' : `${r.ratio_vs_tfjs_wasm.toFixed(2)}x`,
    ...(jaxjs ? [r.ratio_vs_jaxjs_wasm === null ? '-' : `${r.ratio_vs_jaxjs_wasm.toFixed(2)}x`] : []),
    `${(100 * r.fraction_of_peak).toFixed(1)}%`,
    r.note ?? '',
  ]);
  const first = counts[0];
  const explain =
    counts.length === 1 && first === 1
      ? `GFLOP/s (higher is better); "vs wasm" = slimtrain / tfjs wasm;${jaxjs ? ' "vs jax-js" = slimtrain / jax-js wasm;' : ''} "% peak" = slimtrain / SIMD mul+add peak.`
      : `GFLOP/s (higher is better); "NT" = slimtrain on N kernel threads${hasOne && counts.length > 1 ? ', "NT/1T" = its speedup over 1 thread' : ''}${counts.length > 1 ? ', "same bits" = every count gave the bits of the first' : ''};\n` +
        `"vs wasm" = slimtrain ${first}T / tfjs wasm;${jaxjs ? ` "vs jax-js" = slimtrain ${first}T / jax-js wasm;` : ''} "% peak" = slimtrain ${first}T / single-core SIMD mul+add peak.`;
  return [
    context.title,
    ...context.lines.map((l) => `  ${l}`),
    '',
    explain,
    formatTable(columns(counts, jaxjs), rows),
    ...(context.footnotes.length ? ['', ...context.footnotes] : []),
    '',
  ].join('\n');
}

/**
 * Prints the records as the options ask: JSON only, or the table. Without an appendix the JSON is
 * the array of records; with one, an object { records, ...appendix.json } and its text after the table.
 */
export function printReport(records: readonly BenchRecord[], context: BenchContext, json: boolean, appendix?: BenchAppendix): void {
  if (json) {
    const value = appendix ? { records, ...appendix.json } : records;
    process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  } else {
    process.stdout.write(formatReport(records, context) + (appendix ? `${appendix.text}\n` : ''));
  }
}

// One bench result per (op, shape, form), and the two ways it is printed: an aligned table for
// people (default) or a JSON array for tools (--json, which prints nothing else to stdout).
import { formatTable, type TableColumn } from './text-table.js';

/** One measured case. GFLOP/s are 1e9 flops per second; null = not measured (see note). */
export interface BenchRecord {
  op: 'gemm' | 'conv2d';
  shape: string;
  /** 'NN' | 'NT' | 'TN' for gemm; 'forward' | 'backward_input' | 'backward_filter' for conv2d. */
  form: string;
  slimtrain_gflops: number;
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
  /** slimtrain_gflops / peak_gflops. */
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

function gflops(value: number | null, suffix = ''): string {
  return value === null ? '-' : `${value.toFixed(2)}${suffix}`;
}

const COLUMNS: TableColumn[] = [
  { header: 'op' },
  { header: 'layer' },
  { header: 'shape' },
  { header: 'form' },
  { header: 'slimtrain', align: 'right' },
  { header: 'relaxed', align: 'right' },
  { header: 'tfjs wasm', align: 'right' },
  { header: 'tfjs cpu', align: 'right' },
  { header: 'vs wasm', align: 'right' },
  { header: '% peak', align: 'right' },
  { header: 'note' },
];

/** The human-readable report: header lines, the table (GFLOP/s), footnotes. */
export function formatReport(records: readonly BenchRecord[], context: BenchContext): string {
  const rows = records.map((r) => [
    r.op,
    r.layer ?? '',
    r.shape,
    r.form,
    gflops(r.slimtrain_gflops),
    gflops(r.slimtrain_relaxed_gflops),
    gflops(r.tfjs_wasm_gflops, r.tfjs_wasm_kernel ? ' (polyfill)' : ''),
    gflops(r.tfjs_cpu_gflops),
    r.ratio_vs_tfjs_wasm === null ? '-' : `${r.ratio_vs_tfjs_wasm.toFixed(2)}x`,
    `${(100 * r.fraction_of_peak).toFixed(1)}%`,
    r.note ?? '',
  ]);
  return [
    context.title,
    ...context.lines.map((l) => `  ${l}`),
    '',
    'GFLOP/s (higher is better); "vs wasm" = slimtrain / tfjs wasm; "% peak" = slimtrain / SIMD mul+add peak.',
    formatTable(COLUMNS, rows),
    ...(context.footnotes.length ? ['', ...context.footnotes] : []),
    '',
  ].join('\n');
}

/** Prints the records as the options ask: JSON only, or the table. */
export function printReport(records: readonly BenchRecord[], context: BenchContext, json: boolean): void {
  process.stdout.write(json ? `${JSON.stringify(records, null, 2)}\n` : formatReport(records, context));
}

// Where a second kernel thread starts to pay for a GEMM: the same GEMM on a 1-thread engine and an
// N-thread engine, timed alternately, with THREAD_THRESHOLDS.gemm forced to 0 so that every size is
// split by rows (below the threshold the engine would stay on one thread and there would be nothing
// to compare). Sizes run from 2^14 to 2^26 multiply-adds in three families of shapes: square-ish,
// a dense layer's forward pass at batch 128 (M = 128) and its weight gradient (K = 128). The
// threshold is restored afterwards, whatever happens.
import type { Engine } from '../../src/backend/engine.js';
import { THREAD_THRESHOLDS } from '../../src/backend/wasm.js';
import { timeCallsAlternately } from './call-timing.js';
import { logProgress } from './progress-log.js';
import { randomFloats } from './seeded-random.js';
import { downloadF32, sameBits, uploadF32 } from './slimtrain-engines.js';
import { formatTable, type TableColumn } from './text-table.js';

/** C[M,N] = A[M,K] B[K,N] (NN form), 2^log2 multiply-adds. */
interface CrossoverShape {
  family: string;
  M: number;
  N: number;
  K: number;
  log2: number;
}

/** One timed size. */
export interface CrossoverCase {
  family: string;
  shape: string;
  multiply_adds: number;
  log2_multiply_adds: number;
  gflops_1_thread: number;
  gflops_n_threads: number;
  /** gflops_n_threads / gflops_1_thread. */
  speedup: number;
  /** Whether the two engines gave the same bits (they must). */
  same_bits: boolean;
}

export interface CrossoverResult {
  /** The thread count compared with 1. */
  threads: number;
  /** A size counts as a win when speedup >= this. */
  minSpeedup: number;
  /** THREAD_THRESHOLDS.gemm of this build (forced to 0 while timing, restored after). */
  thresholdMultiplyAdds: number;
  cases: CrossoverCase[];
  /** Smallest size from which on every measured size of every family wins; null if the largest does not. */
  crossoverMultiplyAdds: number | null;
  /** The same per family. */
  crossoverByFamily: Record<string, number | null>;
  /** Smallest size at which any shape wins; null if none does. */
  firstWinMultiplyAdds: number | null;
}

/** 2 threads must be at least 10% faster to count as a win. */
export const MIN_SPEEDUP = 1.1;

const FAMILIES = ['square', 'dense forward (M=128)', 'dense dW (K=128)'] as const;

function shapeOf(family: (typeof FAMILIES)[number], log2: number): CrossoverShape {
  if (family === 'square') {
    // As equal as powers of two allow, the extra factors of 2 on M, then N.
    const m = Math.ceil(log2 / 3);
    const n = Math.ceil((log2 - m) / 2);
    return { family, M: 2 ** m, N: 2 ** n, K: 2 ** (log2 - m - n), log2 };
  }
  const rest = log2 - 7;
  const [big, small] = [2 ** Math.ceil(rest / 2), 2 ** Math.floor(rest / 2)];
  // Forward: batch rows x (inputs x units); weight gradient: (inputs x units), summed over the batch.
  return family === 'dense forward (M=128)' ? { family, M: 128, K: big, N: small, log2 } : { family, M: big, N: small, K: 128, log2 };
}

/** The shapes timed: 2^14 ... 2^26 multiply-adds (every other exponent with `quick`). */
export function crossoverShapes(quick: boolean): CrossoverShape[] {
  const shapes: CrossoverShape[] = [];
  for (const family of FAMILIES) for (let e = 14; e <= 26; e += quick ? 2 : 1) shapes.push(shapeOf(family, e));
  return shapes;
}

function label(s: CrossoverShape): string {
  return `[${s.M}x${s.K}]x[${s.K}x${s.N}]`;
}

/** The GEMM with its operands in place on one engine. */
function prepare(engine: Engine, s: CrossoverShape, a: Float32Array, b: Float32Array) {
  const pa = uploadF32(engine, a);
  const pb = uploadF32(engine, b);
  const pc = engine.arena.allocF32(s.M * s.N);
  const backend = engine.backend;
  return {
    run: () => backend.gemm(false, false, s.M, s.N, s.K, pa, pb, pc, false),
    output: () => downloadF32(engine, pc, s.M * s.N),
    dispose: () => [pa, pb, pc].forEach((p) => engine.arena.free(p)),
  };
}

/** Smallest size from which on every case wins (cases of any families); null if the largest does not. */
function crossoverOf(cases: readonly CrossoverCase[]): number | null {
  const sizes = [...new Set(cases.map((c) => c.multiply_adds))].sort((a, b) => a - b);
  let crossover: number | null = null;
  for (let i = sizes.length - 1; i >= 0; i--) {
    if (!cases.filter((c) => c.multiply_adds === sizes[i]).every((c) => c.speedup >= MIN_SPEEDUP)) break;
    crossover = sizes[i];
  }
  return crossover;
}

/**
 * Times every shape on `one` (1 thread) and `many` (N threads), alternately.
 *
 * @example
 * const result = measureGemmCrossover(oneThread, twoThreads, { targetSeconds: 0.2, rounds: 3, quick: false });
 */
export function measureGemmCrossover(one: Engine, many: Engine, options: { targetSeconds: number; rounds: number; quick: boolean }): CrossoverResult {
  const thresholdMultiplyAdds = THREAD_THRESHOLDS.gemm;
  const shapes = crossoverShapes(options.quick);
  const cases: CrossoverCase[] = [];
  THREAD_THRESHOLDS.gemm = 0;
  try {
    for (const s of shapes) {
      logProgress(`crossover ${s.family} ${label(s)} (2^${s.log2} multiply-adds): 1 vs ${many.threads} threads (${cases.length + 1}/${shapes.length})`);
      const a = randomFloats(s.M * s.K, 1);
      const b = randomFloats(s.K * s.N, 2);
      const ops = [prepare(one, s, a, b), prepare(many, s, a, b)];
      try {
        const [t1, tn] = timeCallsAlternately(
          ops.map((op) => () => op.run()),
          { targetSeconds: options.targetSeconds },
          options.rounds,
        );
        const flops = 2 * s.M * s.N * s.K;
        const [g1, gn] = [flops / t1.secondsPerCall / 1e9, flops / tn.secondsPerCall / 1e9];
        const same = sameBits(ops[0].output(), ops[1].output());
        if (!same) {
          logProgress(`WARNING crossover ${label(s)}: 1 and ${many.threads} threads give different bits`);
          process.exitCode = 1;
        }
        cases.push({
          family: s.family,
          shape: label(s),
          multiply_adds: s.M * s.N * s.K,
          log2_multiply_adds: s.log2,
          gflops_1_thread: round(g1),
          gflops_n_threads: round(gn),
          speedup: round(gn / g1),
          same_bits: same,
        });
      } finally {
        ops.forEach((op) => op.dispose());
      }
    }
  } finally {
    THREAD_THRESHOLDS.gemm = thresholdMultiplyAdds;
  }
  const wins = cases.filter((c) => c.speedup >= MIN_SPEEDUP).map((c) => c.multiply_adds);
  return {
    threads: many.threads,
    minSpeedup: MIN_SPEEDUP,
    thresholdMultiplyAdds,
    cases,
    crossoverMultiplyAdds: crossoverOf(cases),
    crossoverByFamily: Object.fromEntries(FAMILIES.filter((f) => cases.some((c) => c.family === f)).map((f) => [f, crossoverOf(cases.filter((c) => c.family === f))])),
    firstWinMultiplyAdds: wins.length ? Math.min(...wins) : null,
  };
}

/** 2^20 (1,048,576), or a plain number where it is not a power of two. */
export function formatMultiplyAdds(n: number | null): string {
  if (n === null) return 'none';
  const e = Math.log2(n);
  return Number.isInteger(e) ? `2^${e} (${n.toLocaleString('en-US')})` : n.toLocaleString('en-US');
}

/** The crossover table and its summary lines. */
export function formatCrossover(result: CrossoverResult, header: readonly string[]): string {
  const n = result.threads;
  const columns: TableColumn[] = [
    { header: 'family' },
    { header: 'shape' },
    { header: 'M*N*K', align: 'right' },
    { header: '1T GFLOP/s', align: 'right' },
    { header: `${n}T GFLOP/s`, align: 'right' },
    { header: `${n}T/1T`, align: 'right' },
    { header: `wins >= ${result.minSpeedup.toFixed(2)}x` },
    { header: 'same bits' },
  ];
  const rows = result.cases.map((c) => [
    c.family,
    c.shape,
    `2^${c.log2_multiply_adds}`,
    c.gflops_1_thread.toFixed(2),
    c.gflops_n_threads.toFixed(2),
    `${c.speedup.toFixed(2)}x`,
    c.speedup >= result.minSpeedup ? 'yes' : '',
    c.same_bits ? 'yes' : 'NO',
  ]);
  const percent = Math.round(100 * (result.minSpeedup - 1));
  const largest = Math.max(...result.cases.map((c) => c.log2_multiply_adds));
  const families = Object.entries(result.crossoverByFamily)
    .map(([f, v]) => `${f} ${v === null ? 'none' : `2^${Math.log2(v)}`}`)
    .join(', ');
  return [
    ...header,
    formatTable(columns, rows),
    '',
    result.crossoverMultiplyAdds === null
      ? `crossover: none: ${n} threads do not win by >= ${percent}% at the largest size measured (2^${largest}) in every family (per family: ${families})`
      : `crossover: ${n} threads win by >= ${percent}% from ${formatMultiplyAdds(result.crossoverMultiplyAdds)} multiply-adds on, in every family (per family: ${families})`,
    `smallest size where ${n} threads win by >= ${percent}% at all: ${formatMultiplyAdds(result.firstWinMultiplyAdds)}`,
    `THREAD_THRESHOLDS.gemm in this build: ${formatMultiplyAdds(result.thresholdMultiplyAdds)} (forced to 0 for this table, restored after)`,
  ].join('\n');
}

function round(value: number): number {
  return Number(value.toPrecision(4));
}

// bench:sparse-crossover — where each sparse kernel starts to beat the dense GEMM: per weighted
// layer of LeNet-300-100, LeNet-5, fashion-cnn and cifar-cnn, its forward time on the dense GEMM
// ('never') and on its sparse kernel ('always'), at batch 1 and 64, with every kernel pruned by
// magnitude to 70 .. 10% density; then, per product (sparseMatmul with few or many rows, the direct
// sparseConvolution), the density below which the sparse kernel was faster in every layer that
// matters (at least 5% of its model's time): what the SPARSE_CROSSOVER constants are set from.
//   npm run bench:sparse-crossover [-- --json] [--quick] [--models lenet5,...]
// One kernel thread. Each layer's time is the best of timed windows (Sequential.layerLatencies),
// the dense and sparse models measured in alternation, so a busy machine slows both alike.
import { init } from '../src/backend/engine.js';
import { Conv2D } from '../src/layers/conv2d.js';
import { Dense } from '../src/layers/dense.js';
import { crossoverClass, SPARSE_CROSSOVER } from '../src/layers/sparse_kernel.js';
import { presetSpec } from '../src/model/presets.js';
import { Sequential } from '../src/model/sequential.js';
import { magnitudePrune } from '../src/prune/magnitude.js';
import { parseBenchOptions } from './support/bench-options.js';
import { logProgress } from './support/progress-log.js';
import { randomFloats } from './support/seeded-random.js';
import { formatTable, type TableColumn } from './support/text-table.js';

const MODELS = ['lenet-300-100', 'lenet5', 'fashion-cnn', 'cifar-cnn'] as const;
const DENSITIES = [0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1];
const BATCHES = [1, 64];
/** Layers below this share of their model's dense forward time do not set a crossover. */
const MIN_SHARE = 0.05;

/** The crossover classes: which SPARSE_CROSSOVER entry a layer's product at a batch falls under. */
type Crossover = keyof typeof SPARSE_CROSSOVER;

/** One weighted layer at one density and batch (the rows of --json). */
export interface CrossoverRow {
  model: string;
  layer: string;
  crossover: Crossover;
  density: number;
  batch: number;
  /** Milliseconds per sample of the layer's forward pass. */
  dense_ms: number;
  sparse_ms: number;
  /** The layer's share of its model's dense forward time at this batch. */
  share: number;
}

/** The density where sparse/dense time crosses 1, by linear interpolation between measured densities (ascending rows). */
function crossingDensity(points: { density: number; ratio: number }[]): number {
  const sorted = [...points].sort((a, b) => a.density - b.density);
  if (sorted[0].ratio >= 1) return sorted[0].density; // slower even at the lowest density measured
  for (let i = 1; i < sorted.length; i++) {
    const [a, b] = [sorted[i - 1], sorted[i]];
    if (b.ratio >= 1) return a.density + ((1 - a.ratio) / (b.ratio - a.ratio)) * (b.density - a.density);
  }
  return sorted[sorted.length - 1].density; // faster at every density measured
}

export async function main(args: readonly string[]): Promise<void> {
  const options = parseBenchOptions(args, { threads: false, models: MODELS });
  const models = (options.models ?? MODELS) as readonly (typeof MODELS)[number][];
  const engine = await init({ threads: 1 });
  const timing = options.quick ? { rounds: 1, windowMs: 1 } : { rounds: 5, windowMs: 8 };
  const rows: CrossoverRow[] = [];
  const started = performance.now();
  let done = 0;
  const total = models.length * DENSITIES.length;
  for (const name of models) {
    const shape = name === 'lenet-300-100' ? [784] : name === 'cifar-cnn' ? [32, 32, 3] : [28, 28, 1];
    const model = Sequential.build(engine, presetSpec(name, shape, 10, 1));
    const x = randomFloats(64 * model.inputSize, 7);
    const initial = model.getWeights();
    for (const density of DENSITIES) {
      // Each density from the dense initial weights: every kernel keeps its largest `density` of entries.
      model.setWeights(initial);
      magnitudePrune(model, { fraction: 1 - density });
      const dense = model.toInference({ sparse: 'never' });
      const sparse = model.toInference({ sparse: 'always' });
      for (const batch of BATCHES) {
        const d = dense.layerLatencies(x, batch, timing);
        const s = sparse.layerLatencies(x, batch, timing);
        const d2 = dense.layerLatencies(x, batch, timing);
        const s2 = sparse.layerLatencies(x, batch, timing);
        const denseTotal = d.reduce((a, b) => a + b, 0);
        sparse.layers.forEach((layer, i) => {
          if (!(layer instanceof Dense || layer instanceof Conv2D) || !layer.sparseKernel) return;
          const denseMs = Math.min(d[i], d2[i]);
          rows.push({
            model: name, layer: layer.name, crossover: crossoverClass(layer.sparseKernel.product, batch, layer.sparseKernel.rows), density, batch,
            dense_ms: denseMs, sparse_ms: Math.min(s[i], s2[i]), share: denseMs / denseTotal,
          });
        });
      }
      dense.dispose();
      sparse.dispose();
      done++;
      const elapsed = (performance.now() - started) / 1000;
      logProgress(`bench:sparse-crossover: ${name} at ${(100 * density).toFixed(0)}% done (${done}/${total}, ${elapsed.toFixed(0)} s, ETA ${((elapsed / done) * (total - done)).toFixed(0)} s)`);
    }
    model.dispose();
  }

  // Per layer and batch, the crossing density; per class, the lowest among the layers that matter.
  const layers = new Map<string, CrossoverRow[]>();
  for (const r of rows) {
    const key = `${r.model}/${r.layer}/${r.batch}`;
    layers.set(key, [...(layers.get(key) ?? []), r]);
  }
  const crossings = [...layers.values()].map((rs) => ({
    model: rs[0].model, layer: rs[0].layer, batch: rs[0].batch, crossover: rs[0].crossover,
    share: Math.max(...rs.map((r) => r.share)),
    density: crossingDensity(rs.map((r) => ({ density: r.density, ratio: r.sparse_ms / r.dense_ms }))),
  }));
  const measured = Object.fromEntries((Object.keys(SPARSE_CROSSOVER) as Crossover[]).map((c) => {
    const relevant = crossings.filter((k) => k.crossover === c && k.share >= MIN_SHARE);
    return [c, relevant.length ? Math.min(...relevant.map((k) => k.density)) : null];
  }));
  const context = { kernels: engine.kernels, threads: 1, current: SPARSE_CROSSOVER, min_share: MIN_SHARE };
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ context, rows, crossings, measured })}\n`);
    return;
  }
  const columns: TableColumn[] = [
    { header: 'model' }, { header: 'layer' }, { header: 'batch', align: 'right' }, { header: 'kernel' }, { header: 'share', align: 'right' },
    ...DENSITIES.map((d) => ({ header: `${(100 * d).toFixed(0)}%`, align: 'right' as const })), { header: 'crosses at', align: 'right' },
  ];
  const table = crossings.map((k) => {
    const rs = layers.get(`${k.model}/${k.layer}/${k.batch}`)!;
    return [
      k.model, k.layer, String(k.batch), k.crossover, `${(100 * k.share).toFixed(0)}%`,
      ...DENSITIES.map((d) => {
        const r = rs.find((x) => x.density === d)!;
        return (r.dense_ms / r.sparse_ms).toFixed(2);
      }),
      `${(100 * k.density).toFixed(0)}%`,
    ];
  });
  const summary = (Object.keys(measured) as Crossover[]).map((c) =>
    `  ${c}: measured ${measured[c] === null ? 'no layer' : `${(100 * measured[c]!).toFixed(0)}%`}, SPARSE_CROSSOVER ${(100 * SPARSE_CROSSOVER[c]).toFixed(0)}%`);
  process.stdout.write(`bench:sparse-crossover — dense / sparse forward time per layer (above 1: sparse faster), 1 thread, ${engine.kernels} kernels\n\n${formatTable(columns, table)}\n\n` +
    `Crossover per kernel (the lowest crossing among layers with at least ${100 * MIN_SHARE}% of their model's time):\n${summary.join('\n')}\n`);
}

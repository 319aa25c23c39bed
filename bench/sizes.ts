// bench:sizes — download sizes: the kernel builds build/slimtrain.{simd,relaxed,threads,scalar}.wasm
// and the minified browser bundles of src/index.ts and src/worker/worker_entry.ts (esbuild, in
// memory), each raw and gzipped (node:zlib level 9). No timing: the figures are exact.
//   npm run bench:sizes [-- --json]
import { parseBenchOptions } from './support/bench-options.js';
import { BROWSER_ENTRIES, browserBundleSize, KERNEL_BUILDS, SIZE_GZIP_LEVEL, wasmSize, type SizeRecord } from './support/bundle-sizes.js';
import { logProgress } from './support/progress-log.js';
import { projectRoot } from './support/project-root.js';
import { formatTable, type TableColumn } from './support/text-table.js';

const COLUMNS: TableColumn[] = [
  { header: 'kind' },
  { header: 'file' },
  { header: 'bytes', align: 'right' },
  { header: 'gzip', align: 'right' },
  { header: 'inlined kernels', align: 'right' },
  { header: 'note' },
];

function count(n: number | null): string {
  return n === null ? '-' : n.toLocaleString('en-US');
}

function formatSizes(records: readonly SizeRecord[]): string {
  const rows = records.map((r) => [r.kind, r.path, count(r.bytes), count(r.gzip_bytes), count(r.inlined_kernels_bytes), r.note ?? '']);
  return [
    'bench:sizes — kernel builds and minified browser bundles, bytes',
    `  gzip: node:zlib gzipSync, level ${SIZE_GZIP_LEVEL}; bundles: esbuild bundle + minify, platform browser, format esm, target es2022 (as dist/browser, minified)`,
    '',
    formatTable(COLUMNS, rows),
    '',
    '"inlined kernels": bytes of the minified bundle that come from build/kernels.js, the four kernel builds inlined as base64',
    '  (so that no .wasm path has to survive a bundler; esbuild metafile bytesInOutput).',
    '',
  ].join('\n');
}

/** Runs the bench; `args` are the command-line flags (--json only matters here; see support/bench-options.ts). */
export async function main(args: readonly string[]): Promise<void> {
  const options = parseBenchOptions(args, { threads: false });
  const root = projectRoot();
  const records: SizeRecord[] = KERNEL_BUILDS.map((build) => wasmSize(root, build));
  for (const entry of BROWSER_ENTRIES) {
    logProgress(`bundling ${entry} (minified, browser)`);
    records.push(await browserBundleSize(root, entry));
  }
  process.stdout.write(options.json ? `${JSON.stringify(records, null, 2)}\n` : formatSizes(records));
}

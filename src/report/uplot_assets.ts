import { SlimtrainError } from '../errors.js';

/**
 * The uPlot charting library as text, ready to inline into a report page: its IIFE build (which
 * defines a global `uPlot`), its stylesheet and its MIT license notice.
 */
export interface UplotAssets {
  /** Contents of uplot/dist/uPlot.iife.min.js. */
  script: string;
  /** Contents of uplot/dist/uPlot.min.css. */
  css: string;
  /** Contents of uplot/LICENSE; kept in the page as an HTML comment, as the MIT license asks. */
  license?: string;
  /** Shown in the page footer, e.g. '1.6.32'. */
  version?: string;
}

type NodeProcess = { getBuiltinModule?(id: string): unknown };

/**
 * Reads uPlot from the installed `uplot` package at run time. Node only (>= 20.16): the files are
 * found with require.resolve from this module, so they come from whatever `uplot` the project
 * installed. In a browser, import the two files as text with your bundler and pass them as
 * `renderTrainingReport(data, { assets })`.
 *
 * Why run time and not the build: the bundle keeps npm packages external, and the build script is
 * not ours to change; reading the files here keeps one copy of uPlot on disk.
 *
 * @example
 * const assets = loadUplotAssets();   // { script: 'var uPlot=...', css: '.uplot{...', ... }
 */
export function loadUplotAssets(): UplotAssets {
  const get = (globalThis as { process?: NodeProcess }).process?.getBuiltinModule;
  if (!get) {
    throw new SlimtrainError('loadUplotAssets reads the uplot package from disk, which needs Node >= 20.16; in a browser, pass options.assets to renderTrainingReport');
  }
  const fs = get('node:fs') as typeof import('node:fs');
  const module = get('node:module') as typeof import('node:module');
  const require = module.createRequire(import.meta.url);
  let scriptPath: string;
  try {
    scriptPath = require.resolve('uplot/dist/uPlot.iife.min.js');
  } catch {
    throw new SlimtrainError('the training report draws its charts with uPlot, but the uplot package is not installed (npm install uplot)');
  }
  const dist = scriptPath.slice(0, scriptPath.length - 'uPlot.iife.min.js'.length);
  const root = dist.slice(0, dist.length - 'dist/'.length);
  const read = (path: string): string | undefined => (fs.existsSync(path) ? fs.readFileSync(path, 'utf8') : undefined);
  const css = read(`${dist}uPlot.min.css`);
  if (css === undefined) throw new SlimtrainError(`uPlot's stylesheet ${dist}uPlot.min.css does not exist`);
  const pkg = read(`${root}package.json`);
  return {
    script: fs.readFileSync(scriptPath, 'utf8'),
    css,
    license: read(`${root}LICENSE`),
    version: pkg === undefined ? undefined : (JSON.parse(pkg) as { version?: string }).version,
  };
}

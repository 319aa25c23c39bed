// The repository's root folder, found from a bench's own (bundled) file: bench/run.mjs bundles the
// benches into build/bench/, so paths relative to the source file do not hold.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root: the nearest folder above this (bundled) file that holds bench/run.mjs. */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'bench', 'run.mjs'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no bench/run.mjs in any folder above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
  return dir;
}

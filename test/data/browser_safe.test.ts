import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { describe, expect, it } from 'vitest';

const dataDir = fileURLToPath(new URL('../../src/data/', import.meta.url));

// The data layer runs in browsers too: Node is reached only through process.getBuiltinModule, so
// a browser bundle of any of its modules must build and must not import a `node:` module.
describe('the data layer bundles for browsers', () => {
  it('has no node: imports in any module', async () => {
    const entryPoints = readdirSync(dataDir).filter((f) => f.endsWith('.ts')).map((f) => `${dataDir}${f}`);
    expect(entryPoints.length).toBeGreaterThan(10);
    const result = await esbuild.build({ entryPoints, bundle: true, write: false, platform: 'browser', format: 'esm', outdir: '/virtual', logLevel: 'silent' });
    expect(result.errors).toEqual([]);
    for (const file of result.outputFiles) {
      expect(file.text, file.path).not.toMatch(/\bfrom\s*["']node:|\bimport\s*\(\s*["']node:|\brequire\s*\(\s*["']node:/);
    }
  });
});

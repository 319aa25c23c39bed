import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

// The package as users get it: the esbuild bundle in dist/, imported by its name through the
// package.json exports map, in a plain Node process (no vitest transforms).
describe('the built package', () => {
  it('is built (npm test runs the build first)', () => {
    expect(existsSync(`${root}dist/index.js`), 'dist/index.js is missing: run npm run build').toBe(true);
  });

  it('imports as "slimtrain" and multiplies matrices in a plain Node process', () => {
    const script = `
      import { init } from 'slimtrain';
      const engine = await init();
      const { arena, backend } = engine;
      const a = arena.allocF32(4), c = arena.allocF32(4);
      arena.f32(a, 4).set([1, 2, 3, 4]);
      backend.gemm(false, true, 2, 2, 2, a, a, c, false);
      console.log(JSON.stringify({ kernels: engine.kernels, c: Array.from(arena.f32(c, 4)) }));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ kernels: 'simd', c: [5, 11, 11, 25] });
  });

  it('ships the command line entry point', () => {
    const out = execFileSync(process.execPath, [`${root}dist/cli.js`, 'info'], { encoding: 'utf8' });
    expect(out).toMatch(/^kernels: simd$/m);
    expect(() => execFileSync(process.execPath, [`${root}dist/cli.js`, 'frobnicate'], { stdio: 'pipe' })).toThrow(/unknown command "frobnicate"/);
  });
});

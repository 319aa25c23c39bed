import { readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

// Node 20 has relaxed SIMD only behind a flag: turn it on in the test workers so the relaxed
// kernel build is tested too (newer Node versions have it on by default). --expose-gc lets the
// soak test collect garbage before it reads the heap.
const nodeMajor = Number(process.versions.node.split('.')[0]);

export default defineConfig({
  // src/version.ts reads this, as in the bundle build.mjs makes.
  define: { SLIMTRAIN_VERSION: JSON.stringify(JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')).version) },
  test: {
    include: ['test/**/*.test.ts'],
    execArgv: [...(nodeMajor < 22 ? ['--experimental-wasm-relaxed-simd'] : []), '--expose-gc'],
    testTimeout: 60_000,
  },
});

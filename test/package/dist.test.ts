import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
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

  it('ships the command line entry point, which prints the package version', () => {
    const version = JSON.parse(readFileSync(`${root}package.json`, 'utf8')).version;
    for (const flag of ['--version', '-v']) expect(execFileSync(process.execPath, [`${root}dist/cli.js`, flag], { encoding: 'utf8' })).toBe(`${version}\n`);
    const out = execFileSync(process.execPath, [`${root}dist/cli.js`, 'info'], { encoding: 'utf8' });
    expect(out).toMatch(/^kernels: simd$/m);
    expect(() => execFileSync(process.execPath, [`${root}dist/cli.js`, 'frobnicate'], { stdio: 'pipe' })).toThrow(/unknown command "frobnicate"/);
  });

  it('browser bundles import no node: module, and the exports map names the API and the worker', () => {
    for (const file of ['index.js', 'worker.js']) {
      const text = readFileSync(`${root}dist/browser/${file}`, 'utf8');
      expect(text, file).not.toMatch(/\bfrom\s*["']node:|\bimport\s*\(\s*["']node:|\brequire\s*\(\s*["']node:/);
      // Node is reached only through process.getBuiltinModule, which browsers do not have.
      expect(text).toMatch(/getBuiltinModule/);
    }
    const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
    // The worker scripts run for their effect (they serve the trainer): bundlers must keep them.
    expect(pkg.sideEffects).toEqual(['./dist/worker.js', './dist/browser/worker.js', './dist/cli.js']);
    expect(pkg.exports['.'].browser).toBe('./dist/browser/index.js');
    expect(pkg.exports['./worker']).toEqual({ types: './dist/types/src/worker/worker_entry.d.ts', browser: './dist/browser/worker.js', default: './dist/worker.js' });
  });

  it('createTrainer runs over Node worker threads with the weights of an in-thread run, bit for bit', () => {
    const script = `
      import { createTrainer, init, Sequential, optimizerFromSpec } from 'slimtrain';
      const spec = { inputShape: [6], seed: 3, layers: [{ type: 'dense', units: 8 }, { type: 'relu' }, { type: 'dense', units: 3 }] };
      const optimizer = { type: 'adam', lr: 0.01, transforms: [{ type: 'l2', lambda: 1e-3 }] };
      const x = Float32Array.from({ length: 300 * 6 }, (_, i) => Math.sin(i * 0.7));
      const y = Uint8Array.from({ length: 300 }, (_, i) => (x[i * 6] > 0 ? 1 : 0) + (x[i * 6 + 1] > 0.5 ? 1 : 0));
      const bits = (ws) => ws.map((w) => Buffer.from(w.values.buffer, w.values.byteOffset, w.values.byteLength).toString('hex')).join('');
      const out = {};
      for (const worker of [true, false]) {
        const t = await createTrainer({ worker });
        await t.build(spec);
        await t.compile({ optimizer });
        let events = 0;
        await t.fit(x, y, { epochs: 3, batchSize: 16, seed: 2, progressEveryMs: 0, onProgress: () => events++ });
        out[worker ? 'thread' : 'inline'] = { weights: bits(await t.getWeights()), events };
        if (worker) {
          try { await t.compile({ optimizer: { type: 'adma' } }); } catch (e) { out.error = [e.name, e.message, /worker\.js/.test(e.stack)]; }
          const controller = new AbortController();
          const run = t.fit(x, y, { epochs: 50, batchSize: 4, signal: controller.signal, onProgress: (p) => p.step > 20 && controller.abort(new Error('stop')) });
          try { await run; } catch (e) { out.abort = [e.name, e.message]; }
          const pending = t.fit(x, y, { epochs: 200, batchSize: 2 });
          await t.terminate();
          try { await pending; } catch (e) { out.terminated = [e.name, e.message]; }
        } else await t.terminate();
      }
      const engine = await init();
      const m = Sequential.build(engine, spec);
      m.compile({ optimizer: optimizerFromSpec(optimizer) });
      await m.fit(x, y, { epochs: 3, batchSize: 16, seed: 2 });
      out.direct = bits(m.getWeights());
      console.log(JSON.stringify(out));
    `;
    const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' }));
    expect(out.thread.weights).toBe(out.direct);
    expect(out.inline.weights).toBe(out.direct);
    expect(out.thread.events).toBeGreaterThanOrEqual(3 * 19);
    expect(out.error).toEqual(['ArgumentError', 'optimizer.type = "adma": expected one of sgd, momentum, adam, adamw, rmsprop, adagrad, padam', true]);
    expect(out.abort).toEqual(['AbortError', 'stop']);
    expect(out.terminated).toEqual(['TrainerGoneError', 'the trainer was terminated']);
  });

  it('the worker API trains with live reduction: progress events carry the current size, and the cut', () => {
    const script = `
      import { createTrainer } from 'slimtrain';
      const spec = { inputShape: [6], seed: 3, layers: [{ type: 'dense', units: 8 }, { type: 'relu' }, { type: 'dense', units: 3 }] };
      const x = Float32Array.from({ length: 200 * 6 }, (_, i) => Math.sin(i * 0.7));
      const y = Uint8Array.from({ length: 200 }, (_, i) => (x[i * 6] > 0 ? 1 : 0) + (x[i * 6 + 1] > 0.5 ? 1 : 0));
      const t = await createTrainer({ worker: true });
      await t.build(spec);
      await t.compile({ optimizer: { type: 'adam', lr: 0.01 } });
      // Units 2 and 5 of dense_1 read nothing and feed nothing: no gradient revives them.
      const w = await t.getWeights();
      const k1 = w.find((v) => v.name === 'dense_1/kernel').values, k2 = w.find((v) => v.name === 'dense_2/kernel').values;
      for (let r = 0; r < 6; r++) for (const k of [2, 5]) k1[r * 8 + k] = 0;
      for (const k of [2, 5]) k2.fill(0, k * 3, k * 3 + 3);
      await t.setWeights(w);
      const sizes = [];
      const cuts = [];
      const history = await t.fit(x, y, { epochs: 2, batchSize: 20, progressEveryMs: 0, reduce: { everyEpochs: 1, xi: 1e-6 },
        onProgress: (p) => { sizes.push(p.parameters); if (p.reduction) cuts.push([p.reduction.removed, p.reduction.parameters.after, p.parameters]); } });
      const after = (await t.getWeights()).reduce((s, v) => s + v.values.length, 0);
      console.log(JSON.stringify({ first: sizes[0], last: sizes[sizes.length - 1], cuts, reductions: history.reductions.length, parameterCount: after }));
      await t.terminate();
    `;
    const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' }));
    // 6*8+8 + 8*3+3 = 83 parameters; without units 2 and 5: 6*6+6 + 6*3+3 = 63.
    expect(out.first).toBe(83);
    expect(out.cuts).toEqual([[2, 63, 63]]);
    expect(out.last).toBe(63);
    expect(out.reductions).toBe(1);
    expect(out.parameterCount).toBe(63);
  });
});

import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Download, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { init } from '../../src/backend/engine.js';
import { loadMnist } from '../../src/data/mnist.js';
import { presetSpec } from '../../src/model/presets.js';
import { Sequential } from '../../src/model/sequential.js';
import { optimizerFromSpec } from '../../src/optim/spec.js';
import { magnitudePrune } from '../../src/prune/magnitude.js';
import { weightsHash } from '../support/weights_hash.js';
import { modelFromBytes } from '../../src/io/model_file.js';
import { pageFacts, type PageFacts } from '../support/page_checks.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const root = fileURLToPath(new URL('../../', import.meta.url));
const artifacts = `${root}test-artifacts`;


// The demo's fixed run: LeNet-300-100, the first 10,000 MNIST images, 3 epochs of batch 64 (471
// steps), Adam lr 3e-3 with coupled L2 3e-3 (enough for some units to die), seed 1.
const RUN = { model: 'lenet-300-100', limit: 10000, epochs: 3, batchSize: 64, lr: 3e-3, l2: 3e-3, seed: 1 } as const;

describe.skipIf(!hasChromium)(
  hasChromium ? 'in a real browser (headless chromium)' : `in a real browser: SKIPPED because ${CHROMIUM} does not exist (apt-get install -y chromium)`,
  () => {
    let browser: Browser;
    let server: Server;
    let url: string;
    const errors: string[] = [];

    beforeAll(async () => {
      const { startDemoServer } = await import(`${root}examples/browser/serve.mjs`);
      ({ server, url } = await startDemoServer({ port: 0 }));
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox'] });
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      server?.close();
    });

    // Every failed request (a 404 favicon included) and console error, per page opened.
    const failed: string[] = [];
    const requested: string[] = [];

    async function open(viewport = { width: 1280, height: 1000 }): Promise<Page> {
      const page = await browser.newPage({ viewport, acceptDownloads: true });
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(`console: ${m.text()}`);
      });
      page.on('requestfailed', (r) => failed.push(`${r.url()}: ${r.failure()?.errorText}`));
      page.on('response', (r) => {
        requested.push(r.url());
        if (r.status() >= 400) failed.push(`${r.url()}: ${r.status()}`);
      });
      await page.goto(url);
      await page.waitForFunction(() => 'demo' in window);
      return page;
    }

    /** Layout and charts as a person sees them: nothing sideways, every chart labelled and full of points. */
    function expectReadable(facts: PageFacts, minValues: number) {
      expect(facts.scrollWidth, 'the page does not grow past the viewport').toBeLessThanOrEqual(facts.innerWidth);
      expect(facts.overflowing).toEqual([]);
      expect(facts.charts.map((c) => c.id)).toEqual(['chart-loss', 'chart-accuracy', 'chart-sparsity']);
      for (const c of facts.charts) {
        expect(c.width, c.id).toBeLessThanOrEqual(facts.innerWidth);
        expect(c.axisLabels.every((l) => l.length > 2), `${c.id}: ${c.axisLabels}`).toBe(true);
        for (const t of c.ticks) expect(t.length, `${c.id} ticks`).toBeGreaterThanOrEqual(2);
        // Whole epochs only on the sparsity chart (no 1.25 or 1.5).
        if (c.id === 'chart-sparsity') expect(c.ticks[0].every((t) => /^\d+$/.test(t)), `${c.ticks[0]}`).toBe(true);
        expect(c.values, `${c.id} values`).toBeGreaterThanOrEqual(c.id === 'chart-sparsity' ? 2 * 2 : minValues);
      }
      expect(facts.charts[0].series).toEqual(['train (data term)', 'L2 penalty', 'validation']);
      expect(facts.charts[1].series).toEqual(['train', 'validation']);
    }

    it('runs the kernels on the SIMD build and matches the reference backend (a representative subset)', async () => {
      const page = await open();
      const result = await page.evaluate(async () => {
        const st = (window as any).slimtrain;
        const wasm = await st.init();
        const ref = await st.init({ backend: 'reference' });
        // Odd shapes through every kernel family a training step uses: conv (im2col + GEMM in
        // three forms), pooling, batch norm, activations, bias, dense, softmax cross-entropy.
        const spec = {
          inputShape: [9, 7, 3], seed: 5,
          layers: [
            { type: 'conv2d', filters: 5, kernelSize: 3, padding: 'same' }, { type: 'batchNorm' }, { type: 'relu' }, { type: 'maxPool2d' },
            { type: 'conv2d', filters: 6, kernelSize: 2, strides: 1 }, { type: 'elu' }, { type: 'avgPool2d' },
            { type: 'flatten' }, { type: 'dense', units: 13 }, { type: 'tanh' }, { type: 'dense', units: 4 },
          ],
        };
        const a = st.Sequential.build(wasm, spec);
        const b = st.Sequential.build(ref, spec);
        b.setWeights(a.getWeights());
        const n = 11;
        const x = Float32Array.from({ length: n * 9 * 7 * 3 }, (_, i) => Math.sin(i * 0.37));
        const y = Int32Array.from({ length: n }, (_, i) => i % 4);
        const ga = a.lossAndGradients(x, y, { training: true });
        const gb = b.lossAndGradients(x, y, { training: true });
        let worst = 0;
        ga.gradients.forEach((g: { name: string; values: Float32Array }, t: number) => {
          const r = gb.gradients[t].values;
          let scale = 0;
          for (const v of r) scale = Math.max(scale, Math.abs(v));
          // Relative to the tensor's largest gradient, with a floor: a bias before batch norm has a ~0 gradient.
          for (let i = 0; i < r.length; i++) worst = Math.max(worst, Math.abs(g.values[i] - r[i]) / Math.max(scale, 1e-3));
        });
        // And a bare GEMM with a transposed operand, and a few training steps.
        const M = 37, N = 19, K = 53;
        const run = (e: any) => {
          const pa = e.arena.allocF32(M * K), pb = e.arena.allocF32(N * K), pc = e.arena.allocF32(M * N);
          e.arena.f32(pa, M * K).set(Float32Array.from({ length: M * K }, (_, i) => Math.cos(i)));
          e.arena.f32(pb, N * K).set(Float32Array.from({ length: N * K }, (_, i) => Math.sin(i * 1.3)));
          e.backend.gemm(false, true, M, N, K, pa, pb, pc, false);
          return e.arena.f32(pc, M * N).slice();
        };
        const c1 = run(wasm), c2 = run(ref);
        let gemm = 0;
        for (let i = 0; i < c1.length; i++) gemm = Math.max(gemm, Math.abs(c1[i] - c2[i]));
        // SGD with momentum (Adam would amplify the ~1e-8 noise of the bias gradients before batch norm to full steps).
        for (const m of [a, b]) m.compile({ optimizer: st.chain(st.momentum({ lr: 0.05 })), loss: 'crossEntropy' });
        for (let s = 0; s < 3; s++) (a.trainStep(x, y), b.trainStep(x, y));
        let weights = 0;
        a.getWeights().forEach((w: { values: Float32Array }, t: number) => {
          const r = b.getWeights()[t].values;
          for (let i = 0; i < r.length; i++) weights = Math.max(weights, Math.abs(w.values[i] - r[i]));
        });
        return { kernels: wasm.kernels, loss: [ga.loss, gb.loss], worst, gemm, weights, simd: WebAssembly.validate(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])) };
      });
      expect(result.kernels).toBe('simd');
      expect(Math.abs(result.loss[0] - result.loss[1])).toBeLessThan(1e-5);
      expect(result.worst).toBeLessThan(1e-4);
      expect(result.gemm).toBeLessThan(1e-4);
      expect(result.weights).toBeLessThan(1e-5);
      await page.close();
    }, 60_000);

    it('sparse inference: a pruned CNN on the sparse kernels gives the dense logits to 1e-5, and the bits Node gives', async () => {
      // A stride-1 convolution + ReLU (the direct kernel, fused), a strided one (im2col + the
      // sparse product), pooling, and dense layers at batch 1 (gathers) and 7 (panels).
      const spec = {
        inputShape: [12, 10, 3], seed: 9,
        layers: [
          { type: 'conv2d', filters: 8, kernelSize: 3, padding: 'same' }, { type: 'relu' }, { type: 'maxPool2d' },
          { type: 'conv2d', filters: 12, kernelSize: 3, strides: 2, padding: 'same' }, { type: 'relu' },
          { type: 'flatten' }, { type: 'dense', units: 20 }, { type: 'relu' }, { type: 'dense', units: 5 },
        ],
      };
      const x = Float32Array.from({ length: 7 * 12 * 10 * 3 }, (_, i) => Math.cos(i * 0.11));
      const inNode = async () => {
        const engine = await init({ threads: 1 });
        const model = Sequential.build(engine, spec as never);
        magnitudePrune(model, { fraction: 0.9 });
        const logits = [1, 7].map((batchSize) => Array.from(model.toInference({ sparse: 'always' }).predict(x, { batchSize })));
        engine.dispose();
        return logits;
      };
      const page = await open();
      const result = await page.evaluate(async ({ spec, x }) => {
        const st = (window as any).slimtrain;
        const engine = await st.init();
        const model = st.Sequential.build(engine, spec);
        st.magnitudePrune(model, { fraction: 0.9 });
        const input = Float32Array.from(x);
        const dense = Array.from(model.toInference({ sparse: 'never' }).predict(input) as Float32Array);
        const sparse = model.toInference({ sparse: 'always' });
        const logits = [1, 7].map((batchSize) => Array.from(sparse.predict(input, { batchSize }) as Float32Array));
        const fused = sparse.layers[1].aliasesInput;
        return { dense, logits, fused, kernels: engine.kernels };
      }, { spec, x: Array.from(x) });
      await page.close();
      expect(result.kernels).toBe('simd');
      expect(result.fused).toBe(true);
      const scale = Math.max(...result.dense.map(Math.abs));
      for (const logits of result.logits) expect(Math.max(...logits.map((v, i) => Math.abs(v - result.dense[i]) / scale))).toBeLessThan(1e-5);
      expect(result.logits[0]).toEqual(result.logits[1]);
      expect(result.logits).toEqual(await inNode());
    }, 60_000);

    it('the demo trains in a worker above 90% with weights bit-identical to Node, reduces, downloads, and stays responsive', async () => {
      // The same run in Node, in this process.
      const engine = await init({ threads: 1 }); // one thread in Node, several in the browser: the same bits
      const { train } = loadMnist({ limit: RUN.limit });
      const model = Sequential.build(engine, presetSpec(RUN.model, [784], 10, RUN.seed));
      model.compile({ optimizer: optimizerFromSpec({ type: 'adam', lr: RUN.lr, transforms: [{ type: 'l2', lambda: RUN.l2 }] }), loss: 'crossEntropy' });
      await model.fit(train.x, train.y, { epochs: RUN.epochs, batchSize: RUN.batchSize, seed: RUN.seed });
      const nodeHash = weightsHash(model.getWeights());
      model.dispose();

      const page = await open();
      await page.click('#load');
      await page.waitForFunction(() => !(document.getElementById('train') as HTMLButtonElement).disabled, undefined, { timeout: 30_000 });
      for (const [id, value] of Object.entries({ model: RUN.model, limit: RUN.limit, epochs: RUN.epochs, batch: RUN.batchSize, lr: RUN.lr, l2: RUN.l2, seed: RUN.seed })) {
        if (id === 'model') await page.selectOption('#model', String(value));
        else await page.fill(`#${id}`, String(value));
      }
      // Count animation frames while training: a frozen page would draw none.
      await page.evaluate(() => {
        (window as any).frameCount = 0;
        const tick = () => { (window as any).frameCount++; requestAnimationFrame(tick); };
        requestAnimationFrame(tick);
      });
      const t0 = Date.now();
      await page.click('#train');
      await page.waitForFunction(() => /^Done: test accuracy/.test(document.getElementById('status')!.textContent!), undefined, { timeout: 120_000 });
      const seconds = (Date.now() - t0) / 1000;
      const frames = await page.evaluate(() => (window as any).frameCount);
      const text = await page.textContent('#status');
      const [, accuracy, steps, , samplesPerSecond, threads] = text!.match(/test accuracy ([\d.]+)% after (\d+) steps in ([\d.]+) s \((\d+) samples\/s, (\d+) thread\(s\)\)\./)!;
      const hash = (await page.textContent('#weights-hash'))!;
      // The fingerprint says what it is.
      expect(await page.textContent('#fingerprint')).toMatch(/^Weights fingerprint [0-9a-f]{8}: a hash \(FNV-1a\) of the final weights. bytes\./);
      // The demo server sends COOP/COEP, so the trainer's worker runs kernel threads too.
      expect(Number(threads)).toBeGreaterThan(1);
      expect(Number(accuracy)).toBeGreaterThan(90);
      expect(Number(steps)).toBe(471);
      expect(hash, 'browser weights == Node weights, bit for bit (validation on held-out images changes nothing)').toBe(nodeHash);
      // Headless chromium still draws frames while the worker trains (at least ~5 per second).
      expect(frames).toBeGreaterThan(seconds * 5);
      console.log(`demo: ${accuracy}% in ${seconds.toFixed(1)} s, ${samplesPerSecond} samples/s on ${threads} threads, weights ${hash} (Node ${nodeHash}), ${frames} frames`);

      // 471 batches: between 150 and 300 points per train curve; validation after each of the 3 epochs; 4 sparsity points.
      const facts = await pageFacts(page, 'demo.charts');
      expectReadable(facts, 150);
      expect(facts.charts[2].values).toBe(4 * 2);
      expect(facts.charts[2].ticks[0]).toEqual(['0', '1', '2', '3']);

      await page.click('#reduce');
      await page.waitForSelector('#reduction table');
      const tables = await page.$$eval('#reduction table', (ts) => ts.map((t) => Array.from(t.querySelectorAll('tbody tr'), (r) => Array.from(r.querySelectorAll('td'), (td) => td.textContent!))));
      const [summary, layers] = tables;
      const number = (t: string) => Number(t.replace(/,/g, ''));
      const [label, before, after] = summary.find((r) => r[0] === 'parameters')!;
      expect(label).toBe('parameters');
      expect(number(after)).toBeLessThan(number(before)); // dead units removed
      const accuracy2 = summary.find((r) => r[0] === 'test accuracy')!;
      expect(accuracy2[2]).toBe(accuracy2[1]); // the same predictions
      expect(summary.map((r) => r[0])).toEqual(['parameters', 'FLOPs per image', 'file bytes (.slim)', 'latency per image, batch of 1', 'latency per image, batch of 64', 'test accuracy']);
      // Per layer: units = kept + dead + unused, and the parameters fall as units go.
      expect(layers.map((r) => r[0])).toEqual(['dense_1', 'dense_2']);
      for (const [, units, kept, dead, unused, params] of layers) {
        expect(number(kept) + number(dead) + number(unused)).toBe(number(units));
        const [p0, p1] = params.split(' → ').map(number);
        expect(p1).toBeLessThanOrEqual(p0);
      }
      expect(number(layers[0][3]) + number(layers[0][4])).toBeGreaterThan(0);
      const kept = layers.map((r) => number(r[2]));

      // Downloads: our format, TensorFlow.js layers (two files) and ONNX.
      const downloads = async (button: string, files: number) => {
        const seen: Download[] = [];
        const listener = (d: Download) => void seen.push(d);
        page.on('download', listener);
        await page.click(button);
        await expect.poll(() => seen.length, { timeout: 20_000 }).toBe(files);
        page.off('download', listener);
        const got = [];
        for (const d of seen) got.push({ name: d.suggestedFilename(), bytes: new Uint8Array(readFileSync((await d.path())!)) });
        return got;
      };
      const [slim] = await downloads('#download', 1);
      expect(slim.name).toBe('mnist-reduced.slim');
      const tfjs = await downloads('#download-tfjs', 2);
      expect(tfjs.map((f) => f.name).sort()).toEqual(['mnist-reduced.json', 'mnist-reduced.weights.bin']);
      const [onnx] = await downloads('#download-onnx', 1);
      expect(onnx.name).toBe('mnist-reduced.onnx');
      // The .slim file is the reduced model; its sizes match the table.
      const reduced = modelFromBytes(engine, slim.bytes).model;
      expect(reduced.parameterCount).toBe(number(after));
      // TensorFlow.js: JSON naming Dense layers of the kept units, and a weights file of exactly the manifest's floats, equal to ours.
      const json = JSON.parse(new TextDecoder().decode(tfjs.find((f) => f.name.endsWith('.json'))!.bytes));
      expect(json.format).toBe('layers-model');
      const dense = json.modelTopology.config.layers.filter((l: { class_name: string }) => l.class_name === 'Dense');
      expect(dense.map((l: { config: { units: number } }) => l.config.units)).toEqual([...kept, 10]);
      expect(json.weightsManifest[0].paths).toEqual(['mnist-reduced.weights.bin']);
      const bin = tfjs.find((f) => f.name.endsWith('.bin'))!.bytes;
      const floats = json.weightsManifest[0].weights.reduce((s: number, w: { shape: number[] }) => s + w.shape.reduce((a, b) => a * b, 1), 0);
      expect(bin.length).toBe(4 * floats);
      const ours = reduced.getWeights();
      expect(new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length))).toEqual(Float32Array.from(ours.flatMap((w) => [...w.values])));
      // ONNX: the bytes decode and run in ONNX Runtime, with the reduced model's predictions.
      const ort = await import('onnxruntime-web');
      ort.env.wasm.numThreads = 1;
      const session = await ort.InferenceSession.create(onnx.bytes);
      const { test } = loadMnist({ limit: 1, testLimit: 64 });
      const out = await session.run({ input: new ort.Tensor('float32', test.x, [64, 784]) });
      const logits = out.logits.data as Float32Array;
      const want = reduced.predict(test.x);
      let worst = 0;
      let scale = 0;
      for (let i = 0; i < want.length; i++) (worst = Math.max(worst, Math.abs(logits[i] - want[i]))), (scale = Math.max(scale, Math.abs(want[i])));
      expect(worst / scale).toBeLessThan(1e-5);
      reduced.dispose();

      mkdirSync(artifacts, { recursive: true });
      await page.screenshot({ path: `${artifacts}/demo-desktop.png`, fullPage: true });
      expect(errors).toEqual([]);
      expect(failed, 'no request failed, the favicon included').toEqual([]);
      expect(requested.some((u) => u.endsWith('/examples/browser/favicon.svg'))).toBe(true);
      await page.close();
    }, 240_000);

    it('the demo fits a phone-width screen, with labelled charts after a short run', async () => {
      const page = await open({ width: 390, height: 844 });
      await page.click('#load');
      await page.waitForFunction(() => !(document.getElementById('train') as HTMLButtonElement).disabled, undefined, { timeout: 30_000 });
      const before = await pageFacts(page, 'demo.charts');
      expect(before.scrollWidth).toBeLessThanOrEqual(before.innerWidth);
      expect(before.overflowing).toEqual([]);
      await page.fill('#limit', '3000');
      await page.fill('#epochs', '2');
      await page.click('#train');
      await page.waitForFunction(() => /^Done: test accuracy/.test(document.getElementById('status')!.textContent!), undefined, { timeout: 120_000 });
      await page.click('#reduce');
      await page.waitForSelector('#reduction table');
      // 2 epochs of 47 batches: 94 points per train curve.
      const facts = await pageFacts(page, 'demo.charts');
      expectReadable(facts, 94);
      expect(facts.charts.every((c) => c.width < 390)).toBe(true);
      mkdirSync(artifacts, { recursive: true });
      await page.screenshot({ path: `${artifacts}/demo-phone.png`, fullPage: true });
      expect(errors).toEqual([]);
      expect(failed).toEqual([]);
      await page.close();
    }, 180_000);

    it('with "shrink while training", the network loses its dead units during the fit, and the page says so live', async () => {
      const page = await open();
      await page.evaluate(() => (window as any).demo.loadFromServer());
      const result = await page.evaluate(() => (window as any).demo.train({ limit: 10000, epochs: 3, live: true }));
      const size = (await page.textContent('#size'))!;
      const [, now, start] = size.match(/^Network: ([\d,]+) parameters \(([\d,]+) at the start; after epoch \d+: [\d,]+ units? removed/)!.map((t) => Number(t.replace(/,/g, '')));
      expect(start).toBe(266610); // LeNet-300-100
      expect(now).toBeLessThan(start);
      expect(result.cuts.length).toBeGreaterThan(0);
      expect(result.cuts[result.cuts.length - 1].parameters).toBe(now);
      expect(result.testAccuracy).toBeGreaterThan(0.9);
      expect(await page.textContent('#status')).toMatch(/^Done: test accuracy/);
      await page.close();
    }, 120_000);

    it('cancel, a worker error and a terminated or crashed worker each surface as clear errors in the page', async () => {
      const page = await open();
      await page.evaluate(() => (window as any).demo.loadFromServer());
      // Cancel mid-fit: the fit rejects with an AbortError carrying the reason, shown in the status.
      const cancelled = await page.evaluate(async () => {
        const demo = (window as any).demo;
        const run = demo.train({ limit: 20000, epochs: 5 });
        while (!/step \d+/.test(document.getElementById('status')!.textContent!)) await new Promise((r) => setTimeout(r, 20));
        demo.cancel();
        try { await run; return 'resolved'; } catch (e: any) { return `${e.name}: ${e.message} | ${document.getElementById('status')!.textContent}`; }
      });
      expect(cancelled).toBe('AbortError: cancelled by the user | AbortError: cancelled by the user');
      // An error thrown in the worker crosses with its name, message and the worker's stack.
      const remote = await page.evaluate(async () => {
        try { await (window as any).demo.trainer.build({ inputShape: [4], layers: [{ type: 'dense', unit: 3 }] }); return null; } catch (e: any) {
          return { name: e.name, message: e.message, stack: e.stack };
        }
      });
      expect(remote!.name).toBe('ArgumentError');
      expect(remote!.message).toMatch(/^dense.unit = 3: expected no such option/);
      expect(remote!.stack).toMatch(/worker\.js/);
      // The trainer still works after both.
      expect(await page.evaluate(() => (window as any).demo.trainer.build({ inputShape: [4], layers: [{ type: 'dense', units: 3 }] }).then((i: any) => i.parameterCount))).toBe(15);
      // Terminated while training: the fit rejects at once and the page says why.
      const terminated = await page.evaluate(async () => {
        const demo = (window as any).demo;
        const run = demo.train({ limit: 20000, epochs: 5 });
        while (!/step \d+/.test(document.getElementById('status')!.textContent!)) await new Promise((r) => setTimeout(r, 20));
        void demo.trainer.terminate();
        try { await run; return 'resolved'; } catch (e: any) { return `${e.name}: ${e.message} | ${document.getElementById('status')!.textContent}`; }
      });
      expect(terminated).toBe('TrainerGoneError: the trainer was terminated | TrainerGoneError: the trainer was terminated');
      // A worker that crashes (an uncaught error inside it) rejects every pending call.
      const crashed = await page.evaluate(async () => {
        const st = (window as any).slimtrain;
        const trainer = await st.createTrainer();
        await trainer.fail('kaboom', { uncaught: true });
        try { await trainer.evaluate(new Float32Array(4), [0]); return 'resolved'; } catch (e: any) { return `${e.name}: ${e.message}`; }
      });
      expect(crashed).toMatch(/^TrainerGoneError: the trainer's worker \(http:\/\/127\.0\.0\.1:\d+\/dist\/browser\/worker\.js\) crashed: .*kaboom/);
      await page.close();
    }, 120_000);
  },
);

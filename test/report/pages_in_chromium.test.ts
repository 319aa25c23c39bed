import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChartSpec } from '../../src/report/chart_page_script.js';
import { renderTrainingReport } from '../../src/report/training_report.js';
import { pageFacts } from '../support/page_checks.js';
import { fullSampleReduction, sampleReportData } from './sample_report_data.js';
import { tempDir } from '../support/temp_dir.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const artifacts = `${root}test-artifacts`;
const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const WIDTHS = { desktop: { width: 1280, height: 900 }, phone: { width: 390, height: 844 } } as const;

function cli(args: string[]): string {
  const r = spawnSync(process.execPath, [`${root}dist/cli.js`, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, SLIMTRAIN_DATA: '' } });
  expect(r.status, r.stderr).toBe(0);
  return r.stderr + r.stdout;
}

const chartsOf = (html: string): ChartSpec[] => JSON.parse(html.match(/<script type="application\/json" id="report-charts">([\s\S]*?)<\/script>/)![1]);

// The pages as `slimtrain train --report` and `slimtrain sweep` write them, opened from disk the
// way a person opens them, at a desktop and a phone width: screenshots in test-artifacts/.
describe.skipIf(!hasChromium)(
  hasChromium ? 'report and sweep pages in headless chromium' : `report and sweep pages: SKIPPED because ${CHROMIUM} does not exist (apt-get install -y chromium)`,
  () => {
    let browser: Browser;
    const dir = tempDir('slimtrain-pages-');
    const files = { report: join(dir, 'report.html'), sweep: join(dir, 'out', 'grid.html'), sample: join(dir, 'sample.html') };

    beforeAll(async () => {
      mkdirSync(artifacts, { recursive: true });
      // One epoch: the case where every chart used to be a single dot. L2 for a penalty, a validation split.
      cli(['train', '--model', 'lenet-300-100', '--limit', '10000', '--test-limit', '2000', '--epochs', '1', '--validation-split', '0.1',
        '--lr', '3e-3', '--l2', '3e-3', '--report', files.report]);
      writeFileSync(join(dir, 'grid.json'), JSON.stringify({
        name: 'grid', dataset: 'mnist', limit: 1500, testLimit: 500, model: 'lenet-300-100', epochs: 1, seeds: [1, 2], out: join(dir, 'out'),
        methods: [
          // Magnitude pruning of half and of 90% of the weights, and pAdam: sizes far apart on the x axes.
          { name: 'magnitude', optimizer: { type: 'adam', lr: 3e-3 }, prune: { fraction: '$strength' }, strengths: [0.5, 0.9] },
          { name: 'padam', optimizer: { type: 'padam', lr: 3e-3, lambda: '$strength', p: 0.8 }, strengths: [3e-3, 3e-2] },
        ],
      }));
      expect(cli(['sweep', join(dir, 'grid.json'), '--jobs', '2'])).toMatch(/wrote .*grid\.md and \.svg \(8 of 8 runs\)\nwrote .*grid\.html \(the interactive page\)/);
      writeFileSync(files.sample, renderTrainingReport({ ...sampleReportData(), reduction: fullSampleReduction() }));
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    }, 180_000);

    afterAll(async () => {
      await browser?.close();
    });

    /** Opens a page from disk; records console errors and every request; takes a full-page screenshot. */
    async function open(file: string, name: string, size: { width: number; height: number }) {
      const context = await browser.newContext({ viewport: size, deviceScaleFactor: 1 });
      const page = await context.newPage();
      const errors: string[] = [];
      const requests: string[] = [];
      const failed: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
      page.on('request', (r) => requests.push(r.url()));
      page.on('requestfailed', (r) => failed.push(r.url()));
      await context.route(/^(https?|wss?):/, (route) => route.abort());
      const url = pathToFileURL(file).href;
      await page.goto(url);
      await page.waitForFunction(() => Object.keys((window as any).reportCharts ?? {}).length > 0, undefined, { timeout: 10_000 });
      const facts = await pageFacts(page, 'reportCharts');
      const colored = await page.evaluate(() =>
        Array.from(document.querySelectorAll<HTMLCanvasElement>('.uplot canvas')).map((c) => {
          const pixels = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
          let n = 0;
          for (let i = 0; i < pixels.length; i += 4) {
            if (pixels[i + 3] && Math.max(pixels[i], pixels[i + 1], pixels[i + 2]) - Math.min(pixels[i], pixels[i + 1], pixels[i + 2]) > 60) n++;
          }
          return [c.closest('.chart')!.id, n] as const;
        }),
      );
      const png = `${artifacts}/${name}.png`;
      await page.screenshot({ path: png, fullPage: true });
      return { page, context, url, errors, requests, failed, facts, colored, png };
    }

    /** What holds on every page at every width. */
    function expectClean(r: Awaited<ReturnType<typeof open>>, minValues: (id: string) => number) {
      expect(r.errors).toEqual([]);
      expect(r.requests, 'the page asks for nothing but itself (no favicon either)').toEqual([r.url]);
      expect(r.failed).toEqual([]);
      expect(r.facts.scrollWidth, 'nothing makes the page scroll sideways').toBeLessThanOrEqual(r.facts.innerWidth);
      expect(r.facts.overflowing).toEqual([]);
      for (const c of r.facts.charts) {
        expect(c.width, c.id).toBeLessThanOrEqual(r.facts.innerWidth);
        expect(c.axisLabels.every((l) => l.length > 2), `${c.id} axes labelled: ${c.axisLabels}`).toBe(true);
        expect(c.ticks[0].length, `${c.id} x ticks ${c.ticks[0]}`).toBeGreaterThanOrEqual(2);
        expect(c.ticks[1].length, `${c.id} y ticks ${c.ticks[1]}`).toBeGreaterThanOrEqual(2);
        expect(c.values, `${c.id} draws more than a handful of points`).toBeGreaterThanOrEqual(minValues(c.id));
      }
      for (const [id, n] of r.colored) expect(n, `${id} has its series drawn in color`).toBeGreaterThan(100);
      expect(existsSync(r.png)).toBe(true);
    }

    it('the training report of a one-epoch run draws per-batch curves, the penalty, and every chart with labelled axes, at both widths', async () => {
      const html = readFileSync(files.report, 'utf8');
      expect(html).toContain('<h1>mnist: 3 weighted layers, 1 epoch</h1>');
      const specs = chartsOf(html);
      for (const [kind, size] of Object.entries(WIDTHS)) {
        const r = await open(files.report, `report-${kind}`, size);
        // 9,000 training images in batches of 64: 141 batches, each a point; group sparsity about 50 times.
        expectClean(r, (id) => (id.startsWith('chart-norms') ? 2 : id.startsWith('chart-sparsity') ? 40 : 141));
        expect(r.facts.charts.map((c) => c.id)).toEqual(specs.map((s) => s.id));
        expect(r.facts.charts.map((c) => c.id)).toEqual(['chart-loss', 'chart-accuracy', 'chart-penalty', 'chart-sparsity-0', 'chart-sparsity-1', 'chart-sparsity-2', 'chart-norms-0', 'chart-norms-1', 'chart-norms-2']);
        const loss = r.facts.charts.find((c) => c.id === 'chart-loss')!;
        expect(loss.series).toEqual(['train (data term)', 'validation']);
        expect(loss.axisLabels).toEqual(['epochs', 'loss (data term)']);
        // Fractional epoch ticks inside a single epoch, never a lone dot.
        expect(loss.ticks[0]).toContain('0.5');
        // The histograms count on a log axis: powers of ten only.
        const norms = r.facts.charts.find((c) => c.id === 'chart-norms-0')!;
        expect(norms.ticks[1].slice(0, 2)).toEqual(['1', '10']);
        const text = await r.page.locator('main').innerText();
        expect(text).toMatch(/file bytes/);
        expect(text).toMatch(/latency \/ sample, batch 1/);
        expect(text).toMatch(/kernel build\s+simd/);
        expect(text).toMatch(/transforms \(in chain order\)\s+l2 \(lambda 0.003\)/);
        expect(text).toMatch(/Units with a constant output/);
        await r.context.close();
      }
    }, 120_000);

    it('the sample report shows the hovered batch in the legend and the last one when the cursor leaves', async () => {
      const r = await open(files.sample, 'report-sample-desktop', WIDTHS.desktop);
      expectClean(r, (id) => (id.startsWith('chart-norms') ? 2 : id.startsWith('chart-sparsity') ? 13 : 150));
      const legend = () => r.page.locator('#chart-loss .u-legend').innerText();
      const box = (await r.page.locator('#chart-loss .u-over').boundingBox())!;
      await r.page.mouse.move(box.x + 1, box.y + box.height / 2);
      const hovered = await legend();
      await r.page.mouse.move(0, 0);
      const idle = await legend();
      const points = sampleReportData().batches!;
      expect(hovered).toContain(points[0].epochs.toFixed(2));
      expect(hovered).toContain(String(+points[0].dataLoss.toPrecision(4)));
      expect(idle).toContain('12.00');
      await r.context.close();
    }, 60_000);

    it('the sweep page draws accuracy against size per method with error bars, run details on hover, and the table, at both widths', async () => {
      const html = readFileSync(files.sweep, 'utf8');
      const specs = chartsOf(html);
      // Two seeds per strength: some error bar is longer than zero.
      const errors = specs[0].series.flatMap((s) => s.errors ?? []).filter((e): e is number => e !== null);
      expect(errors.length).toBe(4);
      expect(Math.max(...errors)).toBeGreaterThan(0);
      expect(readFileSync(join(dir, 'out', 'grid.md'), 'utf8')).toContain('[grid.html](grid.html)');
      for (const [kind, size] of Object.entries(WIDTHS)) {
        const r = await open(files.sweep, `sweep-${kind}`, size);
        // 4 means and 8 runs per chart.
        expectClean(r, () => 12);
        expect(r.facts.charts.map((c) => c.id)).toEqual(['chart-sweep-params', 'chart-sweep-flops']);
        expect(r.facts.charts[0].series).toEqual(['magnitude', 'magnitude (single runs)', 'padam', 'padam (single runs)']);
        // The nonzero parameters left span more than a decade: 10% to ~100% of 266,610.
        expect(r.facts.charts[0].ticks[0]).toEqual(['10k', '100k', '1M']);
        expect(await r.page.locator('#table tbody tr').count()).toBe(4);
        // Hover the point of one run: the tooltip names its method, strength and seed.
        const target = await r.page.evaluate(() => {
          const u = (window as any).reportCharts['chart-sweep-params'];
          const i = u.data[2].findIndex((v: number | null) => v !== null);
          const over = u.over.getBoundingClientRect();
          return { x: over.left + u.valToPos(u.data[0][i], 'x'), y: over.top + u.valToPos(u.data[2][i], 'y') };
        });
        await r.page.mouse.move(target.x, target.y);
        const tooltip = r.page.locator('#chart-sweep-params .chart-tooltip');
        await expect.poll(() => tooltip.isVisible()).toBe(true);
        expect(await tooltip.innerText()).toMatch(/magnitude 0\.9 seed [12]: reduced \d+\.\d\d% \(trained \d+\.\d\d%\), 2\d,\d{3} of 266,610 params/);
        if (kind === 'desktop') await r.page.screenshot({ path: `${artifacts}/sweep-desktop-hover.png` });
        await r.context.close();
      }
    }, 120_000);
  },
);

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArgumentError } from '../../src/errors.js';
import { groupNormHistogram } from '../../src/report/group_norm_histogram.js';
import { escapeHtml, inlineScript, jsonForScript } from '../../src/report/html_text.js';
import { renderTrainingReport } from '../../src/report/training_report.js';
import { loadUplotAssets } from '../../src/report/uplot_assets.js';
import { sampleReduction, sampleReportData } from './sample_report_data.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const artifacts = `${root}test-artifacts`;
const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);

const MALICIOUS = '</title><script>alert(1)</script><img src=x onerror=alert(2)>';

describe('html text', () => {
  it('escapes markup and quotes', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('keeps JSON valid while removing every <, > and &', () => {
    const value = { s: '</script><!-- & -->', n: [1, NaN, Infinity] };
    const json = jsonForScript(value);
    expect(json).not.toMatch(/[<>&]/);
    expect(JSON.parse(json)).toEqual({ s: value.s, n: [1, null, null] });
  });

  it('neutralizes a closing script tag inside inlined source', () => {
    expect(inlineScript('var s = "</script>";')).toBe('var s = "<\\/script>";');
    expect(() => inlineScript('a <!-- b')).toThrow(/<!--/);
  });
});

describe('groupNormHistogram', () => {
  it('bins log10 norms over whole decades, zeros and tiny norms in the first bin', () => {
    const h = groupNormHistogram([{ name: 'a', norms: [0, 1e-20, 2e-4, 0.5, 0.8, NaN] }], { include: [1e-3], maxDecades: 4 });
    expect([h.lo, h.hi]).toEqual([-4, 0]);
    expect(h.centers).toHaveLength(40);
    expect(h.centers[0]).toBeCloseTo(-3.95);
    const [a] = h.layers;
    expect(a.units).toBe(6);
    expect(a.nonFinite).toBe(1);
    expect(a.belowRange).toBe(2);
    expect(a.counts.reduce((s, c) => s + c, 0)).toBe(5);
    expect(a.counts[0]).toBe(2);
    expect(a.counts[Math.floor((Math.log10(2e-4) + 4) * 10)]).toBe(1);
    expect(a.counts[Math.floor((Math.log10(0.5) + 4) * 10)]).toBe(1);
  });

  it('caps the span at maxDecades below the largest norm', () => {
    const h = groupNormHistogram([{ name: 'a', norms: [1e-30, 3] }], { maxDecades: 8 });
    expect([h.lo, h.hi]).toEqual([-7, 1]);
    expect(h.layers[0].belowRange).toBe(1);
  });
});

describe('renderTrainingReport', () => {
  const assets = loadUplotAssets();

  it('inlines uPlot and fetches nothing from anywhere', () => {
    const html = renderTrainingReport(sampleReportData(), { assets });
    expect(assets.script.length).toBeGreaterThan(20_000);
    expect(html).toContain(inlineScript(assets.script));
    expect(html).toContain(assets.css);
    expect(html).not.toMatch(/<script[^>]*\ssrc\s*=/i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/@import|url\(/i);
    // The only URLs in the page are the project address in uPlot's banner and license.
    const rest = html.replace(inlineScript(assets.script), '').replace(/<!-- uPlot license:[\s\S]*?-->/, '');
    expect(rest).not.toMatch(/https?:\/\//i);
    expect(html).toContain("default-src 'none'");
  });

  it('escapes text from the data everywhere it appears', () => {
    const data = sampleReportData();
    data.title = MALICIOUS;
    data.commandLine = MALICIOUS;
    data.model.summary = MALICIOUS;
    data.groupNorms[0].name = MALICIOUS;
    data.sparsity = data.sparsity.map((s) => ({ ...s, layers: s.layers.map((l, i) => (i === 0 ? { ...l, name: MALICIOUS } : l)) }));
    data.reduction = { ...sampleReduction(), layers: [{ name: MALICIOUS, units: 4, kept: 1 }] };
    const html = renderTrainingReport(data, { assets });
    expect(html).not.toContain('<img');
    expect(html).not.toContain('alert(1)</script>');
    expect(html.match(/<script\b/gi)).toHaveLength(3);
    expect(html.match(/<\/script>/gi)).toHaveLength(3);
    expect(html).toContain(`<title>${escapeHtml(MALICIOUS)}</title>`);
    expect(html).toContain(`<h1>${escapeHtml(MALICIOUS)}</h1>`);
    const charts = JSON.parse(html.match(/<script type="application\/json" id="report-charts">([\s\S]*?)<\/script>/)![1]);
    expect(charts.find((c: { id: string }) => c.id === 'chart-sparsity').series[0].label).toBe(MALICIOUS);
  });

  it('shows the key numbers', () => {
    const data = sampleReportData();
    const html = renderTrainingReport(data, { assets });
    const last = data.history.epochs[11];
    expect(html).toContain('98.12%'); // test accuracy
    expect(html).toContain(`${(last.valAccuracy! * 100).toFixed(2)}%`);
    expect(html).toContain('2,365,514'); // parameters
    expect(html).toContain('10.2 M FLOPs / sample');
    // Final group sparsity: 4 + 16 + 96 of 176 units.
    expect(html).toContain('65.9%');
    expect(html).toContain('116 of 176 units');
    expect(html).toContain('started 2025-03-01 14:05:09 UTC');
    expect(html).toContain('slimtrain train --model mnist-cnn');
    expect(html).toContain('<td>12</td>');
    expect(html).toContain('Reduction not run.');
    expect(html).toContain('<figcaption><strong>dense_1</strong><span>128 units · 96 below 1e-3 (75.0%)</span></figcaption>');
    expect(html).toContain('<p class="footnote">2 norms below 10⁻⁷ counted in the first bin</p>');
  });

  it('renders the reduction tables when reduction ran', () => {
    const data = { ...sampleReportData(), reduction: sampleReduction() };
    const html = renderTrainingReport(data, { assets });
    expect(html).not.toContain('Reduction not run');
    expect(html).toContain('<tr><td>parameters</td><td>2,365,514</td><td>593,034</td><td>−74.9%</td></tr>');
    expect(html).toContain('<tr><td>dense_1</td><td>128</td><td>32</td><td>96</td><td>75.0%</td></tr>');
    expect(html).toContain('<tr><td>test accuracy</td><td>98.12%</td><td>98.09%</td><td>−0.03 pts</td></tr>');
  });

  it('says what was not measured', () => {
    const data = { ...sampleReportData(), sparsity: [], groupNorms: [], test: undefined, history: { epochs: [] } };
    const html = renderTrainingReport(data, { assets });
    expect(html).toContain('No epochs were recorded.');
    expect(html).toContain('Group sparsity was not measured');
    expect(html).toContain('No group norms were recorded');
    expect(html).toContain('not measured');
  });

  it('takes the assets as text, as a browser would pass them', () => {
    const html = renderTrainingReport(sampleReportData(), { assets: { script: 'var uPlot = function () {};', css: '.uplot{}' } });
    expect(html).toContain('var uPlot = function () {};');
    expect(() => renderTrainingReport(sampleReportData(), { assets: { script: 'x', css: '</style><script>' } })).toThrow(/<\/style/);
  });

  it('rejects malformed data naming the field', () => {
    const data = sampleReportData();
    expect(() => renderTrainingReport({ ...data, reduction: { ...sampleReduction(), layers: [{ name: 'a', units: 4, kept: 5 }] } }, { assets }))
      .toThrow(ArgumentError);
    expect(() => renderTrainingReport({ ...data, reduction: { ...sampleReduction(), layers: [{ name: 'a', units: 4, kept: 5 }] } }, { assets }))
      .toThrow(/data\.reduction\.layers\[0\]\.kept = 5: expected an integer in \[0, 4\]/);
    expect(() => renderTrainingReport({ ...data, titel: 'x' } as never, { assets })).toThrow(/data\.titel/);
  });
});

describe.skipIf(!hasChromium)(
  hasChromium ? 'report in headless chromium' : `report in headless chromium: SKIPPED because ${CHROMIUM} does not exist (apt-get install -y chromium)`,
  () => {
    let browser: Browser;

    beforeAll(async () => {
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      });
    });

    afterAll(async () => {
      await browser?.close();
    });

    /** Opens the report from a file:// URL; returns what the page reported, its canvases' pixel counts, and a screenshot path. */
    async function open(html: string, name: string) {
      mkdirSync(artifacts, { recursive: true });
      const file = `${artifacts}/${name}.html`;
      writeFileSync(file, html);
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
      const page = await context.newPage();
      const errors: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
      page.on('request', (r) => requests.push(r.url()));
      // Belt and braces: nothing may leave the machine even if the page tried.
      await context.route(/^(https?|wss?):/, (route) => route.abort());
      const url = pathToFileURL(file).href;
      await page.goto(url);
      await page.waitForFunction(() => document.querySelectorAll('.uplot canvas').length >= 6, undefined, { timeout: 10_000 });
      const canvases = await page.evaluate(() =>
        Array.from(document.querySelectorAll<HTMLCanvasElement>('.uplot canvas')).map((c) => {
          const pixels = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
          let drawn = 0;
          let colored = 0;
          for (let i = 0; i < pixels.length; i += 4) {
            if (pixels[i + 3] === 0) continue;
            drawn++;
            const [r, g, b] = [pixels[i], pixels[i + 1], pixels[i + 2]];
            // Grid lines and axes are grey; series lines and bars are saturated colors.
            if (Math.max(r, g, b) - Math.min(r, g, b) > 60) colored++;
          }
          return { id: c.closest('.chart')?.id, width: c.width, height: c.height, drawn, colored };
        }),
      );
      const chartErrors = await page.locator('.chart-error').count();
      const png = `${artifacts}/${name}.png`;
      await page.screenshot({ path: png, fullPage: true });
      // Hovering the first epoch shows its values; leaving the plot shows the last epoch's again.
      const legend = () => page.locator('#chart-loss .u-legend').innerText();
      const box = (await page.locator('#chart-loss .u-over').boundingBox())!;
      await page.mouse.move(box.x + 2, box.y + box.height / 2);
      const hovered = await legend();
      await page.mouse.move(0, 0);
      const idle = await legend();
      await context.close();
      return { url, errors, requests, canvases, chartErrors, png, hovered, idle };
    }

    it('draws every chart with no console errors and no requests but the file itself', async () => {
      const html = renderTrainingReport(sampleReportData());
      const result = await open(html, 'report');
      expect(result.errors).toEqual([]);
      expect(result.requests).toEqual([result.url]);
      expect(result.chartErrors).toBe(0);
      expect(result.canvases.map((c) => c.id)).toEqual(['chart-loss', 'chart-accuracy', 'chart-sparsity', 'chart-norms-0', 'chart-norms-1', 'chart-norms-2']);
      for (const c of result.canvases) {
        expect(c.width, c.id).toBeGreaterThan(300);
        expect(c.height, c.id).toBeGreaterThan(150);
        expect(c.drawn, c.id).toBeGreaterThan(1000);
        expect(c.colored, `${c.id} has series drawn in color`).toBeGreaterThan(200);
      }
      expect(existsSync(result.png)).toBe(true);
      const [first, last] = [sampleReportData().history.epochs[0], sampleReportData().history.epochs[11]];
      expect(result.hovered.replace(/[\s:]/g, '')).toMatch(/^epoch1train/);
      expect(result.hovered).toContain(String(+first.loss.toPrecision(4)));
      expect(result.idle.replace(/[\s:]/g, '')).toMatch(/^epoch12train/);
      expect(result.idle).toContain(String(+last.loss.toPrecision(4)));
    });

    it('draws the reduced-run page and a malicious title without running it', async () => {
      const data = { ...sampleReportData(), reduction: sampleReduction() };
      data.title = MALICIOUS;
      const result = await open(renderTrainingReport(data), 'report-with-reduction');
      expect(result.errors).toEqual([]);
      expect(result.requests).toEqual([result.url]);
      expect(result.canvases).toHaveLength(6);
    });
  },
);

import { describe, expect, it } from 'vitest';
import { ArgumentError } from '../../src/errors.js';
import { groupNormHistogram } from '../../src/report/group_norm_histogram.js';
import { escapeHtml, inlineScript, jsonForScript } from '../../src/report/html_text.js';
import { renderTrainingReport } from '../../src/report/training_report.js';
import { loadUplotAssets } from '../../src/report/uplot_assets.js';
import type { ChartSpec } from '../../src/report/chart_page_script.js';
import { countNoun } from '../../src/report/report_numbers.js';
import { fullSampleReduction, sampleReduction, sampleReportData } from './sample_report_data.js';

/** The chart specs a page carries. */
function chartsOf(html: string): ChartSpec[] {
  return JSON.parse(html.match(/<script type="application\/json" id="report-charts">([\s\S]*?)<\/script>/)![1]);
}

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
    // One <link>: an inline empty icon, so that no browser asks for /favicon.ico.
    expect(html.match(/<link\b[^>]*>/gi)).toEqual(['<link rel="icon" href="data:,">']);
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
    data.settings = { [MALICIOUS]: MALICIOUS };
    const html = renderTrainingReport(data, { assets });
    expect(html).not.toContain('<img');
    expect(html).not.toContain('alert(1)</script>');
    expect(html.match(/<script\b/gi)).toHaveLength(3);
    expect(html.match(/<\/script>/gi)).toHaveLength(3);
    expect(html).toContain(`<title>${escapeHtml(MALICIOUS)}</title>`);
    expect(html).toContain(`<h1>${escapeHtml(MALICIOUS)}</h1>`);
    expect(html).toContain(`<tr><th scope="row">${escapeHtml(MALICIOUS)}</th><td>${escapeHtml(MALICIOUS)}</td></tr>`);
    expect(chartsOf(html).find((c) => c.id === 'chart-sparsity-0')!.series[0].label).toBe(MALICIOUS);
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
    const data = { ...sampleReportData(), sparsity: [], groupNorms: [], test: undefined, history: { epochs: [] }, batches: undefined };
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


describe('the report answers what the issue asked', () => {
  const assets = loadUplotAssets();

  it('draws loss and accuracy per batch with epoch markers, the penalty apart, validation at the epoch ends', () => {
    const data = sampleReportData();
    const charts = chartsOf(renderTrainingReport(data, { assets }));
    const loss = charts.find((c) => c.id === 'chart-loss')!;
    const points = data.batches!;
    expect(points.length).toBeGreaterThan(150); // 1128 batches, merged to at most 300 points
    expect(points.length).toBeLessThanOrEqual(300);
    expect(loss.x.format).toBe('epochs');
    expect(loss.series.map((s) => s.label)).toEqual(['train (data term)', 'validation']);
    expect(loss.y.label).toBe('loss (data term)');
    const train = loss.series[0].values.filter((v) => v !== null);
    expect(train).toEqual(points.map((p) => p.dataLoss));
    // Validation: one value per epoch, at x = 1..12.
    const validation = loss.series[1].values.map((v, i) => [loss.x.values[i], v]).filter(([, v]) => v !== null);
    expect(validation).toEqual(data.history.epochs.map((e) => [e.epoch + 1, e.valLoss]));
    expect(loss.markers!.map((m) => m.x)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(loss.markers!.filter((m) => m.label).map((m) => m.label)).toEqual(['epoch 3', 'epoch 5', 'epoch 7', 'epoch 9', 'epoch 11']);
    const penalty = charts.find((c) => c.id === 'chart-penalty')!;
    expect(penalty.series[0].values.filter((v) => v !== null)).toEqual(points.map((p) => p.penalty));
    // The penalty is not in the loss chart: its values are the data term only.
    expect(train[0]).toBeCloseTo(points[0].loss - points[0].penalty, 12);
  });

  it('falls back to per-epoch curves without a batch curve, still splitting the penalty', () => {
    const data = { ...sampleReportData(), batches: undefined };
    const charts = chartsOf(renderTrainingReport(data, { assets }));
    const loss = charts.find((c) => c.id === 'chart-loss')!;
    expect(loss.x.values).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(loss.series[0].values).toEqual(data.history.epochs.map((e) => e.dataLoss));
    expect(charts.find((c) => c.id === 'chart-penalty')!.series[0].values).toEqual(data.history.epochs.map((e) => e.penalty));
  });

  it('autoscales each layer\'s sparsity axis within [0, 1] instead of fixing it at 0-100%', () => {
    const charts = chartsOf(renderTrainingReport(sampleReportData(), { assets }));
    const sparsity = charts.filter((c) => c.id.startsWith('chart-sparsity-'));
    expect(sparsity.map((c) => c.series[0].label)).toEqual(['conv2d_1', 'conv2d_2', 'dense_1']);
    for (const c of sparsity) {
      expect(c.y.min).toBeUndefined();
      expect(c.y.max).toBeUndefined();
      expect([c.y.floor, c.y.ceiling]).toEqual([0, 1]);
    }
    // conv2d_1 ends at 4 of 16 units.
    expect(sparsity[0].series[0].values.at(-1)).toBe(0.25);
  });

  it('counts the group-norm histograms on a log axis, empty bins as gaps, with the threshold marked', () => {
    const data = sampleReportData();
    const charts = chartsOf(renderTrainingReport(data, { assets }));
    const dense = charts.find((c) => c.id === 'chart-norms-2')!;
    expect(dense.y.log).toBe(true);
    expect(dense.series[0].values).not.toContain(0);
    const counted = dense.series[0].values.reduce<number>((s, v) => s + (v ?? 0), 0);
    expect(counted).toBe(128);
    // The 32 live units sit in a peak; the 96 pruned ones spread over a few bins far below it.
    expect(Math.max(...dense.series[0].values.map((v) => v ?? 0))).toBeGreaterThan(5);
    expect(dense.markers).toEqual([{ x: -3, label: 'threshold 1e-3' }]);
  });

  it('lists the settings and environment, and the reduction per layer with sizes, bytes and latency', () => {
    const html = renderTrainingReport({ ...sampleReportData(), reduction: fullSampleReduction() }, { assets });
    expect(html).toContain('<tr><th scope="row">optimizer</th><td>adam (lr 0.001)</td></tr>');
    expect(html).toContain('<tr><th scope="row">kernel build</th><td>simd</td></tr>');
    expect(html).toContain('<tr><th scope="row">threads</th><td>2</td></tr>');
    expect(html).toContain('<tr><td>file bytes</td><td>9,462,400</td><td>2,372,480</td><td>−74.9%</td></tr>');
    expect(html).toContain('<tr><td>latency / sample, batch 1</td><td>0.4812 ms</td><td>0.1377 ms</td><td>−71.4%</td></tr>');
    expect(html).toContain('<tr><td>nonzero parameters</td><td>2,365,514</td><td>593,034</td><td>−74.9%</td></tr>');
    // dense_1: 96 removed, 94 dead and 2 unused; its own sizes before and after.
    expect(html).toContain('<tr><td>dense_1</td><td>128</td><td>32</td><td>96</td><td>94</td><td>2</td><td>75.0%</td><td>3,000 → 1,200</td><td>2,970 → 1,200</td><td>6,000 → 2,400</td></tr>');
    expect(html).toMatch(/A <em>dead<\/em> unit.*An <em>unused<\/em> unit/);
  });

  it('says "1 unit", "2 units"', () => {
    expect([countNoun(1, 'epoch'), countNoun(2, 'epoch'), countNoun(1234, 'unit'), countNoun(1, 'batch', 'batches')]).toEqual(['1 epoch', '2 epochs', '1,234 units', '1 batch']);
  });

  it('rejects a batch curve that goes backwards', () => {
    const data = sampleReportData();
    const batches = [...data.batches!];
    [batches[3], batches[4]] = [batches[4], batches[3]];
    expect(() => renderTrainingReport({ ...data, batches }, { assets })).toThrow(/data\.batches\[4\]\.epochs = [\d.]+: expected a finite number, not less than the previous point's/);
  });
});

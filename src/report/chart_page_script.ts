/**
 * The charts of a report page: a JSON description per chart (ChartSpec, written by the report
 * renderer into the page) and the small script that draws each one with uPlot in the browser.
 * All decisions about what to plot are made in TypeScript; the page script only draws.
 */

/** How axis ticks and legend values are printed. */
export type ValueFormat =
  | 'number' // 4 significant digits
  | 'percent' // a fraction in [0, 1], printed as 97.3%
  | 'count' // an integer
  | 'epoch' // an integer epoch count; ticks on whole epochs only
  | 'epochs' // epochs elapsed, fractional (0.5 = halfway through the first); ticks at 0.1, 0.25, 0.5, 1, 2, 5...
  | 'log10'; // a log10 value; ticks on whole decades, printed as powers of ten

export interface ChartSeries {
  label: string;
  /** One value per x; null is a gap. */
  values: (number | null)[];
  /** CSS color, '#rrggbb'. */
  color: string;
  dashed?: boolean;
  /** Draw a marker at every value. Default true. */
  points?: boolean;
  /** Join the line across nulls (a series measured at fewer x than the chart has). Default false. */
  spanGaps?: boolean;
  /** Draw the line; false leaves the points only (a scatter). Default true. */
  line?: boolean;
  /** Error bars: value ± errors[i], drawn as vertical whiskers. */
  errors?: (number | null)[];
}

export interface ChartSpec {
  /** id of the empty <div> the chart is drawn into. */
  id: string;
  kind: 'lines' | 'bars';
  /** Plot height in CSS pixels (the width follows the container). */
  height: number;
  /** `log`: a log10 axis (values must be > 0). */
  x: { label: string; format: ValueFormat; values: number[]; min?: number; max?: number; log?: boolean };
  /** min/max fix an end of the axis; floor/ceiling bound the automatic range (e.g. 0 and 1 for fractions); `log`: a log10 axis, nulls for zeros. */
  y: { label: string; format: ValueFormat; min?: number; max?: number; floor?: number; ceiling?: number; log?: boolean };
  series: ChartSeries[];
  /** Dashed vertical lines at x positions, with a label ('' for none). Default color a dark red. */
  markers?: { x: number; label: string; color?: string }[];
  /** Hide the legend (e.g. a single-series chart whose title says what it is). */
  legend?: boolean;
  /** Show the values at the cursor in the legend. Default true; false leaves the names (a tooltip may say more). */
  legendValues?: boolean;
  /** Lines shown in a tooltip while the cursor is at x index i (null: no tooltip there). */
  details?: (string[] | null)[];
}

/**
 * Reads the ChartSpec[] from <script id="report-charts" type="application/json"> and draws each
 * chart into its container with the global `uPlot`. Charts follow their container's width.
 * Plain ES2017 so it runs unchanged in any current browser; no network access.
 */
export const CHART_PAGE_SCRIPT = String.raw`(function () {
  'use strict';
  var specs = JSON.parse(document.getElementById('report-charts').textContent);
  if (typeof uPlot !== 'function') {
    specs.forEach(function (spec) {
      var el = document.getElementById(spec.id);
      if (el) { el.textContent = 'The chart library did not load.'; el.className += ' chart-error'; }
    });
    return;
  }
  var SUPERSCRIPT = { '-': '\u207b', '0': '\u2070', '1': '\u00b9', '2': '\u00b2', '3': '\u00b3', '4': '\u2074', '5': '\u2075', '6': '\u2076', '7': '\u2077', '8': '\u2078', '9': '\u2079' };
  function powerOfTen(exponent) {
    if (exponent === 0) return '1';
    if (exponent === 1) return '10';
    return '10' + String(exponent).replace(/[-0-9]/g, function (c) { return SUPERSCRIPT[c]; });
  }
  // Decimals that print a tick step exactly: 0.025 as a percent (2.5) needs 1.
  function decimals(step) {
    var text = String(+step.toPrecision(6));
    var dot = text.indexOf('.');
    return dot < 0 ? 0 : text.length - dot - 1;
  }
  function format(value, kind, tick, step) {
    if (value === null || value === undefined || !isFinite(value)) return '\u2013';
    switch (kind) {
      case 'percent': return (value * 100).toFixed(tick ? Math.min(4, decimals(step * 100)) : 2) + '%';
      case 'count':
        // Ticks of large counts in short (267k, 1.2M), so that they fit the axis.
        if (tick && Math.abs(value) >= 1e6) return +(value / 1e6).toPrecision(3) + 'M';
        if (tick && Math.abs(value) >= 1e4) return +(value / 1e3).toPrecision(3) + 'k';
        return String(Math.round(value));
      case 'epoch': return String(Math.round(value));
      case 'epochs': return tick ? String(+value.toPrecision(4)) : value.toFixed(2);
      case 'log10':
        if (tick) return Math.abs(value - Math.round(value)) < 1e-9 ? powerOfTen(Math.round(value)) : '';
        return Math.pow(10, value).toExponential(2);
      default:
        if (tick) return String(+value.toPrecision(3));
        return Math.abs(value) >= 1e-3 || value === 0 ? String(+value.toPrecision(4)) : value.toExponential(3);
    }
  }
  var INTEGER_STEPS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000, 20000, 25000, 50000, 1e5, 2e5, 2.5e5, 5e5, 1e6, 2e6, 5e6, 1e7];
  var EPOCH_STEPS = [0.05, 0.1, 0.2, 0.25, 0.5].concat(INTEGER_STEPS);
  function range(min, max, axis) {
    var lo = axis.min, hi = axis.max;
    if (axis.log) {
      // A log axis: whole decades with a margin, so that at least two powers of ten are labelled.
      if (min === null || max === null || !(min > 0) || !(max > 0)) { min = 1; max = 10; }
      return [
        lo !== undefined ? lo : Math.pow(10, Math.floor(Math.log10(min / 1.3))),
        hi !== undefined ? hi : Math.pow(10, Math.ceil(Math.log10(max * 1.3)))
      ];
    }
    if (lo === undefined || hi === undefined) {
      if (min === null || max === null || !isFinite(min) || !isFinite(max)) { min = 0; max = 1; }
      var pad = (max - min) * 0.08 || Math.abs(max) * 0.1 || 1;
      if (lo === undefined) lo = min - pad;
      if (hi === undefined) hi = max + pad;
      if (axis.floor !== undefined) lo = Math.max(lo, axis.floor);
      if (axis.ceiling !== undefined) hi = Math.min(hi, axis.ceiling);
    }
    return [lo, hi];
  }
  function draw(spec) {
    var el = document.getElementById(spec.id);
    if (!el) return;
    var bars = spec.kind === 'bars';
    var series = [{ label: spec.x.label, value: function (u, v) { return format(v, spec.x.format, false); } }];
    spec.series.forEach(function (s) {
      var one = {
        label: s.label,
        stroke: s.color,
        width: bars ? 1 : 2,
        spanGaps: false,
        value: function (u, v) { return format(v, spec.y.format, false); }
      };
      if (s.dashed) one.dash = [7, 5];
      if (s.spanGaps) one.spanGaps = true;
      if (bars) {
        one.fill = s.color + '8c';
        one.paths = uPlot.paths.bars({ size: [1, Infinity], gap: 1, align: 0 });
        one.points = { show: false };
      } else {
        one.points = s.points === false ? { show: false } : { show: true, size: s.line === false ? 8 : 6, fill: s.color };
        if (s.line === false) one.paths = function () { return null; };
      }
      series.push(one);
    });
    function axis(config, isX) {
      var out = {
        label: config.label,
        labelSize: 22,
        labelFont: '600 12px system-ui, sans-serif',
        font: '12px system-ui, sans-serif',
        stroke: '#444',
        grid: { stroke: '#e6e6e6', width: 1 },
        ticks: { stroke: '#ccc', width: 1, size: 4 },
        values: function (u, ticks, axisIndex, space, step) { return ticks.map(function (t) { return format(t, config.format, true, step); }); }
      };
      if (config.log) {
        // uPlot puts log ticks at 1..9 x each decade; only the powers of ten get a label.
        out.values = function (u, ticks) {
          return ticks.map(function (t) {
            // uPlot passes null for the ticks its log filter hides.
            if (t === null || !(t > 0)) return '';
            var e = Math.log10(t);
            if (Math.abs(e - Math.round(e)) > 1e-9) return '';
            // Powers of ten of a count in short: 1k, 10k, 1M.
            var n = Math.round(e);
            if (config.format === 'count' && n >= 3) return Math.pow(10, n % 3) + ['k', 'M', 'G', 'T'][Math.floor(n / 3) - 1];
            return format(t, config.format, true, t);
          });
        };
      } else if (config.format === 'epoch' || config.format === 'count' || config.format === 'log10') out.incrs = INTEGER_STEPS;
      else if (config.format === 'epochs') out.incrs = EPOCH_STEPS;
      out.size = isX ? 38 : 56;
      return out;
    }
    var markers = spec.markers || [];
    var options = {
      width: Math.max(240, el.clientWidth),
      height: spec.height,
      series: series,
      legend: { show: spec.legend !== false, live: spec.legendValues !== false },
      cursor: { drag: { x: false, y: false }, points: { size: 7 } },
      scales: {
        x: { time: false, distr: spec.x.log ? 3 : 1, range: function (u, min, max) {
          var r = range(min, max, spec.x);
          return r[0] === r[1] ? [r[0] - 1, r[1] + 1] : r;
        } },
        y: { distr: spec.y.log ? 3 : 1, range: function (u, min, max) { return range(min, max, spec.y); } }
      },
      axes: [axis(spec.x, true), axis(spec.y, false)],
      hooks: {
        // With the cursor off the plot, the legend shows the last x's values instead of dashes.
        setLegend: [function (u) {
          var n = spec.x.values.length;
          if (u.legend.idx == null && n > 0) u.setLegend({ idx: n - 1 }, false);
        }],
        setCursor: [function (u) {
          if (!tooltip) return;
          var i = u.cursor.idx;
          if (i == null || u.cursor.left < 0) { tooltip.style.display = 'none'; return; }
          // Everything within a few pixels of the cursor: points of several series crowd together.
          var lines = [];
          spec.x.values.forEach(function (x, k) {
            if (!spec.details[k] || Math.abs(u.valToPos(x, 'x') - u.cursor.left) > 6) return;
            spec.details[k].forEach(function (line) { if (lines.indexOf(line) < 0) lines.push(line); });
          });
          if (!lines.length) { tooltip.style.display = 'none'; return; }
          tooltip.textContent = lines.join('\n');
          tooltip.style.display = 'block';
          var left = u.valToPos(spec.x.values[i], 'x') + u.over.offsetLeft;
          var room = el.clientWidth - tooltip.offsetWidth - 4;
          tooltip.style.left = Math.max(0, Math.min(room, left + 12)) + 'px';
          tooltip.style.top = (u.over.offsetTop + 8) + 'px';
        }],
        draw: [function (u) {
          var ctx = u.ctx, box = u.bbox, ratio = window.devicePixelRatio || 1;
          ctx.save();
          // Error bars: a whisker from value - e to value + e with short caps, per series.
          spec.series.forEach(function (s, k) {
            if (!s.errors || !u.series[k + 1].show) return;
            ctx.strokeStyle = s.color;
            ctx.lineWidth = 1.5 * ratio;
            s.errors.forEach(function (e, i) {
              var v = s.values[i];
              if (e === null || v === null || !(e > 0)) return;
              var px = u.valToPos(spec.x.values[i], 'x', true);
              var top = u.valToPos(v + e, 'y', true), bottom = u.valToPos(v - e, 'y', true), cap = 4 * ratio;
              ctx.beginPath();
              ctx.moveTo(px, top); ctx.lineTo(px, bottom);
              ctx.moveTo(px - cap, top); ctx.lineTo(px + cap, top);
              ctx.moveTo(px - cap, bottom); ctx.lineTo(px + cap, bottom);
              ctx.stroke();
            });
          });
          // Label spans drawn so far: a label that would overlap one is left out (its line stays).
          var labelled = [];
          markers.forEach(function (m) {
            var px = Math.round(u.valToPos(m.x, 'x', true)) + 0.5;
            if (px < box.left || px > box.left + box.width) return;
            ctx.strokeStyle = m.color || '#c0392b';
            ctx.lineWidth = 1.5 * ratio;
            ctx.setLineDash([5 * ratio, 4 * ratio]);
            ctx.beginPath();
            ctx.moveTo(px, box.top);
            ctx.lineTo(px, box.top + box.height);
            ctx.stroke();
            ctx.setLineDash([]);
            if (!m.label) return;
            ctx.fillStyle = m.color || '#c0392b';
            ctx.font = 11 * ratio + 'px system-ui, sans-serif';
            var onRight = px < box.left + box.width * 0.7;
            var width = ctx.measureText(m.label).width;
            var from = onRight ? px + 4 * ratio : px - 4 * ratio - width;
            var gap = 6 * ratio;
            if (labelled.some(function (span) { return from < span[1] + gap && from + width > span[0] - gap; })) return;
            labelled.push([from, from + width]);
            ctx.textAlign = onRight ? 'left' : 'right';
            ctx.textBaseline = 'top';
            ctx.fillText(m.label, px + (onRight ? 4 : -4) * ratio, box.top + 4 * ratio);
          });
          ctx.restore();
        }]
      }
    };
    var tooltip = null;
    if (spec.details) {
      el.style.position = 'relative';
      tooltip = document.createElement('div');
      tooltip.className = 'chart-tooltip';
      tooltip.style.display = 'none';
    }
    var data = [spec.x.values].concat(spec.series.map(function (s) { return s.values; }));
    var plot = new uPlot(options, data, el);
    if (tooltip) el.appendChild(tooltip);
    // For tests and the curious: the drawn charts by id, and how many values each plots.
    (window.reportCharts = window.reportCharts || {})[spec.id] = plot;
    el.setAttribute('data-points', String(spec.series.reduce(function (n, s) {
      return n + s.values.filter(function (v) { return v !== null; }).length;
    }, 0)));
    if (typeof ResizeObserver === 'function') {
      var width = options.width;
      new ResizeObserver(function () {
        var next = Math.max(240, el.clientWidth);
        if (next !== width) { width = next; plot.setSize({ width: next, height: spec.height }); }
      }).observe(el);
    }
  }
  specs.forEach(function (spec) {
    try { draw(spec); } catch (error) {
      var el = document.getElementById(spec.id);
      if (el) { el.textContent = 'This chart could not be drawn: ' + error; el.className += ' chart-error'; }
      throw error;
    }
  });
})();
`;

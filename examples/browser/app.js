// The browser demo: MNIST in a Web Worker with live charts, Reduce and downloads of the result in
// three formats. Training runs in the trainer's worker; this thread draws and converts files.
import * as slimtrain from '/dist/browser/index.js';
import uPlot from '/vendor/uplot/uPlot.esm.js';

const { createTrainer, datasetFromIdx, presetSpec, BatchCurve, init, modelFromBytes, exportTfjsModel } = slimtrain;
const $ = (id) => document.getElementById(id);
const state = { data: null, trainer: null, controller: null, reduced: null, curve: null, epochs: [], sparsity: [], steps: 0, modelName: '' };

// ---- a heartbeat that only moves while the main thread is free -------------------------------
let frames = 0;
let lastFps = performance.now();
(function beat(t) {
  $('heartbeat').style.transform = `translateX(${8 * Math.sin(t / 150)}px)`;
  frames++;
  if (t - lastFps > 1000) {
    $('fps').textContent = `${Math.round((frames * 1000) / (t - lastFps))} frames/s on the page`;
    frames = 0;
    lastFps = t;
  }
  requestAnimationFrame(beat);
})(performance.now());

function status(text, isError = false) {
  $('status').textContent = text;
  $('status').className = isError ? 'error' : '';
}

const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const count = (n) => Math.round(n).toLocaleString('en-US');
const percent = (f, digits = 2) => `${(100 * f).toFixed(digits)}%`;
const plural = (n, word) => `${count(n)} ${n === 1 ? word : `${word}s`}`;

// ---- data ---------------------------------------------------------------------------------------
const FILES = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'];

async function loadFromServer() {
  const bytes = await Promise.all(FILES.map(async (name) => {
    const response = await fetch(`/data/mnist/${name}`);
    if (!response.ok) throw new Error(`GET /data/mnist/${name}: ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  }));
  return setData(bytes, 'MNIST from the server');
}

async function loadFromFiles(fileList) {
  const files = [...fileList];
  const pick = (part) => files.find((f) => f.name.includes(part));
  const chosen = [pick('train-images'), pick('train-labels'), pick('t10k-images'), pick('t10k-labels')];
  if (chosen.some((f) => !f)) throw new Error(`choose the four files ${FILES.join(', ')} (raw or .gz); got ${files.map((f) => f.name).join(', ') || 'none'}`);
  return setData(await Promise.all(chosen.map(async (f) => new Uint8Array(await f.arrayBuffer()))), 'your IDX files');
}

async function setData([trainImages, trainLabels, testImages, testLabels], source) {
  const train = await datasetFromIdx(trainImages, trainLabels);
  const test = await datasetFromIdx(testImages, testLabels);
  state.data = { train, test };
  $('data-status').textContent = `${source}: ${count(train.y.length)} training and ${count(test.y.length)} test images`;
  $('train').disabled = false;
  status('Ready: press Train.');
  return { train: train.y.length, test: test.y.length };
}

// ---- charts -------------------------------------------------------------------------------------
const COLORS = { train: '#1f77b4', validation: '#ff7f0e', penalty: '#9467bd', layers: ['#d62728', '#2ca02c', '#8c564b', '#e377c2', '#17becf'] };
// Ticks on whole epochs once there are a few; quarters and tenths inside a short run.
const EPOCH_STEPS = [0.1, 0.2, 0.25, 0.5, 1, 2, 5, 10, 20, 50, 100];
const INTEGER_STEPS = [1, 2, 5, 10, 20, 50, 100];
const charts = {};

function axis(label, extra = {}) {
  return { label, labelSize: 20, labelFont: '600 12px system-ui', font: '11px system-ui', stroke: '#444', grid: { stroke: '#eee' }, ...extra };
}

/** A chart that follows its container's width; made on first data, then only fed new data. */
function chart(id, makeOptions, data) {
  const el = $(id);
  if (charts[id] && charts[id].series.length !== data.length) {
    charts[id].destroy();
    delete charts[id];
  }
  if (charts[id]) return charts[id].setData(data);
  el.textContent = '';
  const width = () => Math.max(200, el.clientWidth);
  // With the cursor off the plot, the legend shows the latest values rather than dashes.
  const latest = (u) => {
    const last = u.data[0].length - 1;
    // cursor.left < 0: the cursor is not on this plot.
    if (!(u.cursor.left >= 0) && last >= 0 && u.legend.idx !== last) u.setLegend({ idx: last }, false);
  };
  charts[id] = new uPlot({ width: width(), height: 240, ...makeOptions(), hooks: { setLegend: [latest], setData: [latest] } }, data, el);
  new ResizeObserver(() => charts[id]?.setSize({ width: width(), height: 240 })).observe(el);
}

/** x values: the batch curve's points and the epoch ends (where validation is measured), merged. */
function aligned(points, epochs) {
  const xs = [...new Set([...points.map((p) => p.epochs), ...epochs.filter((e) => e.valLoss !== undefined).map((e) => e.epoch + 1)])].sort((a, b) => a - b);
  const at = new Map(xs.map((x, i) => [x, i]));
  const column = (rows, x, value) => {
    const out = new Array(xs.length).fill(null);
    for (const r of rows) out[at.get(x(r))] = value(r);
    return out;
  };
  return { xs, perBatch: (value) => column(points, (p) => p.epochs, value), perEpoch: (value) => column(epochs.filter((e) => e.valLoss !== undefined), (e) => e.epoch + 1, value) };
}

let drawPending = false;
function drawCharts() {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(() => {
    drawPending = false;
    drawNow();
  });
}

function drawNow() {
  const points = state.curve ? state.curve.points : [];
  if (points.length) {
    const { xs, perBatch, perEpoch } = aligned(points, state.epochs);
    const x = { scale: 'x', ...axis('epochs'), incrs: EPOCH_STEPS };
    const scales = { x: { time: false, range: (u, min, max) => [0, Math.max(max, 0.1)] } };
    chart('chart-loss', () => ({
      scales: { ...scales, y: { range: (u, min, max) => [0, max * 1.05] }, penalty: { range: (u, min, max) => [0, max * 1.05] } },
      axes: [x, axis('loss (data term)'), axis('penalty', { scale: 'penalty', side: 1, grid: { show: false } })],
      series: [
        { label: 'epochs', value: (u, v) => (v == null ? '–' : v.toFixed(2)) },
        { label: 'train (data term)', stroke: COLORS.train, spanGaps: true, points: { show: false }, value: (u, v) => (v == null ? '–' : v.toFixed(4)) },
        { label: 'L2 penalty', stroke: COLORS.penalty, dash: [6, 4], scale: 'penalty', spanGaps: true, points: { show: false }, value: (u, v) => (v == null ? '–' : v.toFixed(4)) },
        { label: 'validation', stroke: COLORS.validation, width: 2, spanGaps: true, points: { show: true, size: 7, fill: COLORS.validation }, value: (u, v) => (v == null ? '–' : v.toFixed(4)) },
      ],
    }), [xs, perBatch((p) => p.dataLoss), perBatch((p) => p.penalty), perEpoch((e) => e.valLoss)]);
    chart('chart-accuracy', () => ({
      scales: { ...scales, y: { range: (u, min, max) => [Math.max(0, Math.min(min, 0.9) - 0.02), 1] } },
      axes: [x, axis('accuracy', { values: (u, ticks) => ticks.map((t) => `${Math.round(100 * t)}%`) })],
      series: [
        { label: 'epochs', value: (u, v) => (v == null ? '–' : v.toFixed(2)) },
        { label: 'train', stroke: COLORS.train, spanGaps: true, points: { show: false }, value: (u, v) => (v == null ? '–' : percent(v)) },
        { label: 'validation', stroke: COLORS.validation, width: 2, spanGaps: true, points: { show: true, size: 7, fill: COLORS.validation }, value: (u, v) => (v == null ? '–' : percent(v)) },
      ],
    }), [xs, perBatch((p) => p.accuracy), perEpoch((e) => e.valAccuracy)]);
  }
  if (state.sparsity.length) {
    const names = state.sparsity[0].layers.map((l) => l.name);
    const data = [state.sparsity.map((s) => s.epoch), ...names.map((_, i) => state.sparsity.map((s) => s.layers[i].fraction))];
    chart('chart-sparsity', () => ({
      scales: {
        x: { time: false, range: (u, min, max) => [0, Math.max(1, max)] },
        // Autoscaled: 2% dead must not be a flat line at the bottom of a 0-100% axis.
        y: { range: (u, min, max) => [0, Math.max(0.01, max * 1.15)] },
      },
      axes: [axis('epoch', { incrs: INTEGER_STEPS, values: (u, ticks) => ticks.map((t) => String(t)) }), axis('dead units', { values: (u, ticks) => ticks.map((t) => `${+(100 * t).toPrecision(3)}%`) })],
      series: [
        { label: 'epoch' },
        ...names.map((n, i) => ({ label: n, stroke: COLORS.layers[i % COLORS.layers.length], width: 2, points: { show: true, size: 6 }, value: (u, v) => (v == null ? '–' : percent(v, 1)) })),
      ],
    }), data);
  }
}

// ---- training -----------------------------------------------------------------------------------
function settings() {
  const n = (id) => Number($(id).value);
  return { model: $('model').value, limit: n('limit'), epochs: n('epochs'), batchSize: n('batch'), lr: n('lr'), l2: n('l2'), seed: n('seed'), live: $('live').checked };
}

/** FNV-1a over the bytes of every weight, in order: equal hashes mean bit-identical weights. */
export function weightsHash(weights) {
  let h = 0x811c9dc5;
  for (const w of weights) {
    const bytes = new Uint8Array(w.values.buffer, w.values.byteOffset, w.values.byteLength);
    for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/** The dead-unit fraction of every hidden layer, as measureSparsity reports it. */
function sparsityPoint(epoch, layers) {
  return { epoch, layers: layers.slice(0, -1).map((l) => ({ name: l.layer, fraction: l.dead.length / l.units })) };
}

function setDownloads(enabled) {
  for (const id of ['download', 'download-tfjs', 'download-onnx']) $(id).disabled = !enabled;
}

async function train(overrides = {}) {
  if (!state.data) throw new Error('load the data first');
  const s = { ...settings(), ...overrides };
  state.controller = new AbortController();
  state.curve = new BatchCurve({ maxPoints: 300 });
  state.epochs = [];
  state.sparsity = [];
  state.reduced = null;
  $('reduction').innerHTML = '<p class="empty">Press Reduce once training is done.</p>';
  $('fingerprint').hidden = true;
  $('train').disabled = $('reduce').disabled = true;
  setDownloads(false);
  $('cancel').disabled = false;
  try {
    if (!state.trainer) {
      status('Starting the worker…');
      state.trainer = await createTrainer({ worker: overrides.worker ?? true });
    }
    const trainer = state.trainer;
    const { train: all, test } = state.data;
    const rows = Math.min(s.limit, all.y.length);
    const size = 784;
    const x = all.x.slice(0, rows * size);
    const y = all.y.slice(0, rows);
    // Validation: the next (up to) 2,000 training images, which this run does not train on.
    const held = Math.min(2000, all.y.length - rows);
    const validationData = held > 0 ? { x: all.x.slice(rows * size, (rows + held) * size), y: all.y.slice(rows, rows + held) } : undefined;
    const inputShape = s.model === 'lenet5' ? [28, 28, 1] : [784];
    const info = await trainer.build(presetSpec(s.model, inputShape, 10, s.seed));
    state.modelName = s.model;
    await trainer.compile({ optimizer: { type: 'adam', lr: s.lr, transforms: s.l2 > 0 ? [{ type: 'l2', lambda: s.l2 }] : [] } });
    state.sparsity.push(sparsityPoint(0, (await trainer.measureSparsity()).layers));
    status(`Training ${s.model} (${count(info.parameterCount)} parameters, kernels: ${trainer.kernels}, ${trainer.threads} thread(s)) on ${count(rows)} images…`);
    const started = performance.now();
    let lastStep = 0;
    const cuts = [];
    const showSize = (now) => {
      $('size').hidden = false;
      $('size').textContent = `Network: ${count(now)} parameters` + (cuts.length
        ? ` (${count(info.parameterCount)} at the start; ${cuts.map((c) => `after epoch ${c.epoch}: ${plural(c.removed, 'unit')} removed`).join('; ')})`
        : s.live ? ' (dead units leave at the end of each epoch)' : '');
    };
    showSize(info.parameterCount);
    const history = await trainer.fit(x, y, {
      // Live reduction: at each epoch's end the worker cuts the dead and unused units, and trains on the smaller network.
      ...(s.live ? { reduce: { everyEpochs: 1 } } : {}),
      epochs: s.epochs, batchSize: s.batchSize, seed: s.seed, signal: state.controller.signal, transfer: true,
      ...(validationData ? { validationData } : {}),
      // Every batch reaches the curve (it keeps at most 300 points), and the worker measures the
      // dead units at the end of each epoch, while it still holds that epoch's weights.
      progressEveryMs: 0, measureSparsity: true,
      onProgress: (p) => {
        lastStep = p.step;
        if (p.reduction) cuts.push(p.reduction);
        showSize(p.parameters);
        state.curve.add(p);
        if (p.epochLog) state.epochs.push(p.epochLog);
        if (p.sparsity) state.sparsity.push(sparsityPoint(p.epoch + 1, p.sparsity.layers));
        status(`epoch ${p.epoch + 1}/${p.epochs}, step ${p.step}: loss ${p.dataLoss.toFixed(4)} + penalty ${p.penalty.toFixed(4)}, batch accuracy ${(100 * p.accuracy).toFixed(1)}%, ` +
          `${Math.round(p.samplesPerSecond)} samples/s, ETA ${Math.ceil(p.eta)} s, ${count(p.parameters)} parameters`);
        drawCharts();
      },
    });
    const seconds = (performance.now() - started) / 1000;
    const evaluation = await trainer.evaluate(test.x, test.y);
    const hash = weightsHash(await trainer.getWeights());
    const samplesPerSecond = history.epochs.reduce((a, e) => a + e.samplesPerSecond, 0) / history.epochs.length;
    state.steps = lastStep;
    drawNow();
    status(`Done: test accuracy ${(100 * evaluation.accuracy).toFixed(2)}% after ${lastStep} steps in ${seconds.toFixed(1)} s ` +
      `(${Math.round(samplesPerSecond)} samples/s, ${trainer.threads} thread(s)).`);
    $('fingerprint').innerHTML = `Weights fingerprint <code id="weights-hash">${hash}</code>: a hash (FNV-1a) of the final weights\u2019 bytes. ` +
      'The same settings give the same fingerprint on every run, thread count and runtime (Node too), so two runs that agree here trained bit for bit alike.';
    $('fingerprint').hidden = false;
    $('reduce').disabled = false;
    setDownloads(true);
    return { testAccuracy: evaluation.accuracy, weightsHash: hash, steps: lastStep, seconds, samplesPerSecond, kernels: trainer.kernels, threads: trainer.threads, cuts: cuts.map((c) => ({ epoch: c.epoch, removed: c.removed, parameters: c.parameters.after })) };
  } catch (e) {
    status(`${e.name}: ${e.message}`, true);
    throw e;
  } finally {
    $('train').disabled = false;
    $('cancel').disabled = true;
    state.controller = null;
  }
}

function table(head, rows) {
  return `<div class="scroll"><table class="data"><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead>` +
    `<tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('')}</tbody></table></div>`;
}

async function reduceModel() {
  const trainer = state.trainer;
  const { test } = state.data;
  const before = await trainer.evaluate(test.x, test.y);
  const { report, model } = await trainer.reduce({ sample: test.x.slice(0, 256 * 784) });
  const after = await trainer.evaluate(test.x, test.y);
  const change = ({ before: a, after: b }) => (a > 0 ? `${b >= a ? '+' : '−'}${Math.abs((100 * (b - a)) / a).toFixed(1)}%` : '–');
  const ms = (v) => `${v.toFixed(3)} ms`;
  const row = (label, q, text = count) => [label, text(q.before), text(q.after), change(q)];
  const summary = [
    row('parameters', report.parameters),
    row('FLOPs per image', report.flops),
    row('file bytes (.slim)', report.bytes),
    row('latency per image, batch of 1', report.latencyMs.batch1, ms),
    row('latency per image, batch of 64', report.latencyMs.batch64, ms),
    ['test accuracy', percent(before.accuracy), percent(after.accuracy), `${(100 * (after.accuracy - before.accuracy)).toFixed(2)} pts`],
  ];
  const layers = report.layers.map((l) => [
    l.name, count(l.units), count(l.kept), count(l.dead), count(l.unused),
    `${count(l.parameters.before)} → ${count(l.parameters.after)}`, `${count(l.flops.before)} → ${count(l.flops.after)}`,
  ]);
  $('reduction').innerHTML = `<div class="tables">${table(['', 'before', 'after', 'change'], summary)}` +
    `${table(['layer', 'units', 'kept', 'dead', 'unused', 'parameters', 'FLOPs'], layers)}</div>` +
    `<p class="note"><strong>dead</strong>: incoming weights with group norm below xi = ${report.xi.toExponential(2)} (the unit outputs a constant, folded into the next layer\u2019s bias); ` +
    '<strong>unused</strong>: outgoing weights all below xi (nothing reads the unit). ' +
    `Largest logit difference from the original with those weights zeroed: ${report.maxLogitDifference.toExponential(2)} (relative).</p>`;
  state.reduced = model;
  $('reduce').disabled = true;
  const removed = report.layers.reduce((s, l) => s + l.removed, 0);
  status(`Reduced: ${plural(removed, 'unit')} removed, ${count(report.parameters.before)} → ${count(report.parameters.after)} parameters.`);
  return { report, before: before.accuracy, after: after.accuracy };
}

// ---- downloads ------------------------------------------------------------------------------------
let converter = null;
/** The trainer's model, rebuilt on this thread (reference kernels: the exporters only read weights). */
async function localModel(bytes) {
  converter ??= await init({ backend: 'reference' });
  return modelFromBytes(converter, bytes).model;
}

function save(name, data, type) {
  const url = URL.createObjectURL(new Blob([data], { type }));
  const a = Object.assign(document.createElement('a'), { href: url, download: name });
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Downloads the model (the reduced one after Reduce) as 'slim', 'tfjs' (two files) or 'onnx'; resolves to the files' names and sizes. */
async function download(format = 'slim') {
  const base = `mnist-${state.reduced ? 'reduced' : 'trained'}`;
  const bytes = await state.trainer.exportModel({ source: 'slimtrain browser demo' });
  if (format === 'slim') {
    save(`${base}.slim`, bytes, 'application/octet-stream');
    return [{ name: `${base}.slim`, bytes: bytes.length }];
  }
  const model = await localModel(bytes);
  try {
    if (format === 'tfjs') {
      const { modelJson, weightData } = exportTfjsModel(model, `${base}.weights.bin`);
      const json = JSON.stringify(modelJson);
      save(`${base}.json`, json, 'application/json');
      save(`${base}.weights.bin`, weightData, 'application/octet-stream');
      return [{ name: `${base}.json`, bytes: json.length }, { name: `${base}.weights.bin`, bytes: weightData.length }];
    }
    if (format === 'onnx') {
      // protobufjs comes with the ONNX exporter: loaded on the first ONNX download only.
      const { exportOnnxModel } = await import('/dist/browser/onnx.js');
      const onnx = exportOnnxModel(model, { docString: 'slimtrain browser demo' });
      save(`${base}.onnx`, onnx, 'application/octet-stream');
      return [{ name: `${base}.onnx`, bytes: onnx.length }];
    }
    throw new Error(`download format ${JSON.stringify(format)}: expected slim, tfjs or onnx`);
  } finally {
    model.dispose();
  }
}

const guard = (f) => () => f().catch((e) => status(`${e.name}: ${e.message}`, true));
$('load').addEventListener('click', guard(loadFromServer));
$('files').addEventListener('change', guard(() => loadFromFiles($('files').files)));
$('train').addEventListener('click', guard(() => train()));
$('cancel').addEventListener('click', () => state.controller?.abort(new Error('cancelled by the user')));
$('reduce').addEventListener('click', guard(reduceModel));
$('download').addEventListener('click', guard(() => download('slim')));
$('download-tfjs').addEventListener('click', guard(() => download('tfjs')));
$('download-onnx').addEventListener('click', guard(() => download('onnx')));

// For the browser tests (and the curious): the same actions as the buttons.
window.slimtrain = slimtrain;
window.demo = {
  loadFromServer, train, reduce: reduceModel, download, weightsHash,
  cancel: () => state.controller?.abort(new Error('cancelled by the user')),
  get trainer() { return state.trainer; },
  get charts() { return charts; },
  async restart() { await state.trainer?.terminate(); state.trainer = null; },
};

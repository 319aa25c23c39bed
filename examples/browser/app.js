// The browser demo: MNIST in a Web Worker with live charts, Reduce and a download of the result.
// Everything heavy runs in the trainer's worker; this thread only draws.
import * as slimtrain from '/dist/browser/index.js';
import uPlot from '/vendor/uplot/uPlot.esm.js';

const { createTrainer, datasetFromIdx, presetSpec } = slimtrain;
const $ = (id) => document.getElementById(id);
const state = { data: null, trainer: null, controller: null, reduced: null, history: [], sparsity: [], steps: 0 };

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
  $('data-status').textContent = `${source}: ${train.y.length} training and ${test.y.length} test images`;
  $('train').disabled = false;
  status('Ready: press Train.');
  return { train: train.y.length, test: test.y.length };
}

// ---- charts -------------------------------------------------------------------------------------
let lossChart = null;
let sparsityChart = null;

function drawCharts() {
  const steps = state.history.map((h) => h.step);
  const lossData = [steps, state.history.map((h) => h.loss), state.history.map((h) => 100 * h.accuracy)];
  if (!lossChart) {
    lossChart = new uPlot({
      width: 520, height: 260,
      scales: { x: { time: false }, acc: { range: [0, 100] } },
      axes: [{ label: 'step' }, { label: 'loss' }, { scale: 'acc', side: 1, label: 'accuracy %', grid: { show: false } }],
      series: [{}, { label: 'loss', stroke: '#d62728' }, { label: 'accuracy', stroke: '#1f77b4', scale: 'acc' }],
    }, lossData, $('chart-loss'));
  } else lossChart.setData(lossData);

  if (!state.sparsity.length) return;
  const names = state.sparsity[0].layers.map((l) => l.name);
  const sparsityData = [state.sparsity.map((s) => s.epoch), ...names.map((_, i) => state.sparsity.map((s) => 100 * s.layers[i].fraction))];
  if (!sparsityChart || sparsityChart.series.length !== names.length + 1) {
    sparsityChart?.destroy();
    const colors = ['#d62728', '#1f77b4', '#2ca02c', '#9467bd'];
    sparsityChart = new uPlot({
      width: 520, height: 260,
      scales: { x: { time: false }, y: { range: (_u, _min, max) => [0, Math.max(10, Math.ceil(max / 10) * 10)] } },
      axes: [{ label: 'epoch' }, { label: '% units removable' }],
      series: [{}, ...names.map((n, i) => ({ label: n, stroke: colors[i % colors.length], points: { show: true } }))],
    }, sparsityData, $('chart-sparsity'));
  } else sparsityChart.setData(sparsityData);
}

// ---- training -----------------------------------------------------------------------------------
function settings() {
  const n = (id) => Number($(id).value);
  return { model: $('model').value, limit: n('limit'), epochs: n('epochs'), batchSize: n('batch'), lr: n('lr'), l2: n('l2'), seed: n('seed') };
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

async function train(overrides = {}) {
  if (!state.data) throw new Error('load the data first');
  const s = { ...settings(), ...overrides };
  state.controller = new AbortController();
  state.history = [];
  state.sparsity = [];
  state.reduced = null;
  $('reduction').innerHTML = '';
  $('train').disabled = $('reduce').disabled = $('download').disabled = true;
  $('cancel').disabled = false;
  try {
    if (!state.trainer) {
      status('Starting the worker…');
      state.trainer = await createTrainer({ worker: overrides.worker ?? true });
    }
    const trainer = state.trainer;
    const { train: all, test } = state.data;
    const rows = Math.min(s.limit, all.y.length);
    const x = all.x.slice(0, rows * 784);
    const y = all.y.slice(0, rows);
    const inputShape = s.model === 'lenet5' ? [28, 28, 1] : [784];
    const info = await trainer.build(presetSpec(s.model, inputShape, 10, s.seed));
    await trainer.compile({ optimizer: { type: 'adam', lr: s.lr, transforms: s.l2 > 0 ? [{ type: 'l2', lambda: s.l2 }] : [] } });
    status(`Training ${s.model} (${info.parameterCount.toLocaleString()} parameters, kernels: ${trainer.kernels}, ${trainer.threads} thread(s)) on ${rows} images…`);
    const started = performance.now();
    let lastStep = 0;
    const history = await trainer.fit(x, y, {
      epochs: s.epochs, batchSize: s.batchSize, seed: s.seed, signal: state.controller.signal, transfer: true,
      onProgress: (p) => {
        lastStep = p.step;
        state.history.push({ step: p.step, loss: p.loss, accuracy: p.accuracy });
        status(`epoch ${p.epoch + 1}/${p.epochs}, step ${p.step}: loss ${p.loss.toFixed(4)}, batch accuracy ${(100 * p.accuracy).toFixed(1)}%, ` +
          `${Math.round(p.samplesPerSecond)} samples/s, ETA ${Math.ceil(p.eta)} s`);
        if (p.epochLog) {
          void trainer.measureSparsity().then((m) => {
            state.sparsity.push({ epoch: p.epoch + 1, layers: m.layers.slice(0, -1).map((l) => ({ name: l.layer, fraction: l.dead.length / l.units })) });
            drawCharts();
          });
        }
        drawCharts();
      },
    });
    const seconds = (performance.now() - started) / 1000;
    const evaluation = await trainer.evaluate(test.x, test.y);
    const hash = weightsHash(await trainer.getWeights());
    const samplesPerSecond = history.epochs.reduce((a, e) => a + e.samplesPerSecond, 0) / history.epochs.length;
    state.steps = lastStep;
    status(`Done: test accuracy ${(100 * evaluation.accuracy).toFixed(2)}% after ${lastStep} steps in ${seconds.toFixed(1)} s ` +
      `(${Math.round(samplesPerSecond)} samples/s, ${trainer.threads} thread(s)). Weights ${hash}.`);
    $('reduce').disabled = false;
    return { testAccuracy: evaluation.accuracy, weightsHash: hash, steps: lastStep, seconds, samplesPerSecond, kernels: trainer.kernels, threads: trainer.threads };
  } catch (e) {
    status(`${e.name}: ${e.message}`, true);
    throw e;
  } finally {
    $('train').disabled = false;
    $('cancel').disabled = true;
    state.controller = null;
  }
}

async function reduceModel() {
  const trainer = state.trainer;
  const { test } = state.data;
  const before = await trainer.evaluate(test.x, test.y);
  const { report, model } = await trainer.reduce({ sample: test.x.slice(0, 256 * 784) });
  const after = await trainer.evaluate(test.x, test.y);
  const row = (label, a, b) => `<tr><td>${label}</td><td>${a}</td><td>${b}</td></tr>`;
  const ms = (v) => `${v.toFixed(3)} ms`;
  $('reduction').innerHTML = `<h3>Reduction</h3><table>
    <tr><th></th><th>before</th><th>after</th></tr>
    ${row('parameters', report.params_before.toLocaleString(), report.params_after.toLocaleString())}
    ${row('FLOPs per image', report.flops_before.toLocaleString(), report.flops_after.toLocaleString())}
    ${row('test accuracy', `${(100 * before.accuracy).toFixed(2)}%`, `${(100 * after.accuracy).toFixed(2)}%`)}
    ${row('latency per image, batch of 1', ms(report.latency_ms_before.batch1), ms(report.latency_ms_after.batch1))}
    ${row('latency per image, batch of 64', ms(report.latency_ms_before.batch64), ms(report.latency_ms_after.batch64))}
    </table><p><small>largest logit difference from the original with removed units zeroed: ${report.max_logit_diff_relative.toExponential(2)} (relative)</small></p>`;
  state.reduced = model;
  $('reduce').disabled = true;
  $('download').disabled = false;
  status(`Reduced: ${report.params_before.toLocaleString()} → ${report.params_after.toLocaleString()} parameters.`);
  return { report, before: before.accuracy, after: after.accuracy };
}

async function download() {
  const bytes = await state.trainer.exportModel({ source: 'slimtrain browser demo' });
  const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
  const a = Object.assign(document.createElement('a'), { href: url, download: 'mnist-reduced.slim' });
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return bytes.length;
}

const guard = (f) => () => f().catch((e) => status(`${e.name}: ${e.message}`, true));
$('load').addEventListener('click', guard(loadFromServer));
$('files').addEventListener('change', guard(() => loadFromFiles($('files').files)));
$('train').addEventListener('click', guard(() => train()));
$('cancel').addEventListener('click', () => state.controller?.abort(new Error('cancelled by the user')));
$('reduce').addEventListener('click', guard(reduceModel));
$('download').addEventListener('click', guard(download));

// For the browser tests (and the curious): the same actions as the buttons.
window.slimtrain = slimtrain;
window.demo = {
  loadFromServer, train, reduce: reduceModel, download, weightsHash,
  cancel: () => state.controller?.abort(new Error('cancelled by the user')),
  get trainer() { return state.trainer; },
  async restart() { await state.trainer?.terminate(); state.trainer = null; },
};

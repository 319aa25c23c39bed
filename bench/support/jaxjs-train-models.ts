// The bench:train models in jax-js (`@jax-js/jax`) on its wasm device, and one training step: the
// same layers as train-models.ts describes, the same loss (softmax cross-entropy from logits, batch
// mean, plus Keras' l2 penalty c * sum w^2 on every kernel, whose gradient is slimtrain's coupled
// L2 with lambda = 2c) and slimtrain's Adam written out by hand (jax-js has no optimizers; its
// separate @jax-js/optax package is not used, so the update is exactly slimtrain's formula below).
// The whole step — forward, valueAndGrad's backward and the Adam update of every parameter — is one
// jax-js `jit` function, compiled on the first call.
//
// Layouts: jax-js's lax.conv takes NCHW inputs and OIHW kernels (no dimension numbers), so the step
// transposes the NHWC batch to NCHW, the conv kernels are converted once from slimtrain's HWIO
// (conv-kernel-layout.ts), and the last feature map goes back to NHWC before flatten so the dense
// kernels keep slimtrain's (and TensorFlow.js's) [in, out] layout and row order.
//
// Host transfers: the batch and the weights are uploaded once; each step reads back only its
// scalar loss (which waits for the step to finish), as tfjs-layers' trainOnBatch does.
// This file imports no TensorFlow.js and no slimtrain engine, so the memory probe
// (jaxjs-memory-probe.ts) loads jax-js alone.
import { jit, lax, nn, numpy as np, valueAndGrad, type Array as JaxArray } from '@jax-js/jax';
import { hwioToOihw } from './conv-kernel-layout.js';
import { startJaxjsWasm } from './jaxjs-wasm.js';
import { KERAS_L2, LEARNING_RATE, type TrainModel } from './train-models.js';

/** slimtrain's adam() defaults (src/optim/optimizers.ts), which tf.train.adam's match. */
const BETA1 = 0.9;
const BETA2 = 0.999;
const EPSILON = 1e-7;

/** One weight as slimtrain's getWeights() gives it: values and shape in TensorFlow.js layout. */
export interface HostWeight {
  values: Float32Array;
  shape: number[];
}

/**
 * The shapes of `model`'s weights in slimtrain's getWeights() order and layout (per layer, kernel
 * then bias; dense [in, out], conv2d [kh, kw, cin, cout]), from its input shape.
 */
export function trainModelWeightShapes(model: TrainModel): number[][] {
  const shapes: number[][] = [];
  let [h, w, c] = model.inputShape.length === 3 ? model.inputShape : [1, 1, model.inputShape[0]];
  let features = h * w * c;
  for (const layer of model.layers) {
    if (layer.kind === 'conv2d') {
      shapes.push([layer.kernelSize, layer.kernelSize, c, layer.filters], [layer.filters]);
      if (layer.padding === 'valid') [h, w] = [h - layer.kernelSize + 1, w - layer.kernelSize + 1];
      c = layer.filters;
    } else if (layer.kind === 'maxPool2d') {
      [h, w] = [Math.floor(h / 2), Math.floor(w / 2)];
    } else if (layer.kind === 'flatten') {
      features = h * w * c;
    } else {
      shapes.push([features, layer.units], [layer.units]);
      features = layer.units;
    }
  }
  return shapes;
}

/** Whether jax-js can express every layer of `model` here; null if it can, else why not. */
export function jaxjsUnsupported(model: TrainModel): string | null {
  let [h, w] = model.inputShape.length === 3 ? model.inputShape : [0, 0];
  for (const layer of model.layers) {
    if (layer.kind === 'conv2d' && layer.padding === 'valid') [h, w] = [h - layer.kernelSize + 1, w - layer.kernelSize + 1];
    // Max pooling is a reshape to 2x2 windows and a max over them, which needs even sizes.
    if (layer.kind === 'maxPool2d' && (h % 2 || w % 2)) return `max pooling of an odd ${h}x${w} map (the reshape pooling here needs even sizes)`;
    if (layer.kind === 'maxPool2d') [h, w] = [h / 2, w / 2];
  }
  return null;
}

/** Pytree of the trained state: parameters and Adam's moments, each in jax-js layout. */
type TrainState = {
  params: JaxArray[];
  m: JaxArray[];
  v: JaxArray[];
};

/** Whether parameter i (in getWeights() order) is a kernel: the L2 penalty applies to kernels only. */
const isKernel = (i: number): boolean => i % 2 === 0;

/**
 * Logits [n, classes] of `model` for `x` ([n, ...inputShape], NHWC for images). Consumes `x` and
 * one reference to each parameter (jax-js's ownership rule: callers pass `.ref` to keep them).
 */
function forward(model: TrainModel, params: JaxArray[], x: JaxArray): JaxArray {
  const n = x.shape[0];
  let h = model.inputShape.length === 3 ? x.transpose([0, 3, 1, 2]) : x;
  let p = 0;
  for (const layer of model.layers) {
    if (layer.kind === 'conv2d') {
      const y = lax.conv(h, params[p], [1, 1], layer.padding === 'same' ? 'SAME' : 'VALID');
      h = nn.relu(y.add(params[p + 1].reshape([1, layer.filters, 1, 1])));
      p += 2;
    } else if (layer.kind === 'maxPool2d') {
      const [, c, hh, ww] = h.shape;
      h = h.reshape([n, c, hh / 2, 2, ww / 2, 2]).max([3, 5]);
    } else if (layer.kind === 'flatten') {
      h = h.transpose([0, 2, 3, 1]).reshape([n, -1]);
    } else {
      const y = np.matmul(h, params[p]).add(params[p + 1]);
      h = layer.relu ? nn.relu(y) : y;
      p += 2;
    }
  }
  return h;
}

/** Mean softmax cross-entropy of the logits against one-hot labels, plus KERAS_L2 * sum w^2 over the kernels. */
function loss(model: TrainModel, params: JaxArray[], x: JaxArray, oneHot: JaxArray): JaxArray {
  const n = x.shape[0];
  const logits = forward(model, params.map((w) => w.ref), x);
  let total = nn.logSoftmax(logits, -1).mul(oneHot).sum().mul(-1 / n);
  params.forEach((w, i) => {
    if (isKernel(i)) total = total.add(w.ref.mul(w).sum().mul(KERAS_L2));
    else w.dispose();
  });
  return total;
}

/**
 * One step: loss and gradients, then slimtrain's bias-corrected Adam on every parameter,
 * w -= stepSize * m / (sqrt(v) * denomScale + eps) with stepSize = lr / (1 - beta1^t) and
 * denomScale = 1 / sqrt(1 - beta2^t) (slimtrain's 'bias-corrected' epsilonForm, TensorFlow.js's
 * placement of epsilon). Returns [loss, next state].
 */
function trainStep(model: TrainModel, state: TrainState, x: JaxArray, oneHot: JaxArray, stepSize: JaxArray, denomScale: JaxArray): [JaxArray, TrainState] {
  const [value, grads] = valueAndGrad((params: JaxArray[]) => loss(model, params, x, oneHot))(state.params.map((w) => w.ref));
  const next: TrainState = { params: [], m: [], v: [] };
  grads.forEach((g, i) => {
    const m = state.m[i].mul(BETA1).add(g.ref.mul(1 - BETA1));
    const v = state.v[i].mul(BETA2).add(g.ref.mul(g).mul(1 - BETA2));
    const update = m.ref.mul(stepSize.ref).div(np.sqrt(v.ref).mul(denomScale.ref).add(EPSILON));
    next.params.push(state.params[i].sub(update));
    next.m.push(m);
    next.v.push(v);
  });
  stepSize.dispose();
  denomScale.dispose();
  return [value, next];
}

/** A jax-js model with its Adam state on the wasm device, trained on one fixed batch. */
export interface JaxjsTrainer {
  /** One training step; resolves to its loss (with the L2 penalty) before the update. */
  step(): Promise<number>;
  dispose(): void;
}

/**
 * `model` in jax-js from `weights` (slimtrain's getWeights() values and shapes), trained on the
 * batch `x` ([n, ...inputShape] flat) with integer `labels`.
 *
 * @example
 * const trainer = await jaxjsTrainer(model, net.getWeights(), x, labels);
 * const first = await trainer.step(); // ~ln 10 for a fresh model
 */
export async function jaxjsTrainer(model: TrainModel, weights: readonly HostWeight[], x: Float32Array, labels: Int32Array): Promise<JaxjsTrainer> {
  await startJaxjsWasm();
  const why = jaxjsUnsupported(model);
  if (why) throw new Error(`jax-js cannot train ${model.name} here: ${why}`);
  const expected = trainModelWeightShapes(model).map((s) => `[${s}]`).join(' ');
  const given = weights.map((w) => `[${w.shape}]`).join(' ');
  if (expected !== given) throw new Error(`jax-js ${model.name}: weights do not pair up with the model: expected ${expected}, got ${given}`);
  const n = labels.length;
  const upload = (w: HostWeight): JaxArray => {
    if (w.shape.length !== 4) return np.array(w.values).reshape(w.shape);
    const [kh, kw, cin, cout] = w.shape;
    return np.array(hwioToOihw(w.values, w.shape)).reshape([cout, cin, kh, kw]);
  };
  let state: TrainState = {
    params: weights.map(upload),
    m: weights.map((w) => np.zeros(w.shape.length === 4 ? [w.shape[3], w.shape[2], w.shape[0], w.shape[1]] : w.shape)),
    v: weights.map((w) => np.zeros(w.shape.length === 4 ? [w.shape[3], w.shape[2], w.shape[0], w.shape[1]] : w.shape)),
  };
  const xs = np.array(x).reshape([n, ...model.inputShape]);
  const oneHot = nn.oneHot(np.array(labels, { dtype: np.int32 }), model.classes);
  const compiled = jit((s: TrainState, xb: JaxArray, y: JaxArray, a: JaxArray, b: JaxArray) => trainStep(model, s, xb, y, a, b));
  let t = 0;
  return {
    async step() {
      t++;
      const stepSize = np.array(LEARNING_RATE / (1 - BETA1 ** t));
      const denomScale = np.array(1 / Math.sqrt(1 - BETA2 ** t));
      const [value, next] = compiled(state, xs.ref, oneHot.ref, stepSize, denomScale);
      state = next;
      const [lossValue] = await value.data();
      return lossValue;
    },
    dispose() {
      for (const a of [...state.params, ...state.m, ...state.v, xs, oneHot]) a.dispose();
      compiled.dispose();
    },
  };
}

// Where a training step's time goes: bench:train --profile. Nothing in src/ knows about it: the
// profiler wraps, on one model instance, its layers' forward and backward, its optimizer chain's
// penalty and step and its NaN-guard snapshot (the contexts), and every method of its engine's
// backend (the kernels), with performance.now() around each call. A kernel's time counts for the
// innermost context it runs in; a context's own time (JavaScript between kernels) counts as
// "other". What no context covers (gathering the batch, the loss's mean) is the step's rest.
import type { Backend } from '../../src/backend/backend.js';
import type { Layer } from '../../src/layers/layer.js';
import type { Sequential } from '../../src/model/sequential.js';

/** One line of a profile: a part of the step, its time per step and its share of the step. */
export interface ProfileRow {
  /** The layer ("conv2d_1 (conv2d)") or the step part ("optimizer update"). */
  part: string;
  /** forward, weight gradient, input gradient, bias gradient, or '' for a step part. */
  pass: string;
  /** The kernels it ran, with their milliseconds per step ("gemm 1.20, im2col 0.31"). */
  kernels: Record<string, number>;
  /** Milliseconds per step (kernels and the JavaScript between them). */
  ms: number;
  /** Of the whole step's wall time. */
  share: number;
}

export interface StepProfile {
  steps: number;
  /** Wall milliseconds per step, measured around trainStep. */
  stepMs: number;
  rows: ProfileRow[];
}

/** The pass a backend call made inside a layer's backward belongs to, from the call itself. */
function backwardPass(method: string, args: readonly unknown[]): string {
  if (method === 'biasGrad') return 'bias gradient';
  // A stride-1 convolution's input gradient is a transposed convolution: flipKernel + convGemm;
  // another's is convInputGemm (gemm + col2im fused).
  if (method === 'col2im' || method === 'flipKernel' || method === 'convGemm' || method === 'convInputGemm') return 'input gradient';
  if (method === 'im2col' || method === 'convFilterGemm') return 'weight gradient';
  // gemm(transA, transB, ...): the weight gradient is x^T dy (transA), the input gradient dy w^T (transB).
  if (method === 'gemm') return args[0] === true ? 'weight gradient' : 'input gradient';
  return 'backward';
}

type Method = (...args: unknown[]) => unknown;

/**
 * Runs `steps` training steps of `model` on (x, labels) with every kernel call timed, then takes
 * the wrappers off again. The model must be compiled; the caller warms it up first.
 *
 * @example
 * const profile = profileTrainingSteps(net, x, labels, 20);
 * console.log(formatProfile(profile));
 */
export function profileTrainingSteps(model: Sequential, x: Float32Array, labels: Int32Array, steps: number): StepProfile {
  const totals = new Map<string, { part: string; pass: string; kernels: Map<string, number>; own: number }>();
  const entry = (part: string, pass: string) => {
    const key = `${part}\u0000${pass}`;
    let e = totals.get(key);
    if (!e) totals.set(key, (e = { part, pass, kernels: new Map(), own: 0 }));
    return e;
  };
  // The innermost context, and the kernel time taken inside it so far (subtracted from its own).
  let context: { part: string; pass: string; layer: boolean } | null = null;
  const undo: (() => void)[] = [];

  const wrap = <T extends object>(target: T, name: string, around: (original: Method, self: T, args: unknown[]) => unknown) => {
    const original = (target as Record<string, Method>)[name];
    if (typeof original !== 'function') return;
    const had = Object.prototype.hasOwnProperty.call(target, name);
    (target as Record<string, Method>)[name] = function (this: T, ...args: unknown[]) {
      return around(original, this, args);
    };
    undo.push(() => {
      if (had) (target as Record<string, Method>)[name] = original;
      else delete (target as Record<string, unknown>)[name];
    });
  };

  const inContext = (part: string, pass: string, layer: boolean, run: () => unknown) => {
    const outer = context;
    context = { part, pass, layer };
    const t0 = performance.now();
    try {
      return run();
    } finally {
      const e = entry(part, pass);
      e.own += performance.now() - t0;
      context = outer;
    }
  };

  // Kernels: every method of the backend object and its prototype chain.
  const backend = model.engine.backend as unknown as Record<string, Method>;
  const methods = new Set<string>();
  for (let o: object | null = backend; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const name of Object.getOwnPropertyNames(o)) if (name !== 'constructor' && typeof backend[name] === 'function') methods.add(name);
  }
  for (const name of methods) {
    wrap(backend as unknown as Backend, name, (original, self, args) => {
      const t0 = performance.now();
      try {
        return original.apply(self, args);
      } finally {
        const dt = performance.now() - t0;
        const where = context ?? { part: name.startsWith('softmax') || name === 'meanSquaredError' ? 'loss' : 'rest of the step', pass: '', layer: false };
        const pass = where.layer && where.pass === 'backward' ? backwardPass(name, args) : where.pass;
        const e = entry(where.part, pass);
        e.kernels.set(name, (e.kernels.get(name) ?? 0) + dt);
        // The kernel's time is not its context's own: take it off the context that will add its span.
        if (context) entry(context.part, context.pass).own -= dt;
      }
    });
  }

  // Contexts: each layer's passes, the optimizer chain's penalty and step, the snapshot.
  for (const layer of model.layers as readonly Layer[]) {
    const part = `${layer.name} (${layer.type})`;
    wrap(layer, 'forward', (original, self, args) => inContext(part, 'forward', true, () => original.apply(self, args)));
    wrap(layer, 'backward', (original, self, args) => inContext(part, 'backward', true, () => original.apply(self, args)));
  }
  const internals = model as unknown as { optimizerChain: object; takeSnapshot: Method };
  wrap(internals.optimizerChain, 'step', (original, self, args) => inContext('optimizer update', '', false, () => original.apply(self, args)));
  wrap(internals.optimizerChain, 'penalty', (original, self, args) => inContext('penalty (regularisers)', '', false, () => original.apply(self, args)));
  wrap(internals, 'takeSnapshot', (original, self, args) => inContext('NaN-guard snapshot', '', false, () => original.apply(self, args)));

  let wall = 0;
  try {
    for (let s = 0; s < steps; s++) {
      const t0 = performance.now();
      model.trainStep(x, labels);
      wall += performance.now() - t0;
    }
  } finally {
    for (const u of undo.reverse()) u();
  }

  const stepMs = wall / steps;
  const rows: ProfileRow[] = [];
  let covered = 0;
  for (const e of totals.values()) {
    const kernels: Record<string, number> = {};
    let kernelMs = 0;
    for (const [k, v] of e.kernels) {
      kernels[k] = v / steps;
      kernelMs += v;
    }
    // A layer's backward spans its passes: its own JavaScript time goes to the pass named 'backward'.
    const ms = (kernelMs + Math.max(0, e.own)) / steps;
    covered += ms;
    rows.push({ part: e.part, pass: e.pass, kernels, ms, share: ms / stepMs });
  }
  const rest = rows.find((r) => r.part === 'rest of the step');
  const uncovered = Math.max(0, stepMs - covered);
  if (rest) {
    rest.ms += uncovered;
    rest.share = rest.ms / stepMs;
  } else rows.push({ part: 'rest of the step', pass: '', kernels: {}, ms: uncovered, share: uncovered / stepMs });
  // Layers in model order with their passes in step order, then the step parts.
  const order = ['forward', 'weight gradient', 'bias gradient', 'input gradient', 'backward', ''];
  const layerIndex = (part: string) => {
    const i = model.layers.findIndex((l) => part === `${l.name} (${l.type})`);
    return i < 0 ? model.layers.length + ['loss', 'penalty (regularisers)', 'NaN-guard snapshot', 'optimizer update', 'rest of the step'].indexOf(part) : i;
  };
  rows.sort((a, b) => layerIndex(a.part) - layerIndex(b.part) || order.indexOf(a.pass) - order.indexOf(b.pass));
  return { steps, stepMs, rows };
}

/** The profile grouped by kind of work: what the list names (convolution GEMMs, im2col, pooling, ...). */
export function profileByKind(profile: StepProfile, layerTypes: ReadonlyMap<string, string>): Record<string, number> {
  const kinds: Record<string, number> = {};
  const add = (kind: string, ms: number) => (kinds[kind] = (kinds[kind] ?? 0) + ms);
  for (const row of profile.rows) {
    const type = layerTypes.get(row.part);
    if (type === undefined) {
      add(row.part, row.ms);
      continue;
    }
    let kernelMs = 0;
    for (const [k, ms] of Object.entries(row.kernels)) {
      kernelMs += ms;
      if (k === 'im2col' || k === 'col2im') add('im2col / col2im', ms);
      // convGemm / convFilterGemm / convInputGemm gather or scatter their columns inside the GEMM:
      // counted as GEMM time.
      else if (k === 'gemm' || k === 'convGemm' || k === 'convFilterGemm' || k === 'convInputGemm') add(`${type} GEMM (${row.pass})`, ms);
      else if (k === 'biasAdd' || k === 'biasGrad') add('bias add / gradient', ms);
      // By the kernel, not the layer type: every activation layer (relu, elu, tanh, ...) runs activationForward/Backward.
      else if (k.startsWith('activation')) add('activations', ms);
      else if (k.startsWith('maxPool') || k.startsWith('avgPool')) add('pooling', ms);
      else if (k.startsWith('batchNorm')) add('batch norm', ms);
      else add(`${type} ${k}`, ms);
    }
    add('JavaScript inside layers', row.ms - kernelMs);
  }
  return kinds;
}

const ms = (v: number) => v.toFixed(2);
const pct = (v: number) => `${(100 * v).toFixed(1)}%`;

/** The profile as table rows: part, pass, ms/step, share, and its largest kernels. */
export function profileTableRows(profile: StepProfile): string[][] {
  return profile.rows
    .filter((r) => r.ms >= 0.005)
    .map((r) => [
      r.part, r.pass, ms(r.ms), pct(r.share),
      Object.entries(r.kernels).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${ms(v)}`).join(', '),
    ]);
}

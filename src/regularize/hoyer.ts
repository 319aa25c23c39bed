import type { Ptr } from '../backend/arena.js';
import type { Engine } from '../backend/engine.js';
import { ArgumentError } from '../errors.js';
import { checkSelector, type ParamSet, type Selector, type TensorView } from '../model/param_set.js';
import type { StepContext, Transform } from '../optim/transform.js';
import { kernelGroups } from '../sparsity/dependency.js';
import { knownKeys, nonNegativeNumber } from '../validate.js';

// DeepHoyer (Yang, Wen & Li, ICLR 2020; methods page, method 4): scale-invariant sparsity measures
// added to the loss as coupled regularisers. Sums are taken in f64 on the TS side; the per-element
// work runs in kernels (sign and axpy for Hoyer-Square, row/column scaling for Group-HS).

/**
 * Hoyer-Square per selected tensor: H_S(W) = (sum|w|)^2 / sum w^2, added to the loss as
 * lambda * sum over tensors of H_S. Its gradient, added before the optimizer, is
 *   dH_S/dw = 2 ||W||_1 / ||W||_2^2 * sign(w) - 2 ||W||_1^2 / ||W||_2^4 * w,
 * which pushes weights below ||W||_2^2 / ||W||_1 toward zero and larger ones away from it. An
 * all-zero tensor contributes nothing (H_S is taken as 0 there, not NaN). Kernels only by default.
 *
 * @example
 * chain(hoyerSquare({ lambda: 1e-3 }), adam({ lr: 1e-3 }))
 */
export function hoyerSquare(options: { lambda: number; selector?: Selector }): Transform {
  knownKeys('hoyerSquare', options, ['lambda', 'selector']);
  const lambda = nonNegativeNumber('hoyerSquare.lambda', options.lambda);
  const selector = checkSelector('hoyerSquare.selector', options.selector);
  return {
    kind: 'transform',
    name: 'hoyerSquare',
    spec: { type: 'hoyerSquare', lambda, ...(options.selector ? { selector } : {}) },
    init() {},
    beforeUpdate({ engine, params }: StepContext) {
      if (lambda === 0) return;
      const b = engine.backend;
      for (const t of params.select(selector)) {
        const w = params.ptrOf(t);
        const l1 = b.sumAbs(w, t.size);
        const q = b.sumSquares(w, t.size);
        if (q === 0) continue;
        const g = params.ptrOf(t, params.grad);
        b.addL1Gradient(g, w, t.size, (2 * lambda * l1) / q);
        b.axpy(g, w, t.size, (-2 * lambda * l1 * l1) / (q * q));
      }
    },
    penalty(params: ParamSet) {
      let s = 0;
      for (const t of params.select(selector)) {
        const q = params.engine.backend.sumSquares(params.ptrOf(t), t.size);
        if (q > 0) s += params.engine.backend.sumAbs(params.ptrOf(t), t.size) ** 2 / q;
      }
      return lambda * s;
    },
  };
}

/** A kernel as the [rows, cols] matrix of the methods page, and the input channel count of its rows. */
function layout(t: TensorView): { rows: number; cols: number; inputs: number } {
  const { fanIn, units, inputs } = kernelGroups(t.shape);
  return { rows: fanIn, cols: units, inputs };
}

/**
 * Group-HS per selected kernel, over two group structures whose terms are summed:
 * - output groups (the columns w_k: every weight feeding output node or channel k), weighted by
 *   `outputWeight` (default 1);
 * - input groups (every weight reading input node or channel c: a row of a dense kernel, the
 *   kh*kw*C_out weights of input channel c of a conv kernel), weighted by `inputWeight` (default 1).
 * For group norms n_g of one structure, G_H(W) = (sum_g n_g)^2 / ||W||^2 and, for w in group g,
 *   dG_H/dw = 2 (sum n) w / n_g / ||W||^2 - 2 w (sum n)^2 / ||W||^4.
 * The loss gains lambda * sum over kernels of (outputWeight G_out + inputWeight G_in). Zero groups
 * and all-zero kernels add nothing (no NaN). Kernels only: a selector naming other kinds is refused.
 *
 * @example
 * chain(groupHoyer({ lambda: 1e-3 }), adam())                      // both structures, as the paper
 * chain(groupHoyer({ lambda: 1e-3, inputWeight: 0 }), adam())      // output nodes/channels only
 */
export function groupHoyer(options: { lambda: number; outputWeight?: number; inputWeight?: number; selector?: Selector }): Transform {
  knownKeys('groupHoyer', options, ['lambda', 'outputWeight', 'inputWeight', 'selector']);
  const lambda = nonNegativeNumber('groupHoyer.lambda', options.lambda);
  const outputWeight = nonNegativeNumber('groupHoyer.outputWeight', options.outputWeight ?? 1);
  const inputWeight = nonNegativeNumber('groupHoyer.inputWeight', options.inputWeight ?? 1);
  const selector = checkSelector('groupHoyer.selector', options.selector);
  if (selector.kinds && selector.kinds.some((k) => k !== 'kernel')) {
    throw new ArgumentError('groupHoyer.selector.kinds', selector.kinds, "['kernel']: groups are the rows and columns of kernels");
  }
  let engineRef: Engine;
  let scale: Ptr = 0;
  let copy: Ptr = 0;
  let norms: Ptr = 0;

  /**
   * The group norms of one structure, aggregated in f64: per column for outputs; per input channel
   * (rows r with r % inputs == c) for inputs. Also returns the per-row or per-column map.
   */
  function groupNorms(params: ParamSet, t: TensorView, structure: 'output' | 'input'): Float64Array {
    const { rows, cols, inputs } = layout(t);
    const b = params.engine.backend;
    if (structure === 'output') {
      b.columnNorms(params.ptrOf(t), norms, rows, cols);
      return Float64Array.from(params.engine.arena.f32(norms, cols));
    }
    b.rowNorms(params.ptrOf(t), norms, rows, cols);
    const rowNorm = params.engine.arena.f32(norms, rows);
    const squares = new Float64Array(inputs);
    for (let r = 0; r < rows; r++) squares[r % inputs] += rowNorm[r] * rowNorm[r];
    return squares.map(Math.sqrt);
  }

  function measure(n: Float64Array): { sum: number; squares: number } {
    let sum = 0;
    let squares = 0;
    for (const v of n) {
      sum += v;
      squares += v * v;
    }
    return { sum, squares };
  }

  return {
    kind: 'transform',
    name: 'groupHoyer',
    spec: { type: 'groupHoyer', lambda, outputWeight, inputWeight, ...(options.selector ? { selector } : {}) },
    init(engine: Engine, params: ParamSet) {
      engineRef = engine;
      const tensors = params.select(selector);
      for (const t of tensors) {
        if (t.shape.length < 2) throw new ArgumentError('groupHoyer.selector', selector, `kernels of rank 2 or more (${t.name} has shape [${t.shape}])`);
      }
      const largest = Math.max(1, ...tensors.map((t) => t.size));
      const lines = Math.max(1, ...tensors.map((t) => Math.max(layout(t).rows, layout(t).cols)));
      copy = engine.arena.allocF32(largest);
      scale = engine.arena.allocF32(lines);
      norms = engine.arena.allocF32(lines);
    },
    beforeUpdate({ engine, params }: StepContext) {
      if (lambda === 0) return;
      const b = engine.backend;
      for (const t of params.select(selector)) {
        const { rows, cols, inputs } = layout(t);
        for (const [structure, weight] of [['output', outputWeight], ['input', inputWeight]] as const) {
          if (weight === 0) continue;
          const n = groupNorms(params, t, structure);
          const { sum, squares } = measure(n);
          if (squares === 0) continue;
          // dG/dw = w * (c1 / n_g - c2): one factor per group, 0 for an empty group (whose w are 0).
          const c1 = (2 * lambda * weight * sum) / squares;
          const c2 = (2 * lambda * weight * sum * sum) / (squares * squares);
          const factor = (g: number) => (n[g] > 0 ? c1 / n[g] - c2 : 0);
          const s = engine.arena.f32(scale, structure === 'output' ? cols : rows);
          if (structure === 'output') for (let k = 0; k < cols; k++) s[k] = factor(k);
          else for (let r = 0; r < rows; r++) s[r] = factor(r % inputs);
          b.copy(params.ptrOf(t), copy, t.size);
          if (structure === 'output') b.scaleColumns(copy, scale, rows, cols);
          else b.scaleRows(copy, scale, rows, cols);
          b.axpy(params.ptrOf(t, params.grad), copy, t.size, 1);
        }
      }
    },
    penalty(params: ParamSet) {
      let total = 0;
      for (const t of params.select(selector)) {
        for (const [structure, weight] of [['output', outputWeight], ['input', inputWeight]] as const) {
          if (weight === 0) continue;
          const { sum, squares } = measure(groupNorms(params, t, structure));
          if (squares > 0) total += (weight * sum * sum) / squares;
        }
      }
      return lambda * total;
    },
    dispose() {
      if (copy) {
        engineRef.arena.free(copy);
        engineRef.arena.free(scale);
        engineRef.arena.free(norms);
      }
      copy = scale = norms = 0;
    },
  };
}

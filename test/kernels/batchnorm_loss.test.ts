import { beforeAll, describe, expect, it } from 'vitest';
import { BUILDS, expectClose, harness, nans, type Harness } from '../support/harness.js';
import { rng, uniform } from '../support/random.js';

const SHAPES = [
  [1, 1],
  [3, 7],
  [17, 5],
  [64, 129],
  [300, 3],
];

describe.each(BUILDS)('batch norm and losses (%s build) against the reference', (build) => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness(build);
  });

  it('batch norm forward (train and inference) and backward', () => {
    for (const [rows, C] of SHAPES) {
      if (rows < 2) continue;
      const random = rng(rows * C);
      // An offset and scale per channel, as real activations have.
      const x = Float32Array.from(uniform(random, rows * C), (v, i) => 3 * v + (i % C) - 2);
      const gamma = uniform(random, C, 0.5, 1.5);
      const beta = uniform(random, C);
      const eps = 1e-3;
      const [wt, rt] = h.both({ x, y: nans(rows * C), gamma, beta, mean: nans(C), variance: nans(C) }, (b, p) =>
        b.batchNormForwardTrain(p.x, p.y, p.gamma, p.beta, p.mean, p.variance, rows, C, eps),
      );
      expectClose(wt.mean, rt.mean, { rtol: 1e-5, atol: 1e-5, label: `mean ${rows}x${C}` });
      expectClose(wt.variance, rt.variance, { rtol: 1e-4, atol: 1e-5, label: `variance ${rows}x${C}` });
      expectClose(wt.y, rt.y, { rtol: 1e-4, atol: 1e-4, label: `y ${rows}x${C}` });

      const [wi, ri] = h.both({ x, y: nans(rows * C), gamma, beta, mean: rt.mean, variance: rt.variance }, (b, p) =>
        b.batchNormForwardInference(p.x, p.y, p.gamma, p.beta, p.mean, p.variance, rows, C, eps),
      );
      expectClose(wi.y, ri.y, { rtol: 1e-5, atol: 1e-5, label: `inference ${rows}x${C}` });

      const dy = uniform(random, rows * C);
      const [wb, rb] = h.both(
        { x, dy, gamma, mean: rt.mean, variance: rt.variance, dx: nans(rows * C), dgamma: nans(C), dbeta: nans(C) },
        (b, p) => b.batchNormBackward(p.x, p.dy, p.gamma, p.mean, p.variance, p.dx, p.dgamma, p.dbeta, rows, C, eps),
      );
      expectClose(wb.dbeta, rb.dbeta, { rtol: 1e-4, atol: 1e-4, label: `dbeta ${rows}x${C}` });
      expectClose(wb.dgamma, rb.dgamma, { rtol: 1e-4, atol: 1e-4, label: `dgamma ${rows}x${C}` });
      expectClose(wb.dx, rb.dx, { rtol: 1e-3, atol: 1e-4, label: `dx ${rows}x${C}` });

      const [wbi, rbi] = h.both(
        { x, dy, gamma, mean: rt.mean, variance: rt.variance, dx: nans(rows * C), dgamma: nans(C), dbeta: nans(C) },
        (b, p) => b.batchNormBackwardInference(p.x, p.dy, p.gamma, p.mean, p.variance, p.dx, p.dgamma, p.dbeta, rows, C, eps),
      );
      expectClose(wbi.dbeta, rbi.dbeta, { rtol: 1e-5, atol: 1e-5, label: `inference dbeta ${rows}x${C}` });
      expectClose(wbi.dgamma, rbi.dgamma, { rtol: 1e-5, atol: 1e-5, label: `inference dgamma ${rows}x${C}` });
      expectClose(wbi.dx, rbi.dx, { rtol: 1e-5, atol: 1e-6, label: `inference dx ${rows}x${C}` });
    }
  });

  it('softmax cross-entropy with integer labels and with target distributions', () => {
    for (const [rows, classes] of SHAPES) {
      const random = rng(rows + classes);
      // Large logits too: the kernels must subtract the row max.
      const logits = uniform(random, rows * classes, -40, 40);
      const labels = Int32Array.from({ length: rows }, () => Math.floor(random() * classes));
      const scale = 1 / rows;
      const [w1, r1] = h.both({ logits, labels, grad: nans(rows * classes), losses: nans(rows) }, (b, p) =>
        b.softmaxCrossEntropy(p.logits, p.labels, p.grad, p.losses, rows, classes, scale),
      );
      expectClose(w1.losses, r1.losses, { rtol: 1e-5, atol: 1e-5, label: 'sparse CE loss' });
      expectClose(w1.grad, r1.grad, { rtol: 1e-4, atol: 1e-6, label: 'sparse CE grad' });

      const targets = new Float32Array(rows * classes);
      for (let r = 0; r < rows; r++) targets[r * classes + labels[r]] = 1;
      const [w2, r2] = h.both({ logits, targets, grad: nans(rows * classes), losses: nans(rows) }, (b, p) =>
        b.softmaxCrossEntropyDense(p.logits, p.targets, p.grad, p.losses, rows, classes, scale),
      );
      expectClose(w2.losses, r2.losses, { rtol: 1e-5, atol: 1e-5, label: 'dense CE loss' });
      expectClose(w2.grad, r2.grad, { rtol: 1e-4, atol: 1e-6, label: 'dense CE grad' });
      // One-hot targets are the same loss as integer labels.
      expectClose(w2.losses, w1.losses, { rtol: 1e-6, atol: 1e-6, label: 'one-hot = sparse' });

      const [w3, r3] = h.both({ logits, probs: nans(rows * classes) }, (b, p) => b.softmax(p.logits, p.probs, rows, classes));
      expectClose(w3.probs, r3.probs, { rtol: 1e-5, atol: 1e-7, label: 'softmax' });

      const target = uniform(random, rows * classes);
      const [w4, r4] = h.both({ logits, target, grad: nans(rows * classes), losses: nans(rows) }, (b, p) =>
        b.meanSquaredError(p.logits, p.target, p.grad, p.losses, rows, classes, 1 / (rows * classes)),
      );
      expectClose(w4.losses, r4.losses, { rtol: 1e-5, atol: 1e-5, label: 'mse loss' });
      expectClose(w4.grad, r4.grad, { rtol: 1e-6, atol: 1e-7, label: 'mse grad' });
    }
  });

  it('cross-entropy of a hand-checked case', () => {
    // logits [0, ln 3]: softmax [1/4, 3/4]; label 1: loss = -ln(3/4); grad = [1/4, -1/4].
    const logits = new Float32Array([0, Math.log(3)]);
    const [w] = h.both({ logits, labels: new Int32Array([1]), grad: nans(2), losses: nans(1) }, (b, p) =>
      b.softmaxCrossEntropy(p.logits, p.labels, p.grad, p.losses, 1, 2, 1),
    );
    expect(w.losses[0]).toBeCloseTo(-Math.log(0.75), 6);
    expectClose(w.grad, [0.25, -0.25], { rtol: 1e-6, atol: 1e-7 });
  });

  it('a gradient pointer of 0 computes losses only', () => {
    const logits = new Float32Array([1, 2, 3]);
    const [w] = h.both({ logits, labels: new Int32Array([2]), losses: nans(1) }, (b, p) =>
      b.softmaxCrossEntropy(p.logits, p.labels, 0, p.losses, 1, 3, 1),
    );
    expect(Number.isFinite(w.losses[0])).toBe(true);
  });
});

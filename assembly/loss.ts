// Losses over a batch. Each writes the per-row loss to losses[rows] (the caller reduces it) and,
// when grad != 0, the gradient scaled by gradScale (1/rows for a mean over the batch).

// Row r of logits[rows, classes]: max, then log(sum exp(x - max)). Stable for any finite logits.
// @ts-ignore: decorator
@inline function rowMax(row: usize, classes: i32): f32 {
  let m = load<f32>(row);
  for (let j = 1; j < classes; j++) m = max(m, load<f32>(row + (<usize>j << 2)));
  return m;
}

// @ts-ignore: decorator
@inline function rowLogSumExp(row: usize, classes: i32, m: f32): f32 {
  let s: f32 = 0;
  for (let j = 0; j < classes; j++) s += Mathf.exp(load<f32>(row + (<usize>j << 2)) - m);
  return m + Mathf.log(s);
}

// Softmax cross-entropy from logits with integer labels.
//   logits, grad: [rows, classes]; labels: i32 [rows], each in [0, classes) (checked by the caller)
//   losses[r] = logsumexp(logits[r]) - logits[r, labels[r]]
//   grad[r, j] = (softmax(logits[r])_j - [j == labels[r]]) * gradScale
export function softmaxCrossEntropy(
  logits: usize, labels: usize, grad: usize, losses: usize, rows: i32, classes: i32, gradScale: f32,
): void {
  const ld = <usize>classes << 2;
  for (let r = 0; r < rows; r++) {
    const row = logits + <usize>r * ld;
    const label = load<i32>(labels + (<usize>r << 2));
    const m = rowMax(row, classes);
    const lse = rowLogSumExp(row, classes, m);
    store<f32>(losses + (<usize>r << 2), lse - load<f32>(row + (<usize>label << 2)));
    if (grad) {
      const out = grad + <usize>r * ld;
      for (let j = 0; j < classes; j++) {
        const p = Mathf.exp(load<f32>(row + (<usize>j << 2)) - lse);
        store<f32>(out + (<usize>j << 2), (j == label ? p - 1 : p) * gradScale);
      }
    }
  }
}

// Softmax cross-entropy from logits with target distributions (one-hot or soft labels).
//   targets: [rows, classes]; t = sum_j targets[r, j] (1 for a distribution)
//   losses[r] = sum_j targets[r, j] * (logsumexp(logits[r]) - logits[r, j])
//   grad[r, j] = (softmax(logits[r])_j * t - targets[r, j]) * gradScale
export function softmaxCrossEntropyDense(
  logits: usize, targets: usize, grad: usize, losses: usize, rows: i32, classes: i32, gradScale: f32,
): void {
  const ld = <usize>classes << 2;
  for (let r = 0; r < rows; r++) {
    const row = logits + <usize>r * ld, tr = targets + <usize>r * ld;
    const m = rowMax(row, classes);
    const lse = rowLogSumExp(row, classes, m);
    let loss: f32 = 0, total: f32 = 0;
    for (let j = 0; j < classes; j++) {
      const t = load<f32>(tr + (<usize>j << 2));
      loss += t * (lse - load<f32>(row + (<usize>j << 2)));
      total += t;
    }
    store<f32>(losses + (<usize>r << 2), loss);
    if (grad) {
      const out = grad + <usize>r * ld;
      for (let j = 0; j < classes; j++) {
        const p = Mathf.exp(load<f32>(row + (<usize>j << 2)) - lse);
        store<f32>(out + (<usize>j << 2), (p * total - load<f32>(tr + (<usize>j << 2))) * gradScale);
      }
    }
  }
}

// probs = softmax(logits), row by row.                          logits, probs: [rows, classes]
export function softmax(logits: usize, probs: usize, rows: i32, classes: i32): void {
  const ld = <usize>classes << 2;
  for (let r = 0; r < rows; r++) {
    const row = logits + <usize>r * ld, out = probs + <usize>r * ld;
    const lse = rowLogSumExp(row, classes, rowMax(row, classes));
    for (let j = 0; j < classes; j++) {
      store<f32>(out + (<usize>j << 2), Mathf.exp(load<f32>(row + (<usize>j << 2)) - lse));
    }
  }
}

// Mean squared error per row.                                   pred, target, grad: [rows, cols]
//   losses[r] = mean_j (pred - target)^2
//   grad = 2 * (pred - target) * gradScale        (gradScale = 1/(rows*cols) for the mean)
export function meanSquaredError(
  pred: usize, target: usize, grad: usize, losses: usize, rows: i32, cols: i32, gradScale: f32,
): void {
  const ld = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const pr = pred + <usize>r * ld, tr = target + <usize>r * ld;
    let s: f32 = 0;
    for (let j = 0; j < cols; j++) {
      const o = <usize>j << 2;
      const d = load<f32>(pr + o) - load<f32>(tr + o);
      s += d * d;
      if (grad) store<f32>(grad + <usize>r * ld + o, 2 * d * gradScale);
    }
    store<f32>(losses + (<usize>r << 2), s / <f32>cols);
  }
}

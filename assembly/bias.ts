// Bias add and bias gradient over a [rows, cols] activation (cols = units or channels, NHWC).

// y[r, c] += b[c]                     y: [rows, cols], b: [cols]
export function biasAdd(y: usize, b: usize, rows: i32, cols: i32): void {
  const ld = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const row = y + <usize>r * ld;
    let c = 0;
    if (ASC_FEATURE_SIMD) {
      for (; c + 4 <= cols; c += 4) {
        const o = <usize>c << 2;
        v128.store(row + o, f32x4.add(v128.load(row + o), v128.load(b + o)));
      }
    }
    for (; c < cols; c++) {
      const o = <usize>c << 2;
      store<f32>(row + o, load<f32>(row + o) + load<f32>(b + o));
    }
  }
}

// db[c] (+)= sum_r dy[r, c]           dy: [rows, cols], db: [cols]; rows summed in order.
export function biasGrad(dy: usize, db: usize, rows: i32, cols: i32, accumulate: i32): void {
  if (!accumulate) memory.fill(db, 0, <usize>cols << 2);
  const ld = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const row = dy + <usize>r * ld;
    let c = 0;
    if (ASC_FEATURE_SIMD) {
      for (; c + 4 <= cols; c += 4) {
        const o = <usize>c << 2;
        v128.store(db + o, f32x4.add(v128.load(db + o), v128.load(row + o)));
      }
    }
    for (; c < cols; c++) {
      const o = <usize>c << 2;
      store<f32>(db + o, load<f32>(db + o) + load<f32>(row + o));
    }
  }
}

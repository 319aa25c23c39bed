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

// db[c] (+)= sum_r dy[r, c]           dy: [rows, cols], db: [cols]; rows summed in order in f64
// (rows = N*H*W for a conv layer), in `work`: cols f64 of caller-provided scratch.
export function biasGrad(dy: usize, db: usize, rows: i32, cols: i32, accumulate: i32, work: usize): void {
  memory.fill(work, 0, <usize>cols << 3);
  const ld = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const row = dy + <usize>r * ld;
    let c = 0;
    if (ASC_FEATURE_SIMD) {
      for (; c + 4 <= cols; c += 4) {
        const v = v128.load(row + (<usize>c << 2));
        const a = work + (<usize>c << 3);
        v128.store(a, f64x2.add(v128.load(a), f64x2.promote_low_f32x4(v)));
        v128.store(a, f64x2.add(v128.load(a, 16), f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1))), 16);
      }
    }
    for (; c < cols; c++) {
      const a = work + (<usize>c << 3);
      store<f64>(a, load<f64>(a) + <f64>load<f32>(row + (<usize>c << 2)));
    }
  }
  for (let c = 0; c < cols; c++) {
    const o = <usize>c << 2;
    const s = <f32>load<f64>(work + (<usize>c << 3));
    store<f32>(db + o, accumulate ? load<f32>(db + o) + s : s);
  }
}

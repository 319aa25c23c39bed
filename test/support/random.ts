/** A small seeded generator (mulberry32) so every test input is reproducible. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n values uniform in [lo, hi). */
export function uniform(random: () => number, n: number, lo = -1, hi = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * random();
  return out;
}

/** n values uniform in ±[gap, 1): no value near zero, so kinks (ReLU, |x|) are never crossed by a finite difference. */
export function awayFromZero(random: () => number, n: number, gap = 0.05): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const v = gap + (1 - gap) * random();
    out[i] = random() < 0.5 ? -v : v;
  }
  return out;
}

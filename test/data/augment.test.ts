import { describe, expect, it } from 'vitest';
import { imageAugmentation } from '../../src/data/augment.js';
import { Random } from '../../src/random.js';

const H = 5;
const W = 6;
const C = 2;
const SIZE = H * W * C;

/** n images whose value at (i, r, c, k) is 1 + i*1000 + r*100 + c*10 + k: never 0, all distinct. */
function batch(n: number): Float32Array {
  const x = new Float32Array(n * SIZE);
  for (let i = 0; i < n; i++) for (let r = 0; r < H; r++) for (let c = 0; c < W; c++) for (let k = 0; k < C; k++) x[((i * H + r) * W + c) * C + k] = 1 + i * 1000 + r * 100 + c * 10 + k;
  return x;
}

const at = (x: Float32Array, i: number, r: number, c: number, k: number) => x[((i * H + r) * W + c) * C + k];

/** Image i of `out` equals image i of `input` shifted by (dy, dx), mirrored or not, zero outside. */
function matches(input: Float32Array, out: Float32Array, i: number, dy: number, dx: number, mirror: boolean): boolean {
  for (let r = 0; r < H; r++) {
    for (let c = 0; c < W; c++) {
      const sr = r + dy;
      const sc = (mirror ? W - 1 - c : c) + dx;
      for (let k = 0; k < C; k++) {
        const expected = sr < 0 || sr >= H || sc < 0 || sc >= W ? 0 : at(input, i, sr, sc, k);
        if (at(out, i, r, c, k) !== expected) return false;
      }
    }
  }
  return true;
}

/** The (dy, dx, mirror) that explain image i, or null. */
function explain(input: Float32Array, out: Float32Array, i: number, padding: number): [number, number, boolean] | null {
  for (const mirror of [false, true]) for (let dy = -padding; dy <= padding; dy++) for (let dx = -padding; dx <= padding; dx++) if (matches(input, out, i, dy, dx, mirror)) return [dy, dx, mirror];
  return null;
}

describe('image augmentation', () => {
  it('flip alone gives each image unchanged or as its exact mirror, both about half the time', () => {
    const input = batch(200);
    const x = input.slice();
    imageAugmentation({ shape: [H, W, C], flip: true })(x, 200, new Random(1));
    let mirrored = 0;
    for (let i = 0; i < 200; i++) {
      const plain = matches(input, x, i, 0, 0, false);
      const mirror = matches(input, x, i, 0, 0, true);
      expect(plain || mirror).toBe(true);
      if (mirror) mirrored++;
      if (mirror) expect(at(x, i, 2, 0, 1)).toBe(at(input, i, 2, W - 1, 1)); // channels stay in order
    }
    expect(mirrored).toBeGreaterThan(70);
    expect(mirrored).toBeLessThan(130);
  });

  it('crop with padding shifts content by at most the padding and fills with zeros', () => {
    const padding = 2;
    const input = batch(300);
    const x = input.slice();
    imageAugmentation({ shape: [H, W, C], padding })(x, 300, new Random(2));
    const shifts = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const how = explain(input, x, i, padding);
      expect(how, `image ${i}`).not.toBeNull();
      expect(how![2]).toBe(false);
      shifts.add(`${how![0]},${how![1]}`);
    }
    expect(shifts.size).toBe(25); // every offset in [-2, 2]^2 occurs
    // A known case: with shift (+1, -2), row 4 is zero and columns 0-1 are zero.
    const one = batch(1);
    const out = new Float32Array(SIZE);
    let seed = 0;
    for (; ; seed++) {
      imageAugmentation({ shape: [H, W, C], padding })(one, 1, new Random(seed), out);
      if (matches(one, out, 0, 1, -2, false)) break;
    }
    for (let c = 0; c < W; c++) expect(at(out, 0, H - 1, c, 0)).toBe(0);
    for (let r = 0; r < H; r++) expect([at(out, 0, r, 0, 1), at(out, 0, r, 1, 0)]).toEqual([0, 0]);
    expect(at(out, 0, 0, 2, 1)).toBe(at(one, 0, 1, 0, 1));
  });

  it('crops and flips together; in place equals out of place; the same seed gives the same batch', () => {
    const input = batch(64);
    const augment = imageAugmentation({ shape: [H, W, C], padding: 1, flip: true });
    const inPlace = input.slice();
    augment(inPlace, 64, new Random(9));
    const out = new Float32Array(input.length);
    augment(input, 64, new Random(9), out);
    expect(out).toEqual(inPlace);
    const again = input.slice();
    augment(again, 64, new Random(9));
    expect(again).toEqual(inPlace);
    const other = input.slice();
    augment(other, 64, new Random(10));
    expect(other).not.toEqual(inPlace);
    let mirrored = 0;
    for (let i = 0; i < 64; i++) {
      const how = explain(input, inPlace, i, 1);
      expect(how).not.toBeNull();
      if (how![2]) mirrored++;
    }
    expect(mirrored).toBeGreaterThan(10);
  });

  it('touches only the first n images, and checks its arguments', () => {
    const input = batch(4);
    const x = input.slice();
    imageAugmentation({ shape: [H, W, C], padding: 3, flip: true })(x, 2, new Random(3));
    expect(x.subarray(2 * SIZE)).toEqual(input.subarray(2 * SIZE));
    expect(() => imageAugmentation({ shape: [H, W] })).toThrow('shape = [5, 6]: expected [height, width, channels]');
    expect(() => imageAugmentation({ shape: [H, W, C], padding: -1 })).toThrow('padding = -1: expected a non-negative integer');
    const augment = imageAugmentation({ shape: [H, W, C], flip: true });
    expect(() => augment(x, 5, new Random(1))).toThrow(`batch.length = ${4 * SIZE}: expected at least 5 images of 5x6x2 = ${5 * SIZE}`);
    expect(() => augment(x, 1, {} as Random)).toThrow('random = an object: expected a Random');
  });
});

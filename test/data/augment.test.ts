import { describe, expect, it } from 'vitest';
import { imageAugmentation, sinCos } from '../../src/data/augment.js';
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

/** sin and cos as augment.ts's sinCos gives them (checked against Math below), for the staged reference. */
function rotateImage(img: Float32Array, h: number, w: number, c: number, degrees: number): Float32Array {
  const [sin, cos] = sinCos(degrees * (Math.PI / 180));
  const out = new Float32Array(img.length);
  const cy = (h - 1) / 2;
  const cx = (w - 1) / 2;
  for (let r = 0; r < h; r++) {
    for (let col = 0; col < w; col++) {
      // The input point that a counter-clockwise rotation (as displayed: rows grow downwards) carries to (r, col).
      const y = r - cy;
      const x = col - cx;
      const sr = Math.floor(cy + sin * x + cos * y + 0.5);
      const sc = Math.floor(cx + cos * x - sin * y + 0.5);
      if (sr < 0 || sr >= h || sc < 0 || sc >= w) continue;
      for (let k = 0; k < c; k++) out[(r * w + col) * c + k] = img[(sr * w + sc) * c + k];
    }
  }
  return out;
}

/** out(r, col) = img(r - ty, col - tx), zero outside: content moves by (+ty, +tx). */
function shiftImage(img: Float32Array, h: number, w: number, c: number, ty: number, tx: number): Float32Array {
  const out = new Float32Array(img.length);
  for (let r = 0; r < h; r++) for (let col = 0; col < w; col++) {
    const sr = r - ty;
    const sc = col - tx;
    if (sr < 0 || sr >= h || sc < 0 || sc >= w) continue;
    for (let k = 0; k < c; k++) out[(r * w + col) * c + k] = img[(sr * w + sc) * c + k];
  }
  return out;
}

function mirrorImage(img: Float32Array, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(img.length);
  for (let r = 0; r < h; r++) for (let col = 0; col < w; col++) for (let k = 0; k < c; k++) out[(r * w + col) * c + k] = img[(r * w + (w - 1 - col)) * c + k];
  return out;
}

describe('rotations and translations', () => {
  it('sinCos agrees with Math.sin and Math.cos to 1e-15 over [-pi, pi]', () => {
    let worst = 0;
    for (let i = -1000; i <= 1000; i++) {
      const x = (i / 1000) * Math.PI;
      const [s, c] = sinCos(x);
      worst = Math.max(worst, Math.abs(s - Math.sin(x)), Math.abs(c - Math.cos(x)));
    }
    expect(worst).toBeLessThan(1e-15);
    expect(sinCos(0)).toEqual([0, 1]);
  });

  it('equals the four transforms applied one after another (rotate, translate, crop, flip) with the documented draws', () => {
    const [h, w, c] = [9, 11, 2];
    const n = 40;
    const size = h * w * c;
    const input = Float32Array.from({ length: n * size }, (_, i) => 1 + (i % 997));
    const options = { rotate: 30, translate: 0.2, padding: 2, flip: true };
    const x = input.slice();
    imageAugmentation({ shape: [h, w, c], ...options })(x, n, new Random(11));
    const random = new Random(11);
    let rotatedSome = 0;
    for (let i = 0; i < n; i++) {
      const degrees = (2 * random.next() - 1) * options.rotate;
      const tx = Math.round((2 * random.next() - 1) * options.translate * w);
      const ty = Math.round((2 * random.next() - 1) * options.translate * h);
      const dy = random.below(5) - 2;
      const dx = random.below(5) - 2;
      const mirror = random.next() < 0.5;
      let img: Float32Array = input.slice(i * size, (i + 1) * size);
      img = rotateImage(img, h, w, c, degrees);
      img = shiftImage(img, h, w, c, ty, tx);
      img = shiftImage(img, h, w, c, -dy, -dx); // the crop reads (r + dy, col + dx)
      if (mirror) img = mirrorImage(img, h, w, c);
      expect(x.subarray(i * size, (i + 1) * size), `image ${i}`).toEqual(img);
      if (Math.abs(degrees) > 5) rotatedSome++;
    }
    expect(rotatedSome).toBeGreaterThan(20);
    // In place and out of place agree; the same seed gives the same bits.
    const out = new Float32Array(input.length);
    imageAugmentation({ shape: [h, w, c], ...options })(input, n, new Random(11), out);
    expect(out).toEqual(x);
  });

  it('rotates counter-clockwise as displayed, about the centre, which stays where it is', () => {
    // 9 x 9, one bright pixel three columns right of the centre (4, 4).
    const img = new Float32Array(81);
    img[4 * 9 + 7] = 1;
    img[4 * 9 + 4] = 5;
    const augment = imageAugmentation({ shape: [9, 9, 1], rotate: 180 });
    let checked = 0;
    for (let seed = 0; checked < 3 && seed < 500; seed++) {
      const degrees = (2 * new Random(seed).next() - 1) * 180;
      if (Math.abs(degrees - 90) > 5) continue;
      const out = new Float32Array(81);
      augment(img, 1, new Random(seed), out);
      expect(out[4 * 9 + 4]).toBe(5);
      // At about +90 degrees the point right of the centre is now above it: row 1, column 4.
      expect(out[1 * 9 + 4], `seed ${seed}, ${degrees} degrees`).toBe(1);
      expect(out.reduce((a, v) => a + v, 0)).toBe(6);
      checked++;
    }
    expect(checked).toBe(3);
  });

  it('translates by whole pixels up to round(translate * size), each shift occurring', () => {
    const input = batch(400);
    const x = input.slice();
    imageAugmentation({ shape: [H, W, C], translate: 0.3 })(x, 400, new Random(4));
    // W = 6: |dx| <= round(1.8) = 2; H = 5: |dy| <= round(1.5) = 2 (1.5 rounds up only at the edge).
    const shifts = new Set<string>();
    for (let i = 0; i < 400; i++) {
      const how = explain(input, x, i, 2);
      expect(how, `image ${i}`).not.toBeNull();
      shifts.add(`${how![0]},${how![1]}`);
    }
    for (const s of ['-1,-2', '1,2', '0,0', '1,-1']) expect(shifts.has(s), s).toBe(true);
  });

  it('checks rotate and translate', () => {
    expect(() => imageAugmentation({ shape: [H, W, C], rotate: -1 })).toThrow('rotate = -1: expected a finite number in [0, 180]');
    expect(() => imageAugmentation({ shape: [H, W, C], rotate: Number.NaN })).toThrow('rotate = NaN: expected a finite number in [0, 180]');
    expect(() => imageAugmentation({ shape: [H, W, C], translate: 1 })).toThrow('translate = 1: expected a finite number in [0, 1)');
    expect(() => imageAugmentation({ shape: [H, W, C], scale: 2 } as never)).toThrow('imageAugmentation.scale = 2: expected no such option');
  });
});

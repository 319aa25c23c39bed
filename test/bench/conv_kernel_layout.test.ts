import { describe, expect, it } from 'vitest';
import { hwioToOihw } from '../../bench/support/conv-kernel-layout.js';

describe('hwioToOihw', () => {
  it('puts element [y, x, i, o] of an HWIO kernel at [o, i, y, x]', () => {
    const [kh, kw, cin, cout] = [2, 3, 4, 5];
    // Each value encodes its own HWIO index, so any misplacement shows.
    const hwio = new Float32Array(kh * kw * cin * cout);
    for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let i = 0; i < cin; i++) for (let o = 0; o < cout; o++) {
      hwio[((y * kw + x) * cin + i) * cout + o] = 1000 * y + 100 * x + 10 * i + o;
    }
    const oihw = hwioToOihw(hwio, [kh, kw, cin, cout]);
    expect(oihw[0]).toBe(0);
    // [o=4, i=3, y=1, x=2] is the last OIHW element.
    expect(oihw[oihw.length - 1]).toBe(1000 + 200 + 30 + 4);
    // [o=1, i=0, y=0, x=1]: offset ((1 * 4 + 0) * 2 + 0) * 3 + 1 = 25.
    expect(oihw[25]).toBe(100 + 1);
    // [o=0, i=2, y=1, x=0]: offset ((0 * 4 + 2) * 2 + 1) * 3 + 0 = 15.
    expect(oihw[15]).toBe(1000 + 20);
    expect([...oihw].sort((a, b) => a - b)).toEqual([...hwio].sort((a, b) => a - b));
  });

  it('rejects a shape that is not 4-d or does not match the values', () => {
    expect(() => hwioToOihw(new Float32Array(6), [2, 3])).toThrow(/4 positive integers/);
    expect(() => hwioToOihw(new Float32Array(5), [1, 1, 2, 3])).toThrow(/5 values do not fill a \[1, 1, 2, 3\] kernel \(expected 6\)/);
  });
});

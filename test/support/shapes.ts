import type { Padding } from '../../src/ops/geometry.js';

/** Window cases for convolution and pooling tests: odd sizes, strides 1-3, both paddings, 1x1. */
export const WINDOW_CASES: { input: [number, number, number, number]; kernel: [number, number]; strides: [number, number]; padding: Padding }[] = [
  { input: [2, 5, 7, 3], kernel: [3, 3], strides: [1, 1], padding: 'same' },
  { input: [1, 9, 9, 1], kernel: [5, 5], strides: [2, 2], padding: 'valid' },
  { input: [3, 8, 6, 5], kernel: [2, 2], strides: [2, 2], padding: 'valid' },
  { input: [2, 7, 7, 17], kernel: [3, 3], strides: [2, 2], padding: 'same' },
  { input: [1, 1, 1, 1], kernel: [1, 1], strides: [1, 1], padding: 'valid' },
  { input: [2, 6, 5, 4], kernel: [1, 1], strides: [1, 1], padding: 'valid' },
  { input: [1, 4, 4, 2], kernel: [4, 4], strides: [1, 1], padding: 'same' },
  { input: [2, 13, 11, 7], kernel: [3, 2], strides: [2, 3], padding: 'same' },
  { input: [1, 12, 12, 8], kernel: [5, 5], strides: [1, 1], padding: 'valid' },
];

export function caseName(c: (typeof WINDOW_CASES)[number]): string {
  return `x[${c.input}] k${c.kernel.join('x')} s${c.strides.join(',')} ${c.padding}`;
}

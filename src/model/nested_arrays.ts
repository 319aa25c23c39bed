import { ArgumentError } from '../errors.js';

/**
 * Numbers nested as TensorFlow.js and Keras users pass them: `[[0.1, 0.2], [0.3, 0.4]]` for two
 * samples of shape [2], one more level per dimension of the sample shape.
 */
export type NestedNumbers = readonly number[] | readonly NestedNumbers[];

/**
 * Flattens nested arrays of shape [n, ...sampleShape] (n >= 1) into a Float32Array of n *
 * size(sampleShape) values, row-major, checking every length: `x[3].length = 5: expected 784`.
 */
export function flattenNested(argument: string, value: NestedNumbers, sampleShape: readonly number[], what: string): Float32Array {
  // A flat array of numbers is the likeliest mistake: name both accepted forms.
  if (!Array.isArray(value) || value.length === 0 || !Array.isArray(value[0])) {
    throw new ArgumentError(argument, value, `a Float32Array or a non-empty array of samples, each an array (${what} [${sampleShape}])`);
  }
  const sampleSize = sampleShape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(value.length * sampleSize);
  let at = 0;
  const walk = (node: unknown, path: string, depth: number): void => {
    if (depth === sampleShape.length) {
      if (typeof node !== 'number') throw new ArgumentError(path, node, `a number (${what} [${sampleShape}])`);
      out[at++] = node;
      return;
    }
    const length = sampleShape[depth];
    if (!Array.isArray(node)) throw new ArgumentError(path, node, `an array of ${length} ${depth + 1 === sampleShape.length ? 'numbers' : 'arrays'} (${what} [${sampleShape}])`);
    if (node.length !== length) throw new ArgumentError(`${path}.length`, node.length, `${length} (${what} [${sampleShape}])`);
    for (let i = 0; i < length; i++) walk(node[i], `${path}[${i}]`, depth + 1);
  };
  value.forEach((sample, i) => walk(sample, `${argument}[${i}]`, 0));
  return out;
}

/** x as a Float32Array: nested arrays are flattened against the input shape; anything else is left for the caller's checks. */
export function samplesArray(argument: string, x: Float32Array | NestedNumbers, inputShape: readonly number[]): Float32Array {
  return Array.isArray(x) ? flattenNested(argument, x, inputShape, 'a sample has shape') : (x as Float32Array);
}

/** y with nested rows (one-hot or regression targets, `[[0, 1, 0], ...]`) flattened against the output shape; labels stay as they are. */
export function targetsArray<T>(argument: string, y: T | NestedNumbers, outputShape: readonly number[]): T | Float32Array {
  return Array.isArray(y) && y.length > 0 && Array.isArray(y[0]) ? flattenNested(argument, y as NestedNumbers, outputShape, 'a target has shape') : (y as T);
}

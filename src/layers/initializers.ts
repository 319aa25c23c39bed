import { ArgumentError } from '../errors.js';
import type { Random } from '../random.js';

/**
 * How a parameter starts. Fans follow Keras: dense [in, out] -> (in, out); conv [kh, kw, cin, cout]
 * -> (kh*kw*cin, kh*kw*cout). The normal variants are truncated at two deviations and rescaled, as
 * Keras and TensorFlow.js do, so their standard deviation is the nominal one.
 */
export type InitializerName =
  | 'glorotUniform'
  | 'glorotNormal'
  | 'heUniform'
  | 'heNormal'
  | 'zeros'
  | 'ones';

export const INITIALIZERS: readonly InitializerName[] = ['glorotUniform', 'glorotNormal', 'heUniform', 'heNormal', 'zeros', 'ones'];

// stddev of a standard normal truncated to [-2, 2]
const TRUNCATED_STDDEV = 0.8796256610342398;

export function checkInitializer(argument: string, name: unknown): InitializerName {
  if (!INITIALIZERS.includes(name as InitializerName)) throw new ArgumentError(argument, name, `one of ${INITIALIZERS.join(', ')}`);
  return name as InitializerName;
}

/** Fills `out` with initial values for a parameter with the given fans. */
export function initialize(name: InitializerName, out: Float32Array, fanIn: number, fanOut: number, random: Random): void {
  switch (name) {
    case 'zeros':
      out.fill(0);
      return;
    case 'ones':
      out.fill(1);
      return;
    case 'glorotUniform':
    case 'heUniform': {
      const limit = name === 'glorotUniform' ? Math.sqrt(6 / (fanIn + fanOut)) : Math.sqrt(6 / fanIn);
      for (let i = 0; i < out.length; i++) out[i] = random.uniform(-limit, limit);
      return;
    }
    case 'glorotNormal':
    case 'heNormal': {
      const stddev = (name === 'glorotNormal' ? Math.sqrt(2 / (fanIn + fanOut)) : Math.sqrt(2 / fanIn)) / TRUNCATED_STDDEV;
      for (let i = 0; i < out.length; i++) out[i] = random.truncatedNormal(stddev);
      return;
    }
  }
}

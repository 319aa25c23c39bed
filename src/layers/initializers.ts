import { ArgumentError } from '../errors.js';
import type { Random } from '../random.js';

/**
 * How a parameter starts. Fans follow Keras: dense [in, out] -> (in, out); conv [kh, kw, cin, cout]
 * -> (kh*kw*cin, kh*kw*cout); a bias has its layer's fans. The normal variants are truncated at two
 * deviations and rescaled, as Keras and TensorFlow.js do, so their standard deviation is the
 * nominal one. `torchUniform` is PyTorch's default for nn.Linear and nn.Conv2d, kernels and biases
 * alike: U(-1/sqrt(fanIn), 1/sqrt(fanIn)) (kaiming_uniform_ with a = sqrt(5) for the weight; the
 * same bound for the bias), for reproducing work whose code relies on it.
 */
export type InitializerName =
  | 'glorotUniform'
  | 'glorotNormal'
  | 'heUniform'
  | 'heNormal'
  | 'torchUniform'
  | 'zeros'
  | 'ones';

export const INITIALIZERS: readonly InitializerName[] = ['glorotUniform', 'glorotNormal', 'heUniform', 'heNormal', 'torchUniform', 'zeros', 'ones'];

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
    case 'heUniform':
    case 'torchUniform': {
      const limit = name === 'glorotUniform' ? Math.sqrt(6 / (fanIn + fanOut)) : name === 'heUniform' ? Math.sqrt(6 / fanIn) : 1 / Math.sqrt(fanIn);
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

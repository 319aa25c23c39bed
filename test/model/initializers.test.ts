import { describe, expect, it } from 'vitest';
import { init } from '../../src/backend/engine.js';
import { initialize, INITIALIZERS, type InitializerName } from '../../src/layers/initializers.js';
import { Sequential } from '../../src/model/sequential.js';
import { Random } from '../../src/random.js';

// Each uniform initializer fills U(-b, b): its extremes come within 1% of b and its variance is b^2 / 3.
// Each truncated normal is drawn at std / 0.8796 (the deviation of a unit normal cut at +-2) and cut
// at two of those deviations, so it has the nominal variance.
const FAN_IN = 300;
const FAN_OUT = 100;
const N = 60_000;
const UNIFORM_BOUND: Partial<Record<InitializerName, number>> = {
  glorotUniform: Math.sqrt(6 / (FAN_IN + FAN_OUT)),
  heUniform: Math.sqrt(6 / FAN_IN),
  torchUniform: 1 / Math.sqrt(FAN_IN),
};
const NORMAL_STD: Partial<Record<InitializerName, number>> = {
  glorotNormal: Math.sqrt(2 / (FAN_IN + FAN_OUT)),
  heNormal: Math.sqrt(2 / FAN_IN),
};

function stats(v: Float32Array) {
  let sum = 0;
  let sq = 0;
  let max = 0;
  for (const x of v) {
    sum += x;
    sq += x * x;
    max = Math.max(max, Math.abs(x));
  }
  return { mean: sum / v.length, variance: sq / v.length - (sum / v.length) ** 2, max };
}

describe('initializers', () => {
  it.each(INITIALIZERS)('%s fills the distribution it names', (name) => {
    const out = new Float32Array(N);
    initialize(name, out, FAN_IN, FAN_OUT, new Random(7));
    const s = stats(out);
    if (name === 'zeros' || name === 'ones') {
      expect(out.every((x) => x === (name === 'ones' ? 1 : 0))).toBe(true);
      return;
    }
    const bound = UNIFORM_BOUND[name];
    const std = NORMAL_STD[name];
    if (bound !== undefined) {
      expect(s.max).toBeLessThanOrEqual(bound);
      expect(s.max).toBeGreaterThan(0.99 * bound);
      expect(s.variance / (bound * bound / 3)).toBeCloseTo(1, 1);
    } else {
      expect(s.max).toBeLessThanOrEqual((2 * std!) / 0.8796256610342398 + 1e-7);
      expect(s.max).toBeGreaterThan((1.99 * std!) / 0.8796256610342398);
      expect(s.variance / (std! * std!)).toBeCloseTo(1, 1);
    }
    expect(Math.abs(s.mean)).toBeLessThan(0.02 * (bound ?? std!));
  });

  it("torchUniform is PyTorch's default: kernels and biases of dense and conv layers within 1/sqrt(fan-in)", async () => {
    const engine = await init({ threads: 1 });
    const model = Sequential.build(engine, {
      inputShape: [8, 8, 3], seed: 2,
      layers: [
        { type: 'conv2d', filters: 6, kernelSize: 5, kernelInitializer: 'torchUniform', biasInitializer: 'torchUniform' },
        { type: 'flatten' },
        { type: 'dense', units: 10, kernelInitializer: 'torchUniform', biasInitializer: 'torchUniform' },
      ],
    });
    // conv fan-in 5 * 5 * 3 = 75; the dense layer's is 4 * 4 * 6 = 96.
    const bound = { conv2d_1: 1 / Math.sqrt(75), dense_1: 1 / Math.sqrt(96) };
    for (const w of model.getWeights()) {
      const b = bound[w.name.split('/')[0] as keyof typeof bound];
      const s = stats(w.values);
      expect(s.max, w.name).toBeLessThanOrEqual(b);
      // Not the zero bias of the default: the biases spread over the interval too.
      expect(s.max, w.name).toBeGreaterThan(w.name.endsWith('bias') ? 0.3 * b : 0.9 * b);
    }
    expect(() => Sequential.build(engine, { inputShape: [4], seed: 1, layers: [{ type: 'dense', units: 2, kernelInitializer: 'torch' as never }] }))
      .toThrow(/dense.kernelInitializer = "torch": expected one of glorotUniform, glorotNormal, heUniform, heNormal, torchUniform, zeros, ones/);
    model.dispose();
    engine.dispose();
  });
});

import { describe, expect, it } from 'vitest';
import { measurePeakScaling } from '../../bench/support/simd-peak.js';

// bench:train's ceiling for an N-thread speedup. Its size is a measurement (bench:train prints it);
// this checks that the workers run the loop and that only counts above one are reported.
describe('measurePeakScaling', () => {
  it('reports N threads at once over one, for each count above one', async () => {
    const scaling = await measurePeakScaling([1, 2], { runs: 1, runSeconds: 0.01 });
    expect(Object.keys(scaling)).toEqual(['2']);
    expect(Number.isFinite(scaling['2'])).toBe(true);
    // Two workers' rates summed: more than either alone unless one core is fully taken, and never
    // above twice one thread's best by more than timing noise.
    expect(scaling['2']).toBeGreaterThan(0.4);
    expect(scaling['2']).toBeLessThan(2.6);
  }, 60_000);
});

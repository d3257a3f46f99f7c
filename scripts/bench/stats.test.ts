import { percentile, rate, ratio, round, summarize } from './stats';

describe('bench statistics', () => {
  it('When percentiles are taken, then they interpolate between closest ranks and ignore input order', () => {
    const values = [5, 1, 4, 2, 3];
    expect(percentile(values, 50)).toBe(3);
    expect(percentile(values, 0)).toBe(1);
    expect(percentile(values, 100)).toBe(5);
    expect(percentile(values, 25)).toBe(2);
    expect(percentile([10, 20], 50)).toBe(15);
    expect(percentile([], 50)).toBeNaN();
    expect(summarize([1, 2, 3, 4])).toMatchObject({ n: 4, p50: 2.5, max: 4, mean: 2.5 });
  });

  it('When rates and ratios are computed, then a zero or missing denominator gives NaN, never Infinity', () => {
    expect(rate(10, 2_000)).toBe(5);
    expect(rate(10, 0)).toBeNaN();
    expect(ratio(3, 4)).toBe(0.75);
    expect(ratio(3, 0)).toBeNaN();
    expect(ratio(NaN, 1)).toBeNaN();
  });

  it('When figures are rounded, then three significant digits remain and integers stay as they are', () => {
    expect(round(12.3456)).toBe(12.3);
    expect(round(0.0012345)).toBe(0.00123);
    expect(round(1234.5)).toBe(1235);
    expect(round(42)).toBe(42);
  });
});

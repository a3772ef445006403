import { describe, expect, it } from 'vitest';
import { jainIndex, maxMinFairShares, percentile, percentiles, perMinute } from '../../src/bench/stats.js';

describe('statistics', () => {
  it('percentiles by nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i); // 100 … 1, unsorted input
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile([], 50)).toBeUndefined();
    expect(percentiles([5])).toEqual({ count: 1, p50: 5, p95: 5, p99: 5, max: 5 });
  });

  it("Jain's index: 1 when equal, 1/n when one takes all", () => {
    expect(jainIndex([3, 3, 3, 3])).toBe(1);
    expect(jainIndex([1, 0, 0, 0])).toBeCloseTo(0.25);
    expect(jainIndex([1, 2])).toBeCloseTo(9 / 10);
    expect(jainIndex([5])).toBeUndefined();
  });

  it('max-min fair shares: the light get what they ask, the rest split by weight', () => {
    expect(maxMinFairShares([10, 10, 100], [1, 1, 1], 60)).toEqual([10, 10, 40]);
    expect(maxMinFairShares([100, 100], [1, 3], 80)).toEqual([20, 60]);
    expect(maxMinFairShares([5, 5], [1, 1], 100)).toEqual([5, 5]);
    const shares = maxMinFairShares([30, 50, 70, 90], [1, 1, 1, 1], 200);
    expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(200);
    expect(shares).toEqual([30, 50, 60, 60]);
  });

  it('per-minute rates over a window', () => {
    const events = [
      { t: 0, v: 5 },
      { t: 500, v: 5 },
      { t: 1_500, v: 100 },
    ];
    expect(
      perMinute(
        events,
        (e) => e.t,
        (e) => e.v,
        0,
        1_000,
      ),
    ).toBe(600);
    expect(
      perMinute(
        events,
        (e) => e.t,
        (e) => e.v,
        1_000,
        1_000,
      ),
    ).toBe(0);
  });
});

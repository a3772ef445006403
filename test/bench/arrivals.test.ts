import { describe, expect, it } from 'vitest';
import { arrivalSchedule, rateAt } from '../../src/bench/arrivals.js';
import { RandomStream } from '../../src/bench/random.js';
import { arrivalSchema } from '../../src/bench/scenario.js';

const arrival = (input: unknown) => arrivalSchema.parse(input);

describe('arrival schedules', () => {
  it('are the same for the same seed and differ for another', () => {
    const a = arrival({ process: 'steady', rate: 20 });
    const opts = { ratePerSecond: 20, durationMs: 10_000 };
    const one = arrivalSchedule(a, opts, new RandomStream(7, 'arrivals'));
    const two = arrivalSchedule(a, opts, new RandomStream(7, 'arrivals'));
    const other = arrivalSchedule(a, opts, new RandomStream(8, 'arrivals'));
    expect(one).toEqual(two);
    expect(one).not.toEqual(other);
  });

  it('steady Poisson: count near rate × duration, ascending, inside the run', () => {
    const times = arrivalSchedule(
      arrival({ process: 'steady', rate: 50 }),
      { ratePerSecond: 50, durationMs: 100_000 },
      new RandomStream(1, 'arrivals'),
    );
    // 5,000 expected; a Poisson count's standard deviation is √5000 ≈ 71.
    expect(Math.abs(times.length - 5_000)).toBeLessThan(300);
    expect(times.every((t, i) => i === 0 || t >= (times[i - 1] as number))).toBe(true);
    expect(times.every((t) => t >= 0 && t < 100_000)).toBe(true);
    // Exponential gaps: their standard deviation equals their mean.
    const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    const sd = Math.sqrt(gaps.reduce((a, b) => a + (b - mean) ** 2, 0) / gaps.length);
    expect(mean).toBeCloseTo(20, 0);
    expect(sd / mean).toBeGreaterThan(0.9);
    expect(sd / mean).toBeLessThan(1.1);
  });

  it('fixed-rate arrivals are evenly spaced', () => {
    const times = arrivalSchedule(
      arrival({ process: 'steady', rate: 10, poisson: false }),
      { ratePerSecond: 10, durationMs: 2_000 },
      new RandomStream(1, 'arrivals'),
    );
    expect(times.length).toBe(20);
    const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
    expect(Math.max(...gaps) - Math.min(...gaps)).toBeLessThanOrEqual(1);
  });

  it('bursts: nothing in the quiet part, the mean rate kept', () => {
    const a = arrival({ process: 'bursty', rate: 10, on: '2s', off: '3s' });
    const times = arrivalSchedule(a, { ratePerSecond: 10, durationMs: 100_000 }, new RandomStream(3, 'a'));
    expect(times.every((t) => t % 5_000 < 2_000)).toBe(true);
    expect(Math.abs(times.length - 1_000)).toBeLessThan(120);
    expect(rateAt(a, 0.01, 1_000, 100_000)).toBeCloseTo(0.025);
  });

  it('ramp and diurnal follow their rate curves', () => {
    const ramp = arrival({ process: 'ramp', rate: 10, from: 0, to: 2 });
    const times = arrivalSchedule(ramp, { ratePerSecond: 10, durationMs: 100_000 }, new RandomStream(4, 'a'));
    const firstHalf = times.filter((t) => t < 50_000).length;
    // ∫ of a linear ramp: a quarter of the arrivals in the first half.
    expect(firstHalf / times.length).toBeGreaterThan(0.2);
    expect(firstHalf / times.length).toBeLessThan(0.3);
    const day = arrival({ process: 'diurnal', rate: 10, period: '40s', amplitude: 1 });
    expect(rateAt(day, 1, 10_000, 40_000)).toBeCloseTo(2);
    expect(rateAt(day, 1, 30_000, 40_000)).toBeCloseTo(0);
  });

  it('stop at max requests', () => {
    const times = arrivalSchedule(
      arrival({ process: 'steady', rate: 100 }),
      { ratePerSecond: 100, durationMs: 60_000, maxRequests: 25 },
      new RandomStream(1, 'a'),
    );
    expect(times.length).toBe(25);
  });
});

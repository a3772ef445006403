import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { describe, expect, it } from 'vitest';
import { promptText } from '../../src/bench/prompt.js';
import { RandomStream } from '../../src/bench/random.js';
import { sizeSchema } from '../../src/bench/scenario.js';
import { drawSize, meanSize } from '../../src/bench/sizes.js';

const sample = (input: unknown, n = 50_000) => {
  const dist = sizeSchema.parse(input);
  const random = new RandomStream(11, 'sizes');
  const values = Array.from({ length: n }, () => drawSize(dist, random));
  const mean = values.reduce((a, b) => a + b, 0) / n;
  return { dist, values, mean };
};

describe('size distributions', () => {
  it('fixed, also as a bare number', () => {
    expect(sample(42, 10).values.every((v) => v === 42)).toBe(true);
    expect(sample({ dist: 'fixed', value: 7 }, 10).values.every((v) => v === 7)).toBe(true);
  });

  it('uniform: bounds inclusive, mean in the middle', () => {
    const { values, mean, dist } = sample({ dist: 'uniform', min: 10, max: 30 });
    expect(Math.min(...values)).toBe(10);
    expect(Math.max(...values)).toBe(30);
    expect(mean).toBeCloseTo(20, 0);
    expect(meanSize(dist, () => new RandomStream(1, 'm'))).toBe(20);
  });

  it('lognormal: median and mean as the formulas say, clamped when asked', () => {
    const { values, mean, dist } = sample({ dist: 'lognormal', median: 300, sigma: 0.5 });
    const sorted = [...values].sort((a, b) => a - b);
    expect(Math.abs((sorted[values.length / 2] as number) - 300)).toBeLessThan(8);
    const expected = 300 * Math.exp(0.125);
    expect(Math.abs(mean - expected) / expected).toBeLessThan(0.02);
    expect(meanSize(dist, () => new RandomStream(1, 'm'))).toBeCloseTo(expected);
    const clamped = sample({ dist: 'lognormal', median: 300, sigma: 1, min: 100, max: 500 });
    expect(Math.min(...clamped.values)).toBe(100);
    expect(Math.max(...clamped.values)).toBe(500);
    const m = meanSize(clamped.dist, () => new RandomStream(1, 'm'));
    expect(Math.abs(m - clamped.mean) / clamped.mean).toBeLessThan(0.02);
  });

  it('empirical: drawn by weight', () => {
    const { values, dist } = sample({ dist: 'empirical', values: [100, 1000], weights: [3, 1] });
    const share = values.filter((v) => v === 100).length / values.length;
    expect(share).toBeCloseTo(0.75, 1);
    expect(meanSize(dist, () => new RandomStream(1, 'm'))).toBe(325);
  });

  it('prompt text of N words is N tokens in o200k_base', () => {
    for (const n of [1, 17, 300, 2_000]) expect(countTokens(promptText(n))).toBe(n);
  });
});

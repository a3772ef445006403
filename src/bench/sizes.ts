/** Token count distributions for prompts and answers, drawn from a seeded stream. */
import type { RandomStream } from './random.js';
import type { SizeDistribution } from './scenario.js';

/** One draw, a whole number ≥ 1. */
export function drawSize(dist: SizeDistribution, random: RandomStream): number {
  switch (dist.dist) {
    case 'fixed':
      return dist.value;
    case 'uniform':
      return dist.min + Math.floor(random.next() * (dist.max - dist.min + 1));
    case 'lognormal': {
      const raw = Math.round(dist.median * Math.exp(dist.sigma * random.normal()));
      return Math.min(dist.max ?? Number.POSITIVE_INFINITY, Math.max(dist.min ?? 1, raw));
    }
    case 'empirical': {
      const index = dist.weights ? random.pick(dist.weights) : Math.floor(random.next() * dist.values.length);
      return dist.values[index] as number;
    }
  }
}

/**
 * The mean of a distribution: exact where a formula exists, else (clamped
 * lognormal) the mean of a fixed seeded sample, so the same scenario always
 * gets the same arrival rate from `load`.
 */
export function meanSize(dist: SizeDistribution, sample: () => RandomStream): number {
  switch (dist.dist) {
    case 'fixed':
      return dist.value;
    case 'uniform':
      return (dist.min + dist.max) / 2;
    case 'empirical': {
      const weights = dist.weights ?? dist.values.map(() => 1);
      const total = weights.reduce((a, b) => a + b, 0);
      return dist.values.reduce((sum, v, i) => sum + v * (weights[i] as number), 0) / total;
    }
    case 'lognormal': {
      if (dist.min === undefined && dist.max === undefined) {
        return dist.median * Math.exp((dist.sigma * dist.sigma) / 2);
      }
      const random = sample();
      let sum = 0;
      const n = 20_000;
      for (let i = 0; i < n; i++) sum += drawSize(dist, random);
      return sum / n;
    }
  }
}

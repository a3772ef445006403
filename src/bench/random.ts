/**
 * Seeded random streams for workloads. Each concern (arrival times, prompt
 * sizes, tenants …) draws from its own stream, so changing how one is drawn
 * does not shift the others: the same seed gives the same workload.
 */
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

export class RandomStream {
  private readonly rng;
  private spareNormal: number | undefined;

  constructor(seed: number, purpose: string) {
    this.rng = xoroshiro128plus(mix(seed, purpose));
  }

  /** Uniform in [0, 1). */
  next(): number {
    return uniformFloat64(this.rng);
  }

  /** Exponential with the given mean. */
  exponential(mean: number): number {
    // 1 − u is in (0, 1], so the logarithm stays finite.
    return -Math.log(1 - this.next()) * mean;
  }

  /** Standard normal (Box–Muller, both values used). */
  normal(): number {
    if (this.spareNormal !== undefined) {
      const spare = this.spareNormal;
      this.spareNormal = undefined;
      return spare;
    }
    const u = 1 - this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** An index drawn with probability proportional to `weights`. */
  pick(weights: readonly number[]): number {
    const total = weights.reduce((a, b) => a + b, 0);
    let u = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      u -= weights[i] as number;
      if (u < 0) return i;
    }
    return weights.length - 1;
  }
}

/** One 32-bit seed from the run's seed and a purpose name (FNV-1a over the name, then mixed). */
function mix(seed: number, purpose: string): number {
  let h = 0x811c9dc5 ^ seed;
  for (let i = 0; i < purpose.length; i++) h = Math.imul(h ^ purpose.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h ^= h >>> 13;
  return h | 0;
}

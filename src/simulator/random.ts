/**
 * Seeded randomness. Every draw is a function of (seed, request ordinal,
 * purpose), not of a shared stream, so a request's fault or jitter does not
 * depend on how many draws other requests made: the same seed and the same
 * request order give the same run.
 */
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

/** A uniform number in [0, 1) for this seed, ordinal and purpose. */
export function draw(seed: number, ordinal: number, purpose: number): number {
  // Mix the three into one 32-bit seed (multiplicative hashing constants).
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ ordinal, 0xc2b2ae35);
  h = Math.imul(h ^ (purpose + 0x27d4eb2f), 0x165667b1);
  h ^= h >>> 15;
  return uniformFloat64(xoroshiro128plus(h | 0));
}

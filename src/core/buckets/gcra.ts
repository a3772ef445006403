/**
 * Continuous-refill bucket as GCRA: the whole state is one number, the
 * theoretical arrival time `tat` — the instant at which the bucket would be
 * full again. Used units at `now` are `(tat − now) × rate`.
 *
 * This is the model OpenAI's and Anthropic's limits follow (PROVIDERS.md
 * §1.3, §3.2): reset = time to refill completely, and a cost `c` fits after
 * `(used + c − capacity) / rate`. Every function is pure and allocation free
 * so stores can call them on the hot path; Redis runs the same arithmetic in
 * Lua.
 */
import type { ProviderObservation } from '../decision.js';
import type { BucketSpec } from '../limit.js';
import { providerRemaining, usedBeside } from './provider-report.js';

/** Float slack so that a cost computed to fit exactly is not refused by rounding. */
const EPSILON_MS = 1e-6;

/** Ms from `now` until `amount` fits: 0 if it fits now, Infinity if it never can. */
export function gcraWaitMs(tat: number, amount: number, now: number, spec: BucketSpec): number {
  if (amount > spec.capacity) return Number.POSITIVE_INFINITY;
  const base = Math.max(tat, now);
  // Differences first: at epoch-ms scale, adding a small quotient to the base loses more than EPSILON_MS.
  const over = base - now + (amount - spec.capacity) / spec.ratePerMs;
  // A wait too small to move an epoch-ms clock (now + over === now) would be retried at the same
  // instant forever: it is no wait.
  return over > EPSILON_MS && now + over > now ? over : 0;
}

/** Takes `amount` (which may overdraw: settlement charges what was really used). */
export function gcraTake(tat: number, amount: number, now: number, spec: BucketSpec): number {
  return Math.max(tat, now) + amount / spec.ratePerMs;
}

/** Gives back `amount`; a bucket never holds more than full. */
export function gcraGive(tat: number, amount: number, now: number, spec: BucketSpec): number {
  const next = tat - amount / spec.ratePerMs;
  return Math.max(next, now);
}

/** Units used at `now` (0 when full; may exceed capacity after an overdraw). */
export function gcraUsed(tat: number, now: number, spec: BucketSpec): number {
  return tat > now ? (tat - now) * spec.ratePerMs : 0;
}

/** Units that can still be handed out at `now`. */
export function gcraRemaining(tat: number, now: number, spec: BucketSpec): number {
  const left = spec.capacity - gcraUsed(tat, now, spec);
  return Math.max(left, 0);
}

/**
 * The `tat` that a provider's report asks of our bucket (`provider-report.ts`
 * says how its units map onto ours), or `undefined` when it says nothing.
 * Never later than the provider's own reset: its bucket is full then, and so
 * may ours be, whatever the units suggested (mismatched or nonsense headers).
 * Never later than one window either, since at most the whole bucket is used.
 */
export function gcraTatFromProvider(
  observation: ProviderObservation,
  now: number,
  spec: BucketSpec,
): number | undefined {
  const left = providerRemaining(observation, now, spec);
  if (left === undefined) return undefined;
  const tat = now + usedBeside(left, spec) / spec.ratePerMs;
  const { resetAt } = observation;
  return resetAt !== undefined && Number.isFinite(resetAt) ? Math.min(tat, Math.max(resetAt, now)) : tat;
}

/**
 * What a provider's rate-limit report means for one of our buckets.
 *
 * The report describes the PROVIDER's bucket, in its units: its limit `L`
 * (often the whole account's, larger than the share declared for one
 * deployment), what is left `R`, and the time until it is full again
 * (PROVIDERS.md §1.3: a bucket of `L` refilling continuously at `L` per
 * window, `remaining = floor(level)`, reset = `(L − level) · W / L`). Our
 * bucket declares its own limit `D`. The one thing the report says about it
 * is a ceiling: we must not hand out more than the provider has left. So our
 * bucket counts at least `D − R` as used, between 0 and `D`. A provider with
 * more left than our whole bucket changes nothing; an empty provider empties
 * our bucket, which is then full again one window later at most.
 *
 * Measured against `D`, not the capacity: the safety margin stays unused
 * below what the provider has left too, for estimates that fall short and
 * for requests in flight the provider has not counted yet.
 */
import type { ProviderObservation } from '../decision.js';
import type { BucketSpec } from '../limit.js';

/** A bucket without a window (concurrency) can still be paused: for at most this long. */
const WINDOWLESS_PAUSE_MS = 60_000;

/** The provider's limit: the one it reported, else (nothing better known) ours. */
function providerLimit(observation: ProviderObservation, spec: BucketSpec): number {
  const { limit } = observation;
  return limit !== undefined && limit > 0 && Number.isFinite(limit) ? limit : spec.limit;
}

/** The provider's `remaining` header, within [0, its limit]; undefined when absent or not a number. */
export function reportedRemaining(observation: ProviderObservation, spec: BucketSpec): number | undefined {
  const { remaining } = observation;
  if (remaining === undefined || Number.isNaN(remaining)) return undefined;
  return Math.min(Math.max(remaining, 0), providerLimit(observation, spec));
}

/**
 * Units the provider has left on a continuous bucket of our window, from
 * `remaining` and from `resetAt` converted through the provider's limit:
 * `L · (1 − reset / W)`. A reset alone says how long the PROVIDER's bucket
 * of `L` needs to refill, not how long ours does. When both are known the
 * smaller wins (Anthropic rounds remaining tokens to thousands and resets to
 * whole seconds).
 */
export function providerRemaining(
  observation: ProviderObservation,
  now: number,
  spec: BucketSpec,
): number | undefined {
  let remaining = reportedRemaining(observation, spec);
  const { resetAt } = observation;
  if (resetAt !== undefined && Number.isFinite(resetAt) && spec.windowMs > 0) {
    const untilFull = Math.min(Math.max(resetAt - now, 0), spec.windowMs);
    const fromReset = providerLimit(observation, spec) * (1 - untilFull / spec.windowMs);
    remaining = remaining === undefined ? fromReset : Math.min(remaining, fromReset);
  }
  return remaining;
}

/** Units our bucket must count as used so that it never offers more than the provider's `remaining`. */
export function usedBeside(providerLeft: number, spec: BucketSpec): number {
  return Math.min(Math.max(spec.limit - providerLeft, 0), spec.limit);
}

/**
 * The report under which `spec` offers at most `remaining` of its capacity:
 * the inverse of `usedBeside`, for a store that carries a level over from
 * another store (fallback handover) through `sync`.
 */
export function reportOffering(remaining: number, spec: BucketSpec): ProviderObservation {
  return { limit: spec.limit, remaining: remaining + spec.limit - spec.capacity };
}

/**
 * The latest end of a pause on `spec` that starts at `now`. A rate limit is
 * full again within one window, so a pause (a 429's Retry-After) never
 * outlasts one window of the bucket it closes: a wrong or hostile header
 * costs at most that, never days. Waits of a day or more are quotas, which
 * the error classifiers set apart and nothing pauses on.
 */
export function pauseEnd(untilMs: number, now: number, spec: BucketSpec): number {
  const longest = spec.windowMs > 0 ? spec.windowMs : WINDOWLESS_PAUSE_MS;
  return Math.min(untilMs, now + longest);
}

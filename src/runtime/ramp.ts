/**
 * A 429 about a ramp, not a limit (PROVIDERS.md "2026 changes", "Ramps are
 * limited"): OpenAI says so with `slow_down`; Anthropic, Vertex and others
 * throttle sudden growth with a plain 429 while the limits still have room.
 * Such a 429 is told apart here by what Sluice and the provider saw: it
 * names no limit, the deployment's own buckets had plenty of room when the
 * call was admitted, and the provider's headers on the 429 (if any) do not
 * show a bucket run dry. Waiting for a bucket's reset does not fix a ramp; a lower admitted
 * rate does (feedback.ts `applyRateLimited`).
 */
import type { BucketSpec } from '../core/limit.js';
import type { ProviderError } from '../providers/adapter.js';
import type { Deployment } from './deployment.js';
import type { SizeClass } from './size-class.js';

/** Share of a bucket still free after the grant that counts as plenty of room. */
const PLENTY = 0.5;

/**
 * `error`, marked `slowDown` when it is a ramp 429: already marked by its
 * provider, or a 429 that came while every bucket of the deployment had
 * plenty of room. `held` and `remaining` are the admission's buckets and
 * what each had left after the grant.
 */
export function asRampSignal(input: {
  error: ProviderError;
  deployment: Deployment;
  sizeClass: SizeClass;
  held: readonly BucketSpec[];
  remaining: readonly number[];
  now: number;
}): ProviderError {
  const { error, deployment } = input;
  // A 429 naming the limit it hit says that limit is used up (by other clients of the key, perhaps).
  if (error.kind !== 'rate_limited' || error.slowDown || error.dimension) return error;
  const own = deployment.buckets(input.sizeClass).filter((b) => b !== deployment.gate);
  if (own.length === 0) return error; // no limit known: nothing says there was room
  for (const bucket of own) {
    const at = input.held.indexOf(bucket);
    const left = at < 0 ? undefined : input.remaining[at];
    if (left === undefined || left < bucket.capacity * PLENTY) return error;
  }
  return providerShowsRoom(deployment, input.now) ? { ...error, slowDown: true } : error;
}

/** Whether the 429's own rate-limit headers (applied at `now`) left every bucket they name with plenty of room. */
function providerShowsRoom(deployment: Deployment, now: number): boolean {
  if (deployment.lastObservedAt !== now) return true; // it sent none: Sluice's own view stands
  return deployment.lastObservations.every(
    (o) => o.remaining === undefined || o.limit === undefined || o.remaining >= o.limit * PLENTY,
  );
}

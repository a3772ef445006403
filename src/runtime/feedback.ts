/**
 * The provider is the truth (DESIGN.md, idea 6): every response's rate-limit
 * headers re-sync the deployment's buckets, so traffic from other clients on
 * the same key is seen within one response; a 429 pauses the bucket that
 * fired until the provider's time and lowers the deployment's admitted rate.
 * Store writes are not awaited: feedback never adds latency to a request.
 */
import { pauseEnd } from '../core/buckets/provider-report.js';
import type { BucketSpec } from '../core/limit.js';
import type { ProviderError, RateLimitObservation } from '../providers/adapter.js';
import type { Store } from '../stores/store.js';
import type { Deployment } from './deployment.js';
import type { Emit } from './events.js';
import { onDeclaredWindow } from './fixed-window-observation.js';
import type { SizeClass } from './size-class.js';

/** How long to pause when a 429 carries no hint at all. */
const DEFAULT_PAUSE_MS = 1_000;

export function applyObservations(
  store: Store,
  deployment: Deployment,
  reported: readonly RateLimitObservation[],
  now: number,
  emit: Emit,
  /** The answer's size class: the same header names speak of that class's limits (size-class.ts). */
  sizeClass: SizeClass = 'standard',
): void {
  if (reported.length === 0) return;
  const buckets = deployment.buckets();
  const observations = reported.map((observation) => onDeclaredWindow(buckets, observation));
  deployment.lastObservations = observations;
  deployment.lastObservedAt = now;
  emit('observed', { deployment: deployment.id, observations });
  for (const observation of observations) {
    if (observation.clamped) emit('clamped', { deployment: deployment.id, clamp: observation.clamped });
    const change = deployment.learn(observation, sizeClass);
    if (change) emit('limit', { deployment: deployment.id, ...change });
    if (observation.scope === 'project') continue;
    const bucket = deployment.bucketFor(observation.dimension, observation.window, sizeClass);
    if (!bucket) continue;
    void store
      .sync(bucket, {
        remaining: observation.remaining,
        resetAt: observation.resetAt,
        limit: observation.limit,
      })
      .catch(() => undefined);
  }
}

export function applyRateLimited(
  store: Store,
  deployment: Deployment,
  error: ProviderError,
  now: number,
  emit: Emit,
  sizeClass: SizeClass = 'standard',
  sentAt?: number,
): void {
  deployment.onRateLimited(sentAt === undefined ? undefined : { sentAt, now });
  emit('adaptive', { deployment: deployment.id, factor: deployment.rate.factor });
  // A ramp 429 (`slowDown`, ramp.ts) leaves the bucket it names with room: the lower
  // rate above is the answer, and only the gate pauses, for the provider's short wait.
  const named =
    !error.slowDown && error.dimension
      ? deployment.bucketFor(error.dimension, error.window ?? 'minute', sizeClass)
      : undefined;
  const bucket = named ?? deployment.gate;
  // The provider's Retry-After is honoured up to its own reset of that
  // bucket, and a pause never outlasts one window of it (the gate's is a
  // minute). Waits of a day or more never get here: they are quotas.
  const asked = now + (error.retryAfterMs ?? DEFAULT_PAUSE_MS);
  const untilMs = pauseEnd(Math.min(asked, statedResetOf(deployment, bucket, now, sizeClass)), now, bucket);
  emit('paused', { deployment: deployment.id, bucket: bucket.key, untilMs });
  void store.pause(bucket, untilMs).catch(() => undefined);
}

/**
 * When the response that carried the 429 said `bucket` is full again (its
 * own rate-limit headers, applied just before by `applyObservations`), or
 * +Infinity when it said nothing about it.
 */
function statedResetOf(
  deployment: Deployment,
  bucket: BucketSpec,
  now: number,
  sizeClass: SizeClass,
): number {
  if (deployment.lastObservedAt !== now) return Number.POSITIVE_INFINITY;
  let resetAt: number | undefined;
  for (const observation of deployment.lastObservations) {
    if (observation.resetAt === undefined || observation.scope === 'project') continue;
    if (deployment.bucketFor(observation.dimension, observation.window, sizeClass) !== bucket) continue;
    resetAt = Math.max(resetAt ?? now, observation.resetAt);
  }
  return resetAt ?? Number.POSITIVE_INFINITY;
}

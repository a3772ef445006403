/**
 * A provider's report on a limit this deployment declares as a fixed or
 * sliced window. Where the adapter had to guess the report's window from its
 * numbers (`inferred`, `assumed`), it guessed through the continuous-bucket
 * formula (window = reset · L / (L − remaining), PROVIDERS.md §1.3), which
 * means nothing over a fixed window: there, reset is the time to the next
 * boundary. One request into a fixed minute with 55 s to go reads as a
 * per-day limit, and would be learned as one. The declaration is the better
 * witness: the report is about the deployment's fixed limit on that dimension.
 */
import type { BucketSpec } from '../core/limit.js';
import type { RateLimitObservation } from '../providers/adapter.js';

export function onDeclaredWindow(
  buckets: readonly BucketSpec[],
  observation: RateLimitObservation,
): RateLimitObservation {
  if (observation.windowBasis !== 'inferred' && observation.windowBasis !== 'assumed') return observation;
  let fixed: BucketSpec | undefined;
  for (const bucket of buckets) {
    if (!bucket.fixed || bucket.dimension !== observation.dimension) continue;
    if (fixed) return observation; // two fixed windows on one dimension: nothing to choose by
    fixed = bucket;
  }
  if (!fixed?.per || fixed.per === observation.window) return observation;
  return { ...observation, window: fixed.per, windowBasis: 'configured' };
}

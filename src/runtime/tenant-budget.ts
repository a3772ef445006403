/**
 * A tenant's own budget as OpenAI-style rate-limit headers
 * (`x-ratelimit-limit-requests`, `-remaining-tokens`, `-reset-requests` …), so
 * that existing SDKs and clients back off on their own before they are refused.
 */
import type { BucketSpec } from '../core/limit.js';

export interface BudgetLine {
  readonly limit: number;
  readonly remaining: number;
  /** Ms until the bucket is full again. */
  readonly resetMs: number;
}

export interface TenantBudget {
  readonly requests?: BudgetLine | undefined;
  readonly tokens?: BudgetLine | undefined;
}

/**
 * The tenant's per-minute requests and tokens lines, from the remaining
 * units the store reported for `buckets`, of which `tenantBuckets` (the
 * tenant's buckets this call was charged on) come last.
 */
export function budgetOf(
  tenantBuckets: readonly BucketSpec[],
  buckets: readonly BucketSpec[],
  remaining: readonly number[],
): TenantBudget {
  const offset = buckets.length - tenantBuckets.length;
  let requests: BudgetLine | undefined;
  let tokens: BudgetLine | undefined;
  for (let i = 0; i < tenantBuckets.length; i++) {
    const spec = tenantBuckets[i] as BucketSpec;
    if (spec.per !== 'minute' || (spec.dimension !== 'requests' && spec.dimension !== 'tokens')) continue;
    const left = remaining[offset + i] ?? spec.capacity;
    const line = { limit: spec.limit, remaining: left, resetMs: (spec.capacity - left) / spec.ratePerMs };
    if (spec.dimension === 'requests') requests = line;
    else tokens = line;
  }
  return { requests, tokens };
}

/**
 * A tenant's own budget as OpenAI-style rate-limit headers
 * (`x-ratelimit-limit-requests`, `-remaining-tokens`, `-reset-requests` …), so
 * that existing SDKs and clients back off on their own before they are refused.
 */
import type { BucketSpec } from '../core/limit.js';
import type { Tenant } from './tenants.js';

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
 * units the store reported for `buckets` (the tenant's buckets come last).
 */
export function budgetOf(
  tenant: Tenant,
  buckets: readonly BucketSpec[],
  remaining: readonly number[],
): TenantBudget {
  const offset = buckets.length - tenant.buckets.length;
  let requests: BudgetLine | undefined;
  let tokens: BudgetLine | undefined;
  for (let i = 0; i < tenant.buckets.length; i++) {
    const spec = tenant.buckets[i] as BucketSpec;
    if (spec.per !== 'minute' || (spec.dimension !== 'requests' && spec.dimension !== 'tokens')) continue;
    const left = remaining[offset + i] ?? spec.capacity;
    const line = { limit: spec.limit, remaining: left, resetMs: (spec.capacity - left) / spec.ratePerMs };
    if (spec.dimension === 'requests') requests = line;
    else tokens = line;
  }
  return { requests, tokens };
}

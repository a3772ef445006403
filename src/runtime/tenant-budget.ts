/**
 * A tenant's own budget as OpenAI-style rate-limit headers
 * (`x-ratelimit-limit-requests`, `-remaining-tokens`, `-reset-requests` …), so
 * that existing SDKs and clients back off on their own before they are refused.
 */
import type { BucketSpec } from '../core/limit.js';
import type { Admitted } from './admission.js';
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

/** The tenant's per-minute requests and tokens buckets after this admission. */
export function budgetOf(tenant: Tenant, buckets: readonly BucketSpec[], admitted: Admitted): TenantBudget {
  const offset = buckets.length - tenant.buckets.length;
  const line = (dimension: 'requests' | 'tokens'): BudgetLine | undefined => {
    const index = tenant.buckets.findIndex((b) => b.dimension === dimension && b.per === 'minute');
    if (index < 0) return undefined;
    const spec = tenant.buckets[index] as BucketSpec;
    const remaining = admitted.remaining[offset + index] ?? spec.capacity;
    return { limit: spec.limit, remaining, resetMs: (spec.capacity - remaining) / spec.ratePerMs };
  };
  return { requests: line('requests'), tokens: line('tokens') };
}

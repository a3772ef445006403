/**
 * A tenant's own budget as OpenAI-style rate-limit headers
 * (`x-ratelimit-limit-requests`, `-remaining-tokens`, `-reset-requests` …), so
 * that existing SDKs and clients back off on their own before they are refused.
 */
import type { BucketSnapshot } from '../core/decision.js';
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
  /** The spending budget with the fewest dollars left (`usd_per_day` or `usd_per_month`). */
  readonly spend?: SpendLine | undefined;
}

export interface SpendLine {
  readonly limit: number;
  readonly remaining: number;
  readonly per: 'day' | 'month';
}

/** Keeps the tighter of two spending lines. */
function tighter(line: SpendLine | undefined, spec: BucketSpec, remaining: number): SpendLine | undefined {
  if (spec.dimension !== 'usd' || (spec.per !== 'day' && spec.per !== 'month')) return line;
  if (line && line.remaining <= remaining) return line;
  return { limit: spec.limit, remaining, per: spec.per };
}

/**
 * The tenant's per-minute requests and tokens lines, from the remaining
 * units the store reported for `buckets` (read by each bucket's scope, not
 * its position: any of them may be the tenant's).
 */
export function budgetOf(buckets: readonly BucketSpec[], remaining: readonly number[]): TenantBudget {
  let requests: BudgetLine | undefined;
  let tokens: BudgetLine | undefined;
  let spend: SpendLine | undefined;
  for (let i = 0; i < buckets.length; i++) {
    const spec = buckets[i] as BucketSpec;
    if (spec.scope?.kind !== 'tenant') continue;
    spend = tighter(spend, spec, remaining[i] ?? spec.capacity);
    if (spec.per !== 'minute') continue;
    if (spec.dimension !== 'requests' && spec.dimension !== 'tokens') continue;
    const left = remaining[i] ?? spec.capacity;
    const line = { limit: spec.limit, remaining: left, resetMs: (spec.capacity - left) / spec.ratePerMs };
    if (spec.dimension === 'requests') requests = line;
    else tokens = line;
  }
  return { requests, tokens, spend };
}

/**
 * The budget from a `peek` of the tenant's buckets (refusals and upstream
 * errors, where no admission produced one). Same lines as `budgetOf`: the
 * per-minute requests and tokens buckets.
 */
export function budgetFromSnapshots(tenant: Tenant, snapshots: readonly BucketSnapshot[]): TenantBudget {
  let requests: BudgetLine | undefined;
  let tokens: BudgetLine | undefined;
  let spend: SpendLine | undefined;
  tenant.buckets.forEach((spec, i) => {
    const snapshot = snapshots[i];
    if (!snapshot) return;
    spend = tighter(spend, spec, snapshot.remaining);
    if (spec.per !== 'minute') return;
    const line = { limit: spec.limit, remaining: snapshot.remaining, resetMs: snapshot.resetMs };
    if (spec.dimension === 'requests') requests = line;
    else if (spec.dimension === 'tokens') tokens = line;
  });
  return { requests, tokens, spend };
}

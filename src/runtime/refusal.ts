/**
 * When Sluice itself says no. One typed shape, mapped to a status, headers
 * and the provider's own error JSON in exactly one place (`refusalPayload`),
 * so the official SDKs raise their own error classes and back off correctly.
 */
import type { Dimension } from '../core/cost.js';
import type { Window } from '../core/limit.js';
import type { ErrorPayload, ProviderAdapter, RefusalKind } from '../providers/adapter.js';

/** Stable machine-readable reasons, also used as metric labels. */
export type RefusalCode =
  | 'tenant_rate_limited' // the tenant's own tier budget binds → 429
  | 'request_too_large' // larger than a whole limit: no retry helps → 429, x-should-retry: false
  | 'capacity_exhausted' // upstream capacity cannot serve it before its deadline → 503
  | 'queue_full' // no room in the queue → 503
  | 'circuit_open' // every deployment is failing → 503
  | 'store_unavailable' // shared state unreachable and the policy is fail-closed → 503
  | 'unknown_model' // → 404
  | 'model_not_allowed' // the tenant may not use this group → 403
  | 'invalid_request' // → 400
  | 'aborted' // the caller went away (499 in logs; nobody reads the answer)
  | 'shutting_down'; // → 503

export interface LimitRef {
  readonly scope: 'tenant' | 'deployment' | 'pool';
  readonly owner: string;
  readonly key: string;
  readonly dimension: Dimension;
  readonly per: Window | undefined;
  readonly limit: number;
}

export interface Refusal {
  readonly code: RefusalCode;
  readonly status: number;
  readonly message: string;
  /** When to come back; undefined when waiting cannot help. */
  readonly retryAfterMs: number | undefined;
  /** False tells the official SDKs not to retry on their own. */
  readonly shouldRetry: boolean;
  readonly limitedBy?: LimitRef | undefined;
}

const KIND_BY_STATUS: Readonly<Record<number, RefusalKind>> = Object.freeze({
  400: 'invalid_request',
  401: 'authentication',
  403: 'permission',
  404: 'not_found',
  413: 'request_too_large',
  429: 'rate_limit',
  503: 'overloaded',
});

export interface RefusalResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: unknown;
}

/** Status, headers (Retry-After, x-should-retry) and the provider-format body of a refusal. */
export function refusalPayload(
  refusal: Refusal,
  adapter: ProviderAdapter,
  endpoint?: Parameters<ProviderAdapter['errorPayload']>[2],
): RefusalResponse {
  const kind = KIND_BY_STATUS[refusal.status] ?? 'api_error';
  const payload: ErrorPayload = adapter.errorPayload(kind, refusal.message, endpoint);
  const headers: Record<string, string> = { 'x-sluice-refusal': refusal.code };
  if (refusal.retryAfterMs !== undefined && Number.isFinite(refusal.retryAfterMs)) {
    headers['retry-after'] = String(Math.max(1, Math.ceil(refusal.retryAfterMs / 1000)));
    headers['retry-after-ms'] = String(Math.max(1, Math.ceil(refusal.retryAfterMs)));
  }
  if (!refusal.shouldRetry) headers['x-should-retry'] = 'false';
  return { status: refusal.status, headers, body: payload.body };
}

export function describeLimit(ref: LimitRef): string {
  const per = ref.per ? ` per ${ref.per}` : '';
  const what = ref.dimension === 'concurrency' ? 'concurrent requests' : ref.dimension.replace('_', ' ');
  return `${ref.scope} ${ref.owner}: ${Math.round(ref.limit).toLocaleString('en-US')} ${what}${per}`;
}

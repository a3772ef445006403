/**
 * When Sluice itself says no. One typed shape, mapped to a status, headers
 * and the provider's own error JSON in exactly one place (`refusalPayload`),
 * so the official SDKs raise their own error classes and back off correctly.
 */
import type { Dimension } from '../core/cost.js';
import type { BucketSpec, Window } from '../core/limit.js';
import type { ErrorPayload, ProviderAdapter, RefusalKind } from '../providers/adapter.js';
import type { Refused } from './admission.js';

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
  const payload: ErrorPayload = adapter.errorPayload(kind, refusal.message, endpoint, refusal.status);
  const headers: Record<string, string> = { 'x-sluice-refusal': refusal.code };
  if (refusal.retryAfterMs !== undefined && Number.isFinite(refusal.retryAfterMs)) {
    headers['retry-after'] = String(Math.max(1, Math.ceil(refusal.retryAfterMs / 1000)));
    headers['retry-after-ms'] = String(Math.max(1, Math.ceil(refusal.retryAfterMs)));
  }
  if (!refusal.shouldRetry) headers['x-should-retry'] = 'false';
  return { status: refusal.status, headers, body: payload.body };
}

/** A limit with its owner and number (`deployment d1: 600 requests per minute`): tenants see only their own. */
export function describeLimit(ref: LimitRef): string {
  const per = ref.per ? ` per ${ref.per}` : '';
  return `${ref.scope} ${ref.owner}: ${Math.round(ref.limit).toLocaleString('en-US')} ${dimensionWords(ref)}${per}`;
}

function dimensionWords(ref: LimitRef | undefined): string {
  if (ref === undefined) return 'capacity';
  return ref.dimension === 'concurrency' ? 'concurrent requests' : ref.dimension.replace('_', ' ');
}

/** Which scope a bucket belongs to, from its key (`tenant:acme:…`, `pool:org:…`, `deployment:d1:…`). */
export function limitRef(spec: BucketSpec): LimitRef {
  const [scope, owner = ''] = spec.key.split(':');
  return {
    scope: scope === 'tenant' || scope === 'pool' ? scope : 'deployment',
    owner,
    key: spec.key,
    dimension: spec.dimension,
    per: spec.per,
    limit: spec.limit,
  };
}

/** A refusal that names no limit (unknown model, no healthy deployment, shutdown …). */
export function simpleRefusal(
  code: RefusalCode,
  status: number,
  message: string,
  retryAfterMs?: number,
): Refusal {
  const shouldRetry = code === 'circuit_open' || code === 'shutting_down' || code === 'store_unavailable';
  return { code, status, message, retryAfterMs, shouldRetry };
}

/**
 * The answer to a call admission refused: 429 when the tenant's own budget
 * binds or the request can never fit, 503 when upstream capacity or the
 * queue cannot serve it in time. The message names the limit in the
 * tenant's terms: its own tier budget with its number, or "upstream
 * capacity for `group`" — deployment and pool names and their declared
 * limits are the operator's (they stay on `limitedBy`, for logs and metrics).
 */
export function refusalFromAdmission(
  refused: Refused,
  context: { priority: string; group: string },
): Refusal {
  const ref = refused.limitedBy ? limitRef(refused.limitedBy) : undefined;
  const retryAfterMs = Number.isFinite(refused.retryAfterMs) ? refused.retryAfterMs : undefined;
  const own = ref?.scope === 'tenant' ? describeLimit(ref) : undefined;
  const withRef = (code: RefusalCode, status: number, message: string): Refusal => ({
    ...simpleRefusal(code, status, message, retryAfterMs),
    shouldRetry: code !== 'request_too_large' && code !== 'aborted',
    limitedBy: ref,
  });
  switch (refused.cause) {
    case 'too_large':
      return {
        ...withRef(
          'request_too_large',
          429,
          `Request too large: it needs more ${dimensionWords(ref)} than ${own ? `the whole limit of ${own}` : `the upstream capacity for \`${context.group}\` allows at once`}. Reduce the prompt or max tokens.`,
        ),
        retryAfterMs: undefined,
      };
    case 'aborted':
      return withRef('aborted', 499, 'The caller went away.');
    case 'unavailable':
      return withRef(
        'store_unavailable',
        503,
        `Shared rate-limit state is unreachable; try again in ${inSeconds(retryAfterMs)}.`,
      );
    case 'closed':
      return withRef('shutting_down', 503, 'Sluice is shutting down.');
    case 'queue_full':
    case 'shed':
      return withRef(
        'queue_full',
        503,
        `The ${context.priority} queue is full; try again in ${inSeconds(retryAfterMs)}.`,
      );
    default:
      if (own) {
        return withRef(
          'tenant_rate_limited',
          429,
          `Rate limit reached for ${own}. Please try again in ${inSeconds(retryAfterMs)}.`,
        );
      }
      return withRef(
        'capacity_exhausted',
        503,
        `Upstream capacity for \`${context.group}\` cannot serve this request within its wait limit. Please try again in ${inSeconds(retryAfterMs)}.`,
      );
  }
}

/** A duration as the providers write it in their messages: `850ms`, `2.5s`. */
export function inSeconds(ms: number | undefined): string {
  if (ms === undefined) return 'a while';
  return ms < 1_000 ? `${Math.max(1, Math.ceil(ms))}ms` : `${(ms / 1_000).toFixed(1)}s`;
}

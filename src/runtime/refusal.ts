/**
 * Every answer Sluice gives on its own — a refusal by admission, a bad
 * request, an unknown model, an upstream it could not reach — is a typed
 * `Refusal` with a stable `code`. `REFUSALS` is the one table that maps a
 * code to an HTTP status, the kind of error envelope it is written in, and
 * whether a client's retry can ever help; `exchange/answer.ts` is the one
 * place that writes it (status, headers, the caller's own error JSON).
 */
import type { Dimension } from '../core/cost.js';
import type { BucketSpec, Window } from '../core/limit.js';
import type { RefusalKind } from '../providers/adapter.js';
import type { Refused } from './admission.js';

export interface RefusalRule {
  readonly status: number;
  /** The error envelope's kind (its `type` / `status` field in each family). */
  readonly kind: RefusalKind;
  /** No retry can help (bad input, not allowed, too large): the answer says `x-should-retry: false`. */
  readonly final: boolean;
}

const rule = (status: number, kind: RefusalKind, final: boolean): RefusalRule =>
  Object.freeze({ status, kind, final });

/** Stable machine-readable reasons (also the `x-sluice-refusal` header and metric labels) and their HTTP. */
export const REFUSALS = Object.freeze({
  // Admission
  tenant_rate_limited: rule(429, 'rate_limit', false), // the tenant's own tier budget binds
  budget_exceeded: rule(429, 'budget', false), // the tenant's spending budget (usd_per_day, usd_per_month) is spent
  request_too_large: rule(429, 'rate_limit', true), // larger than a whole limit: no wait helps
  capacity_exhausted: rule(503, 'overloaded', false), // upstream capacity cannot serve it before its deadline
  queue_full: rule(503, 'overloaded', false), // no room in the queue, or shed for more urgent work
  circuit_open: rule(503, 'overloaded', false), // every deployment is failing
  store_unavailable: rule(503, 'overloaded', false), // shared state unreachable, policy fail-closed
  shutting_down: rule(503, 'overloaded', false), // the gateway is draining
  drain_timeout: rule(503, 'overloaded', false), // still waiting when the drain bound passed
  paused_under_load: rule(503, 'overloaded', false), // its class is paused while the group mitigates (load at act)
  // Who and what
  unauthenticated: rule(401, 'authentication', true), // no key or an unknown one
  unknown_tenant: rule(403, 'permission', true), // a tenant the configuration does not declare
  model_not_allowed: rule(403, 'permission', true), // the tenant may not use this group
  unknown_model: rule(404, 'not_found', true), // no such model group (or not on this API)
  not_found: rule(404, 'not_found', true), // no such path
  // The request itself
  invalid_request: rule(400, 'invalid_request', true),
  invalid_json: rule(400, 'invalid_request', true),
  json_too_deep: rule(400, 'invalid_request', true),
  missing_model: rule(400, 'invalid_request', true),
  untranslatable: rule(400, 'invalid_request', true), // no deployment of the group can take a parameter in another API
  invalid_priority: rule(400, 'invalid_request', true),
  invalid_max_wait: rule(400, 'invalid_request', true),
  invalid_idempotency_key: rule(400, 'invalid_request', true),
  idempotency_key_reused: rule(422, 'invalid_request', true), // the key was first used with another request
  idempotency_key_in_use: rule(409, 'invalid_request', false), // the key's first call is still running: come back
  invalid_path: rule(400, 'invalid_request', true),
  invalid_encoding: rule(400, 'invalid_request', true), // a body that does not decode
  unsupported_encoding: rule(415, 'invalid_request', true), // a content-encoding other than gzip, deflate, br
  body_too_large: rule(413, 'request_too_large', true),
  // The background lane (files and batches)
  file_too_large: rule(413, 'request_too_large', true), // an upload or batch over the lane's or the tier's byte cap
  invalid_file: rule(400, 'invalid_request', true), // an upload that is not a batch input, or an input file of another purpose
  file_not_found: rule(404, 'not_found', true), // no such file of this tenant's
  batch_not_found: rule(404, 'not_found', true), // no such batch of this tenant's (on this API)
  batch_too_many_lines: rule(400, 'invalid_request', true), // over the lane's or the tier's lines per batch
  batch_empty: rule(400, 'invalid_request', true), // not one line of the input can run
  batch_tokens_exceeded: rule(429, 'rate_limit', true), // the tier's enqueued input tokens: waits for batches to end, not for a retry
  batch_not_cancellable: rule(409, 'invalid_request', true), // the batch already ended
  batch_not_ended: rule(400, 'invalid_request', true), // results or deletion of a batch still processing
  // HTTP itself, as Node's parser refused it
  invalid_http: rule(400, 'invalid_request', true), // a malformed request line or header
  headers_too_large: rule(431, 'request_too_large', true),
  request_timeout: rule(408, 'invalid_request', false), // the request did not arrive in time: a retry may pass
  expectation_failed: rule(417, 'invalid_request', true), // an `Expect` other than 100-continue
  // Upstream, as Sluice answers for it
  upstream_unreachable: rule(502, 'api_error', false), // no connection could be made (refused, no route, connect timeout)
  upstream_unconfirmed: rule(502, 'api_error', true), // no answer after the request may have arrived: not sent again without an Idempotency-Key
  upstream_credentials: rule(502, 'api_error', true), // the provider refused the deployment's own key
  untranslatable_answer: rule(502, 'api_error', true), // the upstream answered with what the caller's API cannot hold
  insufficient_quota: rule(429, 'rate_limit', true), // every deployment's key is out of quota or credit
  // Neither
  internal_error: rule(500, 'api_error', false),
  aborted: rule(499, 'api_error', true), // the caller went away: nobody reads an answer
} satisfies Record<string, RefusalRule>);

export type RefusalCode = keyof typeof REFUSALS;

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
  /** What the caller reads: in its own terms, never an internal name, limit or address. */
  readonly message: string;
  /** When to come back; undefined when waiting cannot help or nothing is known. */
  readonly retryAfterMs: number | undefined;
  /** The limit that bound (for logs, metrics and the admin API; not shown to tenants). */
  readonly limitedBy?: LimitRef | undefined;
  /** What the operator should know and the caller should not (an upstream address, an error). */
  readonly detail?: string | undefined;
}

export function refusal(
  code: RefusalCode,
  message: string,
  extra: { retryAfterMs?: number | undefined; limitedBy?: LimitRef | undefined; detail?: string } = {},
): Refusal {
  return {
    code,
    message,
    retryAfterMs: extra.retryAfterMs,
    limitedBy: extra.limitedBy,
    detail: extra.detail,
  };
}

export function statusOf(code: RefusalCode): number {
  return REFUSALS[code].status;
}

/** A limit with its owner and number (`tenant acme: 600 requests per minute`): tenants see only their own. */
export function describeLimit(ref: LimitRef): string {
  const per = ref.per ? ` per ${ref.per}` : '';
  if (ref.dimension === 'usd') return `${ref.scope} ${ref.owner}: ${usd(ref.limit)}${per}`;
  return `${ref.scope} ${ref.owner}: ${Math.round(ref.limit).toLocaleString('en-US')} ${dimensionWords(ref)}${per}`;
}

/** Dollars as a budget is written: `$50.00`, `$0.25`, `$0.002`. */
function usd(amount: number): string {
  const digits = amount >= 1 ? 2 : 6;
  return `$${amount.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: digits })}`;
}

function dimensionWords(ref: LimitRef | undefined): string {
  if (ref === undefined) return 'capacity';
  if (ref.dimension === 'usd') return 'budget';
  return ref.dimension === 'concurrency' ? 'concurrent requests' : ref.dimension.replace('_', ' ');
}

/** A bucket as a refusal names it; buckets outside a topology count as the deployment's. */
export function limitRef(spec: BucketSpec): LimitRef {
  return {
    scope: spec.scope?.kind ?? 'deployment',
    owner: spec.scope?.owner ?? '',
    key: spec.key,
    dimension: spec.dimension,
    per: spec.per,
    limit: spec.limit,
  };
}

/**
 * The refusal of a call admission turned down: the tenant's own budget
 * (429) or a request that can never fit (429, final), or upstream capacity
 * or the queue that cannot serve it in time (503). The message names the
 * limit in the tenant's terms: its own tier budget with its number, or
 * "upstream capacity for `group`" — deployment and pool names and their
 * declared limits are the operator's (they stay on `limitedBy`).
 */
export function refusalFromAdmission(
  refused: Refused,
  context: { priority: string; group: string },
): Refusal {
  const ref = refused.limitedBy ? limitRef(refused.limitedBy) : undefined;
  const retryAfterMs = Number.isFinite(refused.retryAfterMs) ? refused.retryAfterMs : undefined;
  const own = ref?.scope === 'tenant' ? describeLimit(ref) : undefined;
  const bound = (code: RefusalCode, message: string, wait = retryAfterMs): Refusal =>
    refusal(code, message, { retryAfterMs: wait, limitedBy: ref });
  switch (refused.cause) {
    case 'too_large':
      return bound(
        'request_too_large',
        `Request too large: it needs more ${dimensionWords(ref)} than ${own ? `the whole limit of ${own}` : `the upstream capacity for \`${context.group}\` allows at once`}. Reduce the prompt or max tokens.`,
        undefined,
      );
    case 'aborted':
      return bound('aborted', 'The caller went away.');
    case 'unavailable':
      return bound(
        'store_unavailable',
        `Shared rate-limit state is unreachable; try again in ${inSeconds(retryAfterMs)}.`,
      );
    case 'closed':
      return bound('shutting_down', 'Sluice is shutting down.');
    case 'queue_full':
    case 'shed':
      return bound(
        'queue_full',
        `The ${context.priority} queue is full; try again in ${inSeconds(retryAfterMs)}.`,
      );
    default:
      if (own && ref?.dimension === 'usd') {
        return bound(
          'budget_exceeded',
          `Spending budget reached for ${own}. It allows more in ${inHours(retryAfterMs)}.`,
        );
      }
      if (own) {
        return bound(
          'tenant_rate_limited',
          `Rate limit reached for ${own}. Please try again in ${inSeconds(retryAfterMs)}.`,
        );
      }
      return bound(
        'capacity_exhausted',
        `Upstream capacity for \`${context.group}\` cannot serve this request within its wait limit. Please try again in ${inSeconds(retryAfterMs)}.`,
      );
  }
}

/** A duration as the providers write it in their messages: `850ms`, `2.5s`. */
export function inSeconds(ms: number | undefined): string {
  if (ms === undefined) return 'a while';
  return ms < 1_000 ? `${Math.max(1, Math.ceil(ms))}ms` : `${(ms / 1_000).toFixed(1)}s`;
}

/** A long wait in words: `42s`, `3h 20m`, `12d 4h` (a budget's window may be a month away). */
export function inHours(ms: number | undefined): string {
  if (ms === undefined || ms < 60_000) return inSeconds(ms);
  const minutes = Math.ceil(ms / 60_000);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h ${minutes % 60}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

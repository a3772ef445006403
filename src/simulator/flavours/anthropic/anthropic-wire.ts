/**
 * Anthropic's headers and error bodies (PROVIDERS.md §3.1, §3.3, §8.9–8.12).
 */
import type { FaultKind, FaultSpec } from '../../config.js';
import type { CallIds, Headers, Reply } from '../../flavour.js';
import type { BucketView, LimitDimension } from '../../limits/bucket.js';
import type { Refusal, RefusedDimension } from '../../limits/scope.js';
import { retryAfterSeconds, rfc3339Seconds } from '../../wire-time.js';

export type AnthropicErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'api_error'
  | 'overloaded_error';

export function anthropicError(
  status: number,
  type: AnthropicErrorType,
  message: string,
  headers: Headers,
  details?: Record<string, unknown>,
): Reply {
  const error = details ? { type, message, details } : { type, message };
  return {
    status,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ type: 'error', error, request_id: headers['request-id'] }),
  };
}

export interface AnthropicHeaderOptions {
  readonly organizationId: string;
  readonly roundRemaining: boolean;
}

/**
 * `anthropic-ratelimit-*` for the buckets that exist. Reset values are the
 * instant each bucket is full again; token `remaining` values are rounded
 * to the nearest thousand when so configured, as documented.
 * `tokens-*` shows the total-token limit when one is configured, else the
 * sum of the input and output buckets (§3.1).
 */
export function anthropicHeaders(
  views: readonly BucketView[],
  now: number,
  ids: CallIds,
  options: AnthropicHeaderOptions,
): Headers {
  const headers: Headers = {
    'content-type': 'application/json',
    'request-id': ids.requestId,
    'anthropic-organization-id': options.organizationId,
  };
  const roundTokens = (n: number) => (options.roundRemaining ? Math.round(n / 1000) * 1000 : n);
  const put = (
    name: string,
    view: { limit: number; remaining: number; resetMs: number },
    tokens: boolean,
  ) => {
    headers[`anthropic-ratelimit-${name}-limit`] = String(view.limit);
    headers[`anthropic-ratelimit-${name}-remaining`] = String(
      tokens ? roundTokens(view.remaining) : view.remaining,
    );
    headers[`anthropic-ratelimit-${name}-reset`] = rfc3339Seconds(now + view.resetMs);
  };
  const requests = find(views, 'rpm') ?? find(views, 'rpd');
  const input = find(views, 'itpm');
  const output = find(views, 'otpm');
  const total = find(views, 'tpm') ?? find(views, 'tpd');
  if (requests) put('requests', requests, false);
  if (input) put('input-tokens', input, true);
  if (output) put('output-tokens', output, true);
  if (total) put('tokens', total, true);
  else if (input || output) {
    const parts = [input, output].filter((v): v is BucketView => v !== undefined);
    put(
      'tokens',
      {
        limit: parts.reduce((s, v) => s + v.limit, 0),
        remaining: parts.reduce((s, v) => s + v.remaining, 0),
        resetMs: Math.max(...parts.map((v) => v.resetMs)),
      },
      true,
    );
  }
  return headers;
}

function find(views: readonly BucketView[], dimension: LimitDimension): BucketView | undefined {
  return views.find((v) => v.dimension === dimension);
}

const WHAT: Record<Exclude<RefusedDimension, 'concurrency'>, string> = {
  rpm: 'requests per minute',
  rpd: 'requests per day',
  itpm: 'input tokens per minute',
  otpm: 'output tokens per minute',
  tpm: 'tokens per minute',
  tpd: 'tokens per day',
};

export function anthropicRateLimited(refusal: Refusal, organizationId: string, headers: Headers): Reply {
  if (refusal.dimension === 'concurrency') {
    return anthropicError(
      429,
      'rate_limit_error',
      'Number of concurrent connections has exceeded your rate limit. Please try again later or contact sales at https://www.anthropic.com/contact-sales to discuss your options for a rate limit increase.',
      { ...headers, 'retry-after': '1', 'x-should-retry': 'true' },
    );
  }
  const message = `This request would exceed the rate limit for your organization (${organizationId}) of ${refusal.limit.toLocaleString('en-US')} ${WHAT[refusal.dimension]}. For details, refer to: https://docs.claude.com/en/api/rate-limits. You can see the response headers for current usage. Please reduce the prompt length or the maximum tokens requested, or try again later. You may also contact sales at https://www.anthropic.com/contact-sales to discuss your options for a rate limit increase.`;
  // A request larger than the whole limit never fits: no retry-after, and SDKs told not to retry.
  const extra: Headers = Number.isFinite(refusal.waitMs)
    ? { 'retry-after': String(retryAfterSeconds(refusal.waitMs)), 'x-should-retry': 'true' }
    : { 'x-should-retry': 'false' };
  return anthropicError(429, 'rate_limit_error', message, { ...headers, ...extra });
}

export function anthropicFault(kind: FaultKind, spec: FaultSpec, now: number, headers: Headers): Reply {
  switch (kind) {
    case '500':
      return anthropicError(500, 'api_error', 'Internal server error', headers);
    case '502':
      return anthropicError(502, 'api_error', 'Bad gateway', headers);
    case '503':
      return anthropicError(503, 'api_error', 'Service unavailable', headers);
    case 'credit_balance_too_low':
      // A 400, not a 429 (§3.2): it gates every call, count_tokens included.
      return anthropicError(
        400,
        'invalid_request_error',
        'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.',
        headers,
      );
    case 'rate_limited':
    case 'slow_down':
      // Acceleration limits answer the same 429 as any rate limit (§3.2).
      return anthropicError(
        429,
        'rate_limit_error',
        "This request would exceed your account's rate limit. Please try again later.",
        {
          ...headers,
          'retry-after': String(Math.ceil(spec.retry_after_s ?? 1)),
          'x-should-retry': 'true',
        },
      );
    case 'insufficient_quota': {
      // The tier spend cap: a 429 without retry-after (§3.2, §8.11); access resumes on the 1st at 00:00 UTC.
      const d = new Date(now);
      const resume = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1))
        .toISOString()
        .slice(0, 10);
      return anthropicError(
        429,
        'rate_limit_error',
        `You have reached your API usage limits: your organization has crossed its monthly API usage threshold, set based on your organization's API tier. You will regain access on ${resume} at 00:00 UTC.`,
        headers,
        { error_code: 'enforced_spend_limit_reached' },
      );
    }
    default:
      // 529, `overloaded`: "The API is temporarily overloaded" (§3.3, §8.12).
      return anthropicError(529, 'overloaded_error', 'Overloaded', { ...headers, 'x-should-retry': 'true' });
  }
}

export const ANTHROPIC_STREAM_ERROR =
  'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n';

/**
 * Classifying Anthropic errors `{"type":"error","error":{"type","message",
 * "details"?}}` (PROVIDERS.md §3.3). Spend caps look like rate limits or bad
 * requests and must never be retried (§3.2): a 429 with
 * `details.error_code: enforced_spend_limit_reached`, or a 400 "You have
 * reached your specified API usage limits" / "credit balance is too low".
 */
import type { CannotServeScope, HeaderLookup, ProviderError, ProviderErrorKind } from '../adapter.js';
import { credentialsRefused, quotaOutage } from '../errors/cannot-serve.js';
import { errorMessage, errorObject } from '../errors/error-body.js';
import { limitFromText, waitFromText } from '../errors/error-text.js';
import { isQuotaWait, kindFromStatus, providerError, shouldRetryHeader } from '../errors/provider-error.js';
import { recordField, stringField } from '../parse/json-shape.js';
import { retryAfterFromHeaders } from '../parse/retry-after.js';

/**
 * Spend caps and credit, by `details.error_code` or message (§3.2, §7.2):
 * never retried, and whose key leaves rotation. The tier cap and the
 * customer's org limit are the organisation's, a workspace limit is the
 * key's workspace (its project), the credit balance is the organisation's.
 */
const CANNOT_SERVE_CODES: Readonly<Record<string, CannotServeScope>> = Object.freeze({
  enforced_spend_limit_reached: 'organization',
});
const CANNOT_SERVE_TEXT: ReadonlyArray<readonly [RegExp, CannotServeScope]> = Object.freeze([
  [/reached your specified workspace API usage limits/i, 'project'],
  [/reached your (?:specified )?API usage limits/i, 'organization'],
  [/credit balance is too low/i, 'organization'],
] as const);

/** `error.type` → class, where the type decides regardless of status. */
const KIND_OF_TYPE: Readonly<Record<string, ProviderErrorKind>> = Object.freeze({
  rate_limit_error: 'rate_limited',
  overloaded_error: 'overloaded',
  billing_error: 'quota_exhausted',
  request_too_large: 'too_large',
  timeout_error: 'timeout',
  api_error: 'server_error',
  invalid_request_error: 'non_retryable',
  authentication_error: 'non_retryable',
  permission_error: 'non_retryable',
  not_found_error: 'non_retryable',
});

export function classifyAnthropicError(
  status: number,
  headers: HeaderLookup,
  body: unknown,
  now: number,
): ProviderError {
  const error = errorObject(body);
  const type = stringField(error, 'type');
  const errorCode = stringField(recordField(error, 'details'), 'error_code');
  const message = errorMessage(error, body);
  const retryAfterMs = retryAfterFromHeaders(headers, now) ?? waitFromText(message);
  const limit = limitFromText(message);
  const details = {
    retryAfterMs,
    code: errorCode ?? type,
    message,
    shouldRetry: shouldRetryHeader(headers),
    dimension: limit.dimension,
    window: limit.window,
  };
  if (!Number.isFinite(status) || status <= 0) return providerError('network', 0, details);
  const spent = spendScope(errorCode, message) ?? (isQuotaWait(retryAfterMs) ? 'deployment' : undefined);
  if (spent) {
    const cannotServe = quotaOutage(spent, now, retryAfterMs);
    return providerError('quota_exhausted', status, { ...details, cannotServe });
  }
  const byType = type === undefined ? undefined : KIND_OF_TYPE[type];
  // The type is more specific than the status (in-stream errors have no
  // status of their own), except that a client-error type cannot make a 5xx
  // non-retryable, and 529 is always overload.
  const useType = byType !== undefined && status !== 529 && !(status >= 500 && byType === 'non_retryable');
  const kind = useType ? byType : kindFromStatus(status);
  const cannotServe =
    credentialsRefused(status) ??
    (type === 'billing_error' ? quotaOutage('key', now, undefined) : undefined) ??
    (type === 'authentication_error' ? credentialsRefused(401) : undefined);
  return providerError(kind, status, cannotServe ? { ...details, cannotServe } : details);
}

function spendScope(
  errorCode: string | undefined,
  message: string | undefined,
): CannotServeScope | undefined {
  const byCode = errorCode === undefined ? undefined : CANNOT_SERVE_CODES[errorCode];
  if (byCode || message === undefined) return byCode;
  return CANNOT_SERVE_TEXT.find(([pattern]) => pattern.test(message))?.[1];
}

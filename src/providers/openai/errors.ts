/**
 * Classifying errors of OpenAI and every API that copies its envelope
 * `{"error":{"message","type","param","code"}}` (PROVIDERS.md §1.6): Azure
 * (§2.3), Groq, Together, DeepSeek, OpenRouter and Mistral (§5).
 *
 * OpenAI sends quota, billing and "Request too large" errors with the same
 * 429 status as rate limits, and the official SDKs retry them all (§1.6);
 * only `error.code`, `error.type` and the message tell them apart.
 */
import type { CannotServeScope, HeaderLookup, ProviderError } from '../adapter.js';
import { credentialsRefused, quotaOutage } from '../errors/cannot-serve.js';
import { errorCode, errorMessage, errorObject } from '../errors/error-body.js';
import { limitFromText, waitFromText } from '../errors/error-text.js';
import { isQuotaWait, kindFromStatus, providerError, shouldRetryHeader } from '../errors/provider-error.js';
import { field, recordField, stringField } from '../parse/json-shape.js';
import { clampRetryAfterMs, retryAfterFromHeaders } from '../parse/retry-after.js';
import { parseEpochMs } from '../parse/timestamp.js';

/**
 * Codes that mean "pay or raise a limit first" (§1.6, §7.2, "2026 changes"):
 * never retried, and whose key (or project, or organisation) leaves
 * rotation. Any other `*_spend_limit_exceeded` stops the key.
 */
const CANNOT_SERVE_SCOPE: Readonly<Record<string, CannotServeScope>> = Object.freeze({
  insufficient_quota: 'key',
  credit_balance_exhausted: 'key',
  billing_hard_limit_reached: 'key',
  billing_not_active: 'key',
  organization_spend_limit_exceeded: 'organization',
  organization_usage_limit_exceeded: 'organization',
  project_spend_limit_exceeded: 'project',
});
const RATE_TYPES: ReadonlySet<string> = new Set([
  'tokens',
  'requests',
  'tokens_usage_based',
  'rate_limit_error',
]);

export function classifyOpenAIError(
  status: number,
  headers: HeaderLookup,
  body: unknown,
  now: number,
): ProviderError {
  const error = errorObject(body);
  const code = errorCode(error);
  const type = stringField(error, 'type');
  const message = errorMessage(error, body);
  const shouldRetry = shouldRetryHeader(headers);
  const retryAfterMs =
    retryAfterFromHeaders(headers, now) ?? waitFromText(message) ?? openRouterResetWait(error, now);
  const limit = limitFromText(message);
  const details = {
    retryAfterMs,
    code: code ?? type,
    message,
    shouldRetry,
    dimension: dimensionOfType(type) ?? limit.dimension,
    window: limit.window,
  };

  if (!Number.isFinite(status) || status <= 0) return providerError('network', 0, details);
  const billing = billingScope(code, type);
  if (billing) {
    const cannotServe = quotaOutage(billing, now, retryAfterMs);
    return providerError('quota_exhausted', status, { ...details, cannotServe });
  }
  // DeepSeek "Insufficient Balance", OpenRouter credits (§5).
  if (status === 402) {
    return providerError('quota_exhausted', status, {
      ...details,
      cannotServe: quotaOutage('key', now, undefined),
    });
  }
  if (message && /^\s*request too large/i.test(message)) return providerError('too_large', status, details);
  if (code === 'server_is_overloaded' || /high demand|temporarily unable to process/i.test(message ?? '')) {
    // Capacity shared by every caller (§1.6 503, Azure capacity 429 §2.2): not our bucket.
    return providerError('overloaded', status, details);
  }
  // OpenRouter's daily free-model cap (§5) and any wait of a day or more.
  if (/-per-day\b/.test(message ?? '') || isQuotaWait(retryAfterMs)) {
    const cannotServe = quotaOutage('deployment', now, retryAfterMs);
    return providerError('quota_exhausted', status, { ...details, cannotServe });
  }
  const numeric = code !== undefined && /^\d{3}$/.test(code) ? Number(code) : undefined;
  const effective = status >= 200 && status < 300 && numeric !== undefined ? numeric : status;
  const isRate =
    effective === 429 ||
    code === 'rate_limit_exceeded' ||
    code === 'slow_down' ||
    (type && RATE_TYPES.has(type));
  if (isRate) {
    // The gateway's own "never retry" 429s carry x-should-retry: false (§7.2).
    const kind = shouldRetry === false ? 'quota_exhausted' : 'rate_limited';
    return providerError(kind, effective, { ...details, slowDown: code === 'slow_down' });
  }
  const cannotServe = credentialsRefused(effective);
  return providerError(
    kindFromStatus(effective),
    effective,
    cannotServe ? { ...details, cannotServe } : details,
  );
}

/** Whose key stops, when the code or type is a billing one. */
function billingScope(code: string | undefined, type: string | undefined): CannotServeScope | undefined {
  if (code !== undefined) {
    const scope = CANNOT_SERVE_SCOPE[code];
    if (scope) return scope;
    if (code.endsWith('_spend_limit_exceeded')) return 'key';
  }
  return type === 'insufficient_quota' ? 'key' : undefined;
}

function dimensionOfType(type: string | undefined): 'tokens' | 'requests' | undefined {
  if (type === 'tokens' || type === 'tokens_usage_based') return 'tokens';
  if (type === 'requests') return 'requests';
  return undefined;
}

/** OpenRouter puts its limit headers in the body, reset as epoch ms (§8.17). */
function openRouterResetWait(
  error: Readonly<Record<string, unknown>> | undefined,
  now: number,
): number | undefined {
  const headers = recordField(recordField(error, 'metadata'), 'headers');
  const reset = field(headers, 'X-RateLimit-Reset');
  const at = typeof reset === 'string' ? parseEpochMs(reset) : undefined;
  return at === undefined || !Number.isFinite(now) ? undefined : clampRetryAfterMs(at - now);
}

/**
 * Classifying Gemini errors: JSON of `google.rpc.Status`
 * `{"error":{"code","message","status","details":[Any…]}}`, also wrapped in
 * an array by streams and the OpenAI-compatible paths (PROVIDERS.md §4.2).
 * Gemini sends no Retry-After and no rate-limit headers: the wait is in
 * `RetryInfo.retryDelay` (or `ErrorInfo.metadata.quotaResetDelay`, or the
 * message text), and which quota fired is in `QuotaFailure` violations.
 * A per-day quota (`quotaId` with `PerDay`) or a quota of 0 cannot be waited
 * out in a retry: it resets at midnight Pacific time or never.
 */
import type { Dimension } from '../../core/cost.js';
import type { Window } from '../../core/limit.js';
import type { CannotServe, HeaderLookup, ProviderError, ProviderErrorKind } from '../adapter.js';
import { credentialsRefused, nextPacificMidnight, quotaOutage } from '../errors/cannot-serve.js';
import { errorCode, errorMessage, errorObject } from '../errors/error-body.js';
import { waitFromText } from '../errors/error-text.js';
import { isQuotaWait, kindFromStatus, providerError } from '../errors/provider-error.js';
import { parseDurationMs } from '../parse/go-duration.js';
import { arrayField, type JsonRecord, recordField, stringField } from '../parse/json-shape.js';
import { clampRetryAfterMs, retryAfterFromHeaders } from '../parse/retry-after.js';

const KIND_OF_RPC_STATUS: Readonly<Record<string, ProviderErrorKind>> = Object.freeze({
  RESOURCE_EXHAUSTED: 'rate_limited',
  UNAVAILABLE: 'overloaded',
  DEADLINE_EXCEEDED: 'timeout',
  INTERNAL: 'server_error',
});
/** Details are few; a body with thousands is not worth walking. */
const MAX_DETAILS = 32;

interface QuotaFacts {
  retryDelayMs?: number | undefined;
  quotaIds: string[];
  /** `ErrorInfo.reason: API_KEY_INVALID`: a 400 that is really a rejected key. */
  keyInvalid: boolean;
}

export function classifyGeminiError(
  status: number,
  headers: HeaderLookup,
  body: unknown,
  now: number,
): ProviderError {
  const error = errorObject(body);
  const rpcStatus = stringField(error, 'status');
  const message = errorMessage(error, body);
  const facts = quotaFacts(error);
  const retryAfterMs = retryAfterFromHeaders(headers, now) ?? facts.retryDelayMs ?? waitFromText(message);
  const perDay = facts.quotaIds.some((id) => /PerDay/i.test(id));
  const window: Window | undefined = perDay
    ? 'day'
    : facts.quotaIds.some((id) => /PerMinute/i.test(id))
      ? 'minute'
      : undefined;
  const details = {
    retryAfterMs,
    code: rpcStatus ?? errorCode(error),
    message,
    dimension: dimensionOf(facts.quotaIds),
    window,
  };
  if (!Number.isFinite(status) || status <= 0) return providerError('network', 0, details);
  const noQuota = /\blimit: 0\b/.test(message ?? '');
  if (perDay || noQuota || isQuotaWait(retryAfterMs)) {
    // Quotas are per project and model: this deployment only. A per-day one is back at
    // midnight Pacific whatever "Please retry in 26s" says (§4.2); no quota at all, never.
    const cannotServe: CannotServe = perDay
      ? { reason: 'quota', scope: 'deployment', resumeAt: nextPacificMidnight(now) }
      : quotaOutage('deployment', now, noQuota ? undefined : retryAfterMs);
    return providerError('quota_exhausted', status, { ...details, cannotServe });
  }
  if (status === 429) return providerError('rate_limited', status, details);
  // In-stream errors arrive with a placeholder status; the RPC status is more specific.
  const byRpcStatus = rpcStatus === undefined ? undefined : KIND_OF_RPC_STATUS[rpcStatus];
  const cannotServe = facts.keyInvalid ? credentialsRefused(401) : credentialsRefused(status);
  return providerError(
    byRpcStatus ?? kindFromStatus(status),
    status,
    cannotServe ? { ...details, cannotServe } : details,
  );
}

function quotaFacts(error: JsonRecord | undefined): QuotaFacts {
  const facts: QuotaFacts = { quotaIds: [], keyInvalid: false };
  const list = arrayField(error, 'details') ?? [];
  for (const detail of list.slice(0, MAX_DETAILS)) {
    const type = stringField(detail, '@type') ?? '';
    if (type.endsWith('google.rpc.RetryInfo')) {
      const ms = parseDurationMs(stringField(detail, 'retryDelay'));
      if (ms !== undefined) facts.retryDelayMs = clampRetryAfterMs(ms);
    } else if (type.endsWith('google.rpc.QuotaFailure')) {
      for (const violation of (arrayField(detail, 'violations') ?? []).slice(0, MAX_DETAILS)) {
        const id = stringField(violation, 'quotaId');
        if (id) facts.quotaIds.push(id);
      }
    } else if (type.endsWith('google.rpc.ErrorInfo')) {
      if (stringField(detail, 'reason') === 'API_KEY_INVALID') facts.keyInvalid = true;
      if (facts.retryDelayMs !== undefined) continue;
      // Code Assist style: "quotaResetDelay": "373.801628ms" (§4.2).
      const ms = parseDurationMs(stringField(recordField(detail, 'metadata'), 'quotaResetDelay'));
      if (ms !== undefined) facts.retryDelayMs = clampRetryAfterMs(ms);
    }
  }
  return facts;
}

function dimensionOf(quotaIds: readonly string[]): Dimension | undefined {
  // The first violation is the one that fired; later ones are often siblings.
  const id = quotaIds[0];
  if (id === undefined) return undefined;
  if (/Token/i.test(id)) return 'input_tokens';
  if (/Request/i.test(id)) return 'requests';
  return undefined;
}

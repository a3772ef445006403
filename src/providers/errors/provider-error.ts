/**
 * Building `ProviderError`s: one place decides which kinds are retryable and
 * what a bare HTTP status means when the body says nothing better.
 */
import type { Dimension } from '../../core/cost.js';
import type { Window } from '../../core/limit.js';
import type { CannotServe, HeaderLookup, ProviderError, ProviderErrorKind } from '../adapter.js';
import { headerValue } from '../parse/header-value.js';
import { MAX_RETRY_AFTER_MS } from '../parse/retry-after.js';

const RETRYABLE: Readonly<Record<ProviderErrorKind, boolean>> = Object.freeze({
  rate_limited: true,
  quota_exhausted: false,
  too_large: false,
  overloaded: true,
  server_error: true,
  timeout: true,
  non_retryable: false,
  network: true,
});

export interface ErrorDetails {
  readonly retryAfterMs?: number | undefined;
  readonly dimension?: Dimension | undefined;
  readonly window?: Window | undefined;
  readonly code?: string | undefined;
  readonly message?: string | undefined;
  /** The provider's `x-should-retry` verdict, when it sent one. */
  readonly shouldRetry?: boolean | undefined;
  readonly cannotServe?: CannotServe | undefined;
  readonly slowDown?: boolean | undefined;
}

export function providerError(
  kind: ProviderErrorKind,
  status: number,
  details: ErrorDetails = {},
): ProviderError {
  return {
    kind,
    // x-should-retry: false vetoes a retry (PROVIDERS.md §1.7); `true` never
    // overrides our own "never retry" classes (quota, too large, 4xx).
    retryable: RETRYABLE[kind] && details.shouldRetry !== false,
    status: Number.isFinite(status) ? status : 0,
    retryAfterMs: details.retryAfterMs,
    dimension: details.dimension,
    window: details.window,
    code: details.code,
    message: details.message,
    ...(details.cannotServe && { cannotServe: details.cannotServe }),
    ...(details.slowDown && { slowDown: true }),
  };
}

/** The class of a status when the body names nothing more specific. */
export function kindFromStatus(status: number): ProviderErrorKind {
  if (!Number.isFinite(status) || status <= 0) return 'network';
  if (status === 408 || status === 504) return 'timeout';
  if (status === 429) return 'rate_limited';
  if (status === 413) return 'too_large';
  // DeepSeek "Insufficient Balance", OpenRouter credits, Anthropic billing_error (§3.3, §5).
  if (status === 402) return 'quota_exhausted';
  // Anthropic 529 and 503s are capacity problems shared by all callers (§3.3, §5 Together).
  if (status === 529 || status === 503) return 'overloaded';
  if (status >= 500) return 'server_error';
  if (status >= 400) return 'non_retryable';
  // A non-error status handed to the classifier: something upstream is off.
  return 'server_error';
}

/**
 * A 429 whose wait is a day or more is a quota, not a rate: Azure's
 * "retry after 86400 seconds" (§2.3), spend caps that reopen next month.
 */
export function isQuotaWait(retryAfterMs: number | undefined): boolean {
  return retryAfterMs !== undefined && retryAfterMs >= MAX_RETRY_AFTER_MS;
}

export function shouldRetryHeader(headers: HeaderLookup): boolean | undefined {
  const value = headerValue(headers, 'x-should-retry')?.toLowerCase();
  return value === 'true' ? true : value === 'false' ? false : undefined;
}

/** A connection-level failure (no HTTP status), for the runtime to report uniformly. */
export function networkError(message?: string): ProviderError {
  return providerError('network', 0, { message });
}

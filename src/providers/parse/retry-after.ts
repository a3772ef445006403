/**
 * The Retry-After family, in the precedence the official SDKs use
 * (PROVIDERS.md §1.7, §3.4): `retry-after-ms` (float ms, Azure; read
 * "proactively" by openai-node), its older Azure spelling
 * `x-ms-retry-after-ms`, then `retry-after` as float seconds or an HTTP-date.
 *
 * The result is clamped to [0, MAX_RETRY_AFTER_MS]: a date in the past means
 * "now", and nothing a provider says is worth waiting more than a day for in
 * one go (a day or more means a quota, which the classifiers treat as
 * non-retryable, PROVIDERS.md §2.3).
 */
import type { HeaderLookup } from '../adapter.js';
import { headerValue } from './header-value.js';

export const MAX_RETRY_AFTER_MS = 86_400_000;

const DECIMAL = /^\d+(?:\.\d+)?$/;

export function clampRetryAfterMs(ms: number): number | undefined {
  if (Number.isNaN(ms)) return undefined;
  return Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
}

export function retryAfterFromHeaders(headers: HeaderLookup, now: number): number | undefined {
  for (const name of ['retry-after-ms', 'x-ms-retry-after-ms']) {
    const value = headerValue(headers, name);
    if (value !== undefined && DECIMAL.test(value)) return clampRetryAfterMs(Number(value));
  }
  return parseRetryAfter(headerValue(headers, 'retry-after'), now);
}

/** `Retry-After: 56`, `Retry-After: 1.5`, or `Retry-After: Wed, 21 Oct 2026 07:28:00 GMT`. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  if (DECIMAL.test(value)) return clampRetryAfterMs(Number(value) * 1_000);
  // An HTTP-date always names a weekday or month; this keeps Date.parse away
  // from bare numbers and other shapes it would happily misread.
  if (!/[A-Za-z]{3}/.test(value)) return undefined;
  const at = Date.parse(value);
  if (!Number.isFinite(at) || !Number.isFinite(now)) return undefined;
  return clampRetryAfterMs(at - now);
}

/**
 * Rate-limit headers declared as data. Every provider that reports its limits
 * in headers does so as triplets (limit, remaining, reset) per dimension; a
 * scheme lists the triplets' names and what they mean, and one function turns
 * any scheme into observations. Provider modules hold frozen schemes; the
 * OpenAI-compatible adapter takes one from its options.
 */
import type { Dimension } from '../../core/cost.js';
import { WINDOW_MS, type Window } from '../../core/limit.js';
import type { HeaderLookup, RateLimitObservation, WindowBasis } from '../adapter.js';
import { parseDurationMs } from '../parse/go-duration.js';
import { headerValue, parseHeaderCount } from '../parse/header-value.js';
import { parseEpochMs, parseRfc3339Ms } from '../parse/timestamp.js';
import { clampResetAt } from './reset-clamp.js';
import { inferWindow } from './window-inference.js';

/**
 * How a reset header is written: `duration` = time from now (Go duration or
 * bare seconds, OpenAI/Azure/Groq), `rfc3339` = absolute time (Anthropic),
 * `epoch` = absolute epoch seconds or ms (OpenRouter-style).
 */
export type ResetFormat = 'duration' | 'rfc3339' | 'epoch';

export interface LimitHeaders {
  readonly dimension: Dimension;
  /** The window, or the fallback when `inferFrom` is set and inference fails. */
  readonly window: Window;
  /** Trust in `window` when it is used as declared. */
  readonly basis: Exclude<WindowBasis, 'inferred' | 'assumed'>;
  /** Windows the limit may have; the numbers pick one (PROVIDERS.md §1.3). */
  readonly inferFrom?: readonly Window[] | undefined;
  readonly limit?: string | undefined;
  readonly remaining?: string | undefined;
  readonly reset?: string | undefined;
  readonly resetFormat: ResetFormat;
  readonly scope?: 'project' | undefined;
}

export type HeaderScheme = readonly LimitHeaders[];

export function observeHeaders(
  scheme: HeaderScheme,
  headers: HeaderLookup,
  now: number,
): RateLimitObservation[] {
  const out: RateLimitObservation[] = [];
  if (!Number.isFinite(now)) return out;
  for (const entry of scheme) {
    const observation = observeOne(entry, headers, now);
    if (observation) out.push(observation);
  }
  return out;
}

function observeOne(
  entry: LimitHeaders,
  headers: HeaderLookup,
  now: number,
): RateLimitObservation | undefined {
  const rawLimit = entry.limit ? parseHeaderCount(headerValue(headers, entry.limit)) : undefined;
  // A limit of 0 says nothing a bucket can use (and -1 means unknown on Azure).
  const limit = rawLimit !== undefined && rawLimit > 0 ? rawLimit : undefined;
  const rawRemaining = entry.remaining ? parseHeaderCount(headerValue(headers, entry.remaining)) : undefined;
  const remaining =
    rawRemaining !== undefined && limit !== undefined ? Math.min(rawRemaining, limit) : rawRemaining;
  const rawResetAt = entry.reset
    ? readReset(entry.resetFormat, headerValue(headers, entry.reset), now)
    : undefined;
  if (limit === undefined && remaining === undefined && rawResetAt === undefined) return undefined;

  let window = entry.window;
  let windowBasis: WindowBasis = entry.basis;
  if (entry.inferFrom) {
    const inferred =
      limit !== undefined && remaining !== undefined && rawResetAt !== undefined
        ? inferWindow(limit, remaining, rawResetAt - now, entry.inferFrom)
        : undefined;
    window = inferred ?? entry.window;
    windowBasis = inferred ? 'inferred' : 'assumed';
  }
  const reset = rawResetAt === undefined ? undefined : clampResetAt(rawResetAt, now, WINDOW_MS[window]);
  return {
    dimension: entry.dimension,
    window,
    limit,
    remaining,
    resetAt: reset?.resetAt,
    scope: entry.scope,
    windowBasis,
    clamped: reset?.clamped,
  };
}

function readReset(format: ResetFormat, value: string | undefined, now: number): number | undefined {
  switch (format) {
    case 'duration': {
      const ms = parseDurationMs(value);
      return ms === undefined ? undefined : now + ms;
    }
    case 'rfc3339':
      return parseRfc3339Ms(value);
    case 'epoch':
      return parseEpochMs(value);
  }
}

/** Freezes a scheme and its entries, so a shared table can never be changed by a caller. */
export function defineScheme(entries: readonly LimitHeaders[]): HeaderScheme {
  return Object.freeze(entries.map((entry) => Object.freeze({ ...entry })));
}

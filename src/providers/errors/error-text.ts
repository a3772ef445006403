/**
 * What the human-readable part of an error says about the limit that fired
 * and the wait. Providers name the limit only in prose: OpenAI and Groq
 * "on tokens per min (TPM)" (PROVIDERS.md §1.6, §5), Anthropic "of 50,000
 * input tokens per minute" (§3.3), Azure "token rate limit" / "call rate
 * limit" (§2.3). The wait is in prose too: "Please try again in 174ms",
 * "Please retry after 6 seconds", "Please retry in 33.47s".
 */
import type { Dimension } from '../../core/cost.js';
import type { Window } from '../../core/limit.js';
import { parseDurationMs } from '../parse/go-duration.js';
import { clampRetryAfterMs } from '../parse/retry-after.js';

export interface LimitHint {
  readonly dimension?: Dimension | undefined;
  readonly window?: Window | undefined;
}

/** Only the head of a message is scanned: the facts come first, and bodies may be huge. */
const SCAN_LENGTH = 1_000;

// First match wins; the more specific phrases come before the general ones.
const RULES: ReadonlyArray<readonly [RegExp, LimitHint]> = Object.freeze([
  [/input tokens per minute/i, { dimension: 'input_tokens', window: 'minute' }],
  [/output tokens per minute/i, { dimension: 'output_tokens', window: 'minute' }],
  [/request tokens has exceeded your per-minute/i, { dimension: 'input_tokens', window: 'minute' }],
  [/concurrent connections/i, { dimension: 'concurrency' }],
  [/\(TPM\)|tokens per min/i, { dimension: 'tokens', window: 'minute' }],
  [/\(RPM\)|requests per min/i, { dimension: 'requests', window: 'minute' }],
  [/\(TPD\)|tokens per day/i, { dimension: 'tokens', window: 'day' }],
  [/\(RPD\)|requests per day/i, { dimension: 'requests', window: 'day' }],
  [/token rate limit/i, { dimension: 'tokens', window: 'minute' }],
  [/call rate limit/i, { dimension: 'requests', window: 'minute' }],
  [/-per-min\b/i, { dimension: 'requests', window: 'minute' }], // OpenRouter free-models-per-min
  [/-per-day\b/i, { dimension: 'requests', window: 'day' }],
] as const);

export function limitFromText(message: string | undefined): LimitHint {
  if (!message) return {};
  const head = message.slice(0, SCAN_LENGTH);
  for (const [pattern, hint] of RULES) if (pattern.test(head)) return hint;
  return {};
}

const WAIT_DURATION = /(?:try again|retry) (?:in|after) ((?:\d+(?:\.\d+)?(?:ms|h|m|s))+)(?![a-z])/i;
const WAIT_SECONDS = /(?:try again|retry) (?:in|after) (\d+(?:\.\d+)?) ?seconds?/i;
const RESET_AFTER = /quota will reset after ((?:\d+(?:\.\d+)?(?:ms|h|m|s))+)/i;

/** The wait a message asks for, in ms (clamped like any retry hint). */
export function waitFromText(message: string | undefined): number | undefined {
  if (!message) return undefined;
  const head = message.slice(0, SCAN_LENGTH);
  const seconds = WAIT_SECONDS.exec(head);
  if (seconds) return clampRetryAfterMs(Number(seconds[1]) * 1_000);
  const duration = WAIT_DURATION.exec(head) ?? RESET_AFTER.exec(head);
  const ms = duration ? parseDurationMs(duration[1]) : undefined;
  return ms === undefined ? undefined : clampRetryAfterMs(ms);
}

/**
 * How each provider writes durations and instants on the wire.
 */

/**
 * OpenAI `x-ratelimit-reset-*` values and "Please try again in …" waits:
 * Go's `time.Duration.String()` of a duration truncated to whole
 * milliseconds (PROVIDERS.md §1.2): `0s`, `12ms`, `3.114s`, `6m0s`, `1h0m5s`.
 */
export function goDuration(msIn: number): string {
  let ms = Math.max(0, Math.floor(msIn));
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const hours = Math.floor(ms / 3_600_000);
  ms -= hours * 3_600_000;
  const minutes = Math.floor(ms / 60_000);
  ms -= minutes * 60_000;
  const seconds = Math.floor(ms / 1000);
  const frac = ms % 1000;
  const secondsText = frac ? `${seconds}.${String(frac).padStart(3, '0').replace(/0+$/, '')}` : `${seconds}`;
  return `${hours ? `${hours}h` : ''}${hours || minutes ? `${minutes}m` : ''}${secondsText}s`;
}

/**
 * Anthropic `anthropic-ratelimit-*-reset`: RFC 3339 in UTC with whole seconds
 * (PROVIDERS.md §3.1). Rounded up, so that a client waiting until the printed
 * instant always finds the bucket full.
 */
export function rfc3339Seconds(epochMs: number): string {
  const whole = Math.ceil(epochMs / 1000) * 1000;
  return `${new Date(whole).toISOString().slice(0, 19)}Z`;
}

/** `retry-after` in whole seconds, rounded up (OpenAI and Anthropic send integers, PROVIDERS.md §1.1, §3.1). */
export function retryAfterSeconds(waitMs: number): number {
  return Math.max(1, Math.ceil(waitMs / 1000));
}

/**
 * A proto3 JSON `Duration` with up to nine fraction digits, as in Gemini's
 * messages ("Please retry in 26.211922938s", PROVIDERS.md §4.2).
 */
export function protoDuration(ms: number): string {
  const text = (Math.max(0, ms) / 1000).toFixed(9).replace(/\.?0+$/, '');
  return `${text}s`;
}

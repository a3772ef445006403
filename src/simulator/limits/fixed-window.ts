/**
 * A counter that starts over at every window boundary (e.g. second 00 of each
 * minute): Gemini's per-minute quotas as Google staff describe them, and the
 * fixed windows of Anthropic's 2024 captures (PROVIDERS.md §4.1, §3.1, §7.1).
 * Core has the day-long version (`calendar-day.ts`); this one takes any window.
 * Pure, like the core buckets.
 */
export function windowStartOf(now: number, windowMs: number): number {
  return Math.floor(now / windowMs) * windowMs;
}

/** Units used in the window that contains `now`. */
export function fixedUsed(used: number, windowStart: number, now: number, windowMs: number): number {
  return windowStart === windowStartOf(now, windowMs) ? used : 0;
}

/** Ms until `amount` fits: 0 now, the next boundary, or Infinity if it never can. */
export function fixedWaitMs(
  used: number,
  windowStart: number,
  amount: number,
  now: number,
  limit: number,
  windowMs: number,
): number {
  if (amount > limit) return Number.POSITIVE_INFINITY;
  if (fixedUsed(used, windowStart, now, windowMs) + amount <= limit) return 0;
  return windowStartOf(now, windowMs) + windowMs - now;
}

/** Ms until the current window ends. */
export function fixedResetMs(now: number, windowMs: number): number {
  return windowStartOf(now, windowMs) + windowMs - now;
}

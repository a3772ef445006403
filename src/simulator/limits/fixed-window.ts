/**
 * A counter that starts over at every period boundary, as a provider keeps it
 * (no margin, no pacing: the provider refuses what does not fit): Gemini's
 * minutes (second 00) and days (midnight Pacific), Azure's token minute and
 * its request slices (PROVIDERS.md §2.2, §4.1, §7.1). The period bounds come
 * from core `fixed-window.ts`, so the simulator and the governor agree on
 * where minutes, slices and zoned days begin. Pure, like the core buckets.
 */

/** Units used in the period starting at `start`. */
export function fixedUsed(used: number, windowStart: number, start: number): number {
  return windowStart === start ? used : 0;
}

/** Ms until `amount` fits in a period [start, end) of `limit`: 0 now, the next boundary, or Infinity if it never can. */
export function fixedWaitMs(
  used: number,
  windowStart: number,
  amount: number,
  now: number,
  limit: number,
  period: Float64Array,
): number {
  if (amount > limit) return Number.POSITIVE_INFINITY;
  if (fixedUsed(used, windowStart, period[0] as number) + amount <= limit) return 0;
  return (period[1] as number) - now;
}

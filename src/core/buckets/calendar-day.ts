/**
 * Fixed window that resets at 00:00 UTC: the "calendar day" flavour of
 * per-day limits. State is the units used and the start of the day they were
 * used in; a new day starts empty. Pure and allocation free like `gcra.ts`.
 */
import type { ProviderObservation } from '../decision.js';
import type { BucketSpec } from '../limit.js';
import { reportedRemaining, usedBeside } from './provider-report.js';

const DAY_MS = 86_400_000;

export function utcDayStart(now: number): number {
  return Math.floor(now / DAY_MS) * DAY_MS;
}

/** Units used in the current day, given the stored `used` and its `windowStart`. */
export function calendarUsed(used: number, windowStart: number, now: number): number {
  return windowStart === utcDayStart(now) ? used : 0;
}

/** Ms until `amount` fits: 0 now, the next midnight, or Infinity if it never can. */
export function calendarWaitMs(
  used: number,
  windowStart: number,
  amount: number,
  now: number,
  spec: BucketSpec,
): number {
  if (amount > spec.capacity) return Number.POSITIVE_INFINITY;
  if (calendarUsed(used, windowStart, now) + amount <= spec.capacity) return 0;
  return utcDayStart(now) + DAY_MS - now;
}

export function calendarRemaining(used: number, windowStart: number, now: number, spec: BucketSpec): number {
  const left = spec.capacity - calendarUsed(used, windowStart, now);
  return Math.max(left, 0);
}

/** Ms until the window starts over (the day's end). */
export function calendarResetMs(now: number): number {
  return utcDayStart(now) + DAY_MS - now;
}

/**
 * Units a provider's report says today has used of our bucket, or
 * `undefined` when it has no `remaining`. Its reset is not used: a day-long
 * quota's reset follows the provider's calendar, not the continuous bucket
 * `provider-report.ts` converts resets for.
 */
export function calendarUsedFromProvider(
  observation: ProviderObservation,
  spec: BucketSpec,
): number | undefined {
  const left = reportedRemaining(observation, spec);
  return left === undefined ? undefined : usedBeside(left, spec);
}

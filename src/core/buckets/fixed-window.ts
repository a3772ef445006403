/**
 * A counter that starts over at every period boundary: Gemini's minutes
 * (reset "every minute at second 00") and days (at midnight Pacific time),
 * Azure's one-minute token counter and its 1 s / 10 s request slices
 * (PROVIDERS.md §2.2, §4.1, §7.1). State is the units used and the start of
 * the period they were used in; a new period starts empty.
 *
 * Admission is paced inside a period (`FixedWindowRule.burst`, `paceMs`): only
 * part of the period's budget is offered at its first instant and the rest
 * becomes available over the period's first part. A burst at second 0
 * therefore cannot empty a minute, and an instance whose clock runs a little
 * ahead of the provider's does not pour the new minute's whole budget into the
 * provider's old one.
 *
 * Periods never move back: a state whose period started later than the one
 * the caller's clock sees (a faster clock wrote it) counts as current. With a
 * single clock this changes nothing. Pure and allocation free like `gcra.ts`;
 * the Redis scripts (lib.lua) run the same arithmetic.
 */
import type { ProviderObservation } from '../decision.js';
import type { BucketSpec, FixedWindowRule } from '../limit.js';
import { monthPeriod, zonePeriod } from '../time-zone.js';
import { reportedRemaining } from './provider-report.js';

/** Float slack so that a cost computed to fit exactly is not refused by rounding (as in gcra.ts). */
const EPSILON_MS = 1e-6;

/** Last period computed per zoned or monthly rule: Intl is slow, and a day's bounds hold for a day. */
const zoned = new WeakMap<FixedWindowRule, Float64Array>();

/** Writes the start and end of the period containing `now` into `out` ([start, end)). */
export function periodOf(rule: FixedWindowRule, now: number, out: Float64Array): void {
  if (rule.timeZone === undefined && !rule.monthly) {
    const start = Math.floor(now / rule.periodMs) * rule.periodMs;
    out[0] = start;
    out[1] = start + rule.periodMs;
    return;
  }
  let cached = zoned.get(rule);
  if (!cached) {
    cached = new Float64Array([0, 0]);
    zoned.set(rule, cached);
  }
  if (!(now >= (cached[0] as number) && now < (cached[1] as number))) {
    if (rule.monthly) monthPeriod(rule.timeZone, now, cached);
    else zonePeriod(rule.timeZone as string, rule.periodMs, now, cached);
  }
  out[0] = cached[0] as number;
  out[1] = cached[1] as number;
}

const scratch = new Float64Array(2);

/** Start of the period containing `now`. */
export function periodStart(rule: FixedWindowRule, now: number): number {
  periodOf(rule, now, scratch);
  return scratch[0] as number;
}

/** End of the period containing `now` (the next boundary). */
export function periodEnd(rule: FixedWindowRule, now: number): number {
  periodOf(rule, now, scratch);
  return scratch[1] as number;
}

/** Units used in the period starting at `start`, given the stored `used` and the start it was stored with. */
export function fixedUsed(used: number, windowStart: number, start: number): number {
  return windowStart >= start ? used : 0;
}

/** The period a state written at `start` belongs to (never moves back). */
export function fixedWindow(windowStart: number, start: number): number {
  return Math.max(windowStart, start);
}

/** Ms after its start at which a period offers `units` (0 for the burst share). */
function offeredAfter(units: number, spec: BucketSpec, rule: FixedWindowRule): number {
  const early = rule.burst * spec.capacity;
  if (rule.burst >= 1 || units <= early) return 0;
  return (rule.paceMs * (units - early)) / (spec.capacity - early);
}

/**
 * Ms until `amount` fits: 0 now, later in this period when pacing holds it
 * back, in the next period when this one has no room left, or Infinity when
 * it exceeds the whole period's capacity.
 */
export function fixedWaitMs(
  used: number,
  windowStart: number,
  amount: number,
  now: number,
  spec: BucketSpec,
  rule: FixedWindowRule,
): number {
  if (amount > spec.capacity) return Number.POSITIVE_INFINITY;
  periodOf(rule, now, scratch);
  const start = scratch[0] as number;
  const end = scratch[1] as number;
  const need = fixedUsed(used, windowStart, start) + amount;
  if (need <= spec.capacity) {
    const at = start + offeredAfter(need, spec, rule);
    if (at < end) {
      const over = at - now;
      return over > EPSILON_MS && now + over > now ? over : 0;
    }
  }
  return end - now + offeredAfter(amount, spec, rule);
}

export function fixedRemaining(used: number, windowStart: number, now: number, spec: BucketSpec): number {
  const rule = spec.fixed as FixedWindowRule;
  return Math.max(spec.capacity - fixedUsed(used, windowStart, periodStart(rule, now)), 0);
}

/**
 * Units the provider's report says the current period has used of our
 * bucket, or `undefined` when it has no `remaining`. Its reset is a
 * boundary, not "full again": the counter is unchanged until then and starts
 * over after it, which the period does by itself, so the reset is not read
 * (converting it as for a continuous bucket would make a window that ends in
 * 30 s look half refilled). Measured against the period's share of the
 * limit: a slice can never have more left than a slice's worth.
 */
export function fixedUsedFromProvider(
  observation: ProviderObservation,
  spec: BucketSpec,
): number | undefined {
  const rule = spec.fixed as FixedWindowRule;
  const left = reportedRemaining(observation, spec);
  if (left === undefined) return undefined;
  return Math.min(Math.max(rule.periodLimit - left, 0), rule.periodLimit);
}

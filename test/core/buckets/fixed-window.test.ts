import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  fixedUsed,
  fixedWaitMs,
  fixedWindow,
  periodOf,
  periodStart,
} from '../../../src/core/buckets/fixed-window.js';
import { type BucketSpec, defineBucket, type FixedWindowRule, withLimit } from '../../../src/core/limit.js';
import { zoneOffsetMs } from '../../../src/core/time-zone.js';

const T0 = Date.UTC(2026, 4, 1, 12, 0, 0);
const HOUR = 3_600_000;

/** Runs a sequence of (advance, amount) reservations; returns each grant's time and amount. */
function run(spec: BucketSpec, steps: readonly [number, number][]): { at: number; amount: number }[] {
  const rule = spec.fixed as FixedWindowRule;
  let used = 0;
  let win = 0;
  let now = T0;
  const grants: { at: number; amount: number }[] = [];
  for (const [advance, amount] of steps) {
    now += advance;
    const wait = fixedWaitMs(used, win, amount, now, spec, rule);
    if (wait !== 0) {
      if (wait === Number.POSITIVE_INFINITY) continue;
      // The wait is exact: the same request fits then (nothing else was taken).
      expect(fixedWaitMs(used, win, amount, now + wait, spec, rule)).toBe(0);
      continue;
    }
    const start = periodStart(rule, now);
    used = fixedUsed(used, win, start) + amount;
    win = fixedWindow(win, start);
    grants.push({ at: now, amount });
  }
  return grants;
}

describe('fixed window', () => {
  const rpm = defineBucket('rpm', {
    dimension: 'requests',
    limit: 100,
    per: 'minute',
    window: 'fixed',
    margin: 0.1,
  });
  const slices = defineBucket('rpm-s', {
    dimension: 'requests',
    limit: 600,
    per: 'minute',
    window: 'sliced',
    sliceMs: 1_000,
    margin: 0,
  });

  it('never admits more in one period than its capacity, nor more early in a minute than the pace allows', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 7_000 }), fc.integer({ min: 1, max: 30 })), {
          maxLength: 200,
        }),
        (steps) => {
          for (const spec of [rpm, slices]) {
            const rule = spec.fixed as FixedWindowRule;
            const byPeriod = new Map<number, number>();
            for (const { at, amount } of run(spec, steps)) {
              const start = periodStart(rule, at);
              const used = (byPeriod.get(start) ?? 0) + amount;
              byPeriod.set(start, used);
              expect(used).toBeLessThanOrEqual(spec.capacity + 1e-9);
              const early = rule.burst * spec.capacity;
              const pace =
                rule.burst >= 1
                  ? spec.capacity
                  : early + ((spec.capacity - early) * (at - start)) / rule.paceMs;
              expect(used).toBeLessThanOrEqual(Math.min(spec.capacity, pace) + 1e-9);
            }
          }
        },
      ),
    );
  });

  it('waits for the next period when this one is spent, and refuses what exceeds a whole period', () => {
    expect(fixedWaitMs(90, T0, 1, T0 + 20_000, rpm, rpm.fixed as FixedWindowRule)).toBeCloseTo(40_000, 3);
    expect(fixedWaitMs(0, 0, 91, T0, rpm, rpm.fixed as FixedWindowRule)).toBe(Number.POSITIVE_INFINITY);
    // 46 fit at second 0 only if half the minute's 90 were a burst: 45 do, the 46th waits 15 s / 45.
    expect(fixedWaitMs(45, T0, 1, T0, rpm, rpm.fixed as FixedWindowRule)).toBeCloseTo(15_000 / 45, 3);
  });

  it('starts Pacific days at local midnight all year, 23 h and 25 h long on the days clocks change', () => {
    const day = defineBucket('rpd', {
      dimension: 'requests',
      limit: 10,
      per: 'day',
      window: 'fixed',
      timeZone: 'America/Los_Angeles',
    });
    const rule = day.fixed as FixedWindowRule;
    const out = new Float64Array(2);
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(2025, 0, 1), max: Date.UTC(2028, 0, 1) }), (now) => {
        periodOf(rule, now, out);
        const [start, end] = out as unknown as [number, number];
        expect(start).toBeLessThanOrEqual(now);
        expect(end).toBeGreaterThan(now);
        expect((start + zoneOffsetMs('America/Los_Angeles', start)) % (24 * HOUR)).toBe(0);
        expect((end + zoneOffsetMs('America/Los_Angeles', end)) % (24 * HOUR)).toBe(0);
        expect([23 * HOUR, 24 * HOUR, 25 * HOUR]).toContain(end - start);
      }),
    );
    periodOf(rule, Date.UTC(2026, 2, 8, 12), out);
    expect((out[1] as number) - (out[0] as number)).toBe(23 * HOUR);
    periodOf(rule, Date.UTC(2026, 10, 1, 12), out);
    expect((out[1] as number) - (out[0] as number)).toBe(25 * HOUR);
    expect(out[0]).toBe(Date.UTC(2026, 10, 1, 7));
  });

  it('makes calendar months of 28 to 31 days, from the 1st at midnight in their zone (a spending budget)', () => {
    const out = new Float64Array(2);
    for (const zone of [undefined, 'America/New_York']) {
      const month = defineBucket('usd', {
        dimension: 'usd',
        limit: 10,
        per: 'month',
        timeZone: zone,
        margin: 0,
      });
      const rule = month.fixed as FixedWindowRule;
      fc.assert(
        fc.property(fc.integer({ min: Date.UTC(2025, 0, 1), max: Date.UTC(2028, 0, 1) }), (now) => {
          periodOf(rule, now, out);
          const [start, end] = out as unknown as [number, number];
          expect(start).toBeLessThanOrEqual(now);
          expect(end).toBeGreaterThan(now);
          const wall = new Date(start + (zone ? zoneOffsetMs(zone, start) : 0));
          expect([wall.getUTCDate(), wall.getUTCHours(), wall.getUTCMinutes()]).toEqual([1, 0, 0]);
          expect(end - start).toBeGreaterThanOrEqual(28 * 24 * HOUR - HOUR);
          expect(end - start).toBeLessThanOrEqual(31 * 24 * HOUR + HOUR);
        }),
      );
    }
    const ny = defineBucket('usd', {
      dimension: 'usd',
      limit: 10,
      per: 'month',
      timeZone: 'America/New_York',
    });
    // March 2026 in New York: from EST midnight to EDT midnight, an hour short of 31 days.
    periodOf(ny.fixed as FixedWindowRule, Date.UTC(2026, 2, 15), out);
    expect([out[0], out[1]]).toEqual([Date.UTC(2026, 2, 1, 5), Date.UTC(2026, 3, 1, 4)]);
  });
});

describe('withLimit on window rules', () => {
  it('keeps the rule, and counts a sliced limit per minute once it is below one unit per slice', () => {
    const sliced = defineBucket('azure:rpm', {
      dimension: 'requests',
      limit: 6,
      per: 'minute',
      window: 'sliced',
    });
    expect(withLimit(sliced, 12).fixed).toMatchObject({ periodMs: 10_000, periodLimit: 2 });
    // One instance's share of 6 RPM between two instances: 3 a minute cannot be cut into 10 s slices.
    expect(withLimit(sliced, 3).fixed).toMatchObject({ periodMs: 60_000, periodLimit: 3 });
    const pacific = defineBucket('gemini:rpd', {
      dimension: 'requests',
      limit: 100,
      per: 'day',
      window: 'fixed',
      timeZone: 'America/Los_Angeles',
    });
    expect(withLimit(pacific, 50).fixed).toMatchObject({ timeZone: 'America/Los_Angeles', periodLimit: 50 });
  });
});

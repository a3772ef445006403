/**
 * What provider headers can do to a bucket with no local traffic (issue 12),
 * over random sequences of reports (fast-check, MemoryStore on a manual
 * clock): limits from tiny to 1e12, any remaining, resets past, future, huge
 * or missing, reports that contradict each other.
 *
 * - A cost that fits the bucket never waits longer than one window after the
 *   last report, nor past the latest time any report said the provider's
 *   bucket is full again. (Not "past the last report's reset": syncs only
 *   ever raise a bucket, because reports arrive out of order — a long call's
 *   headers describe an older state — and a bucket also holds requests in
 *   flight the provider has not counted yet. Each sync on its own is bounded
 *   by its own reset.)
 * - A provider with at least our whole bucket left changes nothing.
 * - Calendar-day buckets: a report never fills one beyond its limit, and a
 *   provider with at least our whole bucket left changes nothing.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const calendarResetMs = (t: number): number => Math.floor(t / 86_400_000) * 86_400_000 + 86_400_000 - t;

import { ManualClock } from '../../src/core/clock.js';
import { costOf } from '../../src/core/cost.js';
import type { ProviderObservation } from '../../src/core/decision.js';
import { type BucketSpec, defineBucket, type Window } from '../../src/core/limit.js';
import { MemoryStore } from '../../src/stores/memory/memory-store.js';

/** Float slack of epoch-ms arithmetic (an ulp of 1.8e12 is 2.4e-4 ms). */
const SLACK_MS = 0.01;

interface Report {
  advanceMs: number;
  limit: number | undefined;
  remaining: number | undefined;
  /** Reset relative to the report's time; undefined when the report has none. */
  resetInMs: number | undefined;
}

const anyLimit = fc.oneof(
  fc.constant(undefined),
  fc.double({ min: 1e-3, max: 1e12, noNaN: true }),
  fc.constantFrom(1, 1e12, 0, -1, Number.NaN, Number.POSITIVE_INFINITY),
);
const anyRemaining = fc.oneof(
  fc.constant(undefined),
  fc.double({ min: -1e3, max: 1e13, noNaN: true }),
  fc.constantFrom(0, 1e12, Number.NaN, Number.POSITIVE_INFINITY),
);
const anyReset = fc.oneof(
  fc.constant(undefined),
  fc.double({ min: -1e12, max: 1e12, noNaN: true }),
  fc.constantFrom(0, 13_000, 1e15, -1e15, Number.POSITIVE_INFINITY, Number.NaN),
);

const windows: readonly Window[] = ['second', 'minute', 'hour', 'day'];
const spec = fc
  .record({
    limit: fc.oneof(fc.double({ min: 1, max: 1e9, noNaN: true }), fc.integer({ min: 1, max: 100_000 })),
    per: fc.constantFrom(...windows),
    margin: fc.double({ min: 0, max: 0.5, noNaN: true }),
  })
  .map(({ limit, per, margin }) => defineBucket(`sync:${per}`, { dimension: 'tokens', limit, per, margin }));

function reports(windowMs: number): fc.Arbitrary<Report[]> {
  return fc.array(
    fc.record({
      advanceMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 * windowMs })),
      limit: anyLimit,
      remaining: anyRemaining,
      resetInMs: anyReset,
    }),
    { minLength: 1, maxLength: 6 },
  );
}

/** Share of the capacity the checked cost takes: often all of it, the worst case. */
const share = fc.oneof(fc.constant(1), fc.double({ min: 0, max: 1, noNaN: true }));

function observationOf(report: Report, now: number): ProviderObservation {
  return {
    limit: report.limit,
    remaining: report.remaining,
    resetAt: report.resetInMs === undefined ? undefined : now + report.resetInMs,
  };
}

/** Ms until `tokens` would be granted (granting it if it fits now). */
async function waitFor(store: MemoryStore, bucket: BucketSpec, tokens: number): Promise<number> {
  const decision = await store.reserve([bucket], costOf(tokens, 0));
  return decision.granted ? 0 : decision.retryAfterMs;
}

describe('provider reports against a declared bucket', () => {
  it('never make a cost that fits wait past one window or past every stated reset', async () => {
    await fc.assert(
      fc.asyncProperty(
        spec.chain((bucket) => fc.tuple(fc.constant(bucket), reports(bucket.windowMs), share)),
        async ([bucket, sequence, share]) => {
          const clock = new ManualClock(Date.UTC(2026, 10, 24, 12, 0, 0));
          const store = new MemoryStore({ clock, sweepIntervalMs: 0 });
          // The latest instant any report allowed the provider's bucket to be full.
          let fullBy = Number.NEGATIVE_INFINITY;
          for (const report of sequence) {
            clock.advance(report.advanceMs);
            const now = clock.now();
            await store.sync(bucket, observationOf(report, now));
            const stated =
              report.resetInMs !== undefined && Number.isFinite(report.resetInMs)
                ? Math.min(Math.max(report.resetInMs, 0), bucket.windowMs)
                : bucket.windowMs;
            fullBy = Math.max(fullBy, now + stated);
          }
          const bound = Math.min(bucket.windowMs, fullBy - clock.now());
          const cost = Math.max(share * bucket.capacity, 1e-9);
          expect(await waitFor(store, bucket, cost)).toBeLessThanOrEqual(bound + SLACK_MS);
          await store.close();
        },
      ),
      { numRuns: 500 },
    );
  });

  it('bound one report by its own reset, however far its numbers are off', async () => {
    await fc.assert(
      fc.asyncProperty(
        spec,
        anyLimit,
        anyRemaining,
        fc.double({ min: 0, max: 1e12, noNaN: true }),
        async (bucket, limit, remaining, resetInMs) => {
          const clock = new ManualClock();
          const store = new MemoryStore({ clock, sweepIntervalMs: 0 });
          await store.sync(bucket, { limit, remaining, resetAt: clock.now() + resetInMs });
          const bound = Math.min(bucket.windowMs, resetInMs);
          expect(await waitFor(store, bucket, bucket.capacity)).toBeLessThanOrEqual(bound + SLACK_MS);
          await store.close();
        },
      ),
      { numRuns: 300 },
    );
  });

  it('change nothing when the provider has at least our whole bucket left', async () => {
    await fc.assert(
      fc.asyncProperty(
        spec,
        fc.double({ min: 1, max: 1e4, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.boolean(),
        async (bucket, times, share, withReset) => {
          const clock = new ManualClock();
          const store = new MemoryStore({ clock, sweepIntervalMs: 0 });
          const limit = bucket.limit * times;
          const remaining = bucket.limit + share * (limit - bucket.limit);
          // The reset that goes with it (§1.3), truncated to whole ms as OpenAI prints it.
          const resetInMs = Math.floor(((limit - remaining) / limit) * bucket.windowMs);
          await store.sync(bucket, {
            limit,
            remaining,
            resetAt: withReset ? clock.now() + resetInMs : undefined,
          });
          expect((await store.peek([bucket]))[0]?.used).toBe(0);
          expect(await waitFor(store, bucket, bucket.capacity)).toBeLessThanOrEqual(SLACK_MS);
          await store.close();
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never fill a calendar-day bucket beyond its limit, nor touch it while the provider has enough left', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 1_000_000 }),
        reports(86_400_000),
        fc.double({ min: 1, max: 1e6, noNaN: true }),
        async (limit, sequence, times) => {
          const clock = new ManualClock(Date.UTC(2026, 10, 24, 6, 0, 0));
          const store = new MemoryStore({ clock, sweepIntervalMs: 0 });
          const tpd = defineBucket('sync:tpd', {
            dimension: 'tokens',
            limit,
            per: 'day',
            dayMode: 'calendar',
          });
          for (const report of sequence) {
            clock.advance(report.advanceMs);
            await store.sync(tpd, observationOf(report, clock.now()));
            expect((await store.peek([tpd]))[0]?.used).toBeLessThanOrEqual(limit);
          }
          expect(await waitFor(store, tpd, tpd.capacity)).toBeLessThanOrEqual(calendarResetMs(clock.now()));

          const fresh = defineBucket('sync:tpd-fresh', {
            dimension: 'tokens',
            limit,
            per: 'day',
            dayMode: 'calendar',
          });
          await store.sync(fresh, { limit: limit * times, remaining: limit });
          expect((await store.peek([fresh]))[0]?.used).toBe(0);
          await store.close();
        },
      ),
      { numRuns: 200 },
    );
  });
});

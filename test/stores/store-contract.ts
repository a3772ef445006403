/**
 * The behaviour every `Store` must have. Each implementation's test file
 * calls `describeStoreContract` with a factory; the very same cases run
 * against MemoryStore and RedisStore (STYLE.md: one contract suite).
 *
 * Time is a ManualClock handed to the factory: stores must take their "now"
 * from it, so these tests are deterministic for every implementation.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { costOf } from '../../src/core/cost.js';
import type { Reservation } from '../../src/core/decision.js';
import { type BucketSpec, defineBucket, type LimitDefinition } from '../../src/core/limit.js';
import type { Store } from '../../src/stores/store.js';
import { demandContract } from './demand-contract.js';
import { firstFitContract } from './first-fit-contract.js';
import { headroomContract } from './headroom-contract.js';
import { reassignContract } from './reassign-contract.js';

export interface StoreUnderTest {
  store: Store;
  /** Called after each test (close connections, flush keys). */
  cleanup?: () => Promise<void>;
}

export type StoreFactory = (clock: ManualClock, options: { leaseMs: number }) => Promise<StoreUnderTest>;

const LEASE_MS = 30_000;
let keySeq = 0;

/** Bucket keys unique per test run, so a shared backend never mixes tests. */
export function bucket(name: string, def: LimitDefinition): BucketSpec {
  return defineBucket(`contract:${process.pid}:${++keySeq}:${name}`, def);
}

function granted(reservation: Reservation | undefined): Reservation {
  if (!reservation) throw new Error('expected a grant');
  return reservation;
}

export function describeStoreContract(name: string, factory: StoreFactory): void {
  describe(`Store contract: ${name}`, () => {
    let clock: ManualClock;
    let sut: StoreUnderTest;
    let store: Store;

    beforeEach(async () => {
      clock = new ManualClock(Date.UTC(2026, 10, 24, 12, 0, 0));
      sut = await factory(clock, { leaseMs: LEASE_MS });
      store = sut.store;
    });
    afterEach(async () => {
      await sut.cleanup?.();
    });

    reassignContract(() => ({ clock, store }));
    firstFitContract(() => ({ clock, store }));
    demandContract(() => ({ clock, store }));
    headroomContract(() => ({ clock, store }));

    it('grants up to the capacity after the safety margin, then says exactly when the next one fits', async () => {
      const rpm = bucket('rpm', { dimension: 'requests', limit: 60, per: 'minute', margin: 0.1 });
      for (let i = 0; i < 54; i++) expect((await store.reserve([rpm], costOf(0, 0))).granted).toBe(true);
      const refused = await store.reserve([rpm], costOf(0, 0));
      expect(refused.granted).toBe(false);
      expect(refused.reason).toBe('rate');
      expect(refused.limitedBy?.key).toBe(rpm.key);
      expect(refused.retryAfterMs).toBeCloseTo(1_000, 3); // 60/min refills one per second
      clock.advance(999);
      expect((await store.reserve([rpm], costOf(0, 0))).granted).toBe(false);
      clock.advance(1);
      expect((await store.reserve([rpm], costOf(0, 0))).granted).toBe(true);
    });

    it('reports remaining units per bucket in the order given', async () => {
      const rpm = bucket('rpm', { dimension: 'requests', limit: 100, per: 'minute', margin: 0 });
      const tpm = bucket('tpm', { dimension: 'tokens', limit: 10_000, per: 'minute', margin: 0 });
      const decision = await store.reserve([rpm, tpm], costOf(300, 200));
      expect(decision.granted).toBe(true);
      expect(decision.remaining[0]).toBeCloseTo(99, 6);
      expect(decision.remaining[1]).toBeCloseTo(9_500, 6);
    });

    it('is all or nothing: a refusal by one bucket charges none of the others', async () => {
      const rpm = bucket('rpm', { dimension: 'requests', limit: 1_000, per: 'minute', margin: 0 });
      const tpm = bucket('tpm', { dimension: 'tokens', limit: 1_000, per: 'minute', margin: 0 });
      expect((await store.reserve([rpm, tpm], costOf(600, 0))).granted).toBe(true);
      const refused = await store.reserve([rpm, tpm], costOf(600, 0));
      expect(refused.granted).toBe(false);
      expect(refused.limitedBy?.key).toBe(tpm.key);
      const [r, t] = await store.peek([rpm, tpm]);
      expect(r?.used).toBeCloseTo(1, 6);
      expect(t?.used).toBeCloseTo(600, 6);
    });

    it('names the bucket with the longest wait as the one that binds', async () => {
      const a = bucket('a', { dimension: 'input_tokens', limit: 6_000, per: 'minute', margin: 0 });
      const b = bucket('b', { dimension: 'output_tokens', limit: 600, per: 'minute', margin: 0 });
      expect((await store.reserve([a, b], costOf(5_000, 500))).granted).toBe(true);
      // a is short by 1,000 tokens at 100/s (10 s); b by 200 tokens at 10/s (20 s): b binds.
      const refused = await store.reserve([a, b], costOf(2_000, 300));
      expect(refused.granted).toBe(false);
      expect(refused.limitedBy?.key).toBe(b.key);
      expect(refused.retryAfterMs).toBeCloseTo(20_000, 3);
      const c = bucket('c', { dimension: 'requests', limit: 1, per: 'minute', margin: 0 });
      expect((await store.reserve([c], costOf(0, 0))).granted).toBe(true);
      const byC = await store.reserve([a, b, c], costOf(0, 0));
      expect(byC.limitedBy?.key).toBe(c.key);
      expect(byC.retryAfterMs).toBeCloseTo(60_000, 3);
    });

    it('refuses a cost larger than the whole capacity as never fitting', async () => {
      const tpm = bucket('tpm', { dimension: 'tokens', limit: 1_000, per: 'minute', margin: 0.1 });
      const refused = await store.reserve([tpm], costOf(800, 101));
      expect(refused.granted).toBe(false);
      expect(refused.reason).toBe('too_large');
      expect(refused.retryAfterMs).toBe(Number.POSITIVE_INFINITY);
      expect((await store.reserve([tpm], costOf(800, 100))).granted).toBe(true);
    });

    it('refills continuously at the declared rate, per second as per minute', async () => {
      const rps = bucket('rps', { dimension: 'requests', limit: 10, per: 'second', margin: 0 });
      for (let i = 0; i < 10; i++) await store.reserve([rps], costOf(0, 0));
      expect((await store.reserve([rps], costOf(0, 0))).retryAfterMs).toBeCloseTo(100, 3);
      clock.advance(350);
      const [snap] = await store.peek([rps]);
      expect(snap?.remaining).toBeCloseTo(3.5, 6);
      expect(snap?.resetMs).toBeCloseTo(650, 3);
    });

    it('settle refunds what was reserved but not used', async () => {
      const tpm = bucket('tpm', { dimension: 'tokens', limit: 10_000, per: 'minute', margin: 0 });
      const decision = await store.reserve([tpm], costOf(1_000, 4_000));
      expect(
        await store.settle(granted(decision.reservation), { inputTokens: 1_000, outputTokens: 500 }),
      ).toBe('settled');
      const [snap] = await store.peek([tpm]);
      expect(snap?.used).toBeCloseTo(1_500, 6);
    });

    it('settle charges usage above the estimate, and later requests wait for it', async () => {
      const otpm = bucket('otpm', { dimension: 'output_tokens', limit: 1_000, per: 'minute', margin: 0 });
      const decision = await store.reserve([otpm], costOf(0, 100));
      await store.settle(granted(decision.reservation), { inputTokens: 0, outputTokens: 1_100 });
      const [snap] = await store.peek([otpm]);
      expect(snap?.used).toBeCloseTo(1_100, 6);
      expect(snap?.remaining).toBe(0);
      const next = await store.reserve([otpm], costOf(0, 100));
      expect(next.granted).toBe(false);
      expect(next.retryAfterMs).toBeCloseTo(12_000, 3);
    });

    it('settles exactly once: a second settle is a counted no-op, never a double refund', async () => {
      const tpm = bucket('tpm', { dimension: 'tokens', limit: 10_000, per: 'minute', margin: 0 });
      const reservation = granted((await store.reserve([tpm], costOf(1_000, 1_000))).reservation);
      const before = await store.stats();
      expect(await store.settle(reservation, { inputTokens: 100, outputTokens: 100 })).toBe('settled');
      expect(await store.settle(reservation, { inputTokens: 100, outputTokens: 100 })).toBe('duplicate');
      expect(await store.settle(reservation)).toBe('duplicate');
      const [snap] = await store.peek([tpm]);
      expect(snap?.used).toBeCloseTo(200, 6);
      const after = await store.stats();
      expect(after.duplicateSettles - before.duplicateSettles).toBe(2);
      expect(after.settled - before.settled).toBe(1);
    });

    it('settle without usage lets the estimate stand', async () => {
      const tpm = bucket('tpm', { dimension: 'tokens', limit: 10_000, per: 'minute', margin: 0 });
      const reservation = granted((await store.reserve([tpm], costOf(700, 300))).reservation);
      expect(await store.settle(reservation)).toBe('settled');
      const [snap] = await store.peek([tpm]);
      expect(snap?.used).toBeCloseTo(1_000, 6);
    });

    it('holds a concurrency slot until settle', async () => {
      const slots = bucket('slots', { dimension: 'concurrency', limit: 2, margin: 0 });
      const first = granted((await store.reserve([slots], costOf(1, 1))).reservation);
      granted((await store.reserve([slots], costOf(1, 1))).reservation);
      const refused = await store.reserve([slots], costOf(1, 1));
      expect(refused.granted).toBe(false);
      expect(refused.reason).toBe('concurrency');
      expect(refused.retryAfterMs).toBeGreaterThan(0);
      expect(refused.retryAfterMs).toBeLessThanOrEqual(LEASE_MS);
      await store.settle(first, { inputTokens: 1, outputTokens: 1 });
      expect((await store.reserve([slots], costOf(1, 1))).granted).toBe(true);
    });

    it('keeps at least one concurrency slot whatever the margin', async () => {
      const slots = bucket('slots', { dimension: 'concurrency', limit: 1, margin: 0.5 });
      expect((await store.reserve([slots], costOf(0, 0))).granted).toBe(true);
      expect((await store.reserve([slots], costOf(0, 0))).granted).toBe(false);
    });

    it('gives a slot back when its lease expires unsettled, counts it, and ignores the late settle', async () => {
      const slots = bucket('slots', { dimension: 'concurrency', limit: 1, margin: 0 });
      const tpm = bucket('tpm', { dimension: 'tokens', limit: 10_000, per: 'minute', margin: 0 });
      const lost = granted((await store.reserve([slots, tpm], costOf(500, 500))).reservation);
      expect((await store.reserve([slots], costOf(0, 0))).granted).toBe(false);
      const before = await store.stats();
      clock.advance(LEASE_MS + 1);
      expect((await store.reserve([slots], costOf(0, 0))).granted).toBe(true);
      const after = await store.stats();
      expect(after.expiredLeases - before.expiredLeases).toBe(1);
      // The estimate stood: a late settle with a smaller usage refunds nothing.
      const [usedBefore] = await store.peek([tpm]);
      expect(await store.settle(lost, { inputTokens: 0, outputTokens: 0 })).toBe('duplicate');
      const [usedAfter] = await store.peek([tpm]);
      expect(usedAfter?.used).toBeCloseTo(usedBefore?.used ?? -1, 6);
    });

    it('honours a per-reservation lease and renew extends it', async () => {
      const slots = bucket('slots', { dimension: 'concurrency', limit: 1, margin: 0 });
      const held = granted((await store.reserve([slots], costOf(0, 0), { leaseMs: 5_000 })).reservation);
      clock.advance(4_000);
      expect(await store.renew(held, 5_000)).toBe(true);
      clock.advance(4_000);
      expect((await store.reserve([slots], costOf(0, 0))).granted).toBe(false);
      clock.advance(1_001);
      expect((await store.reserve([slots], costOf(0, 0))).granted).toBe(true);
      expect(await store.renew(held, 5_000)).toBe(false);
    });

    it('sync moves a bucket up to what the provider reports, never below local usage', async () => {
      const tpm = bucket('tpm', { dimension: 'tokens', limit: 60_000, per: 'minute', margin: 0 });
      await store.sync(tpm, { remaining: 30_000, limit: 60_000 });
      let [snap] = await store.peek([tpm]);
      expect(snap?.used).toBeCloseTo(30_000, 3);
      await store.sync(tpm, { remaining: 59_000, limit: 60_000 });
      [snap] = await store.peek([tpm]);
      expect(snap?.used).toBeCloseTo(30_000, 3);
      await store.sync(tpm, { resetAt: clock.now() + 45_000 });
      [snap] = await store.peek([tpm]);
      expect(snap?.used).toBeCloseTo(45_000, 3);
      // A reset far in the future cannot mean more than a full bucket.
      await store.sync(tpm, { resetAt: clock.now() + 10 * 86_400_000 });
      [snap] = await store.peek([tpm]);
      expect(snap?.used).toBeCloseTo(60_000, 3);
    });

    it('sync measures what the provider has left against the declared bucket, not its own larger limit', async () => {
      const declared = { dimension: 'tokens' as const, limit: 20_000, per: 'minute' as const, margin: 0 };
      // 78 % of an account limit ten times ours, full again in 13.2 s: more than our whole bucket.
      const share = bucket('tpm-share', declared);
      await store.sync(share, { limit: 200_000, remaining: 156_000, resetAt: clock.now() + 13_200 });
      expect((await store.peek([share]))[0]?.used).toBe(0);
      expect((await store.reserve([share], costOf(20_000, 0))).granted).toBe(true);
      // 5,000 left at the provider: our bucket offers no more than that.
      const low = bucket('tpm-low', declared);
      await store.sync(low, { limit: 200_000, remaining: 5_000 });
      expect((await store.peek([low]))[0]?.used).toBeCloseTo(15_000, 3);
      // A reset alone is the provider's refill time for its own limit: 30 s of 200,000 per minute
      // is 100,000 missing, so 100,000 left, which is still more than our whole bucket.
      const reset = bucket('tpm-reset', declared);
      await store.sync(reset, { limit: 200_000, resetAt: clock.now() + 30_000 });
      expect((await store.peek([reset]))[0]?.used).toBe(0);
      // An empty provider with a huge limit empties our bucket: full again in one window, not in years.
      const huge = bucket('tpm-huge', declared);
      await store.sync(huge, { limit: 1e12, remaining: 0 });
      expect((await store.peek([huge]))[0]?.used).toBeCloseTo(20_000, 3);
      expect((await store.reserve([huge], costOf(20_000, 0))).retryAfterMs).toBeCloseTo(60_000, 3);
      // ...and never past the provider's own reset: "full again now" admits now.
      const now = bucket('tpm-now', declared);
      await store.sync(now, { limit: 1e12, remaining: 0, resetAt: clock.now() });
      expect((await store.reserve([now], costOf(20_000, 0))).granted).toBe(true);
      const soon = bucket('tpm-soon', declared);
      await store.sync(soon, { limit: 1e12, remaining: 0, resetAt: clock.now() + 13_000 });
      expect((await store.reserve([soon], costOf(20_000, 0))).retryAfterMs).toBeCloseTo(13_000, 3);
    });

    it('sync never fills a calendar-day bucket beyond its limit from a larger provider limit', async () => {
      const declared = {
        dimension: 'tokens' as const,
        limit: 1_000,
        per: 'day' as const,
        dayMode: 'calendar' as const,
      };
      const share = bucket('tpd-share', { ...declared, margin: 0 });
      await store.sync(share, { limit: 10_000, remaining: 7_800 });
      expect((await store.peek([share]))[0]?.used).toBe(0);
      const low = bucket('tpd-low', { ...declared, margin: 0 });
      await store.sync(low, { limit: 10_000, remaining: 300 });
      expect((await store.peek([low]))[0]?.used).toBeCloseTo(700, 6);
      const huge = bucket('tpd-huge', { ...declared, margin: 0 });
      await store.sync(huge, { limit: 1e12, remaining: 0 });
      expect((await store.peek([huge]))[0]?.used).toBeCloseTo(1_000, 6);
      // Full until midnight UTC, and not one day longer.
      const refused = await store.reserve([huge], costOf(1, 0));
      expect(refused.retryAfterMs).toBeCloseTo(12 * 3_600_000, 3);
    });

    it('pause lasts at most one window of the bucket, whatever it was asked', async () => {
      const rpm = bucket('rpm', { dimension: 'requests', limit: 100, per: 'minute', margin: 0 });
      await store.pause(rpm, clock.now() + 116 * 86_400_000);
      const refused = await store.reserve([rpm], costOf(0, 0));
      expect(refused.reason).toBe('paused');
      expect(refused.retryAfterMs).toBeCloseTo(60_000, 3);
      expect((await store.peek([rpm]))[0]?.pausedUntil).toBe(clock.now() + 60_000);
      clock.advance(60_000);
      expect((await store.reserve([rpm], costOf(0, 0))).granted).toBe(true);
    });

    it('pause stops admission until the given time', async () => {
      const rpm = bucket('rpm', { dimension: 'requests', limit: 100, per: 'minute', margin: 0 });
      await store.pause(rpm, clock.now() + 7_000);
      const refused = await store.reserve([rpm], costOf(0, 0));
      expect(refused.granted).toBe(false);
      expect(refused.reason).toBe('paused');
      expect(refused.retryAfterMs).toBeCloseTo(7_000, 3);
      expect((await store.peek([rpm]))[0]?.pausedUntil).toBe(clock.now() + 7_000);
      clock.advance(7_000);
      expect((await store.reserve([rpm], costOf(0, 0))).granted).toBe(true);
    });

    it('calendar-day buckets start over at 00:00 UTC; rolling days refill continuously', async () => {
      clock.set(Date.UTC(2026, 10, 24, 23, 0, 0));
      const calendar = bucket('rpd-cal', {
        dimension: 'requests',
        limit: 2,
        per: 'day',
        dayMode: 'calendar',
        margin: 0,
      });
      const rolling = bucket('rpd-roll', { dimension: 'requests', limit: 2, per: 'day', margin: 0 });
      for (let i = 0; i < 2; i++) {
        expect((await store.reserve([calendar], costOf(0, 0))).granted).toBe(true);
        expect((await store.reserve([rolling], costOf(0, 0))).granted).toBe(true);
      }
      const cal = await store.reserve([calendar], costOf(0, 0));
      expect(cal.retryAfterMs).toBeCloseTo(3_600_000, 3);
      const roll = await store.reserve([rolling], costOf(0, 0));
      expect(roll.retryAfterMs).toBeCloseTo(43_200_000, 3);
      clock.advance(3_600_000);
      expect((await store.reserve([calendar], costOf(0, 0))).granted).toBe(true);
      expect((await store.reserve([rolling], costOf(0, 0))).granted).toBe(false);
    });

    it('calendar-day settle refunds within the same day', async () => {
      const tpd = bucket('tpd', {
        dimension: 'tokens',
        limit: 1_000,
        per: 'day',
        dayMode: 'calendar',
        margin: 0,
      });
      const reservation = granted((await store.reserve([tpd], costOf(400, 400))).reservation);
      await store.settle(reservation, { inputTokens: 400, outputTokens: 100 });
      expect((await store.peek([tpd]))[0]?.used).toBeCloseTo(500, 6);
    });

    it('keeps keys independent; specs of one key share state, keeping its fill fraction across a new limit', async () => {
      const a = bucket('a', { dimension: 'requests', limit: 1, per: 'minute', margin: 0 });
      const b = bucket('b', { dimension: 'requests', limit: 1, per: 'minute', margin: 0 });
      expect((await store.reserve([a], costOf(0, 0))).granted).toBe(true);
      expect((await store.reserve([b], costOf(0, 0))).granted).toBe(true);
      // State is kept as "full again at", so a doubled limit sees the same full bucket...
      const aTwice = defineBucket(a.key, { dimension: 'requests', limit: 2, per: 'minute', margin: 0 });
      expect((await store.reserve([aTwice], costOf(0, 0))).granted).toBe(false);
      // ...refilling at the new rate: one unit every 30 s.
      clock.advance(30_000);
      expect((await store.reserve([aTwice], costOf(0, 0))).granted).toBe(true);
      expect((await store.reserve([aTwice], costOf(0, 0))).granted).toBe(false);
    });

    it('counts reservations, settles and active ones', async () => {
      const rpm = bucket('rpm', { dimension: 'requests', limit: 100, per: 'minute', margin: 0 });
      const before = await store.stats();
      const r1 = granted((await store.reserve([rpm], costOf(0, 0))).reservation);
      granted((await store.reserve([rpm], costOf(0, 0))).reservation);
      await store.settle(r1);
      const after = await store.stats();
      expect(after.reservations - before.reservations).toBe(2);
      expect(after.settled - before.settled).toBe(1);
      expect(after.active - before.active).toBe(1);
    });

    it('peeks a bucket it has never seen as full', async () => {
      const fresh = bucket('fresh', { dimension: 'tokens', limit: 1_000, per: 'minute', margin: 0.1 });
      const [snap] = await store.peek([fresh]);
      expect(snap).toMatchObject({ key: fresh.key, remaining: 900, used: 0, resetMs: 0, pausedUntil: 0 });
    });
  });
}

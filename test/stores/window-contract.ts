/**
 * Fixed and sliced windows, the same for every `Store` (run beside
 * `store-contract.ts` by each store's test file): fixed minutes are paced and
 * start over at second 00, slices hold a per-minute limit's share each,
 * days start at midnight in their time zone across a daylight-saving change,
 * and a provider's reset over a fixed window is a boundary, not a refill.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { costOf } from '../../src/core/cost.js';
import type { BucketSpec } from '../../src/core/limit.js';
import type { Store } from '../../src/stores/store.js';
import { bucket, type StoreFactory, type StoreUnderTest } from './store-contract.js';

const request = costOf(0, 0);

/** Reserves one request on `spec` until refused; returns how many were granted. */
async function drain(store: Store, spec: BucketSpec, max = 1_000): Promise<number> {
  let n = 0;
  while (n < max && (await store.reserve([spec], request)).granted) n++;
  return n;
}

export function describeWindowContract(name: string, factory: StoreFactory): void {
  describe(`Window contract: ${name}`, () => {
    let clock: ManualClock;
    let sut: StoreUnderTest;
    let store: Store;

    beforeEach(async () => {
      clock = new ManualClock(Date.UTC(2026, 10, 24, 12, 0, 0));
      sut = await factory(clock, { leaseMs: 30_000 });
      store = sut.store;
    });
    afterEach(async () => {
      await sut.cleanup?.();
    });

    it('paces a fixed minute: half its capacity at second 0, all of it by second 15, none left after', async () => {
      const rpm = bucket('rpm-fixed', {
        dimension: 'requests',
        limit: 20,
        per: 'minute',
        window: 'fixed',
        margin: 0.1,
      });
      // A burst of 18 at second 0 gets half the 18 the margin leaves.
      expect(await drain(store, rpm)).toBe(9);
      const paced = await store.reserve([rpm], request);
      expect(paced.reason).toBe('rate');
      // The 10th unit comes at 15 s × 1/9 of the rest.
      expect(paced.retryAfterMs).toBeCloseTo(15_000 / 9, 3);
      clock.advance(30_000);
      expect(await drain(store, rpm)).toBe(9);
      // A fixed minute is empty until second 00, not refilling as a bucket would.
      const full = await store.reserve([rpm], request);
      expect(full.retryAfterMs).toBeCloseTo(30_000, 3);
      expect((await store.peek([rpm]))[0]).toMatchObject({ used: 18, remaining: 0, resetMs: 30_000 });
      clock.advance(30_000);
      expect(await drain(store, rpm)).toBe(9);
    });

    it('starts a fixed minute over at second 00 even when it was filled at second 59', async () => {
      clock.set(Date.UTC(2026, 10, 24, 12, 0, 59));
      const tpm = bucket('tpm-fixed', {
        dimension: 'tokens',
        limit: 1_000,
        per: 'minute',
        window: 'fixed',
        margin: 0,
      });
      expect((await store.reserve([tpm], costOf(1_000, 0))).granted).toBe(true);
      const next = await store.reserve([tpm], costOf(400, 0));
      expect(next.retryAfterMs).toBeCloseTo(1_000, 3);
      clock.advance(1_000);
      expect((await store.reserve([tpm], costOf(400, 0))).granted).toBe(true);
      // A refund lands in the period it was reserved in only; a new reservation and settle here do apply.
      const r = await store.reserve([tpm], costOf(100, 0));
      if (!r.reservation) throw new Error('expected a grant');
      await store.settle(r.reservation, { inputTokens: 50, outputTokens: 0 });
      expect((await store.peek([tpm]))[0]?.used).toBeCloseTo(450, 6);
    });

    it('enforces a sliced per-minute limit as its share in every 10 s or 1 s slice', async () => {
      const tenSeconds = bucket('rpm-10s', {
        dimension: 'requests',
        limit: 60,
        per: 'minute',
        window: 'sliced',
        margin: 0,
      });
      const oneSecond = bucket('rpm-1s', {
        dimension: 'requests',
        limit: 600,
        per: 'minute',
        window: 'sliced',
        sliceMs: 1_000,
        margin: 0,
      });
      expect(await drain(store, tenSeconds)).toBe(10);
      expect(await drain(store, oneSecond)).toBe(10);
      expect((await store.reserve([tenSeconds], request)).retryAfterMs).toBeCloseTo(10_000, 3);
      expect((await store.reserve([oneSecond], request)).retryAfterMs).toBeCloseTo(1_000, 3);
      clock.advance(1_000);
      expect(await drain(store, oneSecond)).toBe(10);
      expect(await drain(store, tenSeconds)).toBe(0);
      clock.advance(9_000);
      expect(await drain(store, tenSeconds)).toBe(10);
    });

    it('keeps a slice’s last request through the margin: 6 RPM in 10 s slices is one request per slice', async () => {
      const rpm = bucket('rpm-small', {
        dimension: 'requests',
        limit: 6,
        per: 'minute',
        window: 'sliced',
        margin: 0.1,
      });
      expect(await drain(store, rpm)).toBe(1);
      clock.advance(10_000);
      expect(await drain(store, rpm)).toBe(1);
    });

    it('starts a Pacific day at local midnight, 23 h long on the day clocks go forward', async () => {
      // 2026-03-08: Pacific time changes from UTC−8 to UTC−7 at 02:00 local.
      clock.set(Date.UTC(2026, 2, 8, 7, 59, 0)); // 23:59 PST on March 7
      const rpd = bucket('rpd-pt', {
        dimension: 'requests',
        limit: 2,
        per: 'day',
        window: 'fixed',
        timeZone: 'America/Los_Angeles',
        margin: 0,
      });
      expect(await drain(store, rpd)).toBe(2);
      expect((await store.reserve([rpd], request)).retryAfterMs).toBeCloseTo(60_000, 3);
      clock.advance(60_000); // 00:00 PST, March 8 = 08:00 UTC
      expect(await drain(store, rpd)).toBe(2);
      // That day ends at midnight PDT, 07:00 UTC on March 9: 23 hours later.
      expect((await store.reserve([rpd], request)).retryAfterMs).toBeCloseTo(23 * 3_600_000, 3);
      expect((await store.peek([rpd]))[0]?.resetMs).toBeCloseTo(23 * 3_600_000, 3);
      clock.advance(23 * 3_600_000 - 1);
      expect(await drain(store, rpd)).toBe(0);
      clock.advance(1);
      expect(await drain(store, rpd)).toBe(2);
    });

    it('sync over a fixed window counts what the provider has used and reads its reset as a boundary', async () => {
      const rpm = bucket('rpm-sync', {
        dimension: 'requests',
        limit: 100,
        per: 'minute',
        window: 'fixed',
        margin: 0,
      });
      clock.set(Date.UTC(2026, 10, 24, 12, 0, 30));
      // OpenAI-style headers half way through the minute: 10 left, reset at the window's end.
      await store.sync(rpm, { limit: 100, remaining: 10, resetAt: clock.now() + 30_000 });
      expect((await store.peek([rpm]))[0]?.used).toBeCloseTo(90, 6);
      // A continuous reading would call the bucket half full again; the fixed minute stays at 90 used.
      expect(await drain(store, rpm)).toBe(10);
      expect((await store.reserve([rpm], request)).retryAfterMs).toBeCloseTo(30_000, 3);
      clock.advance(30_000);
      expect((await store.peek([rpm]))[0]?.used).toBe(0);
    });
  });
}

/**
 * `reserveFirst` through the fallback store: one call to the shared store
 * while it answers (remembering the level of every choice it tried, for the
 * handover), this instance's shares when it does not (fail-open), a typed
 * refusal under fail-closed, and the local levels handed back when it
 * returns.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { costOf } from '../../src/core/cost.js';
import { defineBucket } from '../../src/core/limit.js';
import { StoreUnavailableError } from '../../src/stores/redis/errors.js';
import { FallbackStore } from '../../src/stores/redis/fallback-store.js';
import type { FirstFit } from '../../src/stores/store.js';
import { FlakyStore, RecordingLogger } from './redis/flaky-store.js';

// Two deployments of one model group, of different sizes.
const SMALL = defineBucket('fb-first:small:rpm', {
  dimension: 'requests',
  limit: 30,
  per: 'minute',
  margin: 0,
});
const LARGE = defineBucket('fb-first:large:rpm', {
  dimension: 'requests',
  limit: 60,
  per: 'minute',
  margin: 0,
});
const LARGE_TPM = defineBucket('fb-first:large:tpm', {
  dimension: 'tokens',
  limit: 90_000,
  per: 'minute',
  margin: 0,
});
const CHOICES = [
  { buckets: [SMALL], cost: costOf(500, 500) },
  { buckets: [LARGE, LARGE_TPM], cost: costOf(500, 500) },
];

describe('FallbackStore: reserveFirst', () => {
  let clock: ManualClock;
  let shared: FlakyStore;
  const make = (onUnavailable: 'fail_open' | 'fail_closed') =>
    new FallbackStore({
      shared,
      onUnavailable,
      expectedInstances: 3,
      clock,
      probeIntervalMs: 500,
      logger: new RecordingLogger(),
    });
  const burst = async (store: FallbackStore, count: number): Promise<FirstFit[]> => {
    const fits: FirstFit[] = [];
    for (let i = 0; i < count; i++) fits.push(await store.reserveFirst(CHOICES));
    return fits;
  };
  const on = (fits: readonly FirstFit[], choice: number) => fits.filter((f) => f.choice === choice).length;

  beforeEach(() => {
    clock = new ManualClock();
    shared = new FlakyStore(clock);
  });

  it('asks the shared store once per call while it answers', async () => {
    const store = make('fail_open');
    const fits = await burst(store, 40);
    expect([on(fits, 0), on(fits, 1)]).toEqual([30, 10]);
    expect(shared.calls).toBe(40);
    expect(store.status()).toMatchObject({ available: true, localDecisions: 0 });
  });

  it('fail-open places on this instance’s shares of every choice while the shared store is down', async () => {
    const store = make('fail_open');
    shared.down = true;
    const fits = await burst(store, 35);
    // 30 RPM ÷ 3 = 10 on the small deployment, then 60 ÷ 3 = 20 on the large one.
    expect([on(fits, 0), on(fits, 1), on(fits, -1)]).toEqual([10, 20, 5]);
    const refused = fits[34] as FirstFit;
    // Refusals name the caller's buckets, not the local shares, and say when each refills.
    expect(refused.decisions.map((d) => d.limitedBy)).toEqual([SMALL, LARGE]);
    expect(refused.decisions[0]?.retryAfterMs).toBeCloseTo(6_000, 3); // 10 per minute
    expect(refused.decisions[1]?.retryAfterMs).toBeCloseTo(3_000, 3); // 20 per minute
    expect(store.status()).toMatchObject({ mode: 'local', localDecisions: 35, transitions: 1 });
    expect(shared.calls).toBe(1); // only the call that found it down
  });

  it('starts the local shares of every choice tried from the levels the shared store last reported', async () => {
    const store = make('fail_open');
    // Other instances filled the small deployment; this one learns it from the refusal of its first choice.
    for (let i = 0; i < 30; i++) await shared.inner.reserve([SMALL], costOf(0, 0));
    expect((await store.reserveFirst(CHOICES)).choice).toBe(1);
    shared.down = true;
    const fits = await burst(store, 12);
    // Small: nothing left shared, so nothing locally; large: 59 left, a third is 19.67.
    expect([on(fits, 0), on(fits, 1), on(fits, -1)]).toEqual([0, 12, 0]);
    const more = await burst(store, 10);
    expect([on(more, 0), on(more, 1), on(more, -1)]).toEqual([0, 7, 3]);
  });

  it('hands the local levels back when the shared store returns, then places there again', async () => {
    const store = make('fail_open');
    shared.down = true;
    await burst(store, 30); // both shares full: 10 small, 20 large
    shared.down = false;
    await clock.advanceAsync(500);
    expect(store.status()).toMatchObject({ available: true, mode: 'shared' });
    // Raised to the local view × 3: both full again but for the 0.5 s of refill.
    const [small, large] = await shared.inner.peek([SMALL, LARGE]);
    expect(small?.used).toBeCloseTo(30 - 0.25, 6);
    expect(large?.used).toBeCloseTo(60 - 0.5, 6);
    const callsBefore = shared.calls;
    const fit = await store.reserveFirst(CHOICES);
    expect(fit.choice).toBe(-1);
    expect(shared.calls).toBe(callsBefore + 1);
  });

  it('fail-closed refuses with a typed error carrying Retry-After, as reserve does', async () => {
    const store = make('fail_closed');
    shared.down = true;
    const error = await store.reserveFirst(CHOICES).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error).toMatchObject({ code: 'store_unavailable', retryAfterMs: 500 });
    await expect(store.reserveFirst(CHOICES)).rejects.toMatchObject({ code: 'store_unavailable' });
    expect(store.status()).toMatchObject({ mode: 'refusing', refusedUnavailable: 2, localDecisions: 0 });
    expect((await store.local.stats()).reservations).toBe(0);
  });
});

/**
 * Part of the store contract (store-contract.ts): headroom
 * (`ReserveOptions.keep`, core/buckets/headroom.ts). A reservation with
 * keep k is granted only when every rate bucket still has k × capacity free
 * after it and every concurrency bucket floor(k × limit) slots; otherwise it
 * is refused as an ordinary lack of room (never `yield`), with the wait until
 * cost and headroom fit. It is charged its cost alone.
 */
import { expect, it } from 'vitest';
import type { ManualClock } from '../../src/core/clock.js';
import { costOf } from '../../src/core/cost.js';
import type { Decision } from '../../src/core/decision.js';
import type { BucketSpec } from '../../src/core/limit.js';
import type { Store } from '../../src/stores/store.js';
import { bucket } from './store-contract.js';

function perMinute(name: string, limit: number, dimension: 'requests' | 'tokens' = 'requests'): BucketSpec {
  return bucket(name, { dimension, limit, per: 'minute', margin: 0 });
}

async function grants(store: Store, specs: BucketSpec[], times: number, keep?: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    const decision = await store.reserve(specs, costOf(0, 0), keep === undefined ? undefined : { keep });
    if (!decision.granted) throw new Error(`reservation ${i} refused: ${decision.reason}`);
  }
}

export function headroomContract(get: () => { clock: ManualClock; store: Store }): void {
  it('keep leaves its share of a rate bucket free, and says when cost and headroom fit', async () => {
    const { clock, store } = get();
    const rpm = perMinute('keep-rpm', 60);
    await grants(store, [rpm], 48, 0.2);
    const refused = await store.reserve([rpm], costOf(0, 0), { keep: 0.2 });
    expect(refused.granted).toBe(false);
    expect(refused.reason).toBe('rate');
    expect(refused.limitedBy?.key).toBe(rpm.key);
    // 12 units are free and 13 are needed (1 + 0.2 × 60): one unit of refill, one second.
    expect(refused.retryAfterMs).toBeCloseTo(1_000, 3);
    expect(refused.remaining).toEqual([12]);
    // The headroom is there for reservations without keep.
    await grants(store, [rpm], 12);
    expect((await store.reserve([rpm], costOf(0, 0))).granted).toBe(false);
    clock.advance(13_000);
    expect((await store.reserve([rpm], costOf(0, 0), { keep: 0.2 })).granted).toBe(true);
  });

  it('charges the cost alone: the headroom is only checked', async () => {
    const { store } = get();
    const tpm = perMinute('keep-charge', 1_000, 'tokens');
    const decision = await store.reserve([tpm], costOf(100, 0), { keep: 0.5 });
    expect(decision.granted).toBe(true);
    expect(decision.remaining).toEqual([900]);
    expect((await store.peek([tpm]))[0]?.remaining).toBe(900);
  });

  it('a cost larger than the spare share waits for a full bucket, never refused as too large', async () => {
    const { clock, store } = get();
    const tpm = perMinute('keep-large', 1_000, 'tokens');
    expect((await store.reserve([tpm], costOf(800, 0), { keep: 0.5 })).granted).toBe(true);
    const refused = await store.reserve([tpm], costOf(800, 0), { keep: 0.5 });
    expect(refused.reason).toBe('rate');
    // 800 used of 1,000 at 1,000 per minute: full again after 48 s.
    expect(refused.retryAfterMs).toBeCloseTo(48_000, 3);
    clock.advance(48_000);
    expect((await store.reserve([tpm], costOf(800, 0), { keep: 0.5 })).granted).toBe(true);
  });

  it('is all or nothing and names the bucket whose headroom binds', async () => {
    const { store } = get();
    const rpm = perMinute('keep-all-rpm', 100);
    const tpm = perMinute('keep-all-tpm', 1_000, 'tokens');
    await grants(store, [rpm], 85);
    const refused = await store.reserve([rpm, tpm], costOf(10, 0), { keep: 0.2 });
    expect(refused.granted).toBe(false);
    expect(refused.limitedBy?.key).toBe(rpm.key);
    expect(refused.reason).toBe('rate');
    // 15 free, 21 needed: 6 requests at 100 per minute.
    expect(refused.retryAfterMs).toBeCloseTo(3_600, 3);
    expect((await store.peek([tpm]))[0]?.remaining).toBe(1_000);
  });

  it('keeps floor(keep × limit) concurrency slots free, never all of them', async () => {
    const { store } = get();
    const slots = bucket('keep-slots', { dimension: 'concurrency', limit: 5, margin: 0 });
    await grants(store, [slots], 4, 0.3);
    const refused = await store.reserve([slots], costOf(0, 0), { keep: 0.3 });
    expect(refused.granted).toBe(false);
    expect(refused.reason).toBe('concurrency');
    expect(refused.limitedBy?.key).toBe(slots.key);
    await grants(store, [slots], 1);
    const one = bucket('keep-one-slot', { dimension: 'concurrency', limit: 1, margin: 0 });
    expect((await store.reserve([one], costOf(0, 0), { keep: 1 })).granted).toBe(true);
  });

  it('keeps headroom in fixed windows too', async () => {
    const { clock, store } = get();
    clock.set(Date.UTC(2026, 10, 24, 23, 0, 0));
    const day = bucket('keep-day', {
      dimension: 'requests',
      limit: 10,
      per: 'day',
      dayMode: 'calendar',
      margin: 0,
    });
    await grants(store, [day], 8, 0.2);
    const refused = await store.reserve([day], costOf(0, 0), { keep: 0.2 });
    expect(refused.reason).toBe('rate');
    expect(refused.retryAfterMs).toBeCloseTo(3_600_000, 3);
    await grants(store, [day], 2);
  });

  it('applies to every choice of reserveFirst', async () => {
    const { store } = get();
    const busy = perMinute('keep-first-busy', 10);
    const idle = perMinute('keep-first-idle', 10);
    await grants(store, [busy], 8);
    const fit = await store.reserveFirst(
      [
        { buckets: [busy], cost: costOf(0, 0) },
        { buckets: [idle], cost: costOf(0, 0) },
      ],
      { keep: 0.5 },
    );
    expect(fit.choice).toBe(1);
    expect(fit.decisions[0]?.reason).toBe('rate');
  });

  it('decides reservations with and without keep side by side (one batch on a shared store)', async () => {
    const { store } = get();
    const rpm = perMinute('keep-batch', 10);
    await grants(store, [rpm], 7);
    // Three free: keep 0.5 needs six, then one is taken, keep 0.1 needs two of the two left, then one is left.
    const decisions: Decision[] = await Promise.all([
      store.reserve([rpm], costOf(0, 0), { keep: 0.5 }),
      store.reserve([rpm], costOf(0, 0)),
      store.reserve([rpm], costOf(0, 0), { keep: 0.1 }),
      store.reserve([rpm], costOf(0, 0), { keep: 0.1 }),
    ]);
    expect(decisions.map((d) => d.granted)).toEqual([false, true, true, false]);
  });
}

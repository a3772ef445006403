/**
 * Part of the store contract (store-contract.ts): `reserveFirst` grants the
 * first choice that fits, each choice all-or-nothing over its own buckets at
 * its own cost, and says why every choice tried before it (or every choice,
 * when none fits) was refused. Concurrent calls never grant a choice more
 * than its buckets hold, and interleave with plain reserves in call order.
 */
import { expect, it } from 'vitest';
import type { ManualClock } from '../../src/core/clock.js';
import { costOf } from '../../src/core/cost.js';
import type { Decision, Reservation } from '../../src/core/decision.js';
import type { BucketSpec } from '../../src/core/limit.js';
import type { FirstFit, Store } from '../../src/stores/store.js';
import { bucket } from './store-contract.js';

function granted(decision: Decision | undefined): Reservation {
  if (!decision?.reservation) throw new Error('expected a grant');
  return decision.reservation;
}

function perMinute(name: string, limit: number, dimension: 'requests' | 'tokens' = 'requests'): BucketSpec {
  return bucket(name, { dimension, limit, per: 'minute', margin: 0 });
}

/** Takes every unit of a requests bucket. */
async function fill(store: Store, spec: BucketSpec): Promise<void> {
  for (let i = 0; i < spec.capacity; i++) granted(await store.reserve([spec], costOf(0, 0)));
}

export function firstFitContract(get: () => { clock: ManualClock; store: Store }): void {
  it('reserveFirst grants the first choice when it fits, at its cost, and tries no other', async () => {
    const { store } = get();
    const a = perMinute('a-tpm', 10_000, 'tokens');
    const b = perMinute('b-tpm', 10_000, 'tokens');
    const fit = await store.reserveFirst([
      { buckets: [a], cost: costOf(300, 200) },
      { buckets: [b], cost: costOf(600, 400) },
    ]);
    expect(fit.choice).toBe(0);
    expect(fit.decisions).toHaveLength(1);
    const reservation = granted(fit.decisions[0]);
    expect(reservation.buckets.map((s) => s.key)).toEqual([a.key]);
    expect(fit.decisions[0]?.remaining[0]).toBeCloseTo(9_500, 6);
    const [snapA, snapB] = await store.peek([a, b]);
    expect(snapA?.used).toBeCloseTo(500, 6);
    expect(snapB?.used).toBe(0);
  });

  it('reserveFirst grants the second choice when the first is full, with the first one’s refusal', async () => {
    const { store } = get();
    const a = perMinute('a-rpm', 2);
    const b = perMinute('b-tpm', 10_000, 'tokens');
    await fill(store, a);
    const fit = await store.reserveFirst([
      { buckets: [a], cost: costOf(100, 0) },
      { buckets: [b], cost: costOf(700, 300) },
    ]);
    expect(fit.choice).toBe(1);
    expect(fit.decisions).toHaveLength(2);
    const [refused, second] = fit.decisions;
    expect(refused?.granted).toBe(false);
    expect(refused?.reason).toBe('rate');
    expect(refused?.limitedBy?.key).toBe(a.key);
    expect(refused?.retryAfterMs).toBeCloseTo(30_000, 3); // 2/min: one every 30 s
    const reservation = granted(second);
    expect(reservation.buckets.map((s) => s.key)).toEqual([b.key]);
    expect(reservation.cost).toMatchObject({ inputTokens: 700, outputTokens: 300 });
    expect(second?.remaining[0]).toBeCloseTo(9_000, 6);
    // The granted choice settles like any reservation.
    expect(await store.settle(reservation, { inputTokens: 100, outputTokens: 100 })).toBe('settled');
    expect((await store.peek([b]))[0]?.used).toBeCloseTo(200, 6);
  });

  it('reserveFirst refuses when no choice fits, with every choice’s decision and wait', async () => {
    const { clock, store } = get();
    const a = perMinute('a-rpm', 2);
    const b = perMinute('b-rpm', 6);
    const huge = perMinute('huge-tpm', 1_000, 'tokens');
    await fill(store, a);
    await fill(store, b);
    const choices = [
      { buckets: [a], cost: costOf(0, 0) },
      { buckets: [b], cost: costOf(0, 0) },
      { buckets: [huge], cost: costOf(2_000, 0) },
    ];
    const fit = await store.reserveFirst(choices);
    expect(fit.choice).toBe(-1);
    expect(fit.decisions.map((d) => d.granted)).toEqual([false, false, false]);
    expect(fit.decisions.map((d) => d.limitedBy?.key)).toEqual([a.key, b.key, huge.key]);
    expect(fit.decisions.map((d) => d.reason)).toEqual(['rate', 'rate', 'too_large']);
    expect(fit.decisions[0]?.retryAfterMs).toBeCloseTo(30_000, 3);
    expect(fit.decisions[1]?.retryAfterMs).toBeCloseTo(10_000, 3);
    expect(fit.decisions[2]?.retryAfterMs).toBe(Number.POSITIVE_INFINITY);
    // The shortest wait is the one to come back after: b then fits.
    clock.advance(10_000);
    expect((await store.reserveFirst(choices)).choice).toBe(1);
  });

  it('reserveFirst is all or nothing per choice: a choice refused by one bucket charges none of its others', async () => {
    const { store } = get();
    const aRpm = perMinute('a-rpm', 100);
    const aTpm = perMinute('a-tpm', 1_000, 'tokens');
    const b = perMinute('b-tpm', 10_000, 'tokens');
    granted(await store.reserve([aTpm], costOf(900, 0)));
    const fit = await store.reserveFirst([
      { buckets: [aRpm, aTpm], cost: costOf(500, 0) },
      { buckets: [b], cost: costOf(500, 0) },
    ]);
    expect(fit.choice).toBe(1);
    expect(fit.decisions[0]?.limitedBy?.key).toBe(aTpm.key);
    const [rpm, tpm, other] = await store.peek([aRpm, aTpm, b]);
    expect(rpm?.used).toBe(0);
    expect(tpm?.used).toBeCloseTo(900, 6);
    expect(other?.used).toBeCloseTo(500, 6);
    // Nothing fits: nothing is charged anywhere.
    const none = await store.reserveFirst([
      { buckets: [aRpm, aTpm], cost: costOf(500, 0) },
      { buckets: [aRpm, b], cost: costOf(20_000, 0) },
    ]);
    expect(none.choice).toBe(-1);
    expect((await store.peek([aRpm]))[0]?.used).toBe(0);
  });

  it('reserveFirst takes and frees concurrency slots of the choice it grants', async () => {
    const { store } = get();
    const aSlots = bucket('a-slots', { dimension: 'concurrency', limit: 1, margin: 0 });
    const bSlots = bucket('b-slots', { dimension: 'concurrency', limit: 1, margin: 0 });
    const choices = [
      { buckets: [aSlots], cost: costOf(1, 1) },
      { buckets: [bSlots], cost: costOf(1, 1) },
    ];
    const first = await store.reserveFirst(choices);
    const second = await store.reserveFirst(choices);
    const third = await store.reserveFirst(choices);
    expect([first.choice, second.choice, third.choice]).toEqual([0, 1, -1]);
    expect(third.decisions.map((d) => d.reason)).toEqual(['concurrency', 'concurrency']);
    for (const d of third.decisions) expect(d.retryAfterMs).toBeGreaterThan(0);
    await store.settle(granted(second.decisions[1]));
    expect((await store.reserveFirst(choices)).choice).toBe(1);
  });

  it('reserveFirst never over-grants a choice under 50 concurrent calls, and fills every choice', async () => {
    const { store } = get();
    // Two deployments of different sizes, each with its own cost for the same request.
    const smallRpm = perMinute('small-rpm', 8);
    const smallTpm = perMinute('small-tpm', 6_000, 'tokens');
    const largeRpm = perMinute('large-rpm', 40);
    const largeTpm = perMinute('large-tpm', 30_000, 'tokens');
    const choices = [
      { buckets: [smallRpm, smallTpm], cost: costOf(600, 400) },
      { buckets: [largeRpm, largeTpm], cost: costOf(700, 300) },
    ];
    const fits: FirstFit[] = await Promise.all(Array.from({ length: 50 }, () => store.reserveFirst(choices)));
    const on = (choice: number) => fits.filter((fit) => fit.choice === choice).length;
    // small: 6 fit its tokens before its 8 requests; large: 30 fit its tokens before its 40 requests.
    expect(on(0)).toBe(6);
    expect(on(1)).toBe(30);
    expect(on(-1)).toBe(14);
    const [sRpm, sTpm, lRpm, lTpm] = await store.peek([smallRpm, smallTpm, largeRpm, largeTpm]);
    expect(sRpm?.used).toBeCloseTo(6, 6);
    expect(sTpm?.used).toBeCloseTo(6_000, 6);
    expect(lRpm?.used).toBeCloseTo(30, 6);
    expect(lTpm?.used).toBeCloseTo(30_000, 6);
    for (const fit of fits) {
      expect(fit.decisions).toHaveLength(fit.choice === -1 ? 2 : fit.choice + 1);
      const ids = fit.decisions.filter((d) => d.granted).map((d) => d.reservation?.id);
      expect(ids).toHaveLength(fit.choice === -1 ? 0 : 1);
    }
    const ids = fits.flatMap((fit) => fit.decisions.map((d) => d.reservation?.id).filter(Boolean));
    expect(new Set(ids).size).toBe(36);
  });

  it('reserveFirst and reserve issued together are decided in call order', async () => {
    const { store } = get();
    const a = perMinute('a-rpm', 1);
    const b = perMinute('b-tpm', 1_000, 'tokens');
    const [plainA, first, plainB, last] = await Promise.all([
      store.reserve([a], costOf(0, 0)),
      store.reserveFirst([
        { buckets: [a], cost: costOf(0, 0) },
        { buckets: [b], cost: costOf(600, 0) },
      ]),
      store.reserve([b], costOf(300, 0)),
      store.reserveFirst([
        { buckets: [b], cost: costOf(200, 0) },
        { buckets: [a], cost: costOf(0, 0) },
      ]),
    ]);
    expect(plainA.granted).toBe(true);
    expect(first.choice).toBe(1);
    expect(first.decisions[0]?.limitedBy?.key).toBe(a.key);
    expect(first.decisions[1]?.remaining[0]).toBeCloseTo(400, 6);
    expect(plainB.granted).toBe(true);
    expect(plainB.remaining[0]).toBeCloseTo(100, 6);
    expect(last.choice).toBe(-1);
    expect(last.decisions.map((d) => d.limitedBy?.key)).toEqual([b.key, a.key]);
    expect(last.decisions[0]?.retryAfterMs).toBeCloseTo(6_000, 3); // 100 tokens short at 1,000/min
    expect(last.decisions[1]?.remaining[0]).toBe(0);
  });

  it('reserveFirst of no choice refuses at once', async () => {
    const { store } = get();
    expect(await store.reserveFirst([])).toEqual({ choice: -1, decisions: [] });
  });
}

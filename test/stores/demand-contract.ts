/**
 * Part of the store contract (store-contract.ts): the cluster-wide order
 * (core/scheduler/demand-board.ts). Demand published by one instance makes
 * ranked reservations of another leave room for it: every unit a more
 * urgent class waits for, and the waiting demand of tenants under their
 * fair share when the asker is over its own. Unranked reservations, expired
 * and withdrawn demand change nothing.
 */
import { expect, it } from 'vitest';
import type { ManualClock } from '../../src/core/clock.js';
import { costOf } from '../../src/core/cost.js';
import type { BucketSpec } from '../../src/core/limit.js';
import type { ClusterOrder, Rank, Store } from '../../src/stores/store.js';
import { bucket } from './store-contract.js';

const ORDER: ClusterOrder = { yieldMs: 500 };
const LEASE = 3_000;

const rank = (priority: number, tenant: string, weight = 1): Rank => ({ priority, tenant, weight });

function perMinute(name: string, limit: number, dimension: 'requests' | 'tokens' = 'requests'): BucketSpec {
  return bucket(name, { dimension, limit, per: 'minute', margin: 0 });
}

/** Takes `units` of a requests bucket, unranked. */
async function take(store: Store, spec: BucketSpec, units: number): Promise<void> {
  for (let i = 0; i < units; i++) {
    const decision = await store.reserve([spec], costOf(0, 0));
    if (!decision.granted) throw new Error(`unit ${i} of ${spec.key} refused`);
  }
}

function publish(store: Store, instance: string, spec: BucketSpec, who: Rank, amount: number) {
  return store.publishDemand({ instance, leaseMs: LEASE, entries: [{ bucket: spec, rank: who, amount }] });
}

export function demandContract(get: () => { clock: ManualClock; store: Store }): void {
  it('a ranked low reservation leaves the room a more urgent class waits for, anywhere', async () => {
    const { store } = get();
    const rpm = perMinute('rpm', 60);
    await take(store, rpm, 58);
    await publish(store, 'instance-b', rpm, rank(0, 'acme'), 2);
    const low = await store.reserve([rpm], costOf(0, 0), { rank: rank(3, 'acme'), order: ORDER });
    expect(low.granted).toBe(false);
    expect(low.reason).toBe('yield');
    // It asks again within the yield bound: the demand may go elsewhere.
    expect(low.retryAfterMs).toBeGreaterThan(0);
    expect(low.retryAfterMs).toBeLessThanOrEqual(ORDER.yieldMs);
    // Unranked (per-instance order) and equally urgent reservations are not held back.
    const critical = await store.reserve([rpm], costOf(0, 0), { rank: rank(0, 'other'), order: ORDER });
    expect(critical.granted).toBe(true);
    expect((await store.reserve([rpm], costOf(0, 0))).granted).toBe(true);
  });

  it('a low reservation fits beside the demand when the bucket holds both', async () => {
    const { store } = get();
    const rpm = perMinute('room', 60);
    await take(store, rpm, 50);
    await publish(store, 'instance-b', rpm, rank(1, 'acme'), 5);
    for (let i = 0; i < 5; i++) {
      const low = await store.reserve([rpm], costOf(0, 0), { rank: rank(3, 'acme'), order: ORDER });
      expect(low.granted).toBe(true);
    }
    const sixth = await store.reserve([rpm], costOf(0, 0), { rank: rank(3, 'acme'), order: ORDER });
    expect(sixth.granted).toBe(false);
    // Room for one more comes at the bucket's rate: 1 s per request.
    expect(sixth.retryAfterMs).toBeLessThanOrEqual(ORDER.yieldMs);
  });

  it('demand of a less urgent class (background) never makes a more urgent one yield', async () => {
    const { store } = get();
    const rpm = perMinute('below', 60);
    await take(store, rpm, 55);
    // A batch waits elsewhere for more than the bucket holds, with its headroom.
    await publish(store, 'instance-b', rpm, rank(4, 'batch'), 40);
    for (let i = 0; i < 5; i++) {
      const interactive = await store.reserve([rpm], costOf(0, 0), { rank: rank(2, 'acme'), order: ORDER });
      expect(interactive.granted).toBe(true);
    }
  });

  it('demand vanishes when its lease ends or it is withdrawn', async () => {
    const { clock, store } = get();
    const rpm = perMinute('lease', 600);
    await take(store, rpm, 599);
    await publish(store, 'dead', rpm, rank(0, 'acme'), 1);
    const options = { rank: rank(2, 'acme'), order: ORDER };
    expect((await store.reserve([rpm], costOf(0, 0), options)).granted).toBe(false);
    clock.advance(LEASE); // its lease ran out: the instance is gone
    expect((await store.reserve([rpm], costOf(0, 0), options)).granted).toBe(true);

    const tpm = perMinute('withdrawn', 1_000, 'tokens');
    await publish(store, 'alive', tpm, rank(0, 'acme'), 900);
    expect((await store.reserve([tpm], costOf(200, 0), options)).granted).toBe(false);
    await publish(store, 'alive', tpm, rank(0, 'acme'), 0);
    expect((await store.reserve([tpm], costOf(200, 0), options)).granted).toBe(true);
  });

  it('a concurrency bucket keeps slots for more urgent waiting requests', async () => {
    const { store } = get();
    const slots = bucket('slots', { dimension: 'concurrency', limit: 3, margin: 0 });
    await publish(store, 'instance-b', slots, rank(0, 'acme'), 2);
    const options = { rank: rank(3, 'acme'), order: ORDER };
    expect((await store.reserve([slots], costOf(0, 0), options)).granted).toBe(true);
    const second = await store.reserve([slots], costOf(0, 0), options);
    expect(second.granted).toBe(false);
    expect(second.reason).toBe('yield');
    expect(second.retryAfterMs).toBe(ORDER.yieldMs);
  });

  it('fair queuing: a tenant ahead leaves a waiting tenant behind it what that one is owed', async () => {
    const { store } = get();
    const tpm = perMinute('fair', 60_000, 'tokens');
    const heavy = { rank: rank(2, 'heavy'), order: ORDER };
    const light = { rank: rank(2, 'light'), order: ORDER };
    // Heavy waits and is served 10 × 1,000 tokens: its finish tag is 10,000, the class's virtual time 9,000.
    await publish(store, 'a', tpm, rank(2, 'heavy'), 20_000);
    for (let i = 0; i < 10; i++)
      expect((await store.reserve([tpm], costOf(1_000, 0), heavy)).granted).toBe(true);
    // Light starts waiting now, at the virtual time (it banked nothing while it did not wait): 1,000 behind heavy.
    await publish(store, 'b', tpm, rank(2, 'light'), 8_000);
    // 50,000 left. Light is behind heavy: heavy leaves it what it waits for.
    const over = await store.reserve([tpm], costOf(42_500, 0), heavy);
    expect(over.granted).toBe(false);
    expect(over.reason).toBe('yield');
    expect((await store.reserve([tpm], costOf(41_000, 0), heavy)).granted).toBe(true);
    // Light, behind, is held back by nobody.
    expect((await store.reserve([tpm], costOf(1_500, 0), light)).granted).toBe(true);
  });

  it('fair queuing: a tenant behind takes what it needs, others waiting or not', async () => {
    const { store } = get();
    const tpm = perMinute('within', 60_000, 'tokens');
    await publish(store, 'a', tpm, rank(2, 'light'), 30_000);
    await publish(store, 'b', tpm, rank(2, 'heavy'), 30_000);
    const heavy = { rank: rank(2, 'heavy'), order: ORDER };
    const light = { rank: rank(2, 'light'), order: ORDER };
    expect((await store.reserve([tpm], costOf(5_000, 0), heavy)).granted).toBe(true);
    // Light has been served nothing since both began to wait: it may take the rest.
    expect((await store.reserve([tpm], costOf(55_000, 0), light)).granted).toBe(true);
  });

  it('weights set the shares: a tenant of weight 3 goes three times as far before it yields', async () => {
    const { store } = get();
    const tpm = perMinute('weights', 100_000, 'tokens');
    await publish(store, 'a', tpm, rank(2, 'big', 3), 50_000);
    await publish(store, 'b', tpm, rank(2, 'small', 1), 58_000);
    const big = { rank: rank(2, 'big', 3), order: ORDER };
    const small = { rank: rank(2, 'small', 1), order: ORDER };
    expect((await store.reserve([tpm], costOf(10_000, 0), small)).granted).toBe(true);
    // 29,000 at weight 3 is a finish of 9,667: still behind small's 10,000.
    expect((await store.reserve([tpm], costOf(29_000, 0), big)).granted).toBe(true);
    expect((await store.reserve([tpm], costOf(2_000, 0), big)).granted).toBe(true);
    // Now 10,333 against 10,000: big leaves small its 58,000 waiting (59,000 left).
    expect((await store.reserve([tpm], costOf(1_100, 0), big)).reason).toBe('yield');
    expect((await store.reserve([tpm], costOf(1_000, 0), big)).granted).toBe(true);
    expect((await store.reserve([tpm], costOf(58_000, 0), small)).granted).toBe(true);
  });

  it('publishing alone (no reservation due) reaches the store', async () => {
    const { store } = get();
    const rpm = perMinute('alone', 60);
    await take(store, rpm, 59);
    await publish(store, 'b', rpm, rank(0, 't'), 1);
    expect((await store.reserve([rpm], costOf(0, 0), { rank: rank(1, 't'), order: ORDER })).granted).toBe(
      false,
    );
  });
}

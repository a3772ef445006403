/**
 * What Redis counts in real time: the TTLs that let idle keys expire, and
 * Redis TIME as the store's time source.
 *
 * Real time on purpose (slow suite): Redis counts a key's TTL down on its
 * own clock and TIME is its wall clock; neither can be pinned by a manual
 * clock in the test. Bounds leave a second of slack for the few
 * milliseconds that pass between a write and the read that checks it.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from '../../src/core/clock.js';
import { costOf } from '../../src/core/cost.js';
import { type BucketSpec, defineBucket } from '../../src/core/limit.js';
import { adminClient } from './redis/redis-server.js';
import { useRedisStores } from './redis/redis-stores.js';

const redis = useRedisStores('time');
const open = redis.open;

describe('RedisStore against the Redis clock', () => {
  it('lets idle keys expire one to two grace periods after their bucket is full again', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 24, 12));
    const store = await open({ clock, idleGraceMs: 5_000, leaseMs: 20_000 });
    const admin = adminClient(redis.url());
    const tpm = defineBucket('ttl:tpm', { dimension: 'tokens', limit: 6_000, per: 'minute', margin: 0 });
    const slots = defineBucket('ttl:slots', { dimension: 'concurrency', limit: 2, margin: 0 });
    // Per hour: a pause never outlasts one window of its bucket.
    const paused = defineBucket('ttl:paused', { dimension: 'requests', limit: 10, per: 'hour' });
    await store.reserve([tpm, slots], costOf(300, 0)); // 3 s of refill
    await store.pause(paused, clock.now() + 90_000);
    const ttl = async (key: string) => admin.pttl(key);
    const state = (spec: BucketSpec) => store.keys.state(store.keys.prefix, spec.key);
    expect(await ttl(state(tpm))).toBeGreaterThan(7_000); // 3 s + one grace period, minus time passed
    expect(await ttl(state(tpm))).toBeLessThanOrEqual(13_000); // 3 s + two grace periods
    const slotTtl = await ttl(store.keys.slots(store.keys.prefix, slots.key));
    expect(slotTtl).toBeGreaterThan(24_000);
    expect(slotTtl).toBeLessThanOrEqual(25_000);
    expect(await ttl(state(paused))).toBeGreaterThan(94_000);
    expect(await ttl(state(paused))).toBeLessThanOrEqual(100_000);
    // A later write refreshes the TTL only when it would end too soon.
    const before = await ttl(state(tpm));
    await store.reserve([tpm], costOf(100, 0));
    expect(await ttl(state(tpm))).toBeLessThanOrEqual(before);
    clock.advance(10_000);
    await store.reserve([tpm], costOf(6_000, 0));
    expect(await ttl(state(tpm))).toBeGreaterThan(60_000 + 5_000 - 1_000);
    // A pause only lengthens a key's life.
    await store.pause(paused, clock.now() + 1_000);
    expect(await ttl(state(paused))).toBeGreaterThan(94_000);
    admin.disconnect();
  });

  it('can take time from Redis TIME, speaking the caller epoch at the port', async () => {
    const store = await open({ timeSource: 'redis', clock: systemClock });
    const rpm = defineBucket('time:rpm', { dimension: 'requests', limit: 60, per: 'minute', margin: 0 });
    for (let i = 0; i < 60; i++) expect((await store.reserve([rpm], costOf(0, 0))).granted).toBe(true);
    const refused = await store.reserve([rpm], costOf(0, 0));
    expect(refused.reason).toBe('rate');
    // One a second: the next slot is under a second away, less what the 60 calls took (up to 500 ms on a busy machine).
    expect(refused.retryAfterMs).toBeGreaterThan(500);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(1_000);
    const until = Date.now() + 30_000;
    await store.pause(rpm, until);
    const [snap] = await store.peek([rpm]);
    // Same host: Redis TIME and Date.now() agree to well under a second.
    expect(Math.abs((snap?.pausedUntil ?? 0) - until)).toBeLessThan(1_000);
  });
});

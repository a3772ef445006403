/**
 * RedisCacheStore on a real Redis (REDIS_URL, or a private server): the
 * contract suite, instances sharing entries and one byte bound, the round
 * trips per operation, and an unreachable Redis as misses, never throws.
 */
import { describe, expect, it } from 'vitest';
import { entryBytes } from '../../src/cache/cache-store.js';
import { type CacheStoreError, RedisCacheStore } from '../../src/cache/redis-cache-store.js';
import { createRedisClient } from '../../src/stores/redis/connection.js';
import {
  adminClient,
  deleteKeys,
  freePort,
  redisForFile,
  startRedisServer,
  testPrefix,
} from '../stores/redis/redis-server.js';
import { describeCacheStoreContract, hexKey } from './cache-store-contract.js';

const redis = redisForFile();
const LIFE = { ttlMs: 60_000, staleTtlMs: 600_000 };
const NOW = Date.UTC(2026, 11, 4, 12, 0, 0);

async function cleanup(store: RedisCacheStore, prefix: string): Promise<void> {
  await store.close();
  const admin = adminClient(redis().url);
  await deleteKeys(admin, prefix);
  admin.disconnect();
}

describeCacheStoreContract('RedisCacheStore', async (bounds) => {
  const prefix = testPrefix('cache');
  const store = new RedisCacheStore({ url: redis().url, prefix, namespace: 'chat', ...bounds });
  expect(await store.ready()).toBe(true);
  return { store, cleanup: () => cleanup(store, prefix) };
});

describe('RedisCacheStore', () => {
  it('shares entries and one byte bound between instances on the same Redis', async () => {
    const prefix = testPrefix('cache-shared');
    const size = 64 + 3 + 4 + 1; // key, payload, group, scope
    const one = new RedisCacheStore({ url: redis().url, prefix, namespace: 'chat', maxBytes: 3 * size });
    const two = new RedisCacheStore({ url: redis().url, prefix, namespace: 'chat', maxBytes: 3 * size });
    await Promise.all([one.ready(), two.ready()]);
    try {
      const entry = { payload: 'abc', group: 'chat', scope: '*' };
      await one.set(hexKey(1), entry, LIFE, NOW);
      await one.set(hexKey(2), entry, LIFE, NOW + 1);
      expect((await two.get(hexKey(1), NOW + 2))?.payload).toBe('abc'); // 2 is now the least recently used
      await two.set(hexKey(3), entry, LIFE, NOW + 3);
      await two.set(hexKey(4), entry, LIFE, NOW + 4);
      expect(await one.get(hexKey(2), NOW + 5)).toBeUndefined();
      for (const n of [1, 3, 4]) expect(await one.get(hexKey(n), NOW + 5)).toBeDefined();
      expect(await one.stats()).toEqual({ entries: 3, bytes: 3 * size });
      expect(await two.stats()).toEqual(await one.stats());
    } finally {
      await two.close();
      await cleanup(one, prefix);
    }
  });

  it('keeps its books straight under concurrent sets, gets and deletes from three instances', async () => {
    const prefix = testPrefix('cache-load');
    const maxBytes = 20 * 200;
    // Correctness under load, not speed: a slow reply on a loaded machine must not count as an error.
    const stores = [0, 1, 2].map(
      () =>
        new RedisCacheStore({
          url: redis().url,
          prefix,
          namespace: 'chat',
          maxBytes,
          commandTimeoutMs: 10_000,
        }),
    );
    await Promise.all(stores.map((s) => s.ready()));
    const admin = adminClient(redis().url);
    try {
      const ops: Promise<unknown>[] = [];
      for (let i = 0; i < 600; i++) {
        const store = stores[i % 3] as RedisCacheStore;
        const key = hexKey((i * 7) % 50);
        const now = NOW + (i % 40) * 1_000;
        if (i % 5 === 0) ops.push(store.delete(key));
        else if (i % 3 === 0) ops.push(store.get(key, now));
        else {
          const life = { ttlMs: 5_000 + (i % 4) * 10_000, staleTtlMs: 5_000 };
          ops.push(
            store.set(key, { payload: 'p'.repeat(i % 120), group: 'chat', scope: `t${i % 3}` }, life, now),
          );
        }
      }
      await Promise.all(ops);
      expect(stores.reduce((n, s) => n + s.errors, 0)).toBe(0);
      const { keys } = stores[0] as RedisCacheStore;
      const sizes = await admin.hgetall(keys.sizes);
      const counted = Object.values(sizes).reduce((n, b) => n + Number(b), 0);
      expect(Number(await admin.get(keys.bytes))).toBe(counted);
      expect(counted).toBeLessThanOrEqual(maxBytes);
      const members = Object.keys(sizes).sort();
      expect((await admin.zrange(keys.lru, '0', '-1')).sort()).toEqual(members);
      expect((await admin.zrange(keys.exp, '0', '-1')).sort()).toEqual(members);
      for (const member of members) {
        const [payload, group, scope] = await admin.hmget(keys.entryPrefix + member, 'p', 'g', 's');
        expect(entryBytes(member, { payload: payload ?? '', group: group ?? '', scope: scope ?? '' })).toBe(
          Number(sizes[member]),
        );
      }
    } finally {
      admin.disconnect();
      for (const store of stores) await store.close();
      const cleaner = adminClient(redis().url);
      await deleteKeys(cleaner, prefix);
      cleaner.disconnect();
    }
  });

  it('keeps namespaces apart: their own entries, their own bytes', async () => {
    const prefix = testPrefix('cache-ns');
    const chat = new RedisCacheStore({ url: redis().url, prefix, namespace: 'chat' });
    const code = new RedisCacheStore({ client: chat.client, prefix, namespace: 'code' });
    await chat.ready();
    try {
      await chat.set(hexKey(1), { payload: 'chat answer', group: 'chat', scope: '*' }, LIFE, NOW);
      expect(await code.get(hexKey(1), NOW)).toBeUndefined();
      expect(await code.stats()).toEqual({ entries: 0, bytes: 0 });
      expect((await chat.stats()).entries).toBe(1);
    } finally {
      await cleanup(chat, prefix);
    }
  });

  it('gives each entry a PX of its lifetime, and its bookkeeping no less', async () => {
    const prefix = testPrefix('cache-px');
    const store = new RedisCacheStore({ url: redis().url, prefix, namespace: 'chat' });
    const admin = adminClient(redis().url);
    await store.ready();
    try {
      await store.set(hexKey(1), { payload: 'p', group: 'chat', scope: '*' }, LIFE, NOW);
      const { keys } = store;
      // Absolute expiry times: one script call sets them all at one frozen script time.
      const expireAt = (key: string) => admin.call('PEXPIRETIME', key) as Promise<number>;
      const entryExpiry = await expireAt(keys.entryPrefix + hexKey(1));
      const [seconds, micros] = await admin.time();
      const entryTtl = entryExpiry - (Number(seconds) * 1_000 + Math.floor(Number(micros) / 1_000));
      expect(entryTtl).toBeGreaterThan(LIFE.staleTtlMs - 60_000);
      expect(entryTtl).toBeLessThanOrEqual(LIFE.staleTtlMs);
      for (const key of [keys.lru, keys.exp, keys.sizes, keys.bytes])
        expect(await expireAt(key)).toBeGreaterThanOrEqual(entryExpiry);
      // The prompt's digest is the only trace of the request in Redis.
      expect(await admin.hget(keys.entryPrefix + hexKey(1), 'p')).toBe('p');
    } finally {
      admin.disconnect();
      await cleanup(store, prefix);
    }
  });

  it('takes one round trip (one EVALSHA) per get, set and delete once its scripts are loaded', async () => {
    const server = await startRedisServer(); // private: commandstats count only this test's calls
    const store = new RedisCacheStore({ url: server.url, prefix: testPrefix('cache-rt'), namespace: 'chat' });
    const admin = adminClient(server.url);
    try {
      expect(await store.ready()).toBe(true);
      await admin.config('RESETSTAT');
      const entry = { payload: 'p', group: 'chat', scope: '*' };
      for (let n = 0; n < 10; n++) await store.set(hexKey(n), entry, LIFE, NOW);
      for (let n = 0; n < 10; n++) await store.get(hexKey(n), NOW);
      for (let n = 0; n < 5; n++) await store.delete(hexKey(n));
      const stats = await admin.info('commandstats');
      const calls = (command: string) =>
        Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
      expect(calls('evalsha')).toBe(25);
      expect(calls('eval')).toBe(0);
    } finally {
      admin.disconnect();
      await store.close();
      await server.stop();
    }
  });

  it('loads its scripts when the server lacks them (NOSCRIPT), without failing the call', async () => {
    const server = await startRedisServer(); // a server that never saw the scripts
    const store = new RedisCacheStore({ url: server.url, prefix: testPrefix('cache-ns'), namespace: 'chat' });
    try {
      await store.ready();
      const admin = adminClient(server.url);
      await admin.script('FLUSH');
      admin.disconnect();
      expect(await store.set(hexKey(1), { payload: 'p', group: 'chat', scope: '*' }, LIFE, NOW)).toBe(true);
      expect((await store.get(hexKey(1), NOW))?.payload).toBe('p');
      expect(store.errors).toBe(0);
    } finally {
      await store.close();
      await server.stop();
    }
  });

  it('with Redis unreachable: get misses, set and delete skip, nothing throws, each failure counted', async () => {
    const port = await freePort(); // nothing listens there
    const failures: CacheStoreError[] = [];
    // A reply deadline far beyond the test's timeout: the calls can only pass by failing at once.
    const store = new RedisCacheStore({
      url: `redis://127.0.0.1:${port}`,
      prefix: testPrefix('cache-down'),
      namespace: 'chat',
      commandTimeoutMs: 10 * 60_000,
      onError: (error) => failures.push(error),
    });
    try {
      const entry = { payload: 'secret prompt answer', group: 'chat', scope: '*' };
      expect(await store.get(hexKey(1), NOW)).toBeUndefined();
      expect(await store.set(hexKey(1), entry, LIFE, NOW)).toBe(false);
      expect(await store.delete(hexKey(1))).toBe(false);
      expect(await store.ready(100)).toBe(false);
      await expect(store.stats()).rejects.toMatchObject({ code: 'cache_store_unavailable' });
      expect(store.errors).toBe(5);
      expect(failures.map((f) => f.operation)).toEqual(['get', 'set', 'delete', 'ready', 'stats']);
      for (const failure of failures) {
        expect(failure.message).not.toContain(hexKey(1));
        expect(failure.message).not.toContain('secret');
        expect(failure.cause).toBeUndefined();
      }
    } finally {
      await store.close();
    }
  });

  it('works on a client the caller owns, and leaves it open on close', async () => {
    const prefix = testPrefix('cache-client');
    const client = createRedisClient({ url: redis().url });
    const store = new RedisCacheStore({ client, prefix, namespace: 'chat' });
    const admin = adminClient(redis().url);
    try {
      await store.ready();
      expect(await store.set(hexKey(1), { payload: 'p', group: 'chat', scope: '*' }, LIFE, NOW)).toBe(true);
      await store.close();
      expect(await client.ping()).toBe('PONG');
    } finally {
      await deleteKeys(admin, prefix);
      admin.disconnect();
      client.disconnect();
    }
  });
});

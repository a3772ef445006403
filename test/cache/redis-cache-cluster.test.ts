/**
 * RedisCacheStore on a real three-primary Redis Cluster: the whole contract
 * (every script call stays in its namespace's slot, evictions included),
 * and namespaces spread over the primaries.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisCacheStore } from '../../src/cache/redis-cache-store.js';
import { type RedisCluster, startRedisCluster } from '../stores/redis/redis-cluster.js';
import { testPrefix } from '../stores/redis/redis-server.js';
import { describeCacheStoreContract, hexKey } from './cache-store-contract.js';

let cluster: RedisCluster;
beforeAll(async () => {
  cluster = await startRedisCluster(3);
});
afterAll(async () => {
  await cluster?.stop();
});

describeCacheStoreContract('RedisCacheStore on Redis Cluster', async (bounds) => {
  const store = new RedisCacheStore({
    clusterNodes: cluster.urls,
    prefix: testPrefix('cache-cluster'),
    namespace: 'chat',
    ...bounds,
  });
  expect(await store.ready()).toBe(true);
  return { store, cleanup: () => store.close() };
});

describe('RedisCacheStore on Redis Cluster, several namespaces', () => {
  async function primaryOf(key: string): Promise<number> {
    const probe = new Redis(cluster.urls[0] as string);
    try {
      const slot = Number(await probe.cluster('KEYSLOT', key));
      const ranges = await probe.cluster('SLOTS');
      return ranges.find(([from, to]) => slot >= from && slot <= to)?.[2]?.[1] ?? -1;
    } finally {
      probe.disconnect();
    }
  }

  it('keeps and evicts in every namespace, the namespaces spread over the primaries', async () => {
    const prefix = testPrefix('cache-groups');
    const groups = Array.from({ length: 12 }, (_, i) => `group-${i}`);
    const first = new RedisCacheStore({ clusterNodes: cluster.urls, prefix, namespace: 'group-0' });
    expect(await first.ready()).toBe(true);
    const life = { ttlMs: 60_000, staleTtlMs: 60_000 };
    const owners = new Set<number>();
    try {
      for (const group of groups) {
        const entry = { payload: 'x'.repeat(100), group, scope: '*' };
        const size = 64 + 100 + group.length + 1;
        const store = new RedisCacheStore({
          client: first.client,
          prefix,
          namespace: group,
          maxBytes: 2 * size,
        });
        for (const n of [1, 2, 3]) expect(await store.set(hexKey(n), entry, life, n)).toBe(true);
        expect(await store.get(hexKey(1), 4)).toBeUndefined();
        expect((await store.get(hexKey(3), 4))?.group).toBe(group);
        expect(await store.stats()).toEqual({ entries: 2, bytes: 2 * size });
        owners.add(await primaryOf(store.keys.lru));
      }
      expect(owners.size).toBeGreaterThan(1);
      expect(first.errors).toBe(0);
    } finally {
      await first.close();
    }
  });
});

/**
 * RedisStore on a real three-primary Redis Cluster started by the test: the
 * whole contract suite, hash-tag groups spread over several primaries, and
 * scripts reloaded on a node that lost them.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { costOf } from '../../src/core/cost.js';
import { defineBucket } from '../../src/core/limit.js';
import { createRedisStore, type RedisStore } from '../../src/stores/redis/redis-store.js';
import { type RedisCluster, startRedisCluster } from './redis/redis-cluster.js';
import { testPrefix } from './redis/redis-server.js';
import { describeStoreContract } from './store-contract.js';

let cluster: RedisCluster;
beforeAll(async () => {
  cluster = await startRedisCluster(3);
});
afterAll(async () => {
  await cluster?.stop();
});

describeStoreContract('RedisStore on Redis Cluster', async (clock, { leaseMs }) => {
  const store = await createRedisStore({
    clusterNodes: cluster.urls,
    prefix: testPrefix('cluster'),
    clock,
    leaseMs,
  });
  return { store, cleanup: () => store.close() };
});

describe('RedisStore on Redis Cluster, several groups', () => {
  const byAccount = (key: string) => key.split(':')[0] as string;

  async function primaryOf(key: string): Promise<number> {
    const probe = new Redis(cluster.urls[0] as string);
    try {
      const slot = Number(await probe.cluster('KEYSLOT', key));
      const ranges = await probe.cluster('SLOTS');
      const owner = ranges.find(([from, to]) => slot >= from && slot <= to);
      return owner?.[2]?.[1] ?? -1;
    } finally {
      probe.disconnect();
    }
  }

  it('runs multi-bucket reservations in every group, each group on its own slot', async () => {
    const clock = new ManualClock();
    const store = await createRedisStore({
      clusterNodes: cluster.urls,
      prefix: testPrefix('groups'),
      clock,
      hashTag: byAccount,
    });
    try {
      const accounts = Array.from({ length: 12 }, (_, i) => `acct${i}`);
      const owners = new Set<number>();
      for (const account of accounts) {
        const rpm = defineBucket(`${account}:rpm`, {
          dimension: 'requests',
          limit: 10,
          per: 'minute',
          margin: 0,
        });
        const tpm = defineBucket(`${account}:tpm`, {
          dimension: 'tokens',
          limit: 1_000,
          per: 'minute',
          margin: 0,
        });
        const slots = defineBucket(`${account}:slots`, { dimension: 'concurrency', limit: 5, margin: 0 });
        const decisions = await Promise.all(
          Array.from({ length: 12 }, () => store.reserve([rpm, tpm, slots], costOf(10, 10))),
        );
        expect(decisions.filter((d) => d.granted)).toHaveLength(5); // slots bind
        owners.add(await primaryOf(store.keys.state(account, rpm.key)));
      }
      // Twelve groups spread over more than one primary.
      expect(owners.size).toBeGreaterThan(1);
      const stats = await store.stats();
      expect(stats.reservations).toBe(60);
      expect(stats.active).toBe(60);
      expect(stats.buckets).toBe(36);
    } finally {
      await store.close();
    }
  });

  it('reloads scripts on a primary that lost them', async () => {
    const store: RedisStore = await createRedisStore({
      clusterNodes: cluster.urls,
      prefix: testPrefix('reload'),
      hashTag: byAccount,
      clock: new ManualClock(),
    });
    try {
      for (const url of cluster.urls) {
        const node = new Redis(url);
        await node.script('FLUSH');
        node.disconnect();
      }
      const specs = ['a', 'b', 'c', 'd', 'e', 'f'].map((account) =>
        defineBucket(`${account}:rpm`, { dimension: 'requests', limit: 10, per: 'minute' }),
      );
      for (const spec of specs) expect((await store.reserve([spec], costOf(0, 0))).granted).toBe(true);
      expect(store.scriptReloads).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
  });
});

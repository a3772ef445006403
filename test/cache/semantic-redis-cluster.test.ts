/**
 * RedisSemanticIndex on a real three-primary Redis Cluster: the whole
 * contract (each partition's log is one key, so every call stays in one
 * slot), and partitions spread over the primaries.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisSemanticIndex } from '../../src/cache/semantic-redis.js';
import { semanticLogKey } from '../../src/cache/semantic-redis-keys.js';
import { createRedisClient } from '../../src/stores/redis/connection.js';
import type { RedisClient } from '../../src/stores/redis/scripts.js';
import { type RedisCluster, startRedisCluster } from '../stores/redis/redis-cluster.js';
import { testPrefix } from '../stores/redis/redis-server.js';
import { describeSemanticIndexContract, embed } from './semantic-index-contract.js';

let cluster: RedisCluster;
beforeAll(async () => {
  cluster = await startRedisCluster(3);
});
afterAll(async () => {
  await cluster?.stop();
});

async function connect(): Promise<RedisClient> {
  const client = createRedisClient({ clusterNodes: cluster.urls });
  client.on('error', () => {});
  if (client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve));
  return client;
}

describeSemanticIndexContract('RedisSemanticIndex on Redis Cluster', async (options) => {
  const client = await connect();
  const index = new RedisSemanticIndex({ client, prefix: testPrefix('semantic-cluster'), ...options });
  return {
    index,
    cleanup: async () => {
      expect(index.errors).toBe(0);
      client.disconnect();
    },
  };
});

describe('RedisSemanticIndex on Redis Cluster, several partitions', () => {
  it('stores and finds in every partition, the partitions spread over the primaries', async () => {
    const prefix = testPrefix('semantic-spread');
    const [one, two] = [await connect(), await connect()];
    if (!one || !two) throw new Error('two clients');
    const writer = new RedisSemanticIndex({ client: one, prefix });
    const reader = new RedisSemanticIndex({ client: two, prefix });
    const partitions = Array.from({ length: 12 }, (_, i) => i.toString(16).padStart(64, 'd'));
    const probe = new Redis(cluster.urls[0] as string);
    try {
      const now = Date.UTC(2026, 11, 4);
      for (const p of partitions)
        await writer.add(p, `entry-${p}`, embed('What is the capital of France?'), now, 60_000);
      for (const p of partitions)
        expect((await reader.nearest(p, embed("what's the capital of france"), 0.92, now, 60_000))?.key).toBe(
          `entry-${p}`,
        );
      const ranges = await probe.cluster('SLOTS');
      const owners = new Set<number>();
      for (const p of partitions) {
        const slot = Number(await probe.cluster('KEYSLOT', semanticLogKey(prefix, p)));
        owners.add(ranges.find(([from, to]) => slot >= from && slot <= to)?.[2]?.[1] ?? -1);
      }
      expect(owners.size).toBe(3);
      expect(writer.errors + reader.errors).toBe(0);
    } finally {
      probe.disconnect();
      one.disconnect();
      two.disconnect();
    }
  });
});

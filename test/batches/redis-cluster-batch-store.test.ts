/**
 * RedisBatchStore on a real three-primary Redis Cluster started by the test:
 * the whole contract, so every script and MULTI is proved to stay in one
 * slot (a batch's keys share its {hash tag}) with batches spread over the
 * primaries.
 */
import { Cluster } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { RedisBatchStore } from '../../src/batches/store/redis-batch-store.js';
import { ManualClock } from '../../src/core/clock.js';
import { type RedisCluster, startRedisCluster } from '../stores/redis/redis-cluster.js';
import { testPrefix } from '../stores/redis/redis-server.js';
import { describeBatchStoreContract } from './batch-store-contract.js';

let cluster: RedisCluster | undefined;
beforeAll(async () => {
  cluster = await startRedisCluster(3);
});
afterAll(async () => {
  await cluster?.stop();
});

function connect(): Cluster {
  if (!cluster) throw new Error('the cluster starts in beforeAll');
  return new Cluster(cluster.urls.map((url) => ({ host: '127.0.0.1', port: Number(new URL(url).port) })));
}

describeBatchStoreContract('RedisBatchStore on Redis Cluster', async () => {
  const prefix = testPrefix('batches-cluster');
  const clients = [connect()];
  return {
    store: new RedisBatchStore({ redis: clients[0] as Cluster, prefix }),
    clock: new ManualClock(),
    peer: async () => {
      const client = connect();
      clients.push(client);
      return new RedisBatchStore({ redis: client, prefix });
    },
    // The cluster is the test's own and stopped after the file: its keys go with it.
    cleanup: async () => {
      for (const client of clients) client.disconnect();
    },
  };
});

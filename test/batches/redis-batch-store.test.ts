import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { RedisBatchStore } from '../../src/batches/store/redis-batch-store.js';
import { ManualClock } from '../../src/core/clock.js';
import { deleteKeys, type RedisServer, testPrefix, useRedis } from '../stores/redis/redis-server.js';
import { describeBatchStoreContract } from './batch-store-contract.js';

let server: RedisServer | undefined;
beforeAll(async () => {
  server = await useRedis();
});
afterAll(async () => {
  await server?.stop();
});

/** A store on `prefix` with its own connection, as another gateway instance would have. */
export function openStore(prefix: string): { store: RedisBatchStore; client: Redis } {
  if (!server) throw new Error('the Redis server starts in beforeAll');
  const client = new Redis(server.url);
  return { store: new RedisBatchStore({ redis: client, prefix }), client };
}

describeBatchStoreContract('RedisBatchStore', async () => {
  const prefix = testPrefix('batches');
  const first = openStore(prefix);
  const clients = [first.client];
  return {
    store: first.store,
    clock: new ManualClock(),
    peer: async () => {
      const other = openStore(prefix);
      clients.push(other.client);
      return other.store;
    },
    cleanup: async () => {
      await deleteKeys(first.client, prefix);
      for (const client of clients) client.disconnect();
    },
  };
});

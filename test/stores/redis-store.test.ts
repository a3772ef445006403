import { afterAll, beforeAll } from 'vitest';
import { createRedisStore } from '../../src/stores/redis/redis-store.js';
import { adminClient, deleteKeys, type RedisServer, testPrefix, useRedis } from './redis/redis-server.js';
import { describeStoreContract, type StoreFactory } from './store-contract.js';
import { describeWindowContract } from './window-contract.js';

let server: RedisServer;
beforeAll(async () => {
  server = await useRedis();
});
afterAll(async () => {
  await server.stop();
});

async function cleanup(prefix: string): Promise<void> {
  const admin = adminClient(server.url);
  await deleteKeys(admin, prefix);
  admin.disconnect();
}

const redisStore: StoreFactory = async (clock, { leaseMs }) => {
  const prefix = testPrefix('contract');
  const store = await createRedisStore({ url: server.url, prefix, clock, leaseMs });
  return {
    store,
    cleanup: async () => {
      await store.close();
      await cleanup(prefix);
    },
  };
};
describeStoreContract('RedisStore', redisStore);
describeWindowContract('RedisStore', redisStore);

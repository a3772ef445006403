import { createRedisStore } from '../../src/stores/redis/redis-store.js';
import { describeBudgetContract } from './budget-contract.js';
import { adminClient, deleteKeys, redisForFile, testPrefix } from './redis/redis-server.js';
import { describeStoreContract, type StoreFactory } from './store-contract.js';
import { describeWindowContract } from './window-contract.js';

const redisServer = redisForFile();

async function cleanup(prefix: string): Promise<void> {
  const admin = adminClient(redisServer().url);
  await deleteKeys(admin, prefix);
  admin.disconnect();
}

const redisStore: StoreFactory = async (clock, { leaseMs }) => {
  const prefix = testPrefix('contract');
  const store = await createRedisStore({ url: redisServer().url, prefix, clock, leaseMs });
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
describeBudgetContract('RedisStore', redisStore);

/**
 * RedisStores opened by one test file against one Redis server: the server
 * starts before the file's tests and every store is closed and its keys
 * deleted after them, so a shared REDIS_URL instance is left clean.
 */
import { afterAll, beforeAll } from 'vitest';
import {
  createRedisStore,
  type RedisStore,
  type RedisStoreOptions,
} from '../../../src/stores/redis/redis-store.js';
import { adminClient, deleteKeys, type RedisServer, testPrefix, useRedis } from './redis-server.js';

export interface RedisStores {
  /** A store on a fresh prefix unless `options.prefix` names one. */
  open(options?: RedisStoreOptions): Promise<RedisStore>;
  /** The server's URL (valid once the file's tests run). */
  url(): string;
}

/** Registers the file's beforeAll/afterAll; `name` goes into the key prefixes. */
export function useRedisStores(name: string): RedisStores {
  let server: RedisServer | undefined;
  const opened: { store: RedisStore; prefix: string }[] = [];
  const running = (): RedisServer => {
    if (!server) throw new Error('the Redis server starts in beforeAll');
    return server;
  };

  beforeAll(async () => {
    server = await useRedis();
  });
  afterAll(async () => {
    if (!server) return;
    try {
      const admin = adminClient(server.url);
      for (const { store, prefix } of opened) {
        await store.close();
        await deleteKeys(admin, prefix);
      }
      admin.disconnect();
    } finally {
      await server.stop();
    }
  });

  return {
    async open(options = {}) {
      const prefix = options.prefix ?? testPrefix(name);
      const store = await createRedisStore({ url: running().url, ...options, prefix });
      opened.push({ store, prefix });
      return store;
    },
    url: () => running().url,
  };
}

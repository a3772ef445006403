/**
 * The response cache of `--workers N` with the memory store: the primary's
 * MemoryCacheStore, reached from every worker over the same forwarding as
 * the limits (its own channel). The cache-store contract runs through it.
 */
import { MessageChannel } from 'node:worker_threads';
import type { CacheStore } from '../../../src/cache/cache-store.js';
import { MemoryCacheStore } from '../../../src/cache/memory-cache-store.js';
import { forwarded } from '../../../src/gateway/workers/forwarded-store.js';
import { hostStore } from '../../../src/gateway/workers/store-host.js';
import { CACHE_CHANNEL } from '../../../src/gateway/workers/store-wire.js';
import { describeCacheStoreContract } from '../../cache/cache-store-contract.js';
import { portLink } from './message-port-link.js';

describeCacheStoreContract('MemoryCacheStore forwarded to the primary', async (bounds) => {
  const channel = new MessageChannel();
  hostStore(new MemoryCacheStore(bounds), portLink(channel.port1), CACHE_CHANNEL);
  return {
    store: forwarded<CacheStore>(portLink(channel.port2), CACHE_CHANNEL),
    cleanup: async () => channel.port1.close(),
  };
});

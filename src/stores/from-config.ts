/**
 * The store named by `store:` in a configuration (gateway or library): the
 * embedded `MemoryStore`, or Redis shared between instances behind
 * `FallbackStore`, which applies the stated `on_unavailable` policy
 * (fail-open on local shares, or fail-closed with 503s) and reports its mode
 * for `/readyz` and the metrics.
 */

import { join } from 'node:path';
import type { BatchStore } from '../batches/batch-store.js';
import { FileBatchStore } from '../batches/store/file-batch-store.js';
import { RedisBatchStore } from '../batches/store/redis-batch-store.js';
import type { CacheStore } from '../cache/cache-store.js';
import { MemoryCacheStore } from '../cache/memory-cache-store.js';
import { RedisCacheStore } from '../cache/redis-cache-store.js';
import type { SemanticMatcher } from '../cache/response-cache.js';
import { SemanticIndex } from '../cache/semantic-index.js';
import { RedisSemanticIndex } from '../cache/semantic-redis.js';
import type { StoreConfig } from '../config/governor-schema.js';
import type { Clock } from '../core/clock.js';
import { FileHistoryStore } from '../history/file-history-store.js';
import type { HistoryStore } from '../history/history-store.js';
import { RedisHistoryStore } from '../history/redis-history-store.js';
import type { IdempotencyStore } from '../idempotency/idempotency-store.js';
import { MemoryIdempotencyStore } from '../idempotency/memory-idempotency-store.js';
import { RedisIdempotencyStore } from '../idempotency/redis-idempotency-store.js';
import { MemoryStore } from './memory/memory-store.js';
import { FallbackStore, type StoreLogger } from './redis/fallback-store.js';
import { RedisStore } from './redis/redis-store.js';
import type { Store } from './store.js';

/** What `/readyz`, the metrics and the dashboard say about the store. */
export interface StoreView {
  readonly kind: 'memory' | 'redis';
  /** `memory`; or for Redis: `shared`, `local` (fail-open) or `refusing` (fail-closed). */
  readonly mode: 'memory' | 'shared' | 'local' | 'refusing';
  readonly available: boolean;
  readonly lastError?: string | undefined;
}

export interface ConfiguredStore {
  readonly store: Store;
  readonly kind: StoreConfig['kind'];
  view(): StoreView;
  /** Resolves when the store answers; for Redis, waits up to `timeoutMs` for the first connection. */
  ready(timeoutMs: number): Promise<boolean>;
  /**
   * Where the response cache keeps its entries, beside the limits: in this
   * process, or in the same Redis (on the same connection) so every
   * instance answers from every entry.
   */
  readonly responseCache: CacheStore;
  /** Where semantic cache groups find the nearest stored question: this process, or the same Redis. */
  readonly semanticIndex: SemanticMatcher;
  /** Where calls with an `Idempotency-Key` are remembered: this process (up to `maxEntries`), or the same Redis. */
  idempotency(maxEntries: number): IdempotencyStore;
  /**
   * Where the background lane keeps batches: files under `dataDir` beside a
   * memory store (one process owns them), the same Redis beside a Redis
   * store (any instance works on any batch); undefined where neither can
   * (a worker of `--workers N` on the primary's memory store).
   */
  batches(dataDir: string): BatchStore | undefined;
  /**
   * Where the week of history is kept: files under `dataDir/history` (each
   * process its own, so workers never interleave), or the same Redis.
   */
  history(dataDir: string, retentionDays: number): HistoryStore;
}

export function storeFromConfig(config: StoreConfig, clock: Clock, logger?: StoreLogger): ConfiguredStore {
  if (config.kind === 'memory') {
    const store = new MemoryStore({ clock });
    return {
      store,
      kind: 'memory',
      view: () => ({ kind: 'memory', mode: 'memory', available: true }),
      ready: async () => true,
      responseCache: new MemoryCacheStore(),
      semanticIndex: new SemanticIndex(),
      idempotency: (maxEntries) => new MemoryIdempotencyStore(maxEntries),
      batches: (dir) => new FileBatchStore({ dir }),
      history: (dir, retentionDays) => fileHistory(dir, retentionDays),
    };
  }
  const shared = new RedisStore({
    ...(config.url !== undefined && { url: config.url }),
    ...(config.cluster_nodes && { clusterNodes: config.cluster_nodes }),
    ...(config.prefix !== undefined && { prefix: config.prefix }),
    ...(config.command_timeout_ms !== undefined && { commandTimeoutMs: config.command_timeout_ms }),
    ...(config.connect_timeout_ms !== undefined && { connectTimeoutMs: config.connect_timeout_ms }),
    clock,
  });
  const store = new FallbackStore({
    shared,
    onUnavailable: config.on_unavailable,
    expectedInstances: config.expected_instances,
    clock,
    logger,
    ...(config.probe_interval_ms !== undefined && { probeIntervalMs: config.probe_interval_ms }),
  });
  const responseCache = new RedisCacheStore({
    client: shared.client,
    prefix: `${config.prefix ?? 'sluice'}:cache`,
    // One namespace for every group (the group is in each key): one byte bound and LRU for all of them.
    namespace: 'responses',
    clock,
  });
  return {
    store,
    kind: 'redis',
    responseCache,
    semanticIndex: new RedisSemanticIndex({
      client: shared.client,
      prefix: `${config.prefix ?? 'sluice'}:cache`,
      clock,
    }),
    idempotency: () =>
      new RedisIdempotencyStore({ client: shared.client, prefix: config.prefix ?? 'sluice' }),
    batches: () => new RedisBatchStore({ redis: shared.client, prefix: `${config.prefix ?? 'sluice'}:lane` }),
    history: (_dir, retentionDays) =>
      new RedisHistoryStore({
        client: shared.client,
        prefix: config.prefix ?? 'sluice',
        retentionDays,
        clock,
      }),
    view: () => {
      const s = store.status();
      return { kind: 'redis', mode: s.mode, available: s.available, lastError: s.lastError };
    },
    ready: async (timeoutMs) => {
      try {
        await shared.ready(timeoutMs);
        return true;
      } catch {
        return false;
      }
    },
  };
}

/** History beside a memory store: this process's files under `dataDir/history`. */
export function fileHistory(dataDir: string, retentionDays: number): HistoryStore {
  return new FileHistoryStore({ dir: join(dataDir, 'history'), retentionDays });
}

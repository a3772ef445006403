/**
 * The store named by `store:` in the config: the embedded `MemoryStore`, or
 * Redis shared between instances behind `FallbackStore`, which applies the
 * stated `on_unavailable` policy (fail-open on local shares, or fail-closed
 * with 503s) and reports its mode for `/readyz` and the metrics.
 */
import type { Clock } from '../core/clock.js';
import { MemoryStore } from '../stores/memory/memory-store.js';
import { FallbackStore, type StoreLogger } from '../stores/redis/fallback-store.js';
import { RedisStore } from '../stores/redis/redis-store.js';
import type { Store } from '../stores/store.js';
import type { StoreConfig } from './config/schema.js';
import type { StoreView } from './state.js';

export interface GatewayStore {
  readonly store: Store;
  readonly kind: StoreConfig['kind'];
  view(): StoreView;
  /** Resolves when the store answers; for Redis, waits up to `timeoutMs` for the first connection. */
  ready(timeoutMs: number): Promise<boolean>;
}

export function createGatewayStore(config: StoreConfig, clock: Clock, logger: StoreLogger): GatewayStore {
  if (config.kind === 'memory') {
    const store = new MemoryStore({ clock });
    return {
      store,
      kind: 'memory',
      view: () => ({ kind: 'memory', mode: 'memory', available: true }),
      ready: async () => true,
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
  return {
    store,
    kind: 'redis',
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

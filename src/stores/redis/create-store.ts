/**
 * The one call a face (gateway, library) needs for a shared store:
 * `store: { kind: redis, url, on_unavailable, expected_instances }` in the
 * configuration becomes a FallbackStore over a RedisStore. Never throws
 * because Redis is down: the store then starts on its policy and switches to
 * Redis when it appears.
 */
import type { Clock } from '../../core/clock.js';
import {
  type FallbackStatus,
  FallbackStore,
  type StoreLogger,
  type UnavailablePolicy,
} from './fallback-store.js';
import { RedisStore, type RedisStoreOptions } from './redis-store.js';

export interface SharedStoreConfig
  extends Pick<
    RedisStoreOptions,
    | 'url'
    | 'clusterNodes'
    | 'prefix'
    | 'hashTag'
    | 'timeSource'
    | 'leaseMs'
    | 'commandTimeoutMs'
    | 'connectTimeoutMs'
    | 'idleGraceMs'
  > {
  onUnavailable: UnavailablePolicy;
  /** Instances sharing the limits; each falls back to limit ÷ this (default 1). */
  expectedInstances?: number;
  /** Probe interval while Redis is unavailable, also the fail-closed Retry-After (default 1,000 ms). */
  probeIntervalMs?: number;
  clock?: Clock;
  logger?: StoreLogger;
  /** Called on every switch, for `/readyz` and metrics. */
  onStatusChange?: (status: FallbackStatus) => void;
}

export async function createSharedStore(config: SharedStoreConfig): Promise<FallbackStore> {
  const { onUnavailable, expectedInstances, probeIntervalMs, logger, onStatusChange, ...redis } = config;
  const shared = new RedisStore(redis);
  const store = new FallbackStore({
    shared,
    onUnavailable,
    expectedInstances,
    probeIntervalMs,
    clock: config.clock,
    leaseMs: config.leaseMs,
    logger,
    onStatusChange,
  });
  try {
    await shared.ready(config.connectTimeoutMs ?? 2_000);
  } catch (error) {
    store.reportUnavailable(error);
  }
  return store;
}

/**
 * Builds the ioredis client the store runs on, tuned to fail fast instead of
 * queuing: a decision that cannot reach Redis must come back as an error in
 * milliseconds so the fallback policy can act, never hang.
 *
 * - `enableAutoPipelining`: decisions issued in the same tick share one write
 *   (and, on a cluster, one write per slot), which is what lets 100 decisions
 *   in flight cost far fewer than 100 round trips.
 * - `enableOfflineQueue: false`: while disconnected, commands fail at once.
 * - `maxRetriesPerRequest: 0`, `autoResendUnfulfilledCommands: false`: a
 *   command in flight when the connection drops fails instead of being
 *   resent after reconnecting (a resent reserve could be granted twice; an
 *   unanswered one is given back by its lease).
 * - `commandTimeout`: only a backstop (`BACKSTOP_FACTOR` × the reply
 *   deadline) that frees ioredis's queue of commands a stopped server will
 *   never answer; the store's own deadline (`replyWithin`, in event-loop
 *   time) is what fails a decision after `commandTimeoutMs`.
 * - `retryStrategy`: reconnects forever with exponential backoff and jitter.
 */
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { RedisClient } from './scripts.js';

export interface RedisConnectionOptions {
  /** `redis://[user:password@]host:port[/db]` (or `rediss://`). */
  url?: string;
  /** Seed nodes of a Redis Cluster, as `redis://host:port` URLs. Takes precedence over `url`. */
  clusterNodes?: readonly string[];
  /** A command without a reply after this long fails (default 1,000 ms). */
  commandTimeoutMs?: number;
  /** Connection attempts give up after this long (default 2,000 ms). */
  connectTimeoutMs?: number;
  /** First reconnect delay (default 50 ms); doubles up to `reconnectMaxDelayMs` (default 2,000 ms). */
  reconnectMinDelayMs?: number;
  reconnectMaxDelayMs?: number;
}

export const DEFAULT_COMMAND_TIMEOUT_MS = 1_000;
const BACKSTOP_FACTOR = 5;

export function reconnectDelay(attempt: number, minMs: number, maxMs: number): number {
  const exponential = Math.min(maxMs, minMs * 2 ** Math.min(attempt - 1, 20));
  // Full jitter on the upper half, so many instances do not reconnect in lockstep.
  return Math.round(exponential / 2 + (Math.random() * exponential) / 2);
}

export function createRedisClient(options: RedisConnectionOptions): RedisClient {
  const minDelay = options.reconnectMinDelayMs ?? 50;
  const maxDelay = options.reconnectMaxDelayMs ?? 2_000;
  const common: RedisOptions = {
    enableAutoPipelining: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: BACKSTOP_FACTOR * (options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS),
    connectTimeout: options.connectTimeoutMs ?? 2_000,
    retryStrategy: (attempt) => reconnectDelay(attempt, minDelay, maxDelay),
  };
  if (options.clusterNodes && options.clusterNodes.length > 0) {
    const seeds = options.clusterNodes.map((node) => {
      const url = new URL(node);
      return { host: url.hostname, port: Number(url.port || 6379) };
    });
    const first = new URL(options.clusterNodes[0] as string);
    return new Cluster(seeds, {
      enableAutoPipelining: true,
      enableOfflineQueue: false,
      clusterRetryStrategy: (attempt) => reconnectDelay(attempt, minDelay, maxDelay),
      redisOptions: {
        ...common,
        username: decodeURIComponent(first.username) || undefined,
        password: decodeURIComponent(first.password) || undefined,
      },
    });
  }
  return new Redis(options.url ?? 'redis://127.0.0.1:6379', common);
}

/**
 * Exact cache entries in Redis (`store: { kind: redis }`), shared by every
 * instance, on plain Redis 7 or Redis Cluster with no module.
 *
 * One namespace per store: the model group. Its entries, LRU order and
 * byte counter share one hash tag (`cache-redis-keys.ts`), so `set` can
 * evict the least recently used entries of the whole namespace, across
 * instances, in the same script that writes, and a cluster spreads groups
 * over its slots.
 *
 * Round trips: `get`, `set` and `delete` are one script call each (EVALSHA;
 * on NOSCRIPT one EVAL more, once per server); `get` marks the entry used in
 * the same call. `stats` is two reads sent together (auto-pipelined). With
 * `enableAutoPipelining` (connection.ts), calls made in the same tick share
 * one write.
 *
 * Time: the caller's `now`, passed to every script, ages entries (tests pass
 * it explicitly); each entry's PX of its lifetime is only the backstop that
 * frees what no call touches again.
 *
 * A cache must never fail a request: every Redis failure (down, timed out,
 * cluster error) is a miss from `get`, `false` from `set` and `delete`,
 * counted in `errors` and reported to `onError` without the key or payload
 * (ioredis errors carry the command's arguments, so the original error is
 * never handed on). Nor slow it much: a closed connection fails at once
 * (no offline queue), and after a call times out the store skips Redis for
 * `coolOffMs` rather than making every request wait out a deadline.
 */

import { type Clock, systemClock } from '../core/clock.js';
import { createRedisClient, type RedisConnectionOptions } from '../stores/redis/connection.js';
import { replyWithin } from '../stores/redis/deadline.js';
import {
  preloadScripts,
  type RedisClient,
  replyCode,
  runScript,
  type ScriptArg,
} from '../stores/redis/scripts.js';
import { CacheRedisKeys, DEFAULT_CACHE_PREFIX } from './cache-redis-keys.js';
import { type CacheScriptName, type CacheScripts, loadCacheScripts } from './cache-scripts.js';
import {
  type CachedEntry,
  type CacheStats,
  type CacheStore,
  DEFAULT_MAX_CACHE_BYTES,
  DEFAULT_MAX_ENTRY_BYTES,
  type EntryLifetime,
  entryBytes,
  lifetimeMs,
  type NewEntry,
} from './cache-store.js';
import { CoolOff } from './cool-off.js';

export interface RedisCacheStoreOptions extends RedisConnectionOptions {
  /** Use this client (e.g. the rate-limit store's) instead of connecting from `url`; the caller keeps it. */
  readonly client?: RedisClient;
  /** First part of every key (default `sluice:cache`). */
  readonly prefix?: string;
  /** The model group whose entries this store holds (brace-free). */
  readonly namespace: string;
  /** Bytes the namespace holds at most, across all instances (default 64 MiB). */
  readonly maxBytes?: number;
  /** An entry larger than this is not kept (default 2 MiB). */
  readonly maxEntryBytes?: number;
  /**
   * A call without a reply after this long is a miss (default 250 ms): a
   * slow cache must cost a request little more than no cache. Also sets the
   * connection's `commandTimeoutMs` when the store connects itself.
   */
  readonly commandTimeoutMs?: number;
  /** After a call times out, calls miss without asking Redis for this long (default 1,000 ms). */
  readonly coolOffMs?: number;
  /** Times the cool-off (default: the host clock). Entries are aged by each call's `now`, not by this. */
  readonly clock?: Clock;
  /** Told of every failure (to log or count); never given a key or payload. */
  readonly onError?: (error: CacheStoreError) => void;
}

/** A Redis failure seen by the cache: what was being done, and the failure's kind. */
export class CacheStoreError extends Error {
  readonly code = 'cache_store_unavailable';

  constructor(
    readonly operation: CacheScriptName | 'stats' | 'ready',
    reason: string,
  ) {
    super(`response cache ${operation} failed: ${reason}`);
    this.name = 'CacheStoreError';
  }
}

export const DEFAULT_CACHE_COMMAND_TIMEOUT_MS = 250;
export const DEFAULT_CACHE_COOL_OFF_MS = 1_000;
/** Expired entries a `set` removes at most before writing (keeps one script call short). */
const SWEEP_PER_SET = 16;

export class RedisCacheStore implements CacheStore {
  readonly client: RedisClient;
  readonly keys: CacheRedisKeys;
  private readonly ownsClient: boolean;
  private readonly scripts: CacheScripts;
  private readonly maxBytes: number;
  private readonly maxEntryBytes: number;
  private readonly timeoutMs: number;
  private readonly onError: ((error: CacheStoreError) => void) | undefined;
  private readonly coolOff: CoolOff;
  private failures = 0;

  constructor(options: RedisCacheStoreOptions) {
    this.keys = new CacheRedisKeys(options.prefix ?? DEFAULT_CACHE_PREFIX, options.namespace);
    this.timeoutMs = options.commandTimeoutMs ?? DEFAULT_CACHE_COMMAND_TIMEOUT_MS;
    this.ownsClient = !options.client;
    this.client = options.client ?? createRedisClient({ ...options, commandTimeoutMs: this.timeoutMs });
    // Without a listener ioredis prints every connection error; failures are counted per call instead.
    if (this.ownsClient) this.client.on('error', () => {});
    this.scripts = loadCacheScripts();
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_CACHE_BYTES;
    this.maxEntryBytes = Math.min(options.maxEntryBytes ?? DEFAULT_MAX_ENTRY_BYTES, this.maxBytes);
    this.onError = options.onError;
    this.coolOff = new CoolOff(options.clock ?? systemClock, options.coolOffMs ?? DEFAULT_CACHE_COOL_OFF_MS);
  }

  /** Failed calls so far. */
  get errors(): number {
    return this.failures;
  }

  /** Calls answered as a miss or skip without asking Redis, during a cool-off. */
  get skipped(): number {
    return this.coolOff.skipped;
  }

  /**
   * Waits for the connection (at most `timeoutMs`), then loads the scripts
   * on every primary, so the first calls take one round trip too. False
   * when Redis did not answer in time: calls meanwhile are misses, and the
   * scripts load on first use (NOSCRIPT → EVAL).
   */
  async ready(timeoutMs = 2_000): Promise<boolean> {
    try {
      await this.connected(timeoutMs);
      await replyWithin(preloadScripts(this.client, this.scripts), this.timeoutMs);
      return true;
    } catch (error) {
      this.fail('ready', error);
      return false;
    }
  }

  async get(key: string, now: number): Promise<CachedEntry | undefined> {
    const reply = await this.call('get', key, now, []);
    if (!Array.isArray(reply)) return undefined;
    const [payload, storedAt, group, scope] = reply as [string, string, string, string];
    return { payload, storedAt: Number(storedAt), group, scope };
  }

  async set(key: string, entry: NewEntry, lifetime: EntryLifetime, now: number): Promise<boolean> {
    // Checked here too, so an oversized answer never crosses the wire.
    if (entryBytes(key, entry) > this.maxEntryBytes) return false;
    const life = lifetimeMs(lifetime);
    const reply = await this.call('set', key, now, [
      String(now + life),
      Math.max(1, Math.ceil(life)),
      entry.payload,
      entry.group,
      entry.scope,
      this.maxEntryBytes,
      this.maxBytes,
      SWEEP_PER_SET,
    ]);
    return reply === 1;
  }

  async delete(key: string): Promise<boolean> {
    return (await this.call('delete', key, 0, [])) === 1;
  }

  /** Counts from Redis; rejects with a `CacheStoreError` when Redis does not answer (not a request path). */
  async stats(): Promise<CacheStats> {
    try {
      const [entries, bytes] = await replyWithin(
        Promise.all([this.client.zcard(this.keys.lru), this.client.get(this.keys.bytes)]),
        this.timeoutMs,
      );
      return { entries, bytes: Number(bytes ?? 0) };
    } catch (error) {
      throw this.fail('stats', error);
    }
  }

  async close(): Promise<void> {
    if (!this.ownsClient) return;
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }

  private connected(timeoutMs: number): Promise<void> {
    if (this.client.status === 'ready') return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.client.off('ready', onReady);
        reject(new Error(`not connected after ${timeoutMs} ms`));
      }, timeoutMs);
      const onReady = () => {
        clearTimeout(timer);
        resolve();
      };
      this.client.once('ready', onReady);
    });
  }

  /**
   * One script call; undefined when it failed or was skipped. After a call
   * times out, calls are skipped for `coolOffMs`: a Redis that stopped
   * answering must not add a reply deadline to every request.
   */
  private async call(name: CacheScriptName, key: string, now: number, rest: ScriptArg[]): Promise<unknown> {
    if (this.coolOff.skips()) return undefined;
    try {
      return await this.script(name, key, now, rest);
    } catch (error) {
      this.fail(name, error);
      this.coolOff.failed(error);
      return undefined;
    }
  }

  private script(name: CacheScriptName, key: string, now: number, rest: ScriptArg[]): Promise<unknown> {
    const { keys } = this;
    const args: ScriptArg[] = [
      keys.entryPrefix + key,
      keys.lru,
      keys.exp,
      keys.sizes,
      keys.bytes,
      key,
      String(now),
      keys.entryPrefix,
      ...rest,
    ];
    return replyWithin(runScript(this.client, this.scripts[name], 5, args), this.timeoutMs);
  }

  private fail(operation: CacheStoreError['operation'], error: unknown): CacheStoreError {
    this.failures++;
    // A server reply by its code only; a client-side failure (closed, timed out) by its message.
    const reason = replyCode(error) ?? (error instanceof Error ? error.message : 'unknown error');
    const failure = new CacheStoreError(operation, reason);
    this.onError?.(failure);
    return failure;
  }
}

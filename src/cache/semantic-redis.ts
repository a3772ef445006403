/**
 * The semantic index shared through Redis (`store: { kind: redis }`): every
 * instance finds every instance's entries, on plain Redis 7 or Redis
 * Cluster, without a search module.
 *
 * Each partition is an append-only log in Redis, a stream
 * (`semantic-redis-keys.ts`) of (entry id, vector as little-endian float32,
 * stored at, expires at), trimmed to the partition's bound as it is
 * written. Each instance keeps a `SemanticIndex` in the process and, per
 * partition, the last message it has read. A lookup is one round trip —
 * XRANGE from after that message: whatever other instances wrote since —
 * then a search in the process. The first lookup of a partition reads it
 * whole (at most its bound). A store is one XADD (with MAXLEN) and one
 * PEXPIRE sent together: the log lives as long as its newest entry.
 *
 * Time is the caller's `now`: an entry read past its `expiresAt` is not
 * taken, and the in-process index drops entries as they age.
 *
 * A cache must never fail a request: a Redis that is down, slow past
 * `commandTimeoutMs` or failing makes a lookup a miss and a store a no-op,
 * counted in `errors` and told to `onError` (never with a key or vector);
 * after a timeout, calls skip Redis for `coolOffMs`.
 */

import { endianness } from 'node:os';
import { type Clock, systemClock } from '../core/clock.js';
import { replyWithin } from '../stores/redis/deadline.js';
import type { RedisClient } from '../stores/redis/scripts.js';
import { DEFAULT_CACHE_PREFIX } from './cache-redis-keys.js';
import { CoolOff } from './cool-off.js';
import { DEFAULT_CACHE_COMMAND_TIMEOUT_MS, DEFAULT_CACHE_COOL_OFF_MS } from './redis-cache-store.js';
import type { SemanticMatcher } from './response-cache.js';
import {
  DEFAULT_MAX_ENTRIES_PER_PARTITION,
  SemanticIndex,
  type SemanticIndexOptions,
} from './semantic-index.js';
import { semanticLogKey } from './semantic-redis-keys.js';
import { unitVector } from './semantic-vectors.js';

export interface RedisSemanticIndexOptions extends SemanticIndexOptions {
  /** The connection to use: the entry store's (`RedisCacheStore.client`); its owner connects and closes it. */
  readonly client: RedisClient;
  /** First part of every key (default `sluice:cache`). */
  readonly prefix?: string;
  /** A call without a reply after this long is a miss (default 250 ms, as the entry store's). */
  readonly commandTimeoutMs?: number;
  /** After a call times out, lookups miss and stores are skipped without asking Redis for this long (default 1,000 ms). */
  readonly coolOffMs?: number;
  /** Times the cool-off (default: the host clock). Entries are aged by each call's `now`, not by this. */
  readonly clock?: Clock;
  /** Told of every failure; never given a key or a vector. */
  readonly onError?: (error: SemanticIndexError) => void;
}

/** A Redis failure seen by the semantic index. */
export class SemanticIndexError extends Error {
  readonly code = 'semantic_index_unavailable';

  constructor(
    readonly operation: 'nearest' | 'add',
    reason: string,
  ) {
    super(`semantic index ${operation} failed: ${reason}`);
    this.name = 'SemanticIndexError';
  }
}

/** Stream fields, short: they are repeated in every message. */
const F = { id: 'i', vector: 'v', storedAt: 't', expiresAt: 'x' } as const;

const LITTLE_ENDIAN = endianness() === 'LE';

export class RedisSemanticIndex implements SemanticMatcher {
  readonly client: RedisClient;
  private readonly local: SemanticIndex;
  private readonly prefix: string;
  private readonly maxPerPartition: number;
  private readonly timeoutMs: number;
  private readonly onError: ((error: SemanticIndexError) => void) | undefined;
  /** Per partition, the last stream message taken into `local`. */
  private readonly lastRead = new Map<string, string>();
  private readonly coolOff: CoolOff;
  private failures = 0;

  constructor(options: RedisSemanticIndexOptions) {
    this.local = new SemanticIndex(options);
    this.prefix = options.prefix ?? DEFAULT_CACHE_PREFIX;
    this.maxPerPartition = options.maxEntriesPerPartition ?? DEFAULT_MAX_ENTRIES_PER_PARTITION;
    this.timeoutMs = options.commandTimeoutMs ?? DEFAULT_CACHE_COMMAND_TIMEOUT_MS;
    this.client = options.client;
    this.onError = options.onError;
    this.coolOff = new CoolOff(options.clock ?? systemClock, options.coolOffMs ?? DEFAULT_CACHE_COOL_OFF_MS);
  }

  /** Failed calls so far. */
  get errors(): number {
    return this.failures;
  }

  /** Calls answered without asking Redis, during a cool-off. */
  get skipped(): number {
    return this.coolOff.skipped;
  }

  async nearest(
    partition: string,
    vector: Float32Array,
    similarity: number,
    now: number,
    maxAgeMs: number,
  ): Promise<{ key: string; similarity: number } | undefined> {
    if (this.coolOff.skips()) return undefined;
    const key = semanticLogKey(this.prefix, partition);
    // A partition the process dropped (bounds, expiry) is read whole again.
    if (!this.local.has(partition)) this.lastRead.delete(partition);
    const after = this.lastRead.get(partition);
    let messages: StreamMessage[];
    try {
      messages = await replyWithin(
        this.client.xrangeBuffer(key, after === undefined ? '-' : `(${after}`, '+'),
        this.timeoutMs,
      );
    } catch (error) {
      this.fail('nearest', error);
      return undefined;
    }
    this.take(partition, messages, now);
    return this.local.nearest(partition, vector, similarity, now, maxAgeMs);
  }

  async add(partition: string, id: string, vector: Float32Array, now: number, ttlMs: number): Promise<void> {
    const unit = unitVector(vector);
    if (!unit || !(ttlMs > 0) || this.coolOff.skips()) return;
    const key = semanticLogKey(this.prefix, partition);
    const expiresAt = now + ttlMs;
    try {
      const replies = await replyWithin(
        this.client
          .pipeline()
          .xadd(
            key,
            'MAXLEN',
            String(this.maxPerPartition),
            '*',
            F.id,
            id,
            F.vector,
            float32Le(unit),
            F.storedAt,
            String(now),
            F.expiresAt,
            String(expiresAt),
          )
          .pexpire(key, Math.ceil(ttlMs))
          .exec(),
        this.timeoutMs,
      );
      const failed = replies?.find(([error]) => error)?.[0];
      if (failed) throw failed;
    } catch (error) {
      this.fail('add', error);
    }
    // Not put in the local index here: the next lookup reads it from the log
    // with everything else, in log order, once.
  }

  /** Puts messages read from a partition's log into the local index, each once. */
  private take(partition: string, messages: readonly StreamMessage[], now: number): void {
    for (const [rawId, fields] of messages) {
      const messageId = rawId.toString();
      const last = this.lastRead.get(partition);
      // Two lookups at once read the same messages; the later reply adds nothing twice.
      if (last !== undefined && !streamIdAfter(messageId, last)) continue;
      this.lastRead.set(partition, messageId);
      const entry = entryOf(fields);
      if (entry && entry.expiresAt > now) {
        this.local.addNow(partition, entry.id, entry.vector, entry.storedAt, entry.expiresAt);
      }
    }
    // Marks of partitions the process no longer holds go, so the map stays bounded.
    if (this.lastRead.size > 2 * this.local.partitionCount + 1_000)
      for (const name of this.lastRead.keys()) if (!this.local.has(name)) this.lastRead.delete(name);
  }

  private fail(operation: SemanticIndexError['operation'], error: unknown): void {
    this.failures++;
    this.coolOff.failed(error);
    // ioredis errors carry the command's arguments (ids, vectors): only the message's first line goes on.
    const reason = error instanceof Error ? (error.message.split('\n')[0] ?? 'error') : 'unknown error';
    this.onError?.(new SemanticIndexError(operation, reason));
  }
}

type StreamMessage = [Buffer, Buffer[]];

interface LogEntry {
  readonly id: string;
  readonly vector: Float32Array;
  readonly storedAt: number;
  readonly expiresAt: number;
}

function entryOf(fields: readonly Buffer[]): LogEntry | undefined {
  const values = new Map<string, Buffer>();
  for (let i = 0; i + 1 < fields.length; i += 2) values.set(String(fields[i]), fields[i + 1] as Buffer);
  const id = values.get(F.id)?.toString();
  const raw = values.get(F.vector);
  const storedAt = Number(values.get(F.storedAt)?.toString());
  const expiresAt = Number(values.get(F.expiresAt)?.toString());
  if (!id || !raw || raw.length === 0 || raw.length % 4 !== 0) return undefined;
  if (!Number.isFinite(storedAt) || !Number.isFinite(expiresAt)) return undefined;
  return { id, vector: fromFloat32Le(raw), storedAt, expiresAt };
}

/** `<ms>-<seq>` of `a` after that of `b`. */
export function streamIdAfter(a: string, b: string): boolean {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am > bm || (am === bm && as > bs);
}

export function float32Le(vector: Float32Array): Buffer {
  if (LITTLE_ENDIAN) return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
  const out = Buffer.alloc(vector.length * 4);
  for (let i = 0; i < vector.length; i++) out.writeFloatLE(vector[i] as number, i * 4);
  return out;
}

export function fromFloat32Le(raw: Buffer): Float32Array {
  const out = new Float32Array(raw.length / 4);
  // A copy either way: a Buffer from a socket is rarely 4-byte aligned.
  if (LITTLE_ENDIAN) new Uint8Array(out.buffer).set(raw);
  else for (let i = 0; i < out.length; i++) out[i] = raw.readFloatLE(i * 4);
  return out;
}

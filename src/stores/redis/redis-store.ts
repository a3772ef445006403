/**
 * The shared store: bucket state in Redis (or Redis Cluster), so any number
 * of gateway and library instances draw on the same limits (DESIGN.md,
 * idea 9). Same semantics as `MemoryStore`; the contract suite runs against
 * both.
 *
 * Every operation is one Lua script call, one round trip: `reserve` is
 * all-or-nothing across all its buckets inside Redis, and `reserveFirst`
 * tries all its choices in the same call (unless they span hash-tag
 * groups). Concurrent decisions share script calls (batch.ts).
 *
 * Time: scripts take "now" from the injected `Clock` (default: the host
 * clock), passed as an argument. Hosts must be NTP-synced; a clock that is ε
 * ms ahead of the others can over-admit at most ε × rate units per bucket
 * (it sees the bucket ε ms more refilled); a clock behind only admits less.
 * `timeSource: 'redis'` uses Redis TIME instead (README, "Redis store").
 *
 * Failures: every Redis error (connection lost, timeout, cluster down)
 * surfaces as `StoreUnavailableError`; `FallbackStore` turns that into the
 * configured policy.
 */
import { randomBytes } from 'node:crypto';
import { fixedUsedFromProvider } from '../../core/buckets/fixed-window.js';
import { gcraTatFromProvider } from '../../core/buckets/gcra.js';
import { pauseEnd } from '../../core/buckets/provider-report.js';
import { type Clock, systemClock } from '../../core/clock.js';
import type { Cost, Usage } from '../../core/cost.js';
import type {
  BucketSnapshot,
  Decision,
  ProviderObservation,
  Reservation,
  SettleOutcome,
} from '../../core/decision.js';
import type { BucketSpec } from '../../core/limit.js';
import { reserveInTurn } from '../first-fit.js';
import {
  DEFAULT_LEASE_MS,
  type DemandUpdate,
  type FirstFit,
  type ReserveChoice,
  type ReserveOptions,
  type SettleOptions,
  type Store,
  type StoreStats,
} from '../store.js';
import { TickBatcher } from './batch.js';
import { createRedisClient, DEFAULT_COMMAND_TIMEOUT_MS, type RedisConnectionOptions } from './connection.js';
import { replyWithin } from './deadline.js';
import { CrossSlotReservationError, StoreUnavailableError } from './errors.js';
import { RedisKeys } from './keys.js';
import { encodeReserves, type PendingDemand, type PendingReserve, resolveReserves } from './reserve-batch.js';
import {
  loadScripts,
  preloadScripts,
  primaries,
  type RedisClient,
  runScript,
  type Script,
  type ScriptArg,
  type Scripts,
} from './scripts.js';
import { encodeSettles, type PendingSettle, resolveSettles } from './settle-batch.js';
import { pushPeriod, type SpecArgs, specArgs } from './spec-args.js';

export interface RedisStoreOptions extends RedisConnectionOptions {
  /** Use this client instead of connecting from `url` (the caller keeps ownership). */
  client?: RedisClient;
  /** First part of every key (default `sluice`); one prefix = one namespace of limits. */
  prefix?: string;
  /**
   * Hash-tag group of a bucket key. Default: one group per prefix, so every
   * key of the store sits in one cluster slot. Buckets reserved together
   * must share a group.
   */
  hashTag?: (bucketKey: string) => string;
  clock?: Clock;
  /** `client` (default): the injected clock. `redis`: Redis TIME inside each script. */
  timeSource?: 'client' | 'redis';
  /** Default lease of a reservation (ms). */
  leaseMs?: number;
  /** Idle keys live this long after they carry no information (default 60 s). */
  idleGraceMs?: number;
  /** `Retry-After` hint when Redis is unavailable (default 1,000 ms). */
  unavailableRetryMs?: number;
  /** `stats().buckets` scans the keyspace at most this often (default 30 s); counters are always live. */
  bucketCountMaxAgeMs?: number;
}

interface Group {
  readonly tag: string;
  readonly stats: string;
  readonly leases: string;
  /** Demand published since the last reserve call, and who waits for it to be written. */
  demand: PendingDemand[];
  demandSent: { resolve: () => void; reject: (error: unknown) => void }[];
  readonly reserves: TickBatcher<PendingReserve>;
  readonly settles: TickBatcher<PendingSettle>;
}

/** Items per script call; a larger burst is split over several calls. */
const MAX_BATCH = 256;

export class RedisStore implements Store {
  /** Every instance on the same prefix decides on the same buckets. */
  readonly clustered = true;
  readonly client: RedisClient;
  readonly keys: RedisKeys;
  private readonly ownsClient: boolean;
  private readonly scripts: Scripts;
  private readonly clock: Clock;
  private readonly source: 'c' | 'r';
  private readonly leaseMs: number;
  private readonly grace: string;
  private readonly unavailableRetryMs: number;
  private readonly replyDeadlineMs: number;
  private readonly hashTag: ((bucketKey: string) => string) | undefined;
  private readonly defaultTag: string;
  private readonly compiled = new WeakMap<BucketSpec, SpecArgs>();
  private readonly groups = new Map<string, Group>();
  private readonly idBase = `${randomBytes(6).toString('base64url')}.`;
  private nextId = 0;
  private reloads = 0;
  private readonly bucketCountMaxAgeMs: number;
  private bucketCount: { readonly value: number; readonly at: number } | undefined;
  private counting: Promise<number> | undefined;

  constructor(options: RedisStoreOptions = {}) {
    this.keys = new RedisKeys(options.prefix ?? 'sluice');
    this.ownsClient = !options.client;
    this.client = options.client ?? createRedisClient(options);
    // Without a listener ioredis prints every connection error; the store
    // reports unavailability through its callers instead.
    if (this.ownsClient) this.client.on('error', () => {});
    this.scripts = loadScripts();
    this.clock = options.clock ?? systemClock;
    this.source = options.timeSource === 'redis' ? 'r' : 'c';
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.grace = String(Math.ceil(options.idleGraceMs ?? 60_000));
    this.unavailableRetryMs = options.unavailableRetryMs ?? 1_000;
    this.replyDeadlineMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    this.hashTag = options.hashTag;
    this.bucketCountMaxAgeMs = options.bucketCountMaxAgeMs ?? 30_000;
    this.defaultTag = this.keys.validTag(this.keys.prefix);
  }

  /** Resolves once connected with every script loaded; rejects after `timeoutMs`. */
  async ready(timeoutMs = 5_000): Promise<void> {
    await this.waitForConnection(timeoutMs);
    await this.ping();
  }

  /** Round trip to Redis that also (re)loads the scripts: the fallback's health probe. */
  async ping(): Promise<void> {
    try {
      await replyWithin(this.client.ping(), this.replyDeadlineMs);
      await replyWithin(preloadScripts(this.client, this.scripts), this.replyDeadlineMs);
    } catch (error) {
      throw this.unavailable(error);
    }
  }

  /** Calls `listener(false)` when the connection drops and `listener(true)` when it is ready again. */
  onConnectionChange(listener: (connected: boolean) => void): () => void {
    const up = () => listener(true);
    const down = () => listener(false);
    this.client.on('ready', up);
    this.client.on('close', down);
    return () => {
      this.client.off('ready', up);
      this.client.off('close', down);
    };
  }

  /** Times a script was missing on the server and sent again in full (Redis restarts, failovers). */
  get scriptReloads(): number {
    return this.reloads;
  }

  reserve(buckets: readonly BucketSpec[], cost: Cost, options?: ReserveOptions): Promise<Decision> {
    return new Promise<Decision>((resolve, reject) => {
      const group = this.groupOf(buckets);
      group.reserves.add({
        choices: [{ buckets, cost }],
        leaseMs: options?.leaseMs ?? this.leaseMs,
        id: this.newId(),
        now: this.clock.now(),
        rank: options?.rank,
        order: options?.order,
        keep: options?.keep ?? 0,
        first: false,
        resolve,
        reject,
      });
    });
  }

  /**
   * One script call tries every choice, batched with the tick's other
   * reservations. Choices in different hash-tag groups cannot share a
   * script: they are tried one call after another.
   */
  reserveFirst(choices: readonly ReserveChoice[], options?: ReserveOptions): Promise<FirstFit> {
    if (choices.length === 0) return Promise.resolve({ choice: -1, decisions: [] });
    let group: Group;
    try {
      group = this.groupOfChoices(choices);
    } catch (error) {
      if (error instanceof CrossSlotReservationError) return reserveInTurn(this, choices, options);
      return Promise.reject(error);
    }
    return new Promise<FirstFit>((resolve, reject) => {
      group.reserves.add({
        choices,
        leaseMs: options?.leaseMs ?? this.leaseMs,
        id: this.newId(),
        now: this.clock.now(),
        rank: options?.rank,
        order: options?.order,
        keep: options?.keep ?? 0,
        first: true,
        resolve,
        reject,
      });
    });
  }

  settle(reservation: Reservation, usage?: Usage, options?: SettleOptions): Promise<SettleOutcome> {
    return new Promise<SettleOutcome>((resolve, reject) => {
      let reassign = options?.reassign;
      let group: Group;
      try {
        // Charged buckets must share the reservation's hash-tag group: one script decides both.
        group = this.groupOf(reassign ? [...reservation.buckets, ...reassign.charge] : reservation.buckets);
      } catch (error) {
        if (!(error instanceof CrossSlotReservationError) || !reassign) throw error;
        // A `hashTag` that puts them apart: the usage stays where it was reserved rather than the settle being lost.
        reassign = undefined;
        group = this.groupOf(reservation.buckets);
      }
      group.settles.add({ reservation, usage, reassign, resolve, reject });
    });
  }

  /**
   * Rides along with the tick's reserve call of each bucket's hash-tag group
   * (one is made for it when none is due): no round trip of its own under load.
   */
  publishDemand(update: DemandUpdate): Promise<void> {
    const groups = new Set<Group>();
    for (const entry of update.entries) {
      const a = this.argsOf(entry.bucket);
      const group = this.group(a.tag);
      group.demand.push({
        demandKey: a.demandKey,
        fairKey: a.fairKey,
        field: `${entry.rank.priority}|${update.instance}|${entry.rank.tenant}`,
        amount: entry.amount,
        weight: entry.rank.weight,
        leaseMs: update.leaseMs,
      });
      groups.add(group);
    }
    return Promise.all(
      [...groups].map(
        (group) =>
          new Promise<void>((resolve, reject) => {
            group.demandSent.push({ resolve, reject });
            group.reserves.wake();
          }),
      ),
    ).then(() => undefined);
  }

  async renew(reservation: Reservation, leaseMs = this.leaseMs): Promise<boolean> {
    const group = this.groupOf(reservation.buckets);
    const keys: ScriptArg[] = [group.stats, group.leases];
    for (const spec of reservation.buckets) {
      const slots = this.argsOf(spec).slotsKey;
      if (slots) keys.push(slots);
    }
    const argv = [this.clock.now(), this.source, this.grace, reservation.id, leaseMs];
    return (await this.run(this.scripts.renew, keys, argv)) === 1;
  }

  async sync(spec: BucketSpec, observation: ProviderObservation): Promise<void> {
    const now = this.clock.now();
    const c = this.argsOf(spec);
    let target: number | undefined;
    if (spec.kind === 'gcra') {
      target = gcraTatFromProvider(observation, now, spec);
    } else if (spec.kind === 'fixed') {
      target = fixedUsedFromProvider(observation, spec);
    }
    if (target === undefined) return;
    const argv: ScriptArg[] = [now, this.source, this.grace, c.kind, target];
    pushPeriod(argv, spec, now);
    await this.run(this.scripts.sync, [c.stateKey], argv);
  }

  async pause(spec: BucketSpec, untilMs: number): Promise<void> {
    const c = this.argsOf(spec);
    const now = this.clock.now();
    await this.run(
      this.scripts.pause,
      [c.stateKey],
      [now, this.source, this.grace, pauseEnd(untilMs, now, spec)],
    );
  }

  async peek(buckets: readonly BucketSpec[]): Promise<BucketSnapshot[]> {
    if (!this.hashTag) return this.peekGroup(buckets, this.group(this.defaultTag));
    // A dashboard may peek buckets of many groups: one call per group.
    const byTag = new Map<string, BucketSpec[]>();
    for (const spec of buckets) {
      const tag = this.argsOf(spec).tag;
      const list = byTag.get(tag);
      if (list) list.push(spec);
      else byTag.set(tag, [spec]);
    }
    const snapshots = new Map<string, BucketSnapshot>();
    await Promise.all(
      [...byTag].map(async ([tag, specs]) => {
        const part = await this.peekGroup(specs, this.group(tag));
        for (const snap of part) snapshots.set(snap.key, snap);
      }),
    );
    return buckets.map((spec) => snapshots.get(spec.key) as BucketSnapshot);
  }

  /**
   * Counters are exact and shared by every instance on this prefix.
   * `buckets` counts bucket keys with SCAN on every primary: exact up to
   * keys whose expiry Redis has not collected yet, but O(keyspace), so it
   * is rescanned at most every `bucketCountMaxAgeMs` (metrics scrapes call
   * this).
   */
  async stats(): Promise<StoreStats> {
    try {
      const tags = new Set<string>([this.defaultTag, ...this.groups.keys()]);
      if (this.hashTag) for (const tag of await this.client.smembers(this.keys.groups())) tags.add(tag);
      const totals = { reservations: 0, settled: 0, duplicateSettles: 0, expiredLeases: 0, active: 0 };
      const argv = [this.clock.now(), this.source, this.grace];
      await Promise.all(
        [...tags].map(async (tag) => {
          const g = this.group(tag);
          const c = (await this.run(this.scripts.stats, [g.stats, g.leases], argv)) as number[];
          const [settled, duplicates, expired, active] = c.map(Number) as [number, number, number, number];
          totals.reservations += settled + expired + active;
          totals.settled += settled;
          totals.duplicateSettles += duplicates;
          totals.expiredLeases += expired;
          totals.active += active;
        }),
      );
      return { ...totals, buckets: await this.bucketKeys() };
    } catch (error) {
      throw this.unavailable(error);
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

  private async peekGroup(buckets: readonly BucketSpec[], group: Group): Promise<BucketSnapshot[]> {
    const keys: ScriptArg[] = [group.stats, group.leases];
    const now = this.clock.now();
    const argv: ScriptArg[] = [now, this.source, this.grace, buckets.length];
    for (const spec of buckets) {
      const c = this.argsOf(spec);
      keys.push(c.stateKey);
      if (c.slotsKey) keys.push(c.slotsKey);
      argv.push(c.kind, c.capacity, c.rate);
      pushPeriod(argv, spec, now);
    }
    const reply = (await this.run(this.scripts.peek, keys, argv)) as string[];
    return buckets.map((spec, i) => ({
      key: spec.key,
      remaining: Number(reply[i * 4]),
      used: Number(reply[i * 4 + 1]),
      resetMs: Number(reply[i * 4 + 2]),
      pausedUntil: Number(reply[i * 4 + 3]),
    }));
  }

  private flushReserves(group: Group, items: PendingReserve[]): void {
    // One "now" per script call: the time the batch's first reservation was asked for.
    const now = items[0]?.now ?? this.clock.now();
    const header = [now, this.source, this.grace];
    const { demand, demandSent } = group;
    group.demand = [];
    group.demandSent = [];
    const call = encodeReserves(
      items,
      { stats: group.stats, leases: group.leases, header, now },
      this.argsOf,
      demand,
    );
    this.run(this.scripts.reserve, call.keys, call.argv).then(
      (reply) => {
        resolveReserves(call, reply as unknown[], now);
        for (const sent of demandSent) sent.resolve();
      },
      (error: unknown) => {
        for (const item of items) item.reject(error);
        for (const sent of demandSent) sent.reject(error);
      },
    );
  }

  private flushSettles(group: Group, items: PendingSettle[]): void {
    const now = this.clock.now();
    const header = [now, this.source, this.grace];
    const call = encodeSettles(items, { stats: group.stats, leases: group.leases, header, now }, this.argsOf);
    this.run(this.scripts.settle, call.keys, call.argv).then(
      (reply) => resolveSettles(items, reply),
      (error: unknown) => {
        for (const item of items) item.reject(error);
      },
    );
  }

  private async run(script: Script, keys: ScriptArg[], argv: ScriptArg[]): Promise<unknown> {
    const numKeys = keys.length;
    for (const arg of argv) keys.push(arg);
    try {
      return await replyWithin(
        runScript(this.client, script, numKeys, keys, () => this.reloads++),
        this.replyDeadlineMs,
      );
    } catch (error) {
      throw this.unavailable(error);
    }
  }

  private unavailable(error: unknown): StoreUnavailableError {
    if (error instanceof StoreUnavailableError) return error;
    const message = error instanceof Error ? error.message : String(error);
    return new StoreUnavailableError(`Redis store unavailable: ${message}`, {
      retryAfterMs: this.unavailableRetryMs,
      cause: error,
    });
  }

  /** The hash-tag group of a call's buckets; all must share it. */
  private groupOf(buckets: readonly BucketSpec[]): Group {
    if (!this.hashTag || buckets.length === 0) return this.group(this.defaultTag);
    const tag = this.argsOf(buckets[0] as BucketSpec).tag;
    for (let i = 1; i < buckets.length; i++) {
      const other = this.argsOf(buckets[i] as BucketSpec);
      if (other.tag !== tag) {
        throw new CrossSlotReservationError(
          `buckets ${(buckets[0] as BucketSpec).key} (group "${tag}") and ${(buckets[i] as BucketSpec).key} ` +
            `(group "${other.tag}") cannot be reserved together: hashTag must map them to one group`,
        );
      }
    }
    return this.group(tag);
  }

  /** The one hash-tag group of every choice's buckets (CrossSlotReservationError if they span several). */
  private groupOfChoices(choices: readonly ReserveChoice[]): Group {
    if (!this.hashTag) return this.group(this.defaultTag);
    return this.groupOf(choices.flatMap((choice) => choice.buckets));
  }

  private newId(): string {
    return `${this.idBase}${(++this.nextId).toString(36)}`;
  }

  private group(tag: string): Group {
    let group = this.groups.get(tag);
    if (!group) {
      const created: Group = {
        tag,
        stats: this.keys.stats(tag),
        leases: this.keys.leases(tag),
        demand: [],
        demandSent: [],
        reserves: new TickBatcher(MAX_BATCH, (items) => this.flushReserves(created, items)),
        settles: new TickBatcher(MAX_BATCH, (items) => this.flushSettles(created, items)),
      };
      group = created;
      this.groups.set(tag, group);
      // stats() of any instance must find every group, not only those it saw.
      if (this.hashTag) this.client.sadd(this.keys.groups(), tag).catch(() => this.groups.delete(tag));
    }
    return group;
  }

  /** Key names and argument strings of a spec, computed once per spec object. */
  private readonly argsOf = (spec: BucketSpec): SpecArgs => {
    let args = this.compiled.get(spec);
    if (!args) {
      const tag = this.hashTag ? this.keys.validTag(this.hashTag(spec.key)) : this.defaultTag;
      args = specArgs(spec, this.keys, tag);
      this.compiled.set(spec, args);
    }
    return args;
  };

  /** The bucket count, rescanned when older than `bucketCountMaxAgeMs` (wall time: it limits Redis work). */
  private bucketKeys(): Promise<number> {
    const cached = this.bucketCount;
    if (cached && performance.now() - cached.at < this.bucketCountMaxAgeMs)
      return Promise.resolve(cached.value);
    this.counting ??= this.countBucketKeys()
      .then((value) => {
        this.bucketCount = { value, at: performance.now() };
        return value;
      })
      .finally(() => {
        this.counting = undefined;
      });
    return this.counting;
  }

  private async countBucketKeys(): Promise<number> {
    let count = 0;
    for (const node of primaries(this.client)) {
      for (const pattern of this.keys.bucketPatterns()) {
        let cursor = '0';
        do {
          const [next, found] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1_000);
          cursor = next;
          count += found.length;
        } while (cursor !== '0');
      }
    }
    return count;
  }

  private waitForConnection(timeoutMs: number): Promise<void> {
    if (this.client.status === 'ready') return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.client.off('ready', onReady);
        reject(this.unavailable(new Error(`not connected after ${timeoutMs} ms`)));
      }, timeoutMs);
      const onReady = () => {
        clearTimeout(timer);
        resolve();
      };
      this.client.once('ready', onReady);
    });
  }
}

/** Connects, loads the scripts and resolves with a ready store (rejects if Redis is unreachable). */
export async function createRedisStore(options: RedisStoreOptions = {}): Promise<RedisStore> {
  const store = new RedisStore(options);
  try {
    await store.ready(options.connectTimeoutMs ?? 5_000);
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}

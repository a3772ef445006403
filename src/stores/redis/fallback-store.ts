/**
 * The stated policy for when the shared store is unreachable (DESIGN.md,
 * idea 9). Wraps a shared store (RedisStore) and a local MemoryStore:
 *
 * - `fail_open`: decisions move to local buckets holding this instance's
 *   share of every limit (limit ÷ `expectedInstances`), so N instances
 *   together stay within the limit while they cannot coordinate.
 * - `fail_closed`: `reserve` and `reserveFirst` throw `StoreUnavailableError` (code
 *   `store_unavailable`, `retryAfterMs`); the gateway answers 503 with
 *   `Retry-After`.
 *
 * Either way the switch is logged once per transition, visible in
 * `status()` (for `/readyz` and metrics) and announced to `onStatusChange`.
 * While unavailable, the shared store is probed every `probeIntervalMs` (and
 * at once when its connection reports ready); the first successful probe
 * replays the settles that could not be delivered, hands the local levels
 * back (handover.ts), then switches back. No restart needed. Neither switch
 * starts from a full bucket: the local shares start from the last shared
 * levels, and a Redis that restarted empty is raised to the local ones.
 *
 * A reservation is always settled by the store that granted it: local ids
 * carry a prefix no Redis id can have.
 */
import { type Cancel, type Clock, systemClock } from '../../core/clock.js';
import { type Cost, costOn, type Usage } from '../../core/cost.js';
import {
  type BucketSnapshot,
  type Decision,
  type ProviderObservation,
  type Reservation,
  refusal,
  type SettleOutcome,
} from '../../core/decision.js';
import { type BucketSpec, withLimit } from '../../core/limit.js';
import { reserveInTurn } from '../first-fit.js';
import { MemoryStore } from '../memory/memory-store.js';
import type {
  DemandUpdate,
  FirstFit,
  ReserveChoice,
  ReserveOptions,
  SettleOptions,
  Store,
  StoreStats,
} from '../store.js';
import { StoreUnavailableError } from './errors.js';
import { Handover } from './handover.js';

export type UnavailablePolicy = 'fail_open' | 'fail_closed';

/** `shared`: decisions in Redis. `local`: fail-open on local shares. `refusing`: fail-closed. */
export type StoreMode = 'shared' | 'local' | 'refusing';

/** A store that can say whether it is reachable. */
export interface SharedStore extends Store {
  /** Resolves when the store answers (and is ready to run decisions); throws otherwise. */
  ping(): Promise<void>;
  /** Optional push notification of connection changes, so idle instances notice too. */
  onConnectionChange?(listener: (connected: boolean) => void): () => void;
}

export interface FallbackStatus {
  readonly available: boolean;
  readonly mode: StoreMode;
  readonly policy: UnavailablePolicy;
  /** Epoch ms of the last switch (or of the start). */
  readonly since: number;
  /** Why the shared store was last found unavailable. */
  readonly lastError: string | undefined;
  /** Switches between shared and fallback since start. */
  readonly transitions: number;
  /** Reserves decided by the local buckets (fail-open). */
  readonly localDecisions: number;
  /** Reserves refused because the shared store was unavailable (fail-closed). */
  readonly refusedUnavailable: number;
  /** Settles of shared reservations waiting for Redis to come back. */
  readonly pendingSettles: number;
  /** Settles dropped because the queue was full (their leases expire in Redis). */
  readonly droppedSettles: number;
}

/** pino-compatible subset. */
export interface StoreLogger {
  warn(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
}

export interface FallbackStoreOptions {
  shared: SharedStore;
  onUnavailable: UnavailablePolicy;
  /** Instances sharing the limits; each falls back to limit ÷ this (default 1). */
  expectedInstances?: number;
  clock?: Clock;
  /** Probe interval while unavailable, also the fail-closed `Retry-After` (default 1,000 ms). */
  probeIntervalMs?: number;
  /** Default lease of local reservations (ms). */
  leaseMs?: number;
  /** Undelivered settles kept for replay (default 10,000; oldest dropped first). */
  maxPendingSettles?: number;
  logger?: StoreLogger;
  onStatusChange?: (status: FallbackStatus) => void;
}

/** No RedisStore id can start with `~` (they are base64url). */
const LOCAL_ID_PREFIX = '~local.';

const consoleLogger: StoreLogger = {
  warn: (fields, message) => console.warn(`sluice store: ${message}`, fields),
  info: (fields, message) => console.info(`sluice store: ${message}`, fields),
};

interface PendingSettle {
  readonly reservation: Reservation;
  readonly usage: Usage | undefined;
  readonly options: SettleOptions | undefined;
}

export class FallbackStore implements Store {
  /** Instances on one Redis decide on the same buckets (on the local shares, each for itself). */
  readonly clustered = true;
  readonly shared: SharedStore;
  readonly local: MemoryStore;
  private readonly policy: UnavailablePolicy;
  private readonly instances: number;
  private readonly clock: Clock;
  private readonly probeIntervalMs: number;
  private readonly maxPending: number;
  private readonly logger: StoreLogger;
  private readonly onStatusChange: ((status: FallbackStatus) => void) | undefined;
  private readonly shares = new WeakMap<BucketSpec, BucketSpec>();
  private readonly handover: Handover;
  private readonly pending: PendingSettle[] = [];
  private readonly unsubscribe: (() => void) | undefined;
  private available = true;
  private since: number;
  private lastError: string | undefined;
  private transitions = 0;
  private localDecisions = 0;
  private refusedUnavailable = 0;
  private droppedSettles = 0;
  private cancelProbe: Cancel | undefined;
  private probing = false;
  private closed = false;

  constructor(options: FallbackStoreOptions) {
    const instances = options.expectedInstances ?? 1;
    if (!(instances >= 1) || !Number.isFinite(instances)) {
      throw new RangeError(`expectedInstances must be a number ≥ 1, got ${instances}`);
    }
    this.shared = options.shared;
    this.policy = options.onUnavailable;
    this.instances = instances;
    this.clock = options.clock ?? systemClock;
    this.probeIntervalMs = options.probeIntervalMs ?? 1_000;
    this.maxPending = options.maxPendingSettles ?? 10_000;
    this.logger = options.logger ?? consoleLogger;
    this.onStatusChange = options.onStatusChange;
    this.local = new MemoryStore({ clock: this.clock, leaseMs: options.leaseMs, idPrefix: LOCAL_ID_PREFIX });
    this.handover = new Handover(instances, this.shareOf);
    this.since = this.clock.now();
    this.unsubscribe = this.shared.onConnectionChange?.((connected) => {
      if (connected) void this.probe();
      else this.markDown(new Error('connection to the shared store closed'));
    });
  }

  status(): FallbackStatus {
    return {
      available: this.available,
      mode: this.available ? 'shared' : this.policy === 'fail_open' ? 'local' : 'refusing',
      policy: this.policy,
      since: this.since,
      lastError: this.lastError,
      transitions: this.transitions,
      localDecisions: this.localDecisions,
      refusedUnavailable: this.refusedUnavailable,
      pendingSettles: this.pending.length,
      droppedSettles: this.droppedSettles,
    };
  }

  async reserve(buckets: readonly BucketSpec[], cost: Cost, options?: ReserveOptions): Promise<Decision> {
    if (this.available) {
      try {
        const decision = await this.shared.reserve(buckets, cost, options);
        this.handover.recordShared(buckets, decision.remaining, this.clock.now());
        return decision;
      } catch (error) {
        this.markDownOrRethrow(error);
      }
    }
    this.refuseIfClosed();
    this.localDecisions++;
    return this.reserveLocal(buckets, cost, options);
  }

  /**
   * In one step in the shared store while it answers; on the local shares
   * otherwise, choice after choice (one process, no round trips: nothing to
   * gain from one step there).
   */
  async reserveFirst(choices: readonly ReserveChoice[], options?: ReserveOptions): Promise<FirstFit> {
    if (this.available) {
      try {
        const fit = await this.shared.reserveFirst(choices, options);
        const now = this.clock.now();
        for (let i = 0; i < fit.decisions.length; i++) {
          const decision = fit.decisions[i] as Decision;
          this.handover.recordShared((choices[i] as ReserveChoice).buckets, decision.remaining, now);
        }
        return fit;
      } catch (error) {
        this.markDownOrRethrow(error);
      }
    }
    this.refuseIfClosed();
    this.localDecisions++;
    return reserveInTurn({ reserve: (buckets, cost) => this.reserveLocal(buckets, cost, options) }, choices);
  }

  /** Fail-closed while the shared store is unavailable: refuse with its probe interval as `Retry-After`. */
  private refuseIfClosed(): void {
    if (this.policy !== 'fail_closed') return;
    this.refusedUnavailable++;
    throw new StoreUnavailableError(`shared store unavailable (${this.lastError ?? 'unknown'})`, {
      retryAfterMs: this.probeIntervalMs,
    });
  }

  /** Fail-open: decides on this instance's shares, refusals naming the declared buckets. */
  private async reserveLocal(
    buckets: readonly BucketSpec[],
    cost: Cost,
    options: ReserveOptions | undefined,
  ): Promise<Decision> {
    await this.handover.seedLocal(buckets, this.local, this.clock.now());
    const decision = await this.local.reserve(buckets.map(this.shareOf), cost, options);
    if (decision.granted) return decision;
    const index = buckets.findIndex((spec) => spec.key === decision.limitedBy?.key);
    const original = buckets[index] as BucketSpec;
    // Fits the shared limit but not this instance's share: wait for Redis, do not call it never.
    if (decision.reason === 'too_large' && costOn(cost, original.dimension) <= original.capacity) {
      return refusal(this.probeIntervalMs, original, 'rate', decision.remaining);
    }
    return refusal(decision.retryAfterMs, original, decision.reason ?? 'rate', decision.remaining);
  }

  async settle(reservation: Reservation, usage?: Usage, options?: SettleOptions): Promise<SettleOutcome> {
    if (reservation.id.startsWith(LOCAL_ID_PREFIX)) {
      const reassign = options?.reassign;
      // A local reservation holds this instance's shares: the moved usage lands on shares too.
      const local = reassign && {
        reassign: { release: reassign.release.map(this.shareOf), charge: reassign.charge.map(this.shareOf) },
      };
      return this.local.settle(reservation, usage, local);
    }
    if (this.available) {
      try {
        return await this.shared.settle(reservation, usage, options);
      } catch (error) {
        this.markDownOrRethrow(error);
      }
    }
    // Delivered when the shared store is back; if it never is, the lease settles it there.
    if (this.pending.length >= this.maxPending) {
      this.pending.shift();
      this.droppedSettles++;
    }
    this.pending.push({ reservation, usage, options });
    return 'settled';
  }

  /** Published to Redis while it answers; while it does not, each instance decides for itself anyway. */
  async publishDemand(update: DemandUpdate): Promise<void> {
    if (!this.available) return;
    try {
      await this.shared.publishDemand(update);
    } catch (error) {
      this.markDownOrRethrow(error);
    }
  }

  async renew(reservation: Reservation, leaseMs?: number): Promise<boolean> {
    if (reservation.id.startsWith(LOCAL_ID_PREFIX)) return this.local.renew(reservation, leaseMs);
    if (this.available) {
      try {
        return await this.shared.renew(reservation, leaseMs);
      } catch (error) {
        this.markDownOrRethrow(error);
      }
    }
    // Cannot tell while unavailable; the request keeps running (its lease may lapse in Redis).
    return true;
  }

  async sync(bucket: BucketSpec, observation: ProviderObservation): Promise<void> {
    // The local shares follow the provider too, so a switch to them starts from its latest view.
    const n = this.instances;
    await this.local.sync(this.shareOf(bucket), {
      remaining: observation.remaining === undefined ? undefined : observation.remaining / n,
      limit: observation.limit === undefined ? undefined : observation.limit / n,
      resetAt: observation.resetAt,
    });
    if (!this.available) return;
    try {
      await this.shared.sync(bucket, observation);
    } catch (error) {
      this.markDownOrRethrow(error);
    }
  }

  async pause(bucket: BucketSpec, untilMs: number): Promise<void> {
    await this.local.pause(this.shareOf(bucket), untilMs);
    if (!this.available) return;
    try {
      await this.shared.pause(bucket, untilMs);
    } catch (error) {
      this.markDownOrRethrow(error);
    }
  }

  async peek(buckets: readonly BucketSpec[]): Promise<BucketSnapshot[]> {
    if (this.available) {
      try {
        return await this.shared.peek(buckets);
      } catch (error) {
        this.markDownOrRethrow(error);
      }
    }
    return this.local.peek(buckets.map(this.shareOf));
  }

  async stats(): Promise<StoreStats> {
    if (this.available) {
      try {
        return await this.shared.stats();
      } catch (error) {
        this.markDownOrRethrow(error);
      }
    }
    return this.local.stats();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.cancelProbe?.();
    this.unsubscribe?.();
    await Promise.all([this.shared.close(), this.local.close()]);
  }

  /** Tells the store the shared side is unreachable (e.g. it could not connect at start). */
  reportUnavailable(error: unknown): void {
    this.markDown(error);
  }

  /** Probes now (also run on a timer while unavailable); resolves with availability. */
  async probe(): Promise<boolean> {
    if (this.available || this.closed) return this.available;
    if (this.probing) return false;
    this.probing = true;
    try {
      await this.shared.ping();
      // Levels first, then the settles: a replayed refund must not be overwritten by the raise.
      await this.handover.restoreShared(this.shared, this.local);
      await this.replaySettles();
      this.markUp();
    } catch (error) {
      this.lastError = messageOf(error);
    } finally {
      this.probing = false;
      if (!this.available) this.scheduleProbe();
    }
    return this.available;
  }

  /** This instance's share of a bucket, computed once per spec (an arrow: Handover holds it before the constructor body runs). */
  private readonly shareOf = (spec: BucketSpec): BucketSpec => {
    let share = this.shares.get(spec);
    if (!share) {
      share = withLimit(spec, spec.limit / this.instances);
      this.shares.set(spec, share);
    }
    return share;
  };

  private async replaySettles(): Promise<void> {
    while (this.pending.length > 0) {
      const next = this.pending[0] as PendingSettle;
      await this.shared.settle(next.reservation, next.usage, next.options);
      this.pending.shift();
    }
  }

  /** Only unavailability switches policy; anything else (a bug, a bad config) propagates. */
  private markDownOrRethrow(error: unknown): void {
    if (!(error instanceof StoreUnavailableError)) throw error;
    this.markDown(error);
  }

  private markDown(error: unknown): void {
    this.lastError = messageOf(error);
    if (!this.available || this.closed) return;
    this.available = false;
    this.since = this.clock.now();
    this.transitions++;
    const status = this.status();
    this.logger.warn(
      { policy: this.policy, mode: status.mode, error: this.lastError, expectedInstances: this.instances },
      this.policy === 'fail_open'
        ? `shared store unavailable: deciding on local shares (limit ÷ ${this.instances}) until it returns`
        : 'shared store unavailable: refusing requests (503) until it returns',
    );
    this.onStatusChange?.(status);
    this.scheduleProbe();
  }

  private markUp(): void {
    if (this.available || this.closed) return;
    const downMs = this.clock.now() - this.since;
    this.available = true;
    this.since = this.clock.now();
    this.transitions++;
    this.cancelProbe?.();
    this.cancelProbe = undefined;
    this.logger.info({ policy: this.policy, downMs }, 'shared store available again: deciding in Redis');
    this.onStatusChange?.(this.status());
  }

  private scheduleProbe(): void {
    if (this.cancelProbe || this.closed || this.available) return;
    this.cancelProbe = this.clock.schedule(this.probeIntervalMs, () => {
      this.cancelProbe = undefined;
      void this.probe();
    });
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

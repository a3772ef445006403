/**
 * The port between the runtime and wherever bucket state lives. It holds the
 * handful of operations admission needs, not a database's surface (STYLE.md,
 * rule 3). `MemoryStore` and `RedisStore` implement it, and one contract test
 * suite (test/stores/store-contract.ts) runs against both.
 *
 * Every operation is one atomic step: `reserve` is all-or-nothing across all
 * the buckets it is given.
 */
import type { Cost, Usage } from '../core/cost.js';
import type {
  BucketSnapshot,
  Decision,
  ProviderObservation,
  Reservation,
  SettleOutcome,
} from '../core/decision.js';
import type { BucketSpec } from '../core/limit.js';
import type { ClusterOrder, Rank } from '../core/scheduler/demand-board.js';

export type { ClusterOrder, Rank } from '../core/scheduler/demand-board.js';

export interface ReserveOptions {
  /**
   * How long the reservation may stay unsettled before it is settled as
   * "estimate stands" and its concurrency slots come back. Default: the
   * store's `leaseMs`.
   */
  readonly leaseMs?: number;
  /**
   * Who asks, when the order is cluster-wide (core/scheduler/demand-board.ts):
   * the reservation leaves room for the waiting demand, published by any
   * instance, of more urgent classes and of tenants under their fair share.
   */
  readonly rank?: Rank;
  /** With `rank`: the cluster order's settings (one object per process). */
  readonly order?: ClusterOrder;
  /**
   * Headroom (0..1): the share of each bucket's capacity the reservation
   * must leave free, for work more urgent than it that may arrive any
   * moment (the background class, issue 19). Granted only when every rate
   * bucket still has `keep × capacity` units free after it and every
   * concurrency bucket `floor(keep × limit)` slots
   * (core/buckets/headroom.ts); otherwise refused like any lack of room
   * (`rate` or `concurrency`, `retryAfterMs` when cost and headroom fit),
   * never `yield`. Charging is unchanged. Default 0.
   */
  readonly keep?: number;
}

/** What one instance's waiting requests need of one bucket, for one class and tenant. */
export interface DemandEntry {
  readonly bucket: BucketSpec;
  readonly rank: Rank;
  /** In the bucket's units; 0 withdraws the demand. */
  readonly amount: number;
}

/** A batch of an instance's demand changes (absolute amounts: sending one twice is harmless). */
export interface DemandUpdate {
  /** Names the publishing instance: its records are its own and end with its lease. */
  readonly instance: string;
  /** How long the records last without being published again. */
  readonly leaseMs: number;
  readonly entries: readonly DemandEntry[];
}

/**
 * Usage that belongs on other buckets than those reserved: a call whose size
 * class (runtime/size-class.ts) its estimate got wrong. `release` (some of
 * the reservation's buckets) get back all they were charged, the request
 * included; `charge` (buckets not reserved) take the usage, the request
 * included, without waiting for room: the provider already served it.
 * Concurrency buckets in `charge` are left alone (the call is over).
 */
export interface Reassignment {
  readonly release: readonly BucketSpec[];
  readonly charge: readonly BucketSpec[];
}

export interface SettleOptions {
  /** Only with `usage`: without it nothing says where the call belongs. */
  readonly reassign?: Reassignment;
}

export interface StoreStats {
  readonly reservations: number;
  readonly settled: number;
  /** Settles of an already settled (or expired) reservation: counted, never applied. */
  readonly duplicateSettles: number;
  /** Reservations never settled whose lease ran out. */
  readonly expiredLeases: number;
  /** Reservations currently held. */
  readonly active: number;
  /** Bucket states held (after eviction of idle ones). */
  readonly buckets: number;
}

/** One way to serve a request: the buckets of one deployment (and its pools, its tenant) and its cost there. */
export interface ReserveChoice {
  readonly buckets: readonly BucketSpec[];
  readonly cost: Cost;
}

/**
 * What `reserveFirst` decided: the index of the choice granted (-1: none),
 * and the decision of every choice tried, in order (all of them when none
 * was granted; up to and including the grant otherwise).
 */
export interface FirstFit {
  readonly choice: number;
  readonly decisions: readonly Decision[];
}

export interface Store {
  /** Grants `cost` on every bucket, or none and says when it would fit. */
  reserve(buckets: readonly BucketSpec[], cost: Cost, options?: ReserveOptions): Promise<Decision>;
  /**
   * Grants the first of `choices` that fits now, each all-or-nothing, in one
   * step (placement at dispatch: a request waits for its model group, not
   * for one deployment). Refusals of the choices tried say when each would fit.
   */
  reserveFirst(choices: readonly ReserveChoice[], options?: ReserveOptions): Promise<FirstFit>;
  /**
   * Refunds or charges the difference between the reserved cost and `usage`
   * and frees concurrency slots. Without `usage` the estimate stands (e.g. a
   * stream cut before its usage arrived). A second settle is a counted no-op.
   * `options.reassign` moves the usage to other buckets in the same step.
   */
  settle(reservation: Reservation, usage?: Usage, options?: SettleOptions): Promise<SettleOutcome>;
  /**
   * Publishes waiting demand (cluster-wide order). The Redis store sends it
   * with the next script call of the tick, reservations included; a store
   * only one process uses keeps it for the reservations it decides.
   */
  publishDemand(update: DemandUpdate): Promise<void>;
  /** Whether other processes decide on the same state (then the runtime publishes its demand). */
  readonly clustered: boolean;
  /** Extends the lease of a reservation still running (long streams). False if gone. */
  renew(reservation: Reservation, leaseMs?: number): Promise<boolean>;
  /**
   * Moves a bucket towards what the provider reported (never below local
   * usage): it offers no more than the provider has left, and the sync never
   * makes it wait past the provider's reset or one window
   * (core/buckets/provider-report.ts).
   */
  sync(bucket: BucketSpec, observation: ProviderObservation): Promise<void>;
  /** Stops admission on `bucket` until `untilMs` (epoch), for at most one window of the bucket. */
  pause(bucket: BucketSpec, untilMs: number): Promise<void>;
  /** Current state of buckets, in the order given. */
  peek(buckets: readonly BucketSpec[]): Promise<BucketSnapshot[]>;
  stats(): Promise<StoreStats>;
  close(): Promise<void>;
}

export const DEFAULT_LEASE_MS = 300_000;

/**
 * A store cannot decide now (shared state unreachable: connection lost,
 * command timed out, cluster down, and the policy is to refuse rather than
 * guess). Part of the port: admission refuses with `store_unavailable` and
 * comes back after `retryAfterMs`, whatever store threw it.
 */
export class StoreUnavailableError extends Error {
  readonly code = 'store_unavailable';
  readonly retryAfterMs: number;

  constructor(message: string, options: { retryAfterMs: number; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.name = 'StoreUnavailableError';
    this.retryAfterMs = options.retryAfterMs;
  }
}

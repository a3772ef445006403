/**
 * The embedded store: bucket state in one process's memory.
 *
 * Decisions are synchronous under the hood (the async signature only matches
 * the `Store` port), so all-or-nothing across buckets needs no locking.
 * Memory stays bounded: a bucket that is back to full and holds no slots
 * carries no information and is evicted. Eviction work is paid where memory
 * grows: every new bucket state pays for examining two existing ones (so the
 * map stays within about twice the live set), and a slow background sweep
 * clears what is left idle when no new keys arrive.
 */
import {
  fixedRemaining,
  fixedUsed,
  fixedUsedFromProvider,
  fixedWaitMs,
  fixedWindow,
  periodEnd,
  periodStart,
} from '../../core/buckets/fixed-window.js';
import {
  gcraGive,
  gcraRemaining,
  gcraTake,
  gcraTatFromProvider,
  gcraUsed,
  gcraWaitMs,
} from '../../core/buckets/gcra.js';
import { neededWithHeadroom, slotsKept } from '../../core/buckets/headroom.js';
import { pauseEnd } from '../../core/buckets/provider-report.js';
import { type Cancel, type Clock, systemClock } from '../../core/clock.js';
import { type Cost, costOn, type Usage, usageOn } from '../../core/cost.js';
import {
  type BucketSnapshot,
  type Decision,
  grant,
  type ProviderObservation,
  type RefusalReason,
  type Reservation,
  refusal,
  type SettleOutcome,
} from '../../core/decision.js';
import { type Leased, LeaseHeap } from '../../core/lease-heap.js';
import type { BucketSpec } from '../../core/limit.js';
import { type DemandBoard, yieldingWait } from '../../core/scheduler/demand-board.js';
import {
  type ClusterOrder,
  DEFAULT_LEASE_MS,
  type DemandUpdate,
  type FirstFit,
  type Rank,
  type ReserveChoice,
  type ReserveOptions,
  type SettleOptions,
  type Store,
  type StoreStats,
} from '../store.js';
import { MemoryDemand } from './memory-demand.js';

export interface MemoryStoreOptions {
  clock?: Clock;
  /** Default lease of a reservation (ms). */
  leaseMs?: number;
  /** Prefix of reservation ids, to tell stores apart in logs. */
  idPrefix?: string;
  /** Other processes decide through this store (the primary of `--workers N`): they publish demand. */
  clustered?: boolean;
  /** Bucket states examined for eviction per bucket state created (default 2). */
  sweepPerNewBucket?: number;
  /** Period of the background sweep of idle buckets (0: off). Default 10 s. */
  sweepIntervalMs?: number;
  /** Bucket states examined per background sweep. Default 50,000. */
  sweepBatch?: number;
  /**
   * How long a bucket stays after it is full again before it may be evicted,
   * so that a busy key is not dropped and re-created between its requests.
   * Default 60 s.
   */
  idleGraceMs?: number;
}

/** One monomorphic record for every kind of bucket (fields unused by a kind stay 0). */
class BucketState {
  /** gcra: theoretical arrival time; fixed: units used; concurrency: slots held. */
  level = 0;
  /** fixed: start of the period `level` belongs to. */
  windowStart = 0;
  pausedUntil = 0;
  /** concurrency: holder → lease expiry. */
  leases: Map<Reservation, number> | null = null;
  constructor(readonly spec: BucketSpec) {}
}

/**
 * A reservation as the store holds it: the caller's view plus its lease.
 * Being in the lease heap is what "held" means, so settling twice is caught
 * by identity with no id lookup; the id string is only built when read.
 */
class HeldReservation implements Reservation, Leased {
  heapIndex = -1;
  private idText: string | undefined;
  constructor(
    private readonly prefix: string,
    private readonly seq: number,
    readonly buckets: readonly BucketSpec[],
    readonly cost: Cost,
    readonly grantedAt: number,
    public expiresAt: number,
  ) {}
  get id(): string {
    if (this.idText === undefined) this.idText = `${this.prefix}${this.seq}`;
    return this.idText;
  }
}

const SWEEP_BATCH = 64;

export class MemoryStore implements Store {
  readonly clustered: boolean;
  private readonly demand = new MemoryDemand();
  private readonly clock: Clock;
  private readonly leaseMs: number;
  private readonly idPrefix: string;
  private readonly sweepPerNewBucket: number;
  private readonly sweepBatch: number;
  private readonly idleGraceMs: number;
  private cancelSweep: Cancel | undefined;
  private readonly states = new Map<string, BucketState>();
  /** Every unsettled reservation, by lease expiry. */
  private readonly leases = new LeaseHeap<HeldReservation>();
  /** Scratch space for one decision's bucket states (avoids a second lookup). */
  private scratch: BucketState[] = [];
  private sweepCursor: Iterator<BucketState> | undefined;
  private nextId = 0;
  private createdSinceSweep = 0;
  private counters = { reservations: 0, settled: 0, duplicateSettles: 0, expiredLeases: 0 };

  constructor(options: MemoryStoreOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.clustered = options.clustered ?? false;
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.idPrefix = options.idPrefix ?? 'm';
    this.sweepPerNewBucket = options.sweepPerNewBucket ?? 2;
    this.sweepBatch = options.sweepBatch ?? 50_000;
    this.idleGraceMs = options.idleGraceMs ?? 60_000;
    const interval = options.sweepIntervalMs ?? 10_000;
    if (interval > 0) {
      const tick = () => {
        this.sweep(this.sweepBatch);
        this.cancelSweep = this.clock.schedule(interval, tick);
      };
      this.cancelSweep = this.clock.schedule(interval, tick);
    }
  }

  reserve(buckets: readonly BucketSpec[], cost: Cost, options?: ReserveOptions): Promise<Decision> {
    return Promise.resolve(this.reserveNow(buckets, cost, options));
  }

  reserveFirst(choices: readonly ReserveChoice[], options?: ReserveOptions): Promise<FirstFit> {
    const decisions: Decision[] = [];
    for (const [index, choice] of choices.entries()) {
      const decision = this.reserveNow(choice.buckets, choice.cost, options);
      decisions.push(decision);
      if (decision.granted) return Promise.resolve({ choice: index, decisions });
    }
    return Promise.resolve({ choice: -1, decisions });
  }

  settle(reservation: Reservation, usage?: Usage, options?: SettleOptions): Promise<SettleOutcome> {
    return Promise.resolve(this.settleNow(reservation, usage, options));
  }

  publishDemand(update: DemandUpdate): Promise<void> {
    this.demand.publish(update, this.clock.now());
    return Promise.resolve();
  }

  renew(reservation: Reservation, leaseMs = this.leaseMs): Promise<boolean> {
    const now = this.clock.now();
    this.expireLeases(now);
    const record = this.heldOf(reservation);
    if (!record) return Promise.resolve(false);
    this.leases.update(record, now + leaseMs);
    for (const spec of record.buckets) {
      if (spec.kind === 'concurrency') this.states.get(spec.key)?.leases?.set(record, record.expiresAt);
    }
    return Promise.resolve(true);
  }

  sync(spec: BucketSpec, observation: ProviderObservation): Promise<void> {
    const now = this.clock.now();
    if (spec.kind === 'gcra') {
      const tat = gcraTatFromProvider(observation, now, spec);
      if (tat !== undefined) {
        const state = this.stateOf(spec);
        // Raise only: reservations in flight are not yet visible to the provider.
        if (tat > state.level) state.level = tat;
      }
    } else if (spec.fixed) {
      const providerUsed = fixedUsedFromProvider(observation, spec);
      if (providerUsed !== undefined) {
        const state = this.stateOf(spec);
        const start = periodStart(spec.fixed, now);
        const used = fixedUsed(state.level, state.windowStart, start);
        state.windowStart = fixedWindow(state.windowStart, start);
        state.level = Math.max(used, providerUsed);
      }
    }
    return Promise.resolve();
  }

  pause(spec: BucketSpec, requestedUntilMs: number): Promise<void> {
    const untilMs = pauseEnd(requestedUntilMs, this.clock.now(), spec);
    const state = this.stateOf(spec);
    if (untilMs > state.pausedUntil) state.pausedUntil = untilMs;
    return Promise.resolve();
  }

  peek(buckets: readonly BucketSpec[]): Promise<BucketSnapshot[]> {
    const now = this.clock.now();
    this.expireLeases(now);
    return Promise.resolve(buckets.map((spec) => this.snapshot(spec, now)));
  }

  stats(): Promise<StoreStats> {
    this.expireLeases(this.clock.now());
    return Promise.resolve({ ...this.counters, active: this.leases.size, buckets: this.states.size });
  }

  close(): Promise<void> {
    this.cancelSweep?.();
    this.cancelSweep = undefined;
    return Promise.resolve();
  }

  /** Examines up to `limit` bucket states and drops the idle ones; returns how many were dropped. */
  sweep(limit = Number.POSITIVE_INFINITY): number {
    const now = this.clock.now();
    this.expireLeases(now);
    return this.sweepAt(now, limit);
  }

  private sweepAt(now: number, limit: number): number {
    this.demand.sweep(now);
    let dropped = 0;
    let restarted = false;
    for (let examined = 0; examined < limit; examined++) {
      if (!this.sweepCursor) this.sweepCursor = this.states.values();
      const next = this.sweepCursor.next();
      if (next.done) {
        this.sweepCursor = undefined;
        // One full pass at most per call.
        if (restarted || limit === Number.POSITIVE_INFINITY) break;
        restarted = true;
        continue;
      }
      const state = next.value;
      if (isIdle(state, now, this.idleGraceMs)) {
        this.states.delete(state.spec.key);
        dropped++;
      }
    }
    return dropped;
  }

  private reserveNow(
    buckets: readonly BucketSpec[],
    cost: Cost,
    options: ReserveOptions | undefined,
  ): Decision {
    const leaseMs = options?.leaseMs ?? this.leaseMs;
    const rank = options?.rank;
    const order = options?.order;
    const keep = options?.keep ?? 0;
    const now = this.clock.now();
    this.expireLeases(now);
    if (this.createdSinceSweep >= SWEEP_BATCH) {
      this.sweepAt(now, this.createdSinceSweep * this.sweepPerNewBucket);
      this.createdSinceSweep = 0;
    }

    const states = this.statesOf(buckets);
    let worstWait = 0;
    let worstIndex = -1;
    let worstReason: RefusalReason = 'rate';
    for (let i = 0; i < buckets.length; i++) {
      const spec = buckets[i] as BucketSpec;
      const state = states[i] as BucketState;
      const amount = costOn(cost, spec.dimension);
      let wait: number;
      let reason: RefusalReason;
      if (spec.kind === 'gcra') {
        wait = gcraWaitMs(state.level, amount, now, spec);
        reason = 'rate';
      } else if (spec.fixed) {
        wait = fixedWaitMs(state.level, state.windowStart, amount, now, spec, spec.fixed);
        reason = 'rate';
      } else {
        wait = state.level + 1 <= spec.capacity ? 0 : earliestLease(state) - now;
        reason = 'concurrency';
      }
      if (keep > 0 && wait !== Number.POSITIVE_INFINITY)
        wait = Math.max(wait, keepingWait(state, spec, amount, keep, now));
      if (wait === Number.POSITIVE_INFINITY) reason = 'too_large';
      else if (rank && order) {
        const board = this.demand.boardFor(spec, rank);
        const yielding = board ? this.yielding(board, state, spec, amount, wait, now, rank, order) : wait;
        if (yielding > wait) {
          wait = yielding;
          reason = 'yield';
        }
      }
      if (state.pausedUntil > now && state.pausedUntil - now >= wait && wait !== Number.POSITIVE_INFINITY) {
        wait = state.pausedUntil - now;
        reason = 'paused';
      }
      if (wait > worstWait) {
        worstWait = wait;
        worstIndex = i;
        worstReason = reason;
      }
    }
    if (worstIndex >= 0) {
      return refusal(
        worstWait,
        buckets[worstIndex] as BucketSpec,
        worstReason,
        remainingOf(states, buckets, now),
      );
    }

    const reservation = new HeldReservation(this.idPrefix, ++this.nextId, buckets, cost, now, now + leaseMs);
    for (let i = 0; i < buckets.length; i++) {
      const spec = buckets[i] as BucketSpec;
      const state = states[i] as BucketState;
      const amount = costOn(cost, spec.dimension);
      if (spec.kind === 'gcra') {
        state.level = gcraTake(state.level, amount, now, spec);
      } else if (spec.fixed) {
        const start = periodStart(spec.fixed, now);
        state.level = fixedUsed(state.level, state.windowStart, start) + amount;
        state.windowStart = fixedWindow(state.windowStart, start);
      } else {
        state.level += 1;
        if (!state.leases) state.leases = new Map();
        state.leases.set(reservation, reservation.expiresAt);
      }
      if (rank && order) this.demand.boardFor(spec, rank)?.chargeIfContended(rank, amount, now);
    }
    this.leases.push(reservation);
    this.counters.reservations++;
    return grant(reservation, remainingOf(states, buckets, now));
  }

  /** A ranked reservation's wait on a bucket others' waiting demand is published on. */
  private yielding(
    board: DemandBoard,
    state: BucketState,
    spec: BucketSpec,
    amount: number,
    wait: number,
    now: number,
    rank: Rank,
    order: ClusterOrder,
  ): number {
    const ahead = board.ahead(rank, now);
    if (ahead <= 0) return wait;
    const needed = amount + ahead;
    let withAhead: number;
    if (spec.kind === 'gcra') withAhead = gcraWaitMs(state.level, needed, now, spec);
    else if (spec.fixed)
      withAhead = fixedWaitMs(state.level, state.windowStart, needed, now, spec, spec.fixed);
    else withAhead = state.level + 1 + ahead <= spec.capacity ? 0 : Number.POSITIVE_INFINITY;
    return yieldingWait(wait, withAhead, order.yieldMs);
  }

  private settleNow(
    reservation: Reservation,
    usage: Usage | undefined,
    options: SettleOptions | undefined,
  ): SettleOutcome {
    const now = this.clock.now();
    this.expireLeases(now);
    const record = this.heldOf(reservation);
    if (!record) {
      this.counters.duplicateSettles++;
      return 'duplicate';
    }
    this.leases.remove(record);
    this.counters.settled++;
    const { cost } = reservation;
    const moved = usage ? options?.reassign : undefined;
    const released = moved ? new Set(moved.release.map((b) => b.key)) : undefined;
    for (const spec of reservation.buckets) {
      const state = this.states.get(spec.key);
      if (spec.kind === 'concurrency') {
        if (state?.leases?.delete(record)) state.level -= 1;
        continue;
      }
      if (!usage) continue;
      // A released bucket gets back all it was charged, as if the call had never touched it.
      const used = released?.has(spec.key) ? 0 : usageOn(usage, spec.dimension, cost);
      this.applyDelta(spec, state, used - costOn(cost, spec.dimension), now);
    }
    if (moved && usage) {
      for (const spec of moved.charge) {
        if (spec.kind === 'concurrency') continue;
        this.applyDelta(spec, this.states.get(spec.key), usageOn(usage, spec.dimension, cost), now);
      }
    }
    return 'settled';
  }

  /** Charges (delta > 0) or refunds (delta < 0) a rate bucket at settlement. */
  private applyDelta(spec: BucketSpec, state: BucketState | undefined, delta: number, now: number): void {
    if (delta === 0) return;
    const target = state ?? this.stateOf(spec);
    if (spec.kind === 'gcra') {
      target.level =
        delta > 0 ? gcraTake(target.level, delta, now, spec) : gcraGive(target.level, -delta, now, spec);
    } else if (spec.fixed) {
      const start = periodStart(spec.fixed, now);
      // A refund only applies to the period it was reserved in; a charge lands in the current one.
      if (target.windowStart >= start || delta > 0) {
        target.level = Math.max(0, fixedUsed(target.level, target.windowStart, start) + delta);
        target.windowStart = fixedWindow(target.windowStart, start);
      }
    }
  }

  /** Settles every reservation whose lease ran out as "estimate stands". */
  private expireLeases(now: number): void {
    while (this.leases.peekExpiry() <= now) {
      const record = this.leases.pop() as HeldReservation;
      this.counters.expiredLeases++;
      for (const spec of record.buckets) {
        if (spec.kind !== 'concurrency') continue;
        const state = this.states.get(spec.key);
        if (state?.leases?.delete(record)) state.level -= 1;
      }
    }
  }

  /** The store's own record of `reservation` while it is unsettled. */
  private heldOf(reservation: Reservation): HeldReservation | undefined {
    return reservation instanceof HeldReservation && this.leases.has(reservation) ? reservation : undefined;
  }

  /** The states of `buckets`, created when missing, in a reused scratch array. */
  private statesOf(buckets: readonly BucketSpec[]): BucketState[] {
    // Entries past buckets.length are stale and never read.
    const states = this.scratch;
    for (let i = 0; i < buckets.length; i++) states[i] = this.stateOf(buckets[i] as BucketSpec);
    return states;
  }

  private stateOf(spec: BucketSpec): BucketState {
    let state = this.states.get(spec.key);
    if (!state) {
      state = new BucketState(spec);
      this.states.set(spec.key, state);
      this.createdSinceSweep++;
    }
    return state;
  }

  private snapshot(spec: BucketSpec, now: number): BucketSnapshot {
    const state = this.states.get(spec.key);
    if (!state) return { key: spec.key, remaining: spec.capacity, used: 0, resetMs: 0, pausedUntil: 0 };
    const pausedUntil = state.pausedUntil > now ? state.pausedUntil : 0;
    if (spec.kind === 'gcra') {
      const used = gcraUsed(state.level, now, spec);
      return {
        key: spec.key,
        remaining: remainingIn(state, spec, now),
        used,
        resetMs: used / spec.ratePerMs,
        pausedUntil,
      };
    }
    if (spec.fixed) {
      const used = fixedUsed(state.level, state.windowStart, periodStart(spec.fixed, now));
      const resetMs = used > 0 ? periodEnd(spec.fixed, now) - now : 0;
      return { key: spec.key, remaining: remainingIn(state, spec, now), used, resetMs, pausedUntil };
    }
    return {
      key: spec.key,
      remaining: remainingIn(state, spec, now),
      used: state.level,
      resetMs: state.level > 0 ? Math.max(0, earliestLease(state) - now) : 0,
      pausedUntil,
    };
  }
}

function remainingOf(states: readonly BucketState[], buckets: readonly BucketSpec[], now: number): number[] {
  const out = new Array<number>(buckets.length);
  for (let i = 0; i < buckets.length; i++)
    out[i] = remainingIn(states[i] as BucketState, buckets[i] as BucketSpec, now);
  return out;
}

function remainingIn(state: BucketState, spec: BucketSpec, now: number): number {
  if (spec.kind === 'gcra') return gcraRemaining(state.level, now, spec);
  if (spec.fixed) return fixedRemaining(state.level, state.windowStart, now, spec);
  return Math.max(0, spec.capacity - state.level);
}

/** Ms until `amount` fits on a bucket beside a headroom of `keep` (core/buckets/headroom.ts). */
function keepingWait(
  state: BucketState,
  spec: BucketSpec,
  amount: number,
  keep: number,
  now: number,
): number {
  if (spec.kind === 'gcra') return gcraWaitMs(state.level, neededWithHeadroom(amount, keep, spec), now, spec);
  if (spec.fixed) {
    const needed = neededWithHeadroom(amount, keep, spec);
    return fixedWaitMs(state.level, state.windowStart, needed, now, spec, spec.fixed);
  }
  return state.level + 1 + slotsKept(keep, spec) <= spec.capacity ? 0 : earliestLease(state) - now;
}

function earliestLease(state: BucketState): number {
  let earliest = Number.POSITIVE_INFINITY;
  if (state.leases)
    for (const expiresAt of state.leases.values()) if (expiresAt < earliest) earliest = expiresAt;
  return earliest;
}

/** A bucket that is full (for `graceMs` already), unpaused and holds no slot carries no information. */
function isIdle(state: BucketState, now: number, graceMs: number): boolean {
  if (state.pausedUntil > now) return false;
  if (state.spec.kind === 'gcra') return state.level + graceMs <= now;
  const { fixed } = state.spec;
  if (fixed) return fixedUsed(state.level, state.windowStart, periodStart(fixed, now)) === 0;
  return state.level === 0;
}

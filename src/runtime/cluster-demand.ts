/**
 * This instance's side of the cluster-wide order (core/scheduler/demand-board.ts):
 * what its waiting requests need, per bucket, class and tenant, published to
 * the shared store so that every other instance's reservations leave room
 * for it.
 *
 * Published as absolute amounts, only what changed, at the end of the tick
 * in which it changed (the Redis store sends it inside that tick's reserve
 * call, so a queue that moves costs no round trip of its own), and all of it
 * again every third of its lease while anything waits: a record outlives
 * its last refresh by at most `leaseMs`, which is how long a dead instance's
 * demand can linger, and the most another instance's view can lag is one
 * tick plus a round trip.
 *
 * A waiting request counts on the buckets it waits on (each choice's
 * binding bucket, as the store last said), an equal share per choice (as
 * queued-cost.ts does): it will take one, nobody knows which yet.
 */
import { randomBytes } from 'node:crypto';
import type { Cancel, Clock } from '../core/clock.js';
import { costOn } from '../core/cost.js';
import type { BucketSpec } from '../core/limit.js';
import type { ClusterOrder, DemandEntry, Rank, Store } from '../stores/store.js';
import type { AdmissionChoice, AdmissionRequest } from './admission-types.js';

export interface ClusterOrderOptions {
  /** A record lasts this long after its last publication (default 3 s). */
  readonly demandLeaseMs?: number;
}

/** One record this instance publishes: its bucket, class and tenant, and the units waiting. */
interface Published {
  readonly bucket: BucketSpec;
  readonly rank: Rank;
  amount: number;
}

/** A waiting request's share of demand on one bucket. */
interface Part {
  readonly bucket: BucketSpec;
  readonly units: number;
}

const EPSILON = 1e-9;

export class ClusterDemand {
  readonly order: ClusterOrder;
  /** Names this instance's records (random: a restarted instance starts afresh). */
  readonly instance = randomBytes(6).toString('base64url');
  private readonly leaseMs: number;
  private readonly published = new Map<string, Published>();
  /** What each waiting request adds, to take it back when it moves on. */
  private readonly waiting = new Map<object, readonly Part[]>();
  private readonly changed = new Set<Published>();
  private scheduled = false;
  private cancelRefresh: Cancel | undefined;
  private closed = false;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    options: ClusterOrderOptions = {},
  ) {
    this.leaseMs = options.demandLeaseMs ?? 3_000;
    // Asking again sooner than a refresh could bring news is pointless; later risks idling on stale demand.
    this.order = { yieldMs: Math.max(50, this.leaseMs / 3) };
  }

  /** Demand records this instance publishes now. */
  get records(): number {
    return this.published.size;
  }

  /** Who `request` is in the cluster-wide order. */
  rankOf(request: AdmissionRequest): Rank {
    return { priority: request.priority, tenant: request.tenant, weight: request.weight ?? 1 };
  }

  /**
   * A queued request now waits on the buckets `keys` (none: it left the
   * queue). Its demand is published on those only: a request waiting on its
   * tenant's budget must not keep a deployment idle for it.
   */
  waitOn(
    owner: object,
    request: AdmissionRequest,
    choices: readonly AdmissionChoice[],
    keys: readonly string[],
  ): void {
    if (this.closed) return;
    const before = this.waiting.get(owner);
    if (before) this.change(request, before, -1);
    if (keys.length === 0 || choices.length === 0) {
      this.waiting.delete(owner);
    } else {
      const share = 1 / choices.length;
      const parts: Part[] = [];
      for (const choice of choices)
        for (const bucket of choice.buckets) {
          if (!keys.includes(bucket.key)) continue;
          // What it holds once running: a reserved output maximum comes back at settlement.
          const units =
            bucket.kind === 'concurrency' ? 1 : costOn(choice.keeps ?? choice.cost, bucket.dimension);
          if (units > 0) parts.push({ bucket, units: share * units });
        }
      this.waiting.set(owner, parts);
      this.change(request, parts, 1);
    }
    this.schedule();
  }

  /** Withdraws everything this instance published (drain, shutdown). */
  close(): Promise<void> {
    this.closed = true;
    this.cancelRefresh?.();
    const entries = [...this.published.values()].map((record) => ({ ...entryOf(record), amount: 0 }));
    this.published.clear();
    this.waiting.clear();
    this.changed.clear();
    return this.send(entries);
  }

  private change(request: AdmissionRequest, parts: readonly Part[], sign: 1 | -1): void {
    for (const { bucket, units } of parts) {
      const key = `${bucket.key}\u0000${request.priority}\u0000${request.tenant}`;
      let record = this.published.get(key);
      if (!record) {
        if (sign < 0) continue;
        record = { bucket, rank: this.rankOf(request), amount: 0 };
        this.published.set(key, record);
      }
      record.amount += sign * units;
      if (record.amount <= EPSILON) {
        record.amount = 0;
        this.published.delete(key);
      }
      this.changed.add(record);
    }
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    process.nextTick(this.publishChanged);
  }

  private readonly publishChanged = (): void => {
    this.scheduled = false;
    if (this.changed.size === 0) return;
    const entries = [...this.changed].map(entryOf);
    this.changed.clear();
    void this.send(entries);
    this.keepFresh();
  };

  /** Republishes every record each third of the lease while any is held. */
  private keepFresh(): void {
    if (this.cancelRefresh || this.published.size === 0 || this.closed) return;
    this.cancelRefresh = this.clock.schedule(this.leaseMs / 3, () => {
      this.cancelRefresh = undefined;
      if (this.published.size === 0 || this.closed) return;
      void this.send([...this.published.values()].map(entryOf));
      this.keepFresh();
    });
  }

  private send(entries: readonly DemandEntry[]): Promise<void> {
    if (entries.length === 0) return Promise.resolve();
    // A store that cannot take it now decides without it: each instance then orders its own queue, as before.
    return this.store
      .publishDemand({ instance: this.instance, leaseMs: this.leaseMs, entries })
      .catch(() => {});
  }
}

/** What a record says now, copied: the record keeps changing while a store may still hold the entry. */
function entryOf(record: Published): DemandEntry {
  return { bucket: record.bucket, rank: record.rank, amount: record.amount };
}

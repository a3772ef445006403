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
 * A request with several choices counts an equal share on each (as
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
  /** Fair shares compare tokens served over about this long (default 10 s). */
  readonly fairHorizonMs?: number;
}

interface Record {
  readonly bucket: BucketSpec;
  readonly rank: Rank;
  amount: number;
}

const EPSILON = 1e-9;

export class ClusterDemand {
  readonly order: ClusterOrder;
  /** Names this instance's records (random: a restarted instance starts afresh). */
  readonly instance = randomBytes(6).toString('base64url');
  private readonly leaseMs: number;
  private readonly records = new Map<string, Record>();
  private readonly changed = new Set<Record>();
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
    this.order = { horizonMs: options.fairHorizonMs ?? 10_000, yieldMs: Math.max(50, this.leaseMs / 3) };
  }

  /** Who `request` is in the cluster-wide order. */
  rankOf(request: AdmissionRequest): Rank {
    return { priority: request.priority, tenant: request.tenant, weight: request.weight ?? 1 };
  }

  add(request: AdmissionRequest, choices: readonly AdmissionChoice[]): void {
    this.change(request, choices, 1);
  }

  remove(request: AdmissionRequest, choices: readonly AdmissionChoice[]): void {
    this.change(request, choices, -1);
  }

  /** Withdraws everything this instance published (drain, shutdown). */
  close(): Promise<void> {
    this.closed = true;
    this.cancelRefresh?.();
    const entries: DemandEntry[] = [];
    for (const record of this.records.values()) entries.push({ ...record, amount: 0 });
    this.records.clear();
    this.changed.clear();
    return this.send(entries);
  }

  private change(request: AdmissionRequest, choices: readonly AdmissionChoice[], sign: 1 | -1): void {
    if (this.closed || choices.length === 0) return;
    const share = sign / choices.length;
    for (const choice of choices) {
      for (const bucket of choice.buckets) {
        // What it holds once running: a reserved output maximum comes back at settlement.
        const units =
          bucket.kind === 'concurrency' ? 1 : costOn(choice.keeps ?? choice.cost, bucket.dimension);
        if (units === 0) continue;
        const key = `${bucket.key}\u0000${request.priority}\u0000${request.tenant}`;
        let record = this.records.get(key);
        if (!record) {
          if (sign < 0) continue;
          record = { bucket, rank: this.rankOf(request), amount: 0 };
          this.records.set(key, record);
        }
        record.amount += share * units;
        if (record.amount <= EPSILON) {
          record.amount = 0;
          this.records.delete(key);
        }
        this.changed.add(record);
      }
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    process.nextTick(this.publishChanged);
  }

  private readonly publishChanged = (): void => {
    this.scheduled = false;
    if (this.changed.size === 0) return;
    const entries: DemandEntry[] = [];
    for (const record of this.changed)
      entries.push({ bucket: record.bucket, rank: record.rank, amount: record.amount });
    this.changed.clear();
    void this.send(entries);
    this.keepFresh();
  };

  /** Republishes every record each third of the lease while any is held. */
  private keepFresh(): void {
    if (this.cancelRefresh || this.records.size === 0 || this.closed) return;
    this.cancelRefresh = this.clock.schedule(this.leaseMs / 3, () => {
      this.cancelRefresh = undefined;
      if (this.records.size === 0 || this.closed) return;
      void this.send(
        [...this.records.values()].map((r) => ({ bucket: r.bucket, rank: r.rank, amount: r.amount })),
      );
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

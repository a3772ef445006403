/**
 * Records the gateway's week of history (issue 21) from the governor's
 * events: per bucket and minute, the calls admitted through it, the calls
 * it refused, and its fullest load sample; per tenant and model group, the
 * calls served, their tokens and what they cost at the deployment's price.
 *
 * The hot path only adds to counters of the current minute in memory; once
 * a minute (on the governor's clock) the minutes that ended are appended to
 * the history store in one round trip. A store that fails loses that
 * minute's records (logged), never a call.
 */
import type { Clock } from '../core/clock.js';
import type { BucketSpec } from '../core/limit.js';
import type { GovernorObserver } from '../runtime/events.js';
import type { BucketReading } from '../runtime/load/bucket-reading.js';
import type { ModelGroups } from '../runtime/model-groups.js';
import { costUsd } from '../runtime/spillover.js';
import type { HistoryChunk, HistoryStore } from './history-store.js';
import {
  type BucketIdentity,
  bucketSeries,
  dayOf,
  encodeBucketMinute,
  encodeTenantMinute,
  MINUTE_MS,
  tenantSeries,
} from './minute-records.js';

interface BucketCounts {
  readonly id: BucketIdentity;
  admitted: number;
  refused: number;
  peak: number;
  limit: number;
}

interface TenantCounts {
  readonly tenant: string;
  readonly group: string;
  requests: number;
  refused: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

/** One minute's counters. */
class Minute {
  readonly buckets = new Map<string, BucketCounts>();
  readonly tenants = new Map<string, TenantCounts>();
  constructor(readonly minute: number) {}

  bucket(id: BucketIdentity, limit: number): BucketCounts {
    let counts = this.buckets.get(id.key);
    if (!counts) {
      counts = { id, admitted: 0, refused: 0, peak: 0, limit };
      this.buckets.set(id.key, counts);
    }
    return counts;
  }

  tenant(tenant: string, group: string): TenantCounts {
    const key = `${tenant}\u0000${group}`;
    let counts = this.tenants.get(key);
    if (!counts) {
      counts = { tenant, group, requests: 0, refused: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 };
      this.tenants.set(key, counts);
    }
    return counts;
  }

  chunks(): HistoryChunk[] {
    const day = dayOf(this.minute * MINUTE_MS);
    const out: HistoryChunk[] = [];
    for (const b of this.buckets.values()) {
      if (b.admitted === 0 && b.refused === 0 && b.peak === 0) continue; // an idle minute writes nothing
      const records = encodeBucketMinute({ minute: this.minute, ...b });
      out.push({ series: bucketSeries(b.id), day, records });
    }
    for (const t of this.tenants.values()) {
      out.push({
        series: tenantSeries(t.tenant, t.group),
        day,
        records: encodeTenantMinute({ minute: this.minute, ...t }),
      });
    }
    return out;
  }
}

export interface HistoryRecorderOptions {
  readonly store: HistoryStore;
  readonly clock: Clock;
  /** The topology in force (it changes on reload): whose buckets a call was admitted through. */
  readonly groups: () => ModelGroups;
  readonly onError?: (error: unknown) => void;
}

export class HistoryRecorder {
  private current: Minute;
  private readonly ended: Minute[] = [];
  private cancel: (() => void) | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private readonly ids = new Map<string, BucketIdentity>();

  /** Where the minutes go (and where the dashboard's long views read them). */
  get store(): HistoryStore {
    return this.options.store;
  }

  constructor(private readonly options: HistoryRecorderOptions) {
    this.current = new Minute(this.minuteNow());
    this.schedule();
  }

  /** The governor observer that feeds the recorder. */
  readonly observer: GovernorObserver = this.observe();

  private observe(): GovernorObserver {
    return {
      admitted: (e) => {
        const groups = this.options.groups();
        const minute = this.minute();
        const deployment = groups.deployment(e.deployment);
        if (deployment) {
          for (const b of deployment.buckets())
            if (b !== deployment.gate) this.count(minute, b, 'deployment', deployment.id);
          for (const b of groups.poolBuckets(deployment)) this.count(minute, b, 'pool', b.scope?.owner ?? '');
        }
        const tenant = groups.tenants.resolve(e.tenant);
        if (tenant) for (const b of tenant.buckets) this.count(minute, b, 'tenant', tenant.id);
      },
      refused: (e) => {
        this.minute().tenant(e.tenant, e.group).refused++;
        const ref = e.limitedBy;
        if (!ref) return;
        const id = this.identity(ref.key, ref.scope, ref.owner, ref.dimension, ref.per ?? '');
        this.minute().bucket(id, ref.limit).refused++;
      },
      settled: (e) => {
        const { delivered } = e;
        if (!e.answered && delivered.inputTokens === 0 && delivered.outputTokens === 0) return;
        const minute = this.minute();
        const t = minute.tenant(e.tenant, e.group);
        t.requests++;
        t.inputTokens += delivered.inputTokens;
        t.outputTokens += delivered.outputTokens;
        const price = this.options.groups().deployment(e.deployment)?.config.price;
        if (price) t.costUsd += costUsd(delivered, price);
      },
      billed: (e) => {
        const t = this.minute().tenant(e.tenant, e.group);
        t.requests += e.calls;
        t.inputTokens += e.delivered.inputTokens;
        t.outputTokens += e.delivered.outputTokens;
        t.costUsd += e.usd;
      },
      sampled: (e) => this.sample(e.readings),
    };
  }

  /** Appends every minute that ended (and, on `final`, the current one too). */
  flush(final = false): Promise<void> {
    this.minute();
    if (final) {
      this.ended.push(this.current);
      this.current = new Minute(this.minuteNow() + 1);
    }
    const minutes = this.ended.splice(0);
    const chunks = minutes.flatMap((m) => m.chunks());
    this.flushing = this.flushing.then(async () => {
      if (chunks.length === 0) return;
      try {
        await this.options.store.append(chunks);
      } catch (error) {
        this.options.onError?.(error);
      }
    });
    return this.flushing;
  }

  /** Stops the minute timer and appends what was counted. */
  async close(): Promise<void> {
    this.cancel?.();
    this.cancel = undefined;
    await this.flush(true);
  }

  private sample(readings: readonly BucketReading[]): void {
    const minute = this.minute();
    for (const r of readings) {
      const id = this.identity(r.key, r.scope, r.owner, r.dimension, r.window ?? '');
      const counts = minute.bucket(id, r.limit);
      if (r.utilization > counts.peak) {
        counts.peak = r.utilization;
        counts.limit = r.limit;
      }
    }
  }

  private count(minute: Minute, spec: BucketSpec, scope: BucketIdentity['scope'], owner: string): void {
    const id = this.identity(spec.key, scope, owner, spec.dimension, spec.per ?? '');
    minute.bucket(id, spec.limit).admitted++;
  }

  /** One identity object per bucket key (its series name is built from it once a minute). */
  private identity(
    key: string,
    scope: BucketIdentity['scope'],
    owner: string,
    dimension: string,
    per: string,
  ): BucketIdentity {
    let id = this.ids.get(key);
    if (!id) {
      id = { key, scope, owner, dimension, per };
      this.ids.set(key, id);
    }
    return id;
  }

  /** The minute counting now; a minute that ended since is queued for the next flush. */
  private minute(): Minute {
    const now = this.minuteNow();
    if (now !== this.current.minute) {
      this.ended.push(this.current);
      this.current = new Minute(now);
    }
    return this.current;
  }

  private minuteNow(): number {
    return Math.floor(this.options.clock.now() / MINUTE_MS);
  }

  /** Flushes just after each minute ends, on the governor's clock. */
  private schedule(): void {
    const now = this.options.clock.now();
    const next = (Math.floor(now / MINUTE_MS) + 1) * MINUTE_MS;
    this.cancel = this.options.clock.schedule(next - now, () => {
      void this.flush();
      this.schedule();
    });
  }
}

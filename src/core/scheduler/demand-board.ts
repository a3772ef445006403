/**
 * Cluster-wide order on one bucket (DESIGN.md, idea 5, across instances).
 *
 * Every instance's queue is local, but the capacity it waits for is shared.
 * So each instance publishes, per bucket, how much of it its waiting
 * requests need, per priority class and tenant (a *demand record*, leased:
 * it vanishes `leaseMs` after its last refresh, so a dead instance leaves no
 * phantom demand). A reservation then leaves room on the bucket for demand
 * that must go before it, wherever it waits:
 *
 * - strict priority: every record of a more urgent class;
 * - fair shares inside a class: start-time fair queuing over the tenants of
 *   the class, as fair-scheduler.ts does inside one process, with its tags
 *   kept beside the bucket. A tenant's start tag `S` is its finish tag `F`,
 *   raised to the class's virtual time `V` when it starts waiting (its first
 *   record in the class: no credit banked while idle) or when it asks
 *   without waiting. A grant made while demand waits in its class charges
 *   `F = S + units / weight` and moves `V` up to `S`. A tenant whose start is
 *   ahead of a waiting tenant's leaves that tenant its waiting demand: the
 *   one behind goes first, and once served past the other's start it
 *   yields in turn (so shares alternate at the granularity of what waits,
 *   and a request the size of several of another's is not starved by them).
 *   Grants made while nobody waits charge nothing (plenty is not shared);
 *   tags need no decay.
 *
 * A reservation that fits only by eating into that room waits instead, at
 * most `yieldMs` at a time (the demand may be served elsewhere or vanish).
 *
 * Pure data, `now` passed in. The MemoryStore keeps one board per bucket;
 * demand.lua mirrors these rules for Redis (the same decisions, not
 * bit-identical arithmetic: yields are not replayed by the client).
 */

/** Who asks: what a reservation says about itself when the order is cluster-wide. */
export interface Rank {
  /** Class index, 0 = most urgent. */
  readonly priority: number;
  readonly tenant: string;
  /** Tenant weight (> 0). */
  readonly weight: number;
}

/** Settings shared by every ranked reservation of one process. */
export interface ClusterOrder {
  /** The longest a reservation waits for others' demand before it asks again. */
  readonly yieldMs: number;
}

interface DemandRecord {
  priority: number;
  tenant: string;
  weight: number;
  amount: number;
  expiresAt: number;
}

/** How long fair-queuing tags outlive the last grant that moved them. */
export const FAIR_TAGS_TTL_MS = 600_000;

export class DemandBoard {
  /** By `${priority}|${instance}|${tenant}`, as the Redis hash fields are named. */
  private readonly records = new Map<string, DemandRecord>();
  /** Finish tags by `${priority}|${tenant}`. */
  private readonly finish = new Map<string, number>();
  /** Virtual time by class. */
  private readonly virtual = new Map<number, number>();
  /** Last publish or charge: an idle board holds nothing worth keeping after the tags' TTL. */
  touchedAt = Number.NEGATIVE_INFINITY;

  /** Whether nothing waits and the tags have expired. */
  idle(now: number): boolean {
    for (const [field, record] of this.records) if (record.expiresAt <= now) this.records.delete(field);
    return this.records.size === 0 && now - this.touchedAt > FAIR_TAGS_TTL_MS;
  }

  /** Sets one instance's demand (0 withdraws it) at `now`; it lasts until `expiresAt`. */
  publish(instance: string, rank: Rank, amount: number, now: number, expiresAt: number): void {
    const field = `${rank.priority}|${instance}|${rank.tenant}`;
    this.touchedAt = Math.max(this.touchedAt, expiresAt);
    if (amount <= 0) {
      this.records.delete(field);
      return;
    }
    if (!this.waiting(rank.priority, rank.tenant, now)) {
      // It starts waiting: from the class's virtual time, whatever it was owed or owed others.
      const key = `${rank.priority}|${rank.tenant}`;
      this.finish.set(key, Math.max(this.finish.get(key) ?? 0, this.virtual.get(rank.priority) ?? 0));
    }
    this.records.set(field, {
      priority: rank.priority,
      tenant: rank.tenant,
      weight: rank.weight,
      amount,
      expiresAt,
    });
  }

  /** Units `rank` must leave free on this bucket at `now`. */
  ahead(rank: Rank, now: number): number {
    let units = 0;
    let others: Map<string, { amount: number; weight: number }> | undefined;
    for (const [field, record] of this.records) {
      if (record.expiresAt <= now) {
        this.records.delete(field);
        continue;
      }
      if (record.priority < rank.priority) units += record.amount;
      else if (record.priority === rank.priority && record.tenant !== rank.tenant) {
        others ??= new Map();
        const other = others.get(record.tenant);
        if (other) other.amount += record.amount;
        else others.set(record.tenant, { amount: record.amount, weight: record.weight });
      }
    }
    if (!others) return units;
    const mine = this.startOf(rank, now);
    for (const [tenant, other] of others) {
      const behind = mine - (this.finish.get(`${rank.priority}|${tenant}`) ?? 0);
      if (behind > 0) units += other.amount;
    }
    return units;
  }

  /**
   * Charges a grant of `amount` units to `rank`'s tenant when demand waits
   * in its class (any tenant): only shared capacity moves the tags.
   */
  chargeIfContended(rank: Rank, amount: number, now: number): void {
    if (!this.waiting(rank.priority, undefined, now)) return;
    this.touchedAt = Math.max(this.touchedAt, now);
    const start = this.startOf(rank, now);
    this.virtual.set(rank.priority, Math.max(this.virtual.get(rank.priority) ?? 0, start));
    this.finish.set(`${rank.priority}|${rank.tenant}`, start + amount / rank.weight);
  }

  /** Whether demand waits in `priority` (from `tenant`, or from anyone). */
  private waiting(priority: number, tenant: string | undefined, now: number): boolean {
    for (const record of this.records.values())
      if (
        record.priority === priority &&
        record.expiresAt > now &&
        (tenant === undefined || record.tenant === tenant)
      )
        return true;
    return false;
  }

  /**
   * `rank`'s start tag: its finish tag while it waits (fixed when it began
   * to), else raised to the class's virtual time.
   */
  private startOf(rank: Rank, now: number): number {
    const finish = this.finish.get(`${rank.priority}|${rank.tenant}`) ?? 0;
    if (this.waiting(rank.priority, rank.tenant, now)) return finish;
    return Math.max(finish, this.virtual.get(rank.priority) ?? 0);
  }
}

/**
 * The wait of a reservation that must leave `ahead` units free: its own wait
 * (`plain`) or, when only the room kept for others is missing, the wait with
 * that room (`withAhead`, Infinity when it cannot fit beside it), capped at
 * `yieldMs`: the demand ahead may be served elsewhere or vanish before then.
 */
export function yieldingWait(plain: number, withAhead: number, yieldMs: number): number {
  return Math.max(plain, Math.min(withAhead, yieldMs));
}

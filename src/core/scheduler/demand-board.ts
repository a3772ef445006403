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
 * - fair shares inside a class: when the requesting tenant has been served
 *   more than its weighted share of the bucket (tokens served, decayed over
 *   the horizon, among the tenants waiting in its class and itself), the
 *   records of tenants of its class who are under their share.
 *
 * A reservation that fits only by eating into that room waits instead, at
 * most `yieldMs` at a time (the demand may be served elsewhere or vanish).
 *
 * Pure data, `now` passed in. The MemoryStore keeps one board per bucket;
 * reserve.lua mirrors these rules for Redis (the same decisions, not
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
  /** Served tokens decay by e every this many ms: the memory of fair shares. */
  readonly horizonMs: number;
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

/** Served counters are stored inflated by e^((t - base) / horizon) so they never need decaying one by one. */
const RESCALE_AFTER = 30;

export class DemandBoard {
  /** By `${priority}|${instance}|${tenant}`, as the Redis hash fields are named. */
  private readonly records = new Map<string, DemandRecord>();
  /** Inflated served units by `${priority}|${tenant}`. */
  private readonly served = new Map<string, number>();
  private base = Number.NaN;
  /** Last publish or serve: a board idle for several horizons holds nothing worth keeping. */
  touchedAt = Number.NEGATIVE_INFINITY;

  get empty(): boolean {
    return this.records.size === 0;
  }

  /** Whether nothing waits and what was served is forgotten (decayed past e^-5). */
  idle(now: number, horizonMs: number): boolean {
    for (const [field, record] of this.records) if (record.expiresAt <= now) this.records.delete(field);
    return this.records.size === 0 && now - this.touchedAt > 5 * horizonMs;
  }

  /** Sets one instance's demand (0 withdraws it); it lasts until `expiresAt`. */
  publish(instance: string, rank: Rank, amount: number, expiresAt: number): void {
    const field = `${rank.priority}|${instance}|${rank.tenant}`;
    this.touchedAt = Math.max(this.touchedAt, expiresAt);
    if (amount <= 0) {
      this.records.delete(field);
      return;
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
  ahead(rank: Rank, now: number, horizonMs: number): number {
    let units = 0;
    let others: Map<string, { amount: number; weight: number }> | undefined;
    for (const [field, record] of this.records) {
      if (record.expiresAt <= now) {
        this.records.delete(field);
        continue;
      }
      if (record.priority < rank.priority) units += record.amount;
      else if (record.priority === rank.priority) {
        if (record.tenant === rank.tenant) continue;
        others ??= new Map();
        const other = others.get(record.tenant);
        if (other) other.amount += record.amount;
        else others.set(record.tenant, { amount: record.amount, weight: record.weight });
      }
    }
    if (others) units += this.underShare(rank, others, now, horizonMs);
    return units;
  }

  /**
   * Whether a grant of `rank` counts towards served shares: demand waits in
   * its class (any tenant), or the grant left less than half the bucket
   * (contention is near: shares must already know who took the bucket when
   * queues form).
   */
  contended(rank: Rank, now: number, left: number, capacity: number): boolean {
    if (left < capacity / 2) return true;
    for (const record of this.records.values())
      if (record.priority === rank.priority && record.expiresAt > now) return true;
    return false;
  }

  /** Counts `amount` served to `rank`'s tenant (when `contended`). */
  serve(rank: Rank, amount: number, now: number, horizonMs: number): void {
    const field = `${rank.priority}|${rank.tenant}`;
    this.touchedAt = Math.max(this.touchedAt, now);
    this.served.set(field, (this.served.get(field) ?? 0) + amount * this.inflation(now, horizonMs));
  }

  /**
   * The demand of tenants under their share when `rank`'s tenant is over
   * its own: the room it must leave them (0 when it is within its share).
   */
  private underShare(
    rank: Rank,
    others: Map<string, { amount: number; weight: number }>,
    now: number,
    horizonMs: number,
  ): number {
    this.inflation(now, horizonMs);
    const mine = this.served.get(`${rank.priority}|${rank.tenant}`) ?? 0;
    let weights = rank.weight;
    let total = mine;
    for (const [tenant, other] of others) {
      weights += other.weight;
      total += this.served.get(`${rank.priority}|${tenant}`) ?? 0;
    }
    if (total <= 0 || mine * weights <= rank.weight * total) return 0;
    let room = 0;
    for (const [tenant, other] of others) {
      const theirs = this.served.get(`${rank.priority}|${tenant}`) ?? 0;
      if (theirs * weights < other.weight * total) room += other.amount;
    }
    return room;
  }

  /** e^((now - base) / horizon), rebasing every counter once the factor grows large. */
  private inflation(now: number, horizonMs: number): number {
    if (Number.isNaN(this.base)) this.base = now;
    const exponent = (now - this.base) / horizonMs;
    if (exponent <= RESCALE_AFTER) return Math.exp(exponent);
    const scale = Math.exp(-exponent);
    for (const [field, value] of this.served) this.served.set(field, value * scale);
    this.base = now;
    return 1;
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

/**
 * Who goes next (DESIGN.md, idea 5): strict priority between classes, with
 * optional aging so that a waiting request climbs one class per `agingMs`;
 * inside a class, weighted fair sharing between tenants measured in tokens
 * (start-time fair queuing: a tenant's virtual time advances by
 * tokens / weight for every request it is given, and the backlogged tenant
 * with the smallest virtual start goes first); FIFO inside a tenant.
 *
 * Pure data structure: no I/O, no timers, `now` passed in. The runtime's
 * admission pump asks it for candidates in order and reports what it
 * dispatched or dropped.
 */

export interface Schedulable {
  readonly tenant: string;
  /** Class index, 0 = most urgent. */
  readonly priority: number;
  /** Tenant weight (> 0): its share of a contended class is proportional to it. */
  readonly weight: number;
  /** Cost in tokens, the unit of fairness. */
  readonly tokens: number;
  readonly enqueuedAt: number;
  /** Epoch ms after which waiting is pointless (Infinity: none). */
  readonly deadline: number;
}

export interface FairSchedulerOptions {
  /** Number of priority classes. */
  classes: number;
  /** Per-class queue bound (one number for all, or one per class). */
  maxQueuedPerClass?: number | readonly number[];
  /** Bound over all classes; when reached, the lowest class is shed first. */
  maxQueued?: number;
  /** A waiting request climbs one class per `agingMs` (undefined or 0: strict priority). */
  agingMs?: number;
  /**
   * Classes from this index on never climb (the background class: work that
   * uses only spare capacity must not overtake interactive work, however
   * long it waits). Default: every class may.
   */
  agingStopsAt?: number;
}

export type OfferResult<T> =
  | { readonly accepted: true; readonly shed: readonly T[] }
  | { readonly accepted: false; readonly reason: 'class_full' | 'queue_full' };

class TenantQueue<T extends Schedulable> {
  readonly items: T[] = [];
  /** Virtual start of the head item. */
  start = 0;
  /** Virtual finish of the last dispatched item. */
  finish = 0;
  constructor(readonly tenant: string) {}
}

class ClassQueue<T extends Schedulable> {
  readonly tenants = new Map<string, TenantQueue<T>>();
  /** Virtual time of the class: the start tag of the last dispatched item. */
  virtualTime = 0;
  size = 0;
}

const DEFAULT_MAX_PER_CLASS = 10_000;

export class FairScheduler<T extends Schedulable> {
  private readonly queues: ClassQueue<T>[];
  private readonly maxPerClass: readonly number[];
  private readonly maxQueued: number;
  private readonly agingMs: number;
  private readonly agingStopsAt: number;
  private total = 0;

  constructor(options: FairSchedulerOptions) {
    this.queues = Array.from({ length: options.classes }, () => new ClassQueue<T>());
    const perClass = options.maxQueuedPerClass ?? DEFAULT_MAX_PER_CLASS;
    this.maxPerClass = Array.from({ length: options.classes }, (_, i) =>
      typeof perClass === 'number' ? perClass : (perClass[i] ?? DEFAULT_MAX_PER_CLASS),
    );
    this.maxQueued = options.maxQueued ?? Number.POSITIVE_INFINITY;
    this.agingMs = options.agingMs ?? 0;
    this.agingStopsAt = options.agingStopsAt ?? Number.POSITIVE_INFINITY;
  }

  get size(): number {
    return this.total;
  }

  sizeOf(priority: number): number {
    return this.queues[priority]?.size ?? 0;
  }

  /**
   * Queues `item`. When the class is at its bound the item is refused; when
   * the whole queue is at its bound, the newest item of the heaviest tenant
   * in the lowest class below `item`'s is shed to make room (or the item is
   * refused when nothing lower is queued).
   */
  offer(item: T): OfferResult<T> {
    const queue = this.classQueue(item.priority);
    if (queue.size >= (this.maxPerClass[item.priority] ?? DEFAULT_MAX_PER_CLASS)) {
      return { accepted: false, reason: 'class_full' };
    }
    const shed: T[] = [];
    if (this.total >= this.maxQueued) {
      const victim = this.victimBelow(item.priority);
      if (!victim) return { accepted: false, reason: 'queue_full' };
      this.remove(victim);
      shed.push(victim);
    }
    let tenantQueue = queue.tenants.get(item.tenant);
    if (!tenantQueue) {
      tenantQueue = new TenantQueue<T>(item.tenant);
      queue.tenants.set(item.tenant, tenantQueue);
    }
    if (tenantQueue.items.length === 0) {
      // A tenant that was idle does not bank credit for the time it was away.
      tenantQueue.start = Math.max(tenantQueue.finish, queue.virtualTime);
    }
    tenantQueue.items.push(item);
    queue.size++;
    this.total++;
    return { accepted: true, shed };
  }

  /**
   * The head of every backlogged (class, tenant) queue, in dispatch order.
   * By effective class (after aging) first. Within one effective class,
   * requests that aged into it go first, oldest first (so a flood of fresh
   * urgent work cannot starve them), then the class's own requests in fair
   * order: smallest virtual start, then arrival.
   */
  candidates(now: number): T[] {
    const heads: { item: T; level: number; aged: number; start: number }[] = [];
    for (const queue of this.queues) {
      if (queue.size === 0) continue;
      for (const tenantQueue of queue.tenants.values()) {
        const item = tenantQueue.items[0];
        if (!item) continue;
        const level = this.levelOf(item, now);
        heads.push({ item, level, aged: level < item.priority ? 0 : 1, start: tenantQueue.start });
      }
    }
    heads.sort((a, b) => {
      if (a.level !== b.level) return a.level - b.level;
      if (a.aged !== b.aged) return a.aged - b.aged;
      if (a.aged === 0) return a.item.enqueuedAt - b.item.enqueuedAt;
      return a.start - b.start || a.item.enqueuedAt - b.item.enqueuedAt;
    });
    return heads.map((h) => h.item);
  }

  /** The effective class of `item` at `now`, after aging. */
  levelOf(item: Schedulable, now: number): number {
    if (this.agingMs <= 0 || item.priority >= this.agingStopsAt) return item.priority;
    return Math.max(0, item.priority - Math.floor((now - item.enqueuedAt) / this.agingMs));
  }

  /** Removes `item`, which was granted, and charges its tenant's virtual time. */
  dispatched(item: T): void {
    const queue = this.classQueue(item.priority);
    const tenantQueue = queue.tenants.get(item.tenant);
    if (!tenantQueue || !this.removeFrom(queue, tenantQueue, item)) return;
    queue.virtualTime = Math.max(queue.virtualTime, tenantQueue.start);
    tenantQueue.finish = tenantQueue.start + item.tokens / Math.max(item.weight, 1e-9);
    tenantQueue.start = Math.max(tenantQueue.finish, queue.virtualTime);
    this.forgetIfIdle(queue, tenantQueue);
  }

  /**
   * Corrects a tenant's virtual time once the real cost is known (settled
   * usage differs from the estimate), so fairness follows tokens really used.
   */
  adjust(tenant: string, priority: number, deltaTokens: number, weight: number): void {
    const queue = this.queues[priority];
    const tenantQueue = queue?.tenants.get(tenant);
    if (!queue || !tenantQueue) return;
    const delta = deltaTokens / Math.max(weight, 1e-9);
    tenantQueue.finish = Math.max(queue.virtualTime, tenantQueue.finish + delta);
    if (tenantQueue.items.length > 0) tenantQueue.start = Math.max(tenantQueue.finish, queue.virtualTime);
    else this.forgetIfIdle(queue, tenantQueue);
  }

  /** Removes `item` without charging anyone (refused, expired, aborted). False when not queued. */
  remove(item: T): boolean {
    const queue = this.classQueue(item.priority);
    const tenantQueue = queue.tenants.get(item.tenant);
    if (!tenantQueue || !this.removeFrom(queue, tenantQueue, item)) return false;
    this.forgetIfIdle(queue, tenantQueue);
    return true;
  }

  /** Every queued item (any order). */
  all(): T[] {
    const out: T[] = [];
    for (const queue of this.queues) for (const t of queue.tenants.values()) out.push(...t.items);
    return out;
  }

  private removeFrom(queue: ClassQueue<T>, tenantQueue: TenantQueue<T>, item: T): boolean {
    const index = tenantQueue.items.indexOf(item);
    if (index < 0) return false;
    tenantQueue.items.splice(index, 1);
    queue.size--;
    this.total--;
    return true;
  }

  private forgetIfIdle(queue: ClassQueue<T>, tenantQueue: TenantQueue<T>): void {
    // An idle tenant whose finish is behind the class clock carries no credit or debt.
    if (tenantQueue.items.length === 0 && tenantQueue.finish <= queue.virtualTime) {
      queue.tenants.delete(tenantQueue.tenant);
    }
  }

  private victimBelow(priority: number): T | undefined {
    for (let p = this.queues.length - 1; p > priority; p--) {
      const queue = this.queues[p] as ClassQueue<T>;
      if (queue.size === 0) continue;
      let heaviest: TenantQueue<T> | undefined;
      for (const t of queue.tenants.values()) {
        if (t.items.length === 0) continue;
        if (!heaviest || t.items.length > heaviest.items.length) heaviest = t;
      }
      if (heaviest) return heaviest.items[heaviest.items.length - 1];
    }
    return undefined;
  }

  private classQueue(priority: number): ClassQueue<T> {
    const queue = this.queues[priority];
    if (!queue) throw new RangeError(`priority ${priority} is not a class (0..${this.queues.length - 1})`);
    return queue;
  }
}

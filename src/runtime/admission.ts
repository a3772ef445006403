/**
 * Admission: a request is admitted now, queued until the time it fits, or
 * refused at once when its deadline would pass first (DESIGN.md, idea 4).
 *
 * The pure `FairScheduler` decides the order; this class does the async part
 * (store round trips, timers, abort signals). One pump runs at a time. A
 * candidate refused by bucket K "holds" K for the rest of the round: later
 * candidates' choices touching K are not offered, so small requests cannot
 * overtake a large head forever (the capacity it waits for is reserved ahead
 * for it), while requests on other buckets still flow. A head cannot block
 * forever either: its wait is finite (its cost fits the bucket's capacity)
 * and it is refused as soon as that wait would pass its deadline.
 *
 * A request may have several choices (placement.ts): it is granted on the
 * first that fits when its turn comes, and waits for the soonest of them.
 * A waiting request holds back only work that needs the same capacity: a
 * newcomer skips the queue unless queued work at its class or above waits
 * on one of its buckets, and each lane of a tenant (runtime: one per model
 * group) queues apart.
 */
import { type Cancel, type Clock, systemClock } from '../core/clock.js';
import { tokensOf, type Usage } from '../core/cost.js';
import type { Reservation, SettleOutcome } from '../core/decision.js';
import { type Leased, LeaseHeap } from '../core/lease-heap.js';
import type { BucketSpec } from '../core/limit.js';
import { FairScheduler, type Schedulable } from '../core/scheduler/fair-scheduler.js';
import { type SettleOptions, type Store, StoreUnavailableError } from '../stores/store.js';
import {
  type AdmissionChoice,
  type AdmissionOptions,
  type AdmissionRequest,
  type AdmissionResult,
  type AdmissionStats,
  type Admitted,
  choicesOf,
  type RefusalCause,
  type Refused,
} from './admission-types.js';
import { ClusterDemand } from './cluster-demand.js';
import { Offering, waitedOn } from './offering.js';
import { Placing, soonest, type Tried } from './placement.js';
import { QueuedCost } from './queued-cost.js';
import { WaitingOn } from './waiting-on.js';

export type {
  AdmissionChoice,
  AdmissionOptions,
  AdmissionRequest,
  AdmissionResult,
  AdmissionStats,
  Admitted,
  BackgroundLane,
  RefusalCause,
  Refused,
} from './admission-types.js';
export { choicesOf } from './admission-types.js';

class Ticket implements Schedulable, Leased {
  readonly tenant: string;
  /** The deadline, as the key of the deadline heap. */
  expiresAt: number;
  heapIndex = -1;
  readonly priority: number;
  readonly weight: number;
  readonly tokens: number;
  done = false;
  removeAbortListener: (() => void) | undefined;
  /** The bucket it last waited on: what a refusal at its deadline names (a tenant's own budget is a 429). */
  limitedBy: BucketSpec | undefined;
  /** Its choice `limitedBy` belongs to. */
  limitedChoice = 0;
  /** Bucket keys registered in `WaitingOn` for it. */
  waitingOn: readonly string[] = [];
  /** The choices its queued cost is counted on: those in force when it was queued. */
  readonly counted: readonly AdmissionChoice[];
  constructor(
    readonly request: AdmissionRequest,
    readonly placing: Placing,
    readonly enqueuedAt: number,
    readonly resolve: (result: AdmissionResult) => void,
  ) {
    this.tenant = queueOf(request);
    this.priority = request.priority;
    this.weight = request.weight ?? 1;
    this.tokens = tokensOf(request.cost);
    this.expiresAt = request.deadline;
    this.counted = placing.choices.filter((_, i) => placing.inForce(i));
  }
  get deadline(): number {
    return this.request.deadline;
  }
}

const MIN_QUEUE_RETRY_MS = 1_000;

/** The scheduler's queue of a request: its tenant's, or its tenant's lane. */
function queueOf(request: AdmissionRequest): string {
  return request.lane === undefined ? request.tenant : `${request.tenant}\u0000${request.lane}`;
}

export class Admission {
  readonly store: Store;
  private readonly clock: Clock;
  private readonly scheduler: FairScheduler<Ticket>;
  /** Every queued ticket by deadline, so one deep in a queue is refused on time too. */
  private readonly deadlines = new LeaseHeap<Ticket>();
  /** Work queued per bucket, to tell at arrival whether the deadline can be met. */
  private readonly queuedCost: QueuedCost;
  /** Buckets queued work waits on: who may skip the queue. */
  private readonly waiting: WaitingOn;
  private readonly offering: Offering;
  /** Offers that yielded to demand waiting elsewhere, per class. */
  private readonly yields: number[];
  /** This instance's waiting demand, published for the cluster-wide order (undefined: local order only). */
  private readonly cluster: ClusterDemand | undefined;
  private readonly concurrencyPollMs: number;
  private readonly classes: number;
  private pumping = false;
  private again = false;
  private closed = false;
  private cancelWake: Cancel | undefined;
  private wakeAt = Number.POSITIVE_INFINITY;
  private admittedCount = 0;
  private readonly refusedCount: Record<RefusalCause, number> = {
    too_large: 0,
    deadline: 0,
    queue_full: 0,
    shed: 0,
    aborted: 0,
    closed: 0,
    unavailable: 0,
  };

  constructor(options: AdmissionOptions) {
    this.store = options.store;
    this.clock = options.clock ?? systemClock;
    this.concurrencyPollMs = options.concurrencyPollMs ?? 250;
    this.classes = options.classes ?? 4;
    this.queuedCost = new QueuedCost(this.classes);
    this.waiting = new WaitingOn(this.classes);
    this.cluster =
      options.cluster && this.store.clustered
        ? new ClusterDemand(this.store, this.clock, options.cluster)
        : undefined;
    this.yields = new Array<number>(this.classes).fill(0);
    this.offering = new Offering({
      store: this.store,
      clock: this.clock,
      queuedCost: this.queuedCost,
      cluster: this.cluster,
      yielded: (priority) => {
        this.yields[priority] = (this.yields[priority] ?? 0) + 1;
      },
      background: options.background,
    });
    this.scheduler = new FairScheduler<Ticket>({
      classes: this.classes,
      maxQueuedPerClass: options.maxQueuedPerClass,
      maxQueued: options.maxQueued,
      agingMs: options.agingMs,
      // Background work never climbs: aged, it would go first in its new class and hold the
      // buckets it waits for against the interactive work behind it in the round.
      agingStopsAt: options.background?.priority,
    });
  }

  /** Admits `request` now, after queuing, or refuses it with a cause and a retry time. */
  async admit(request: AdmissionRequest): Promise<AdmissionResult> {
    const arrivedAt = this.clock.now();
    if (this.closed) return this.refusal(request, 'closed', 0, undefined, arrivedAt);
    if (request.signal?.aborted) return this.refusal(request, 'aborted', 0, undefined, arrivedAt);

    const placing = new Placing(choicesOf(request), request.placement);
    let limited: Tried | undefined;
    let waitingOn: readonly string[] | undefined;
    if (!this.waiting.blocks(placing.choices, request.priority)) {
      const offered = await this.offering.offer(placing, request, undefined);
      if (offered instanceof Error) return this.unavailable(request, offered, arrivedAt);
      const now = this.clock.now();
      const { granted } = offered;
      if (granted?.decision.reservation) {
        if (request.signal?.aborted) {
          await this.store.settle(granted.decision.reservation);
          return this.refusal(request, 'aborted', 0, undefined, arrivedAt);
        }
        this.admittedCount++;
        return this.admitted(request, granted, arrivedAt, now);
      }
      limited = soonest(placing, offered.tried);
      const early = this.offering.refusalFor(placing, offered, request, now);
      if (early && limited)
        return this.refusal(request, early, limited.decision.retryAfterMs, limited, arrivedAt);
      if (this.scheduler.size > 0) {
        const remaining = new Map(offered.tried.map((t) => [t.index, t.decision.remaining]));
        const late = this.beyondDeadline(request, placing, remaining, limited, arrivedAt);
        if (late) return late;
      }
      waitingOn = waitedOn(offered.tried);
    } else {
      // Others wait ahead on this capacity: see whether this one can still make its deadline.
      const remaining = await this.offering.remainingOf(placing);
      if (remaining) {
        const late = this.beyondDeadline(request, placing, remaining, undefined, arrivedAt);
        if (late) return late;
      }
    }
    // Not tried yet: it may wait on any of its buckets.
    return this.enqueue(request, placing, arrivedAt, { limited, waitingOn: waitingOn ?? placing.keys() });
  }

  /**
   * A refusal when the work queued ahead cannot drain before `request`'s
   * deadline on any choice it may use (the spill tier included: it would spill).
   */
  private beyondDeadline(
    request: AdmissionRequest,
    placing: Placing,
    remaining: ReadonlyMap<number, readonly number[]>,
    limited: Tried | undefined,
    arrivedAt: number,
  ): Refused | undefined {
    if (request.deadline === Number.POSITIVE_INFINITY) return undefined;
    const wait = this.offering.forecast(request, placing, remaining, true);
    if (!wait || this.clock.now() + wait.ms <= request.deadline) return undefined;
    return this.refusal(request, 'deadline', wait.ms, limited, arrivedAt, {
      limitedBy: wait.bucket ?? limited?.decision.limitedBy,
      choice: wait.index,
    });
  }

  /** Settles an admitted request and lets queued work use what it gave back. */
  async settle(admitted: Admitted, usage?: Usage, options?: SettleOptions): Promise<SettleOutcome> {
    const outcome = await this.store.settle(admitted.reservation, usage, options);
    if (outcome === 'settled' && usage) {
      const { request } = admitted;
      const delta = usage.inputTokens + usage.outputTokens - tokensOf(admitted.reservation.cost);
      this.scheduler.adjust(queueOf(request), request.priority, delta, request.weight ?? 1);
    }
    this.notify();
    return outcome;
  }

  /** Capacity may have changed (a settle, a sync, a new limit): run the queue. */
  notify(): void {
    if (this.scheduler.size > 0) void this.pump();
  }

  queued(priority?: number): number {
    return priority === undefined ? this.scheduler.size : this.scheduler.sizeOf(priority);
  }

  /**
   * Per lane (a model group, or its long-context class), how long its
   * longest-waiting request has waited: the queue pressure the load signal
   * reads. Work of classes at or below `below` (background) waits by design
   * and does not count, nor does work waiting for its tenant's own budget:
   * that says the tenant is busy, not the group.
   */
  longestWaits(now: number, below: number): Map<string, number> {
    const waits = new Map<string, number>();
    for (const ticket of this.scheduler.all()) {
      if (ticket.priority >= below || ticket.limitedBy?.scope?.kind === 'tenant') continue;
      const lane = ticket.request.lane ?? '';
      const waited = now - ticket.enqueuedAt;
      if (waited > (waits.get(lane) ?? -1)) waits.set(lane, waited);
    }
    return waits;
  }

  stats(): AdmissionStats {
    return {
      queued: Array.from({ length: this.classes }, (_, i) => this.scheduler.sizeOf(i)),
      admitted: this.admittedCount,
      refused: { ...this.refusedCount },
      yields: [...this.yields],
      demandRecords: this.cluster?.records ?? 0,
    };
  }

  /** Refuses everything queued (cause `closed`) and stops admitting. */
  close(): void {
    this.closed = true;
    this.cancelWake?.();
    void this.cluster?.close();
    for (const ticket of this.scheduler.all()) {
      this.dequeue(ticket);
      this.finish(ticket, this.refusal(ticket.request, 'closed', 0, undefined, ticket.enqueuedAt));
    }
  }

  private enqueue(
    request: AdmissionRequest,
    placing: Placing,
    arrivedAt: number,
    last: { limited: Tried | undefined; waitingOn: readonly string[] },
  ): Promise<AdmissionResult> {
    return new Promise<AdmissionResult>((resolve) => {
      if (request.signal?.aborted) {
        resolve(this.refusal(request, 'aborted', 0, undefined, arrivedAt));
        return;
      }
      const ticket = new Ticket(request, placing, arrivedAt, resolve);
      ticket.limitedBy = last.limited?.decision.limitedBy;
      ticket.limitedChoice = last.limited?.index ?? 0;
      const offered = this.scheduler.offer(ticket);
      if (!offered.accepted) {
        resolve(this.refusal(request, 'queue_full', this.queueRetryMs(), undefined, arrivedAt));
        return;
      }
      this.deadlines.push(ticket);
      this.queuedCost.add(ticket.request, ticket.counted);
      this.waitOn(ticket, last.waitingOn);
      for (const victim of offered.shed) {
        this.deadlines.remove(victim);
        this.queuedCost.remove(victim.request, victim.counted);
        this.waitOn(victim, []);
        this.finish(
          victim,
          this.refusal(victim.request, 'shed', this.queueRetryMs(), undefined, victim.enqueuedAt),
        );
      }
      const signal = request.signal;
      if (signal) {
        const onAbort = () => {
          if (ticket.done) return;
          this.dequeue(ticket);
          this.finish(ticket, this.refusal(request, 'aborted', 0, undefined, arrivedAt));
        };
        signal.addEventListener('abort', onAbort, { once: true });
        ticket.removeAbortListener = () => signal.removeEventListener('abort', onAbort);
      }
      void this.pump();
    });
  }

  /** Registers the buckets `ticket` now waits on (none: it left the queue). */
  private waitOn(ticket: Ticket, keys: readonly string[]): void {
    this.waiting.remove(ticket.waitingOn, ticket.priority);
    ticket.waitingOn = keys;
    this.waiting.add(keys, ticket.priority);
    this.cluster?.waitOn(ticket, ticket.request, ticket.counted, keys);
  }

  private async pump(): Promise<void> {
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.again = false;
        await this.round();
      } while (this.again && !this.closed);
    } finally {
      this.pumping = false;
    }
  }

  /**
   * One pass over the candidates in dispatch order. When it admitted or
   * dropped anyone, the queues' heads changed and another pass follows.
   */
  private async round(): Promise<void> {
    let wake = Number.POSITIVE_INFINITY;
    const held = new Set<string>();
    let changed = this.expireDeadlines(this.clock.now());
    for (const ticket of this.scheduler.candidates(this.clock.now())) {
      if (ticket.done) continue;
      const offered = await this.offering.offer(ticket.placing, ticket.request, held);
      if (offered instanceof Error) {
        if (!ticket.done) {
          this.dequeue(ticket);
          changed = true;
          this.finish(ticket, this.unavailable(ticket.request, offered, ticket.enqueuedAt));
        }
        continue;
      }
      const now = this.clock.now();
      const { granted } = offered;
      if (ticket.done) {
        // Aborted while the store decided: give the grant back.
        if (granted?.decision.reservation) await this.store.settle(granted.decision.reservation);
        continue;
      }
      if (granted) {
        this.dequeue(ticket, true);
        this.admittedCount++;
        changed = true;
        this.finish(ticket, this.admitted(ticket.request, granted, ticket.enqueuedAt, now));
        continue;
      }
      if (offered.tried.length === 0) continue; // every choice is held by work ahead
      const limited = soonest(ticket.placing, offered.tried) as Tried;
      const cause = this.offering.refusalFor(ticket.placing, offered, ticket.request, now);
      if (cause) {
        this.dequeue(ticket);
        changed = true;
        this.finish(
          ticket,
          this.refusal(ticket.request, cause, limited.decision.retryAfterMs, limited, ticket.enqueuedAt),
        );
        continue;
      }
      for (const t of offered.tried) {
        const { decision } = t;
        // A yield leaves the bucket to others: the next candidate may be the very one it yields to.
        if (decision.limitedBy && decision.reason !== 'yield') held.add(decision.limitedBy.key);
        if (!ticket.placing.inForce(t.index)) continue;
        const retryMs =
          decision.reason === 'concurrency'
            ? Math.min(decision.retryAfterMs, this.concurrencyPollMs)
            : decision.retryAfterMs;
        wake = Math.min(wake, now + retryMs);
      }
      if (limited.decision.limitedBy) {
        ticket.limitedBy = limited.decision.limitedBy;
        ticket.limitedChoice = limited.index;
      }
      this.waitOn(ticket, waitedOn(offered.tried));
    }
    if (changed) this.again = true;
    this.scheduleWake(Math.min(wake, this.deadlines.peekExpiry()));
  }

  /** Refuses every queued ticket whose deadline has come; true when any was. */
  private expireDeadlines(now: number): boolean {
    let any = false;
    while (this.deadlines.peekExpiry() <= now) {
      const ticket = this.deadlines.pop() as Ticket;
      this.scheduler.remove(ticket);
      this.queuedCost.remove(ticket.request, ticket.counted);
      this.waitOn(ticket, []);
      any = true;
      this.finish(
        ticket,
        this.refusal(ticket.request, 'deadline', 0, undefined, ticket.enqueuedAt, {
          limitedBy: ticket.limitedBy,
          choice: ticket.limitedChoice,
        }),
      );
    }
    return any;
  }

  /** Takes a ticket out of the queue (`granted`: charge its tenant's fair share). */
  private dequeue(ticket: Ticket, granted = false): void {
    if (granted) this.scheduler.dispatched(ticket);
    else this.scheduler.remove(ticket);
    if (this.deadlines.remove(ticket)) this.queuedCost.remove(ticket.request, ticket.counted);
    this.waitOn(ticket, []);
  }

  private admitted(request: AdmissionRequest, granted: Tried, arrivedAt: number, now: number): Admitted {
    return {
      admitted: true,
      choice: granted.index,
      reservation: granted.decision.reservation as Reservation,
      waitedMs: now - arrivedAt,
      remaining: granted.decision.remaining,
      request,
    };
  }

  /** The store could not decide: refused as `unavailable`, back when the store says (or soon). */
  private unavailable(request: AdmissionRequest, error: Error, arrivedAt: number): Refused {
    const retryMs = error instanceof StoreUnavailableError ? error.retryAfterMs : MIN_QUEUE_RETRY_MS;
    return this.refusal(request, 'unavailable', retryMs, undefined, arrivedAt);
  }

  private scheduleWake(at: number): void {
    if (this.scheduler.size === 0 || at === Number.POSITIVE_INFINITY) {
      this.cancelWake?.();
      this.cancelWake = undefined;
      this.wakeAt = Number.POSITIVE_INFINITY;
      return;
    }
    if (this.cancelWake && at >= this.wakeAt) return;
    this.cancelWake?.();
    this.wakeAt = at;
    this.cancelWake = this.clock.schedule(Math.max(0, at - this.clock.now()), () => {
      this.cancelWake = undefined;
      this.wakeAt = Number.POSITIVE_INFINITY;
      void this.pump();
    });
  }

  /** Retry hint for queue refusals: when the queue is next expected to move. */
  private queueRetryMs(): number {
    const untilWake = this.wakeAt - this.clock.now();
    return Number.isFinite(untilWake) ? Math.max(MIN_QUEUE_RETRY_MS, untilWake) : MIN_QUEUE_RETRY_MS;
  }

  private finish(ticket: Ticket, result: AdmissionResult): void {
    if (ticket.done) return;
    ticket.done = true;
    ticket.removeAbortListener?.();
    ticket.resolve(result);
  }

  private refusal(
    request: AdmissionRequest,
    cause: RefusalCause,
    retryAfterMs: number,
    reported: Tried | undefined,
    arrivedAt: number,
    named: { limitedBy: BucketSpec | undefined; choice: number } = {
      limitedBy: reported?.decision.limitedBy,
      choice: reported?.index ?? 0,
    },
  ): Refused {
    this.refusedCount[cause]++;
    const decision = reported?.decision;
    return {
      admitted: false,
      cause,
      retryAfterMs,
      limitedBy: named.limitedBy,
      limitReason: decision?.reason,
      choice: named.choice,
      remaining: named.choice === (reported?.index ?? 0) ? decision?.remaining : undefined,
      waitedMs: this.clock.now() - arrivedAt,
      request,
    };
  }
}

/**
 * Admission: a request is admitted now, queued until the time it fits, or
 * refused at once when its deadline would pass first (DESIGN.md, idea 4).
 *
 * The pure `FairScheduler` decides the order; this class does the async part
 * (store round trips, timers, abort signals). One pump runs at a time. A
 * candidate refused by bucket K "holds" K for the rest of the round: later
 * candidates touching K are skipped, so small requests cannot overtake a
 * large head forever (the capacity it waits for is reserved ahead for it),
 * while requests on other buckets still flow. A head cannot block forever
 * either: its wait is finite (its cost fits the bucket's capacity) and it is
 * refused as soon as that wait would pass its deadline.
 */
import { type Cancel, type Clock, systemClock } from '../core/clock.js';
import { type Cost, tokensOf, type Usage } from '../core/cost.js';
import type { Decision, RefusalReason, Reservation, SettleOutcome } from '../core/decision.js';
import { type Leased, LeaseHeap } from '../core/lease-heap.js';
import type { BucketSpec } from '../core/limit.js';
import { FairScheduler, type Schedulable } from '../core/scheduler/fair-scheduler.js';
import { type SettleOptions, type Store, StoreUnavailableError } from '../stores/store.js';
import { QueuedCost } from './queued-cost.js';

export interface AdmissionRequest {
  readonly tenant: string;
  /** Class index, 0 = most urgent. */
  readonly priority: number;
  /** Tenant weight inside its class (default 1). */
  readonly weight?: number;
  readonly buckets: readonly BucketSpec[];
  readonly cost: Cost;
  /**
   * What the request is expected to keep of its buckets once settled, when
   * less than `cost` (a reserved output maximum the answer rarely reaches,
   * refunded at settlement). Queued work ahead of a request is counted at
   * this in the wait forecast; the request itself must still fit at `cost`.
   */
  readonly keeps?: Cost;
  /** Epoch ms by which the request must be admitted (Infinity: no deadline). */
  readonly deadline: number;
  readonly signal?: AbortSignal;
  readonly leaseMs?: number;
  /**
   * Requests of one tenant in different lanes queue apart (the order inside
   * a tenant's queue is kept, lane by lane): a long-context call waiting
   * for its class's own limit must not hold back its tenant's small calls.
   */
  readonly lane?: string;
}

export interface Admitted {
  readonly admitted: true;
  readonly reservation: Reservation;
  readonly waitedMs: number;
  /** Remaining units per bucket after the grant, in request order. */
  readonly remaining: readonly number[];
  readonly request: AdmissionRequest;
}

/**
 * - `too_large`: the cost exceeds a bucket's whole capacity; retrying cannot help.
 * - `deadline`: it would fit, but only after the deadline.
 * - `queue_full` / `shed`: no room in the queue (shed: pushed out by more urgent work).
 * - `aborted`: the caller gave up. `closed`: the admission was shut down.
 * - `unavailable`: the store could not decide (shared state unreachable and
 *   the policy is fail-closed).
 */
export type RefusalCause =
  | 'too_large'
  | 'deadline'
  | 'queue_full'
  | 'shed'
  | 'aborted'
  | 'closed'
  | 'unavailable';

export interface Refused {
  readonly admitted: false;
  readonly cause: RefusalCause;
  /** When to come back (Infinity: never with this cost). */
  readonly retryAfterMs: number;
  /** The bucket that bound, when one did. */
  readonly limitedBy: BucketSpec | undefined;
  readonly limitReason: RefusalReason | undefined;
  /** Units still available per bucket when the store decided (undefined when it did not). */
  readonly remaining: readonly number[] | undefined;
  readonly waitedMs: number;
  readonly request: AdmissionRequest;
}

export type AdmissionResult = Admitted | Refused;

export interface AdmissionOptions {
  store: Store;
  clock?: Clock;
  /** Number of priority classes (default 4). */
  classes?: number;
  maxQueuedPerClass?: number | readonly number[];
  maxQueued?: number;
  /** A waiting request climbs one class per `agingMs` (0: strict priority). */
  agingMs?: number;
  /**
   * How often to retry a request refused for concurrency when no local
   * settle frees a slot (another instance may free one). Default 250 ms.
   */
  concurrencyPollMs?: number;
}

export interface AdmissionStats {
  readonly queued: readonly number[];
  readonly admitted: number;
  readonly refused: Readonly<Record<RefusalCause, number>>;
}

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
  constructor(
    readonly request: AdmissionRequest,
    readonly enqueuedAt: number,
    readonly resolve: (result: AdmissionResult) => void,
  ) {
    this.tenant = queueOf(request);
    this.priority = request.priority;
    this.weight = request.weight ?? 1;
    this.tokens = tokensOf(request.cost);
    this.expiresAt = request.deadline;
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
    this.scheduler = new FairScheduler<Ticket>({
      classes: this.classes,
      maxQueuedPerClass: options.maxQueuedPerClass,
      maxQueued: options.maxQueued,
      agingMs: options.agingMs,
    });
  }

  /** Admits `request` now, after queuing, or refuses it with a cause and a retry time. */
  async admit(request: AdmissionRequest): Promise<AdmissionResult> {
    const arrivedAt = this.clock.now();
    if (this.closed) return this.refusal(request, 'closed', 0, undefined, arrivedAt);
    if (request.signal?.aborted) return this.refusal(request, 'aborted', 0, undefined, arrivedAt);

    let limitedBy: BucketSpec | undefined;
    if (!this.queuedAtOrAbove(request.priority)) {
      const decision = await this.reserve(request);
      if (decision instanceof Error) return this.unavailable(request, decision, arrivedAt);
      const now = this.clock.now();
      if (decision.granted && decision.reservation) {
        if (request.signal?.aborted) {
          await this.store.settle(decision.reservation);
          return this.refusal(request, 'aborted', 0, undefined, arrivedAt);
        }
        this.admittedCount++;
        return {
          admitted: true,
          reservation: decision.reservation,
          waitedMs: now - arrivedAt,
          remaining: decision.remaining,
          request,
        };
      }
      const early = this.refusalFor(decision, request, now);
      if (early) return this.refusal(request, early, decision.retryAfterMs, decision, arrivedAt);
      if (this.scheduler.size > 0) {
        const late = this.beyondDeadline(request, decision.remaining, decision, arrivedAt);
        if (late) return late;
      }
      limitedBy = decision.limitedBy;
    } else {
      // Others wait ahead: see whether this one can still make its deadline.
      const snapshots = await this.store.peek(request.buckets).catch(() => undefined);
      if (snapshots) {
        const remaining = snapshots.map((s) => s.remaining);
        const late = this.beyondDeadline(request, remaining, undefined, arrivedAt);
        if (late) return late;
      }
    }
    return this.enqueue(request, arrivedAt, limitedBy);
  }

  /** A refusal when the work queued ahead cannot drain before `request`'s deadline. */
  private beyondDeadline(
    request: AdmissionRequest,
    remaining: readonly number[],
    decision: Decision | undefined,
    arrivedAt: number,
  ): Refused | undefined {
    if (request.deadline === Number.POSITIVE_INFINITY) return undefined;
    const wait = this.queuedCost.wait(request, remaining);
    if (this.clock.now() + wait.ms <= request.deadline) return undefined;
    return this.refusal(
      request,
      'deadline',
      wait.ms,
      decision,
      arrivedAt,
      wait.bucket ?? decision?.limitedBy,
    );
  }

  /** Settles an admitted request and lets queued work use what it gave back. */
  async settle(admitted: Admitted, usage?: Usage, options?: SettleOptions): Promise<SettleOutcome> {
    const outcome = await this.store.settle(admitted.reservation, usage, options);
    if (outcome === 'settled' && usage) {
      const { request } = admitted;
      const delta = usage.inputTokens + usage.outputTokens - tokensOf(request.cost);
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

  stats(): AdmissionStats {
    return {
      queued: Array.from({ length: this.classes }, (_, i) => this.scheduler.sizeOf(i)),
      admitted: this.admittedCount,
      refused: { ...this.refusedCount },
    };
  }

  /** Refuses everything queued (cause `closed`) and stops admitting. */
  close(): void {
    this.closed = true;
    this.cancelWake?.();
    for (const ticket of this.scheduler.all()) {
      this.dequeue(ticket);
      this.finish(ticket, this.refusal(ticket.request, 'closed', 0, undefined, ticket.enqueuedAt));
    }
  }

  private enqueue(
    request: AdmissionRequest,
    arrivedAt: number,
    limitedBy?: BucketSpec | undefined,
  ): Promise<AdmissionResult> {
    return new Promise<AdmissionResult>((resolve) => {
      if (request.signal?.aborted) {
        resolve(this.refusal(request, 'aborted', 0, undefined, arrivedAt));
        return;
      }
      const ticket = new Ticket(request, arrivedAt, resolve);
      ticket.limitedBy = limitedBy;
      const offered = this.scheduler.offer(ticket);
      if (!offered.accepted) {
        resolve(this.refusal(request, 'queue_full', this.queueRetryMs(), undefined, arrivedAt));
        return;
      }
      this.deadlines.push(ticket);
      this.queuedCost.add(request);
      for (const victim of offered.shed) {
        this.deadlines.remove(victim);
        this.queuedCost.remove(victim.request);
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
      if (ticket.request.buckets.some((b) => held.has(b.key))) continue;
      const decision = await this.reserve(ticket.request);
      if (decision instanceof Error) {
        if (!ticket.done) {
          this.dequeue(ticket);
          changed = true;
          this.finish(ticket, this.unavailable(ticket.request, decision, ticket.enqueuedAt));
        }
        continue;
      }
      const now = this.clock.now();
      if (ticket.done) {
        // Aborted while the store decided: give the grant back.
        if (decision.reservation) await this.store.settle(decision.reservation);
        continue;
      }
      if (decision.granted && decision.reservation) {
        this.dequeue(ticket, true);
        this.admittedCount++;
        changed = true;
        this.finish(ticket, {
          admitted: true,
          reservation: decision.reservation,
          waitedMs: now - ticket.enqueuedAt,
          remaining: decision.remaining,
          request: ticket.request,
        });
        continue;
      }
      const cause = this.refusalFor(decision, ticket.request, now);
      if (cause) {
        this.dequeue(ticket);
        changed = true;
        this.finish(
          ticket,
          this.refusal(ticket.request, cause, decision.retryAfterMs, decision, ticket.enqueuedAt),
        );
        continue;
      }
      if (decision.limitedBy) {
        held.add(decision.limitedBy.key);
        ticket.limitedBy = decision.limitedBy;
      }
      const retryMs =
        decision.reason === 'concurrency'
          ? Math.min(decision.retryAfterMs, this.concurrencyPollMs)
          : decision.retryAfterMs;
      wake = Math.min(wake, now + retryMs);
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
      this.queuedCost.remove(ticket.request);
      any = true;
      this.finish(
        ticket,
        this.refusal(ticket.request, 'deadline', 0, undefined, ticket.enqueuedAt, ticket.limitedBy),
      );
    }
    return any;
  }

  /** Takes a ticket out of the queue (`granted`: charge its tenant's fair share). */
  private dequeue(ticket: Ticket, granted = false): void {
    if (granted) this.scheduler.dispatched(ticket);
    else this.scheduler.remove(ticket);
    if (this.deadlines.remove(ticket)) this.queuedCost.remove(ticket.request);
  }

  /** The store's decision, or the error it failed with (never thrown: a refusal follows). */
  private reserve(request: AdmissionRequest): Promise<Decision | Error> {
    return this.store
      .reserve(request.buckets, request.cost, { leaseMs: request.leaseMs })
      .catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
  }

  /** The store could not decide: refused as `unavailable`, back when the store says (or soon). */
  private unavailable(request: AdmissionRequest, error: Error, arrivedAt: number): Refused {
    const retryMs = error instanceof StoreUnavailableError ? error.retryAfterMs : MIN_QUEUE_RETRY_MS;
    return this.refusal(request, 'unavailable', retryMs, undefined, arrivedAt);
  }

  /** Why a refused decision ends the wait now, or undefined to keep waiting. */
  private refusalFor(decision: Decision, request: AdmissionRequest, now: number): RefusalCause | undefined {
    if (decision.reason === 'too_large') return 'too_large';
    // A concurrency wait is only an upper bound: a settle may free a slot much sooner.
    if (decision.reason !== 'concurrency' && now + decision.retryAfterMs > request.deadline)
      return 'deadline';
    if (now >= request.deadline) return 'deadline';
    return undefined;
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

  private queuedAtOrAbove(priority: number): boolean {
    for (let p = 0; p <= priority; p++) if (this.scheduler.sizeOf(p) > 0) return true;
    return false;
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
    decision: Decision | undefined,
    arrivedAt: number,
    limitedBy: BucketSpec | undefined = decision?.limitedBy,
  ): Refused {
    this.refusedCount[cause]++;
    return {
      admitted: false,
      cause,
      retryAfterMs,
      limitedBy,
      limitReason: decision?.reason,
      remaining: decision?.remaining,
      waitedMs: this.clock.now() - arrivedAt,
      request,
    };
  }
}

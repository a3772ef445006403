/**
 * Offering a request's choices to the store (placement.ts): the first tier,
 * then the spill tier once the first cannot admit the request before its
 * deadline, work queued ahead included; and what the refusals of the
 * choices tried mean for the request (keep waiting, or refused now).
 */
import type { Clock } from '../core/clock.js';
import type { BucketSpec } from '../core/limit.js';
import type { Store } from '../stores/store.js';
import type { AdmissionChoice, AdmissionRequest, BackgroundLane, RefusalCause } from './admission-types.js';
import type { ClusterDemand } from './cluster-demand.js';
import type { Placing, Tried } from './placement.js';
import type { QueuedCost } from './queued-cost.js';

/** What one offer of a request's choices to the store came to. */
interface Offered {
  readonly granted: Tried | undefined;
  /** Every choice tried, in order (the grant last when there is one). */
  readonly tried: readonly Tried[];
  /** Whether every choice in force was tried (none was left out because work ahead holds it). */
  readonly whole: boolean;
}

export interface OfferingOptions {
  readonly store: Store;
  readonly clock: Clock;
  readonly queuedCost: QueuedCost;
  readonly cluster: ClusterDemand | undefined;
  /** Counts an offer of class `priority` that yielded to demand waiting elsewhere. */
  readonly yielded: (priority: number) => void;
  /** Its reservations leave the lane's headroom free (undefined: none is held back). */
  readonly background: BackgroundLane | undefined;
}

export class Offering {
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly queuedCost: QueuedCost;
  private readonly cluster: ClusterDemand | undefined;
  private readonly yielded: (priority: number) => void;
  private readonly background: BackgroundLane | undefined;

  constructor(options: OfferingOptions) {
    this.store = options.store;
    this.clock = options.clock;
    this.queuedCost = options.queuedCost;
    this.cluster = options.cluster;
    this.yielded = options.yielded;
    this.background = options.background;
  }

  /**
   * Offers the choices in force to the store, first tier first; the spill
   * tier follows at once when the first cannot admit the request before its
   * deadline (work queued ahead included). Never thrown: an error is returned.
   */
  async offer(
    placing: Placing,
    request: AdmissionRequest,
    held: ReadonlySet<string> | undefined,
  ): Promise<Offered | Error> {
    const tried: Tried[] = [];
    let whole = true;
    for (const tier of ['first', 'spill'] as const) {
      if (tier === 'spill' && !placing.spilling) {
        if (!placing.hasSpill || !(placing.firstTierDead || this.missesDeadline(placing, request, tried)))
          break;
        placing.spilling = true;
      }
      const offer = placing.offer(tier, held);
      if (offer.heldOut) whole = false;
      if (offer.order.length === 0) continue;
      const keep = this.keepOf(request);
      const fit = await this.store
        .reserveFirst(
          offer.order.map((i) => placing.choices[i] as AdmissionChoice),
          {
            leaseMs: request.leaseMs,
            ...(keep > 0 && { keep }),
            ...(this.cluster && { rank: this.cluster.rankOf(request), order: this.cluster.order }),
          },
        )
        .catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
      placing.settle(offer, fit instanceof Error ? -1 : fit.choice);
      if (fit instanceof Error) return fit;
      if (fit.choice < 0 && fit.decisions.some((d) => d.reason === 'yield')) this.yielded(request.priority);
      fit.decisions.forEach((decision, k) => {
        const index = offer.order[k] as number;
        tried.push({ index, decision });
        if (decision.reason === 'too_large') placing.dead.add(index);
      });
      if (fit.choice >= 0) {
        return { granted: tried[tried.length - 1], tried, whole };
      }
    }
    return { granted: undefined, tried, whole };
  }

  /**
   * The headroom `request`'s reservation leaves free: the background lane's
   * for its class, none above it. It rides in the reserve call (one round
   * trip per decision), and a refusal for it is an ordinary lack of room:
   * the ticket waits behind every interactive ticket, as strict priority has
   * it anyway, and its demand (published at its own class) never makes a
   * more urgent class yield.
   */
  private keepOf(request: AdmissionRequest): number {
    const lane = this.background;
    return lane && request.priority >= lane.priority ? lane.headroom : 0;
  }

  /** Whether no first-tier choice can admit `request` before its deadline, work queued ahead included. */
  private missesDeadline(placing: Placing, request: AdmissionRequest, tried: readonly Tried[]): boolean {
    if (request.deadline === Number.POSITIVE_INFINITY) return false;
    const remaining = new Map(tried.map((t) => [t.index, t.decision.remaining]));
    const queued = this.forecast(request, placing, remaining, false)?.ms ?? 0;
    let soonestMs = Number.POSITIVE_INFINITY;
    for (const t of tried) {
      if (placing.dead.has(t.index)) continue;
      soonestMs = Math.min(soonestMs, t.decision.retryAfterMs);
    }
    if (soonestMs === Number.POSITIVE_INFINITY) return tried.length > 0;
    return this.clock.now() + Math.max(soonestMs, queued) > request.deadline;
  }

  /** The soonest a choice could take `request` after the work queued ahead of it. */
  forecast(
    request: AdmissionRequest,
    placing: Placing,
    remaining: ReadonlyMap<number, readonly number[]>,
    spillToo: boolean,
  ): { ms: number; bucket: BucketSpec | undefined; index: number } | undefined {
    let best: { ms: number; bucket: BucketSpec | undefined; index: number } | undefined;
    placing.choices.forEach((choice, index) => {
      if (placing.dead.has(index) || !(spillToo || placing.inForce(index))) return;
      const held = remaining.get(index);
      // Not asked yet (a spill tier not offered): it may well have room now.
      const wait = held ? this.queuedCost.wait(request, choice, held) : { ms: 0, bucket: undefined };
      if (!best || wait.ms < best.ms) best = { ...wait, index };
    });
    return best;
  }

  /** What each choice's buckets hold now (one peek), or undefined when the store cannot say. */
  async remainingOf(placing: Placing): Promise<Map<number, readonly number[]> | undefined> {
    const specs = placing.choices.flatMap((c) => c.buckets);
    const snapshots = await this.store.peek(specs).catch(() => undefined);
    if (!snapshots) return undefined;
    const out = new Map<number, readonly number[]>();
    let at = 0;
    placing.choices.forEach((choice, i) => {
      out.set(
        i,
        snapshots.slice(at, at + choice.buckets.length).map((s) => s.remaining),
      );
      at += choice.buckets.length;
    });
    return out;
  }

  /** Why the choices' refusals end the wait now, or undefined to keep waiting. */
  refusalFor(
    placing: Placing,
    offered: Offered,
    request: AdmissionRequest,
    now: number,
  ): RefusalCause | undefined {
    if (placing.impossible) return 'too_large';
    if (now >= request.deadline) return 'deadline';
    // A choice left out (held by work ahead) or a spill tier not yet in force may still serve it.
    if (!offered.whole || (placing.hasSpill && !placing.spilling)) return undefined;
    for (const { index, decision } of offered.tried) {
      if (!placing.inForce(index)) continue;
      // A concurrency wait is only an upper bound (a settle may free a slot much sooner), and a
      // yield says when to ask again, not when it fits: neither proves the deadline lost.
      const bound = decision.reason === 'concurrency' || decision.reason === 'yield';
      if (bound || now + decision.retryAfterMs <= request.deadline) return undefined;
    }
    return 'deadline';
  }
}

/** The buckets a refused offer waits on: what bound each choice tried. */
export function waitedOn(tried: readonly Tried[]): string[] {
  const keys: string[] = [];
  for (const { decision } of tried) if (decision.limitedBy) keys.push(decision.limitedBy.key);
  return keys;
}

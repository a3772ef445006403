/**
 * How much work waits ahead of a new request, per bucket, so admission can
 * refuse at once a request that cannot be admitted before its deadline
 * (DESIGN.md, idea 4) instead of letting it wait until the deadline passes.
 *
 * Ahead of a request of class p from tenant t on bucket K: everything queued
 * on K in more urgent classes, plus, in its own class, t's own queued work
 * and, from every other tenant, at most as much as t will have been given by
 * then (fair sharing gives each tenant the same tokens; weights are not
 * modelled: an estimate, slightly pessimistic for light tenants of heavy
 * weight). Queued work counts at what it keeps once settled (`keeps`: a
 * reserved output maximum is refunded then). The wait is that amount, plus
 * the request's own full cost, less what the bucket holds now, at the
 * bucket's refill rate.
 *
 * A request with several choices (placement.ts) is counted on each choice
 * it may take now (not a spill tier it has not reached) at an equal share:
 * it will take one, nobody knows which yet.
 */
import { costOn } from '../core/cost.js';
import type { BucketSpec } from '../core/limit.js';
import type { AdmissionRequest } from './admission.js';
import type { AdmissionChoice } from './placement.js';

interface BucketQueue {
  readonly byClass: number[];
  readonly byClassTenant: Map<string, number>[];
}

export class QueuedCost {
  private readonly byBucket = new Map<string, BucketQueue>();

  constructor(private readonly classes: number) {}

  /** Counts queued `request` on `choices` (those it may take now), an equal share on each. */
  add(request: AdmissionRequest, choices: readonly AdmissionChoice[]): void {
    this.change(request, choices, 1);
  }

  remove(request: AdmissionRequest, choices: readonly AdmissionChoice[]): void {
    this.change(request, choices, -1);
  }

  /**
   * Ms until `request` could be admitted on `choice` after the work queued
   * ahead of it, given the units the choice's buckets hold now (`remaining`,
   * in bucket order), and the bucket that makes it wait longest.
   */
  wait(
    request: AdmissionRequest,
    choice: AdmissionChoice,
    remaining: readonly number[],
  ): { ms: number; bucket: BucketSpec | undefined } {
    let wait = 0;
    let bucket: BucketSpec | undefined;
    choice.buckets.forEach((spec, i) => {
      if (spec.kind !== 'gcra') return;
      const queue = this.byBucket.get(spec.key);
      const own = costOn(choice.cost, spec.dimension);
      let ahead = 0;
      if (queue) {
        for (let c = 0; c < request.priority; c++) ahead += queue.byClass[c] ?? 0;
        const sameClass = queue.byClassTenant[request.priority];
        const mine = sameClass?.get(request.tenant) ?? 0;
        ahead += mine;
        if (sameClass)
          for (const [tenant, queued] of sameClass)
            if (tenant !== request.tenant) ahead += Math.min(queued, mine + own);
      }
      const short = ahead + own - (remaining[i] ?? 0);
      if (short > 0 && short / spec.ratePerMs > wait) {
        wait = short / spec.ratePerMs;
        bucket = spec;
      }
    });
    return { ms: wait, bucket };
  }

  private change(request: AdmissionRequest, choices: readonly AdmissionChoice[], sign: 1 | -1): void {
    for (const choice of choices) this.changeOn(request, choice, sign / choices.length);
  }

  private changeOn(request: AdmissionRequest, choice: AdmissionChoice, share: number): void {
    for (const spec of choice.buckets) {
      if (spec.kind !== 'gcra') continue;
      // Ahead of others it holds the bucket only while it runs: it is counted at what it keeps.
      const amount = share * costOn(choice.keeps ?? choice.cost, spec.dimension);
      if (amount === 0) continue;
      const queue = this.queueOf(spec);
      queue.byClass[request.priority] = (queue.byClass[request.priority] ?? 0) + amount;
      const tenants = queue.byClassTenant[request.priority] as Map<string, number>;
      const next = (tenants.get(request.tenant) ?? 0) + amount;
      if (next > 1e-9) tenants.set(request.tenant, next);
      else tenants.delete(request.tenant);
      if (share < 0 && queue.byClass.every((v) => v <= 1e-9)) this.byBucket.delete(spec.key);
    }
  }

  private queueOf(spec: BucketSpec): BucketQueue {
    let queue = this.byBucket.get(spec.key);
    if (!queue) {
      queue = {
        byClass: new Array<number>(this.classes).fill(0),
        byClassTenant: Array.from({ length: this.classes }, () => new Map<string, number>()),
      };
      this.byBucket.set(spec.key, queue);
    }
    return queue;
  }
}

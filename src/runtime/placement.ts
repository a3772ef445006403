/**
 * Placement at dispatch (issue 15): a request waits for its model group,
 * not for one pre-picked deployment. Its choices (one per deployment it may
 * go to, each with its own buckets and its own price) are offered to the
 * store together, and the first that fits takes it, so a burst spreads over
 * every key in proportion to what each can take.
 *
 * The order of the offer: choices of the first tier (reserved capacity, or
 * every choice when the group has none) before the spill tier (on-demand),
 * which is offered only once the first tier cannot admit the request before
 * its deadline; inside a tier, weighted turns (core/scheduler/weighted-turns.ts)
 * decide among those that fit now, and a full one passes the request on.
 */
import type { Cost } from '../core/cost.js';
import type { Decision } from '../core/decision.js';
import type { BucketSpec } from '../core/limit.js';
import type { WeightedChoice, WeightedTurns } from '../core/scheduler/weighted-turns.js';

/** One way to serve a request: a deployment's buckets (its pools', the tenant's) and its price there. */
export interface AdmissionChoice {
  readonly buckets: readonly BucketSpec[];
  readonly cost: Cost;
  /**
   * What the request is expected to keep of these buckets once settled, when
   * less than `cost` (a reserved output maximum the answer rarely reaches).
   * Queued work is forecast at this; the request must still fit at `cost`.
   */
  readonly keeps?: Cost;
  /** Identity and share for weighted turns (a deployment's id and weight). */
  readonly turn?: WeightedChoice;
}

/** What a choice's decision was, by its index in the request's choices. */
export interface Tried {
  readonly index: number;
  readonly decision: Decision;
}

export interface PlacementOptions {
  /** Choices from this index on are the spill tier (default: none, every choice is first tier). */
  readonly spillFrom?: number;
  /** Weighted turns shared by every request of the same choices (a model group's). */
  readonly turns?: WeightedTurns;
}

/** A queued or arriving request's choices, and what admission has learned trying them. */
export class Placing {
  /** Past the first tier's reach before the deadline: the spill tier is offered too. */
  spilling = false;
  /** Choices too large for their own whole limit: never offered again. */
  readonly dead = new Set<number>();
  private readonly spillFrom: number;
  private readonly weighted: readonly WeightedChoice[];

  constructor(
    readonly choices: readonly AdmissionChoice[],
    private readonly options: PlacementOptions = {},
  ) {
    this.spillFrom = Math.min(options.spillFrom ?? choices.length, choices.length);
    if (this.spillFrom <= 0) this.spillFrom = choices.length;
    this.weighted = choices.map((c, i) => c.turn ?? { id: String(i), weight: 1 });
  }

  get hasSpill(): boolean {
    return this.spillFrom < this.choices.length;
  }

  /** Whether `index` is offered now (its tier is in force and it can still fit). */
  inForce(index: number): boolean {
    return !this.dead.has(index) && (this.spilling || index < this.spillFrom);
  }

  /** Every choice is too large for its own limit. */
  get impossible(): boolean {
    return this.dead.size === this.choices.length;
  }

  /** The first tier cannot serve at all (every choice too large): go to the spill tier. */
  get firstTierDead(): boolean {
    for (let i = 0; i < this.spillFrom; i++) if (!this.dead.has(i)) return false;
    return true;
  }

  /**
   * Indexes to offer now, of `tier`, leaving out dead choices and those
   * touching a bucket in `held` (work ahead waits for it), in the order of
   * a weighted turn taken now; `settle` must follow with the store's answer.
   */
  offer(tier: 'first' | 'spill', held: ReadonlySet<string> | undefined): number[] {
    const open = this.open(tier, held);
    if (open.length < 2 || !this.options.turns) return open;
    const order = this.options.turns.take(open.map((i) => this.weighted[i] as WeightedChoice));
    return order.map((k) => open[k] as number);
  }

  /** How many choices of `tier` could be offered now, held ones included. */
  countOpen(tier: 'first' | 'spill'): number {
    return this.open(tier, undefined).length;
  }

  /** The store's answer to `offered` (in offer order): `granted` its index there, -1 for none. */
  settle(offered: readonly number[], granted: number): void {
    if (offered.length < 2) return;
    // The turn was charged to the choice offered first; `take` put it first in `offered`.
    const sorted = [...offered].sort((a, b) => a - b);
    const position = (index: number | undefined) => (index === undefined ? -1 : sorted.indexOf(index));
    this.options.turns?.settle(
      sorted.map((i) => this.weighted[i] as WeightedChoice),
      position(offered[0]),
      granted < 0 ? -1 : position(offered[granted]),
    );
  }

  private open(tier: 'first' | 'spill', held: ReadonlySet<string> | undefined): number[] {
    const [from, to] = tier === 'first' ? [0, this.spillFrom] : [this.spillFrom, this.choices.length];
    const open: number[] = [];
    for (let i = from; i < to; i++) {
      if (this.dead.has(i)) continue;
      if (held && (this.choices[i] as AdmissionChoice).buckets.some((b) => held.has(b.key))) continue;
      open.push(i);
    }
    return open;
  }

  /** Every bucket of every choice, each once. */
  keys(): Set<string> {
    const keys = new Set<string>();
    for (const choice of this.choices) for (const b of choice.buckets) keys.add(b.key);
    return keys;
  }
}

/** The decision that says the most about when the request may go: the soonest, among choices in force. */
export function soonest(placing: Placing, tried: readonly Tried[]): Tried | undefined {
  let best: Tried | undefined;
  for (const t of tried) {
    if (!placing.inForce(t.index)) continue;
    if (!best || t.decision.retryAfterMs < best.decision.retryAfterMs) best = t;
  }
  return best ?? tried[tried.length - 1];
}

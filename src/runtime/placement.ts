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

/** One offer of a tier's choices (`Placing.offer`). */
export interface Offer {
  /** Choice indexes in the order to try them. */
  readonly order: readonly number[];
  /** The same, ascending: the order weighted turns were taken in. */
  readonly open: readonly number[];
  /** The weighted turn taken, when there was one to take. */
  readonly turns: readonly WeightedChoice[] | undefined;
  /** Whether a choice in force was left out because work ahead holds one of its buckets. */
  readonly heldOut: boolean;
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
   * What to offer now of `tier`: its choices, leaving out dead ones and
   * those touching a bucket in `held` (work ahead waits for it), in the
   * order of a weighted turn taken now; `settle` must follow with the
   * store's answer.
   */
  offer(tier: 'first' | 'spill', held: ReadonlySet<string> | undefined): Offer {
    const [from, to] = tier === 'first' ? [0, this.spillFrom] : [this.spillFrom, this.choices.length];
    const open: number[] = [];
    let heldOut = false;
    for (let i = from; i < to; i++) {
      if (this.dead.has(i)) continue;
      if (held && (this.choices[i] as AdmissionChoice).buckets.some((b) => held.has(b.key))) heldOut = true;
      else open.push(i);
    }
    if (open.length < 2 || !this.options.turns) return { order: open, open, turns: undefined, heldOut };
    const turns = open.map((i) => this.weighted[i] as WeightedChoice);
    const order = this.options.turns.take(turns).map((k) => open[k] as number);
    return { order, open, turns, heldOut };
  }

  /** The store's answer to `offer`: `granted` an index into `offer.order`, -1 for none. */
  settle(offer: Offer, granted: number): void {
    if (!offer.turns) return;
    // The turn was charged to the choice offered first; positions are in `open`, the order `take` saw.
    const position = (index: number | undefined) => (index === undefined ? -1 : offer.open.indexOf(index));
    this.options.turns?.settle(
      offer.turns,
      position(offer.order[0]),
      granted < 0 ? -1 : position(offer.order[granted]),
    );
  }

  /** Every bucket key of every choice, each once. */
  keys(): string[] {
    const keys = new Set<string>();
    for (const choice of this.choices) for (const b of choice.buckets) keys.add(b.key);
    return [...keys];
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

/**
 * Fault injection by rate or schedule, reproducible with a seed.
 *
 * Each configured fault counts the requests that match its filters; its
 * trigger (`at` ordinals, `every` n-th, a `from`–`to` range, `rate`
 * probability, `during` a time window from the start) is evaluated on that count, so a fault's decisions
 * depend only on the seed and the order of the requests it matches. The
 * first fault in list order that fires wins. A request can also force one
 * with the `x-sim-fault: <kind>` header.
 */
import { FAULT_KINDS, type FaultKind, type FaultSpec } from './config.js';
import type { Flavour } from './flavour.js';
import { draw } from './random.js';

/** Faults answered instead of the call, before admission (nothing is charged). */
export const EARLY_FAULTS: ReadonlySet<FaultKind> = new Set([
  '500',
  '502',
  '503',
  '529',
  'overloaded',
  'rate_limited',
  'insufficient_quota',
  'credit_balance_too_low',
  'slow_down',
  'timeout',
  'reset',
]);

export interface FaultTarget {
  readonly flavour: Flavour;
  readonly key: string;
  readonly model: string;
  readonly stream: boolean;
}

export interface Fault {
  readonly kind: FaultKind;
  readonly spec: FaultSpec;
}

export class FaultPlan {
  private seen: number[];
  private specs: readonly FaultSpec[];

  constructor(
    specs: readonly FaultSpec[],
    private readonly seed: number,
    private readonly startedAt: number,
  ) {
    this.specs = specs;
    this.seen = specs.map(() => 0);
  }

  /** The faults in force now (their counts start over): a key runs dry, or comes back, mid-run. */
  replace(specs: readonly FaultSpec[]): void {
    this.specs = specs;
    this.seen = specs.map(() => 0);
  }

  get current(): readonly FaultSpec[] {
    return this.specs;
  }

  /** The fault this request gets, if any. `forced` is the `x-sim-fault` header. */
  pick(target: FaultTarget, now: number, forced: string | undefined): Fault | undefined {
    let chosen: Fault | undefined;
    for (let i = 0; i < this.specs.length; i++) {
      const spec = this.specs[i] as FaultSpec;
      if (!matches(spec, target)) continue;
      const ordinal = ++(this.seen[i] as number);
      if (!chosen && this.fires(spec, i, ordinal, now)) chosen = { kind: spec.kind, spec };
    }
    if (forced && isFaultKind(forced)) return { kind: forced, spec: { kind: forced } };
    return chosen;
  }

  reset(): void {
    this.seen = this.specs.map(() => 0);
  }

  private fires(spec: FaultSpec, index: number, ordinal: number, now: number): boolean {
    if (spec.during) {
      const offset = now - this.startedAt;
      if (offset < spec.during[0] || offset >= spec.during[1]) return false;
      if (spec.rate === undefined && !spec.at && !spec.every && spec.from === undefined) return true;
    }
    if (spec.from !== undefined && ordinal >= spec.from && ordinal <= (spec.to ?? Number.POSITIVE_INFINITY))
      return true;
    if (spec.at?.includes(ordinal)) return true;
    if (spec.every && ordinal % spec.every === 0) return true;
    return spec.rate !== undefined && draw(this.seed, ordinal, index) < spec.rate;
  }
}

function matches(spec: FaultSpec, target: FaultTarget): boolean {
  return (
    (spec.flavour === undefined || spec.flavour === target.flavour) &&
    (spec.key === undefined || spec.key === target.key) &&
    (spec.model === undefined || spec.model === target.model) &&
    (spec.stream === undefined || spec.stream === target.stream)
  );
}

export function isFaultKind(value: string): value is FaultKind {
  return (FAULT_KINDS as readonly string[]).includes(value);
}

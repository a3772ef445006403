/**
 * One simulated provider limit: a continuous-refill bucket (core GCRA), or a
 * fixed window (a minute, a slice of one, a day in a time zone). The
 * simulator has no safety margin (`margin: 0`): capacity is the provider's
 * limit itself. All arithmetic comes from `src/core/buckets`; this class only
 * keeps the state and gives the three kinds one surface.
 */
import { periodOf } from '../../core/buckets/fixed-window.js';
import { gcraGive, gcraTake, gcraUsed, gcraWaitMs } from '../../core/buckets/gcra.js';
import {
  type BucketSpec,
  defineBucket,
  type FixedWindowRule,
  type Window,
  withLimit,
} from '../../core/limit.js';
import { fixedUsed, fixedWaitMs } from './fixed-window.js';

/** The limit names of the configuration, which are also the names in stats and refusals. */
export const LIMIT_DIMENSIONS = ['rpm', 'tpm', 'itpm', 'otpm', 'rpd', 'tpd'] as const;
export type LimitDimension = (typeof LIMIT_DIMENSIONS)[number];

/** What a dimension counts. `tokens` is input + output (Gemini: input only, PROVIDERS.md §4.1). */
export type Unit = 'requests' | 'tokens' | 'input' | 'output';

export const UNIT_OF: Readonly<Record<LimitDimension, Unit>> = {
  rpm: 'requests',
  rpd: 'requests',
  tpm: 'tokens',
  tpd: 'tokens',
  itpm: 'input',
  otpm: 'output',
};

export const WINDOW_OF: Readonly<Record<LimitDimension, Window>> = {
  rpm: 'minute',
  tpm: 'minute',
  itpm: 'minute',
  otpm: 'minute',
  rpd: 'day',
  tpd: 'day',
};

/** `bucket`: continuous refill; `fixed`: counter reset at each boundary; `sliced`: a minute's limit per slice. */
export type BucketMode = 'bucket' | 'fixed' | 'sliced';

export interface WindowOptions {
  readonly mode: BucketMode;
  /** `sliced`: slice length in ms. */
  readonly sliceMs?: number;
  /** `fixed`: where periods start (days: local midnight); default UTC. */
  readonly timeZone?: string;
}

export interface BucketView {
  readonly dimension: LimitDimension;
  readonly limit: number;
  /** Whole units that can still be taken now (in the current slice, for a sliced limit). */
  readonly remaining: number;
  /** Units in use now (may exceed the limit after output was produced beyond it). */
  readonly used: number;
  /** Ms until the bucket is full again (0 when full). */
  readonly resetMs: number;
}

export class SimBucket {
  private current: BucketSpec;
  readonly unit: Unit;
  /**
   * GCRA state: the instant the bucket is full again, in ms since `origin`.
   * Relative time keeps float error far below one unit: at epoch magnitudes
   * (1.7e12 ms) one ulp is 0.24 µs, which is a visible fraction of a token
   * for large limits. It starts in the far past (full), so a call stamped a
   * moment before the scope was created still finds a full bucket.
   */
  private tat = Number.NEGATIVE_INFINITY;
  /** Window state (fixed and sliced). */
  private used = 0;
  private windowStart = 0;
  private rule: FixedWindowRule | undefined;
  /** The limit per period: the whole limit, or a slice's share of it. */
  private periodLimit: number;
  private readonly period = new Float64Array(2);
  readonly mode: BucketMode;

  constructor(
    readonly dimension: LimitDimension,
    limit: number,
    window: WindowOptions,
    scope: string,
    private readonly origin: number,
  ) {
    this.unit = UNIT_OF[dimension];
    this.mode = window.mode;
    this.current = defineBucket(`${scope}:${dimension}`, {
      dimension: unitToCoreDimension(this.unit),
      limit,
      per: WINDOW_OF[dimension],
      window: window.mode === 'bucket' ? 'continuous' : window.mode,
      ...(window.mode === 'sliced' && window.sliceMs !== undefined && { sliceMs: window.sliceMs }),
      ...(window.mode === 'fixed' && window.timeZone !== undefined && { timeZone: window.timeZone }),
      margin: 0,
    });
    this.rule = this.current.fixed;
    this.periodLimit = this.rule?.periodLimit ?? limit;
  }

  get spec(): BucketSpec {
    return this.current;
  }

  get limit(): number {
    return this.current.limit;
  }

  /**
   * The provider changed the limit (a tier upgrade, a temporary lowering):
   * what is used stays used, the new limit counts from now.
   */
  setLimit(limit: number, now: number): void {
    const used = this.usedAt(now);
    this.current = withLimit(this.current, limit);
    this.rule = this.current.fixed;
    this.periodLimit = this.current.fixed?.periodLimit ?? limit;
    if (this.mode === 'bucket' && used > 0) this.tat = now - this.origin + used / this.current.ratePerMs;
  }

  /** Ms until `amount` fits (0: now; Infinity: never, it exceeds the whole limit). */
  waitMs(amount: number, now: number): number {
    if (!this.rule) return gcraWaitMs(this.tat, amount, now - this.origin, this.spec);
    return fixedWaitMs(this.used, this.windowStart, amount, now, this.periodLimit, this.periodAt(now));
  }

  /** [start, end) of the period containing `now` (fixed and sliced only). */
  private periodAt(now: number): Float64Array {
    periodOf(this.rule as FixedWindowRule, now, this.period);
    return this.period;
  }

  /** Takes `amount`, overdrawing if need be (produced output is charged whatever the level). */
  take(amount: number, now: number): void {
    if (amount <= 0) return;
    if (this.mode === 'bucket') {
      this.tat = gcraTake(this.tat, amount, now - this.origin, this.spec);
    } else {
      this.used = this.usedAt(now) + amount;
      this.windowStart = this.startAt(now);
    }
  }

  /** Takes at most what is left, never below empty (other clients and refused requests). */
  takeUpTo(amount: number, now: number): number {
    const room = Math.max(0, this.periodLimit - this.usedAt(now));
    const taken = Math.min(room, amount);
    this.take(taken, now);
    return taken;
  }

  /**
   * A steady consumption of `perMs` units per ms from `from` to `now` (the
   * other clients), as if applied continuously: a bucket that refills faster
   * than it is drained and gets full stays full, and none goes below empty.
   */
  drain(perMs: number, from: number, now: number): void {
    if (perMs <= 0 || now <= from) return;
    if (this.mode === 'bucket') {
      // In GCRA time, taking d units per ms pushes `tat` by d/rate per ms.
      const t = now - this.origin;
      let next = Math.max(this.tat, from - this.origin) + (perMs / this.spec.ratePerMs) * (now - from);
      if (next < t) next = t;
      this.tat = Math.min(next, t + this.spec.windowMs);
      return;
    }
    const start = this.startAt(now);
    const since = Math.max(from, start);
    const used = this.usedAt(now);
    this.used = Math.min(this.periodLimit, used + perMs * (now - since));
    this.windowStart = start;
  }

  /** Gives back `amount`; never beyond full. */
  give(amount: number, now: number): void {
    if (amount <= 0) return;
    if (this.mode === 'bucket') {
      this.tat = gcraGive(this.tat, amount, now - this.origin, this.spec);
    } else if (this.windowStart === this.startAt(now)) {
      this.used = Math.max(0, this.used - amount);
    }
  }

  usedAt(now: number): number {
    if (!this.rule) return gcraUsed(this.tat, now - this.origin, this.spec);
    return fixedUsed(this.used, this.windowStart, this.periodAt(now)[0] as number);
  }

  view(now: number): BucketView {
    const used = this.usedAt(now);
    return {
      dimension: this.dimension,
      limit: this.limit,
      // The slack absorbs float error from converting units to GCRA time and back (216 → 215.99999999).
      remaining: Math.max(0, Math.floor(this.periodLimit - used + 1e-6)),
      used,
      resetMs: this.resetMs(now, used),
    };
  }

  private resetMs(now: number, used: number): number {
    if (used <= 0) return 0;
    // Time to refill completely, PROVIDERS.md §1.3: (L − level)·W/L; a window's end.
    if (!this.rule) return Math.max(0, this.tat - (now - this.origin));
    return (this.periodAt(now)[1] as number) - now;
  }

  private startAt(now: number): number {
    return this.periodAt(now)[0] as number;
  }
}

function unitToCoreDimension(unit: Unit): BucketSpec['dimension'] {
  switch (unit) {
    case 'requests':
      return 'requests';
    case 'tokens':
      return 'tokens';
    case 'input':
      return 'input_tokens';
    case 'output':
      return 'output_tokens';
  }
}

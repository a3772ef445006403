/**
 * A limit is a bucket on one dimension in one scope (DESIGN.md, idea 1).
 *
 * `defineBucket` turns a declared limit into a frozen `BucketSpec` with the
 * derived numbers every algorithm needs (capacity after the safety margin,
 * refill rate), computed once at configuration time instead of per decision.
 */
import type { Dimension } from './cost.js';

/** `month` is a spending budget's window: 30 days when rolling, the calendar month when fixed. */
export type Window = 'second' | 'minute' | 'hour' | 'day' | 'month';
/** `rolling`: a continuous 24 h bucket. `calendar`: resets at 00:00 UTC (a fixed day; see `WindowRule`). */
export type DayMode = 'rolling' | 'calendar';

/**
 * How a windowed limit is enforced (PROVIDERS.md §7.1): `continuous` refills
 * steadily (OpenAI, Anthropic); `fixed` is a counter that starts over at each
 * minute, hour or day boundary (Gemini, Azure tokens); `sliced` enforces a
 * per-minute limit as its share in every 1 s or 10 s slice (Azure requests).
 */
export type WindowRule = 'continuous' | 'fixed' | 'sliced';

/** Slice lengths Azure is documented to use ("typically 1 or 10 seconds", PROVIDERS.md §2.2). */
export const SLICE_MS = [1_000, 10_000] as const;

export const WINDOW_MS: Readonly<Record<Window, number>> = Object.freeze({
  second: 1_000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
  month: 30 * 86_400_000,
});

export const DEFAULT_SAFETY_MARGIN = 0.1;

/** How the state of a bucket evolves. */
export type BucketKind = 'gcra' | 'fixed' | 'concurrency';

/**
 * Share of a paced period's capacity offered at its first instant; the rest
 * comes linearly over the first quarter of the period (`fixed-window.ts`):
 * enough to keep a burst at second 0, or a clock a few seconds ahead of the
 * provider's, from spending the whole minute at once, and short enough that
 * a caller's usual wait limit (30 s) still sees the whole budget.
 * Periods of a day or longer are budgets, not rates, and are not paced.
 */
export const FIXED_BURST = 0.5;
const PACED_SHARE_OF_PERIOD = 0.25;
const PACED_UP_TO_MS = 3_600_000;

/** The numbers of a fixed or sliced window, derived once per spec. */
export interface FixedWindowRule {
  /** Length of one period: the window, or the slice. */
  readonly periodMs: number;
  /** Where periods start (IANA zone); undefined: UTC. */
  readonly timeZone: string | undefined;
  /** The limit's share in one period (`limit` itself unless sliced). */
  readonly periodLimit: number;
  /** Share of the period's capacity offered at its start (1: all of it, no pacing). */
  readonly burst: number;
  /** Ms after the period's start by which all of its capacity is offered. */
  readonly paceMs: number;
  /** Periods are calendar months (of 28 to 31 days; `periodMs` is only their nominal 30). */
  readonly monthly: boolean;
}

/**
 * Who a bucket limits: a downstream tenant, one upstream deployment, or a
 * pool of deployments (an org or project limit). A typed field, so nothing
 * parses it back out of the key.
 */
export interface BucketScope {
  readonly kind: 'tenant' | 'deployment' | 'pool';
  /** The tenant, deployment or pool id. */
  readonly owner: string;
}

export interface LimitDefinition {
  dimension: Dimension;
  /** Units per window, or slots for `concurrency`. */
  limit: number;
  /** Required for every dimension but `concurrency`. */
  per?: Window;
  /** Only for `per: 'day'` (default `rolling`) and `'month'` (default `calendar`). `calendar` is `window: 'fixed'`. */
  dayMode?: DayMode;
  /** Default `continuous` (or what `dayMode` says for a day). */
  window?: WindowRule;
  /** `sliced` only: one of `SLICE_MS`; default 10 s. */
  sliceMs?: number;
  /** `fixed` only: the zone whose midnights (and hours) start periods; default UTC. */
  timeZone?: string;
  /** Share of the limit that is never handed out; default 0.1. */
  margin?: number;
  /** Whose limit this is (undefined for a bucket outside any topology). */
  scope?: BucketScope;
}

export interface BucketSpec {
  /** Unique name of this bucket's state, e.g. `deployment:openai-1:tokens:minute`. */
  readonly key: string;
  /** Whose limit it is; undefined for a bucket defined outside a topology. */
  readonly scope: BucketScope | undefined;
  readonly dimension: Dimension;
  readonly kind: BucketKind;
  /** The limit as declared (or as the provider last reported it). */
  readonly limit: number;
  readonly per: Window | undefined;
  readonly margin: number;
  /** Fixed and sliced windows only: the period and its pacing. */
  readonly fixed: FixedWindowRule | undefined;
  /** Units (or slots) that may be held at once: `limit × (1 − margin)` (per period for a fixed window). */
  readonly capacity: number;
  /** Length of the window in ms (0 for concurrency). */
  readonly windowMs: number;
  /**
   * Refill speed in units per ms. Refill runs at the full declared rate: the
   * margin shrinks the burst a bucket can absorb, not the sustained rate, so
   * steady goodput can reach the provider's limit while estimate errors and
   * foreign traffic are absorbed by the unused margin (see README, "Limits").
   */
  readonly ratePerMs: number;
}

export class InvalidLimitError extends Error {
  readonly code = 'invalid_limit';
}

export function defineBucket(key: string, def: LimitDefinition): BucketSpec {
  const margin = def.margin ?? DEFAULT_SAFETY_MARGIN;
  if (!key) throw new InvalidLimitError('a bucket needs a non-empty key');
  if (!(def.limit > 0) || !Number.isFinite(def.limit)) {
    throw new InvalidLimitError(`limit of ${key} must be a positive number, got ${def.limit}`);
  }
  if (!(margin >= 0 && margin < 1)) {
    throw new InvalidLimitError(`margin of ${key} must be in [0, 1), got ${margin}`);
  }
  if (def.dimension === 'concurrency') {
    return Object.freeze({
      key,
      scope: def.scope,
      dimension: def.dimension,
      kind: 'concurrency',
      limit: def.limit,
      per: undefined,
      margin,
      // A margin may never take the last slot away.
      capacity: Math.max(1, Math.floor(def.limit * (1 - margin))),
      windowMs: 0,
      ratePerMs: 0,
      fixed: undefined,
    });
  }
  if (!def.per) throw new InvalidLimitError(`${key}: a ${def.dimension} limit needs a window (per)`);
  const windowMs = WINDOW_MS[def.per];
  const fixed = fixedRuleOf(key, def, windowMs);
  return Object.freeze({
    key,
    scope: def.scope,
    dimension: def.dimension,
    kind: fixed ? 'fixed' : 'gcra',
    limit: def.limit,
    per: def.per,
    margin,
    capacity: fixed
      ? sliceCapacity(fixed.periodLimit, margin, def.window === 'sliced')
      : def.limit * (1 - margin),
    windowMs,
    ratePerMs: def.limit / windowMs,
    fixed,
  });
}

function fixedRuleOf(key: string, def: LimitDefinition, windowMs: number): FixedWindowRule | undefined {
  const calendar =
    def.per === 'month' ? def.dayMode !== 'rolling' : def.per === 'day' && def.dayMode === 'calendar';
  const window = def.window ?? (calendar ? 'fixed' : 'continuous');
  const long = def.per === 'day' || def.per === 'month';
  if (def.window && def.dayMode === 'rolling' && long && def.window !== 'continuous') {
    throw new InvalidLimitError(`${key}: a rolling ${def.per} cannot also be a ${def.window} window`);
  }
  if (def.per === 'month' && window === 'sliced') {
    throw new InvalidLimitError(`${key}: a month cannot be sliced`);
  }
  if (def.sliceMs !== undefined && window !== 'sliced') {
    throw new InvalidLimitError(`${key}: a slice only applies to a sliced window`);
  }
  if (def.timeZone !== undefined && window !== 'fixed') {
    throw new InvalidLimitError(`${key}: a time zone only applies to a fixed window`);
  }
  if (window === 'continuous') return undefined;
  if (window === 'sliced') {
    const sliceMs = def.sliceMs ?? 10_000;
    if (def.per !== 'minute') throw new InvalidLimitError(`${key}: only a per-minute limit can be sliced`);
    if (!(SLICE_MS as readonly number[]).includes(sliceMs)) {
      throw new InvalidLimitError(`${key}: a slice is 1000 or 10000 ms, got ${sliceMs}`);
    }
    const periodLimit = (def.limit * sliceMs) / windowMs;
    if (periodLimit < 1) {
      throw new InvalidLimitError(
        `${key}: ${def.limit} per minute is less than one per ${sliceMs / 1000} s slice; use a longer slice or a fixed window`,
      );
    }
    return Object.freeze({
      periodMs: sliceMs,
      timeZone: undefined,
      periodLimit,
      burst: 1,
      paceMs: 0,
      monthly: false,
    });
  }
  const paced = windowMs <= PACED_UP_TO_MS;
  return Object.freeze({
    periodMs: windowMs,
    timeZone: def.timeZone === 'UTC' ? undefined : def.timeZone,
    periodLimit: def.limit,
    burst: paced ? FIXED_BURST : 1,
    paceMs: paced ? windowMs * PACED_SHARE_OF_PERIOD : 0,
    monthly: def.per === 'month',
  });
}

/**
 * A slice's capacity. A margin may never take a slice's last request away
 * (as with concurrency slots): 6 RPM in 10 s slices is one request per slice.
 */
function sliceCapacity(periodLimit: number, margin: number, sliced: boolean): number {
  const capacity = periodLimit * (1 - margin);
  return sliced ? Math.max(capacity, Math.min(1, periodLimit)) : capacity;
}

/**
 * The same bucket with another limit (provider-reported limit, adaptive
 * decrease, one instance's share). A sliced limit lowered below one unit per
 * slice is counted per minute instead: it could never admit anything sliced.
 */
export function withLimit(spec: BucketSpec, limit: number): BucketSpec {
  if (limit === spec.limit) return spec;
  const window = windowOf(spec);
  const unsliceable = window.window === 'sliced' && (limit * (window.sliceMs as number)) / spec.windowMs < 1;
  return defineBucket(spec.key, {
    dimension: spec.dimension,
    limit,
    per: spec.per,
    ...(unsliceable ? { window: 'fixed' } : window),
    margin: spec.margin,
    scope: spec.scope,
  });
}

/** The window declaration a spec was defined with (for a copy with another limit). */
export function windowOf(spec: BucketSpec): Pick<LimitDefinition, 'window' | 'sliceMs' | 'timeZone'> {
  const rule = spec.fixed;
  if (!rule) return {};
  if (rule.periodMs !== spec.windowMs) return { window: 'sliced', sliceMs: rule.periodMs };
  return rule.timeZone === undefined ? { window: 'fixed' } : { window: 'fixed', timeZone: rule.timeZone };
}

/** Conventional key layout: `<scope>:<dimension>[:<window>]`. */
export function bucketKey(scope: string, dimension: Dimension, per?: Window): string {
  return per ? `${scope}:${dimension}:${per}` : `${scope}:${dimension}`;
}

/** Whether one of `buckets` is a spending budget: its cost must carry dollars (`Cost.usd`). */
export function spendsMoney(buckets: readonly BucketSpec[]): boolean {
  for (let i = 0; i < buckets.length; i++) if ((buckets[i] as BucketSpec).dimension === 'usd') return true;
  return false;
}

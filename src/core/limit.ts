/**
 * A limit is a bucket on one dimension in one scope (DESIGN.md, idea 1).
 *
 * `defineBucket` turns a declared limit into a frozen `BucketSpec` with the
 * derived numbers every algorithm needs (capacity after the safety margin,
 * refill rate), computed once at configuration time instead of per decision.
 */
import type { Dimension } from './cost.js';

export type Window = 'second' | 'minute' | 'hour' | 'day';
/** `rolling`: a continuous 24 h bucket. `calendar`: resets at 00:00 UTC. */
export type DayMode = 'rolling' | 'calendar';

export const WINDOW_MS: Readonly<Record<Window, number>> = Object.freeze({
  second: 1_000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
});

export const DEFAULT_SAFETY_MARGIN = 0.1;

/** How the state of a bucket evolves. */
export type BucketKind = 'gcra' | 'calendar' | 'concurrency';

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
  /** Only for `per: 'day'`; default `rolling`. */
  dayMode?: DayMode;
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
  /** Units (or slots) that may be held at once: `limit × (1 − margin)`. */
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
    });
  }
  if (!def.per) throw new InvalidLimitError(`${key}: a ${def.dimension} limit needs a window (per)`);
  const windowMs = WINDOW_MS[def.per];
  const calendar = def.per === 'day' && def.dayMode === 'calendar';
  return Object.freeze({
    key,
    scope: def.scope,
    dimension: def.dimension,
    kind: calendar ? 'calendar' : 'gcra',
    limit: def.limit,
    per: def.per,
    margin,
    capacity: def.limit * (1 - margin),
    windowMs,
    ratePerMs: def.limit / windowMs,
  });
}

/** The same bucket with another limit (provider-reported limit, adaptive decrease). */
export function withLimit(spec: BucketSpec, limit: number): BucketSpec {
  if (limit === spec.limit) return spec;
  return defineBucket(spec.key, {
    dimension: spec.dimension,
    limit,
    per: spec.per,
    dayMode: spec.kind === 'calendar' ? 'calendar' : 'rolling',
    margin: spec.margin,
    scope: spec.scope,
  });
}

/** Conventional key layout: `<scope>:<dimension>[:<window>]`. */
export function bucketKey(scope: string, dimension: Dimension, per?: Window): string {
  return per ? `${scope}:${dimension}:${per}` : `${scope}:${dimension}`;
}

/**
 * The limits users declare (rpm, tpm, itpm, …) turned into bucket specs for
 * one scope. One table maps every declared name to its dimension and window,
 * so the gateway's YAML, the library's config and the dashboard agree.
 */
import type { Dimension } from '../core/cost.js';
import {
  type BucketScope,
  type BucketSpec,
  bucketKey,
  type DayMode,
  defineBucket,
  type Window,
} from '../core/limit.js';
import { type WindowDeclaration, windowFor } from './window-rules.js';

export interface LimitsConfig {
  rps?: number;
  rpm?: number;
  rpd?: number;
  tps?: number;
  tpm?: number;
  tpd?: number;
  itpm?: number;
  otpm?: number;
  itpd?: number;
  otpd?: number;
  concurrency?: number;
  /** Spending budgets in US dollars (tenants' tiers), charged at the serving deployment's price. */
  usd_per_day?: number;
  usd_per_month?: number;
  /** How per-day limits reset: a rolling 24 h bucket (default) or at midnight (`timeZone`, default UTC). */
  day?: DayMode;
  /** How per-month budgets reset: at the start of each calendar month (default, `timeZone`) or a rolling 30 days. */
  month?: DayMode;
  /** Window rule of the set's limits, or per limit (`window-rules.ts`); default continuous. */
  window?: WindowDeclaration;
  /** Slice of a sliced limit: 1000 or 10000 ms (default). */
  sliceMs?: number;
  /** Where fixed periods start (IANA zone; default UTC). */
  timeZone?: string;
}

export type LimitName = Exclude<keyof LimitsConfig, 'day' | 'month' | 'window' | 'sliceMs' | 'timeZone'>;

export const LIMIT_NAMES: Readonly<Record<LimitName, { dimension: Dimension; per?: Window }>> = Object.freeze(
  {
    rps: { dimension: 'requests', per: 'second' },
    rpm: { dimension: 'requests', per: 'minute' },
    rpd: { dimension: 'requests', per: 'day' },
    tps: { dimension: 'tokens', per: 'second' },
    tpm: { dimension: 'tokens', per: 'minute' },
    tpd: { dimension: 'tokens', per: 'day' },
    itpm: { dimension: 'input_tokens', per: 'minute' },
    otpm: { dimension: 'output_tokens', per: 'minute' },
    itpd: { dimension: 'input_tokens', per: 'day' },
    otpd: { dimension: 'output_tokens', per: 'day' },
    concurrency: { dimension: 'concurrency' },
    usd_per_day: { dimension: 'usd', per: 'day' },
    usd_per_month: { dimension: 'usd', per: 'month' },
  },
);

/** The short name of a (dimension, window) pair, e.g. `tpm`; undefined when none exists. */
export function limitNameOf(dimension: Dimension, per: Window | undefined): LimitName | undefined {
  for (const [name, def] of Object.entries(LIMIT_NAMES) as [
    LimitName,
    { dimension: Dimension; per?: Window },
  ][]) {
    if (def.dimension === dimension && def.per === per) return name;
  }
  return undefined;
}

/** The key prefix of a scope's buckets: `tenant:acme`, `deployment:d1`, `pool:org` (plus `:part`). */
export function scopeKey(scope: BucketScope, part?: string): string {
  return part === undefined ? `${scope.kind}:${scope.owner}` : `${scope.kind}:${scope.owner}:${part}`;
}

/**
 * Bucket specs for every limit set in `limits`, owned by `scope` and keyed
 * under it (`part` tells apart two sets of one owner, e.g. a tenant's count
 * budget beside its tier).
 */
export function bucketsFor(
  scope: BucketScope,
  limits: LimitsConfig | undefined,
  margin: number,
  part?: string,
): BucketSpec[] {
  if (!limits) return [];
  const prefix = scopeKey(scope, part);
  const specs: BucketSpec[] = [];
  for (const name of Object.keys(LIMIT_NAMES) as LimitName[]) {
    const limit = limits[name];
    if (limit === undefined) continue;
    const { dimension, per } = LIMIT_NAMES[name];
    specs.push(
      defineBucket(bucketKey(prefix, dimension, per), {
        dimension,
        limit,
        per,
        ...windowFor(name, per, limits),
        // A budget is the operator's own figure, counted exactly from prices: nothing is kept back.
        margin: dimension === 'usd' ? 0 : margin,
        scope,
      }),
    );
  }
  return specs;
}

/**
 * The weekly review (`sluice report --week`, issue 21): from the recorded
 * history, per bucket how full it ran (peak and p95 utilization, minutes at
 * or above 80 % and 90 %), what it admitted and refused, which limit bound
 * most often, what each tenant used and spent, and what to change, by
 * stated rules:
 *
 * - **raise**: a deployment or pool limit at or above 90 % for an hour or
 *   more of the week, or refusing calls: raise it (or add a deployment);
 * - **rebalance**: deployments of one group whose mean utilization of the
 *   same limit differs more than twofold, the busier one at 50 % or more:
 *   move weight to the idle one;
 * - **batch**: a group that peaks at or above 90 % but averages under 50 %
 *   in its active minutes:
 *   its bursts would fit if traffic that can wait went to the batch lane
 *   (half price) or were smoothed.
 *
 * Utilization is used ÷ usable capacity at the minute's fullest sample.
 * The p95 and the mean are over the bucket's active minutes (those with a
 * record: something admitted, refused or held); over a whole week of idle
 * nights they would read near zero for any limit.
 */

import type { Dimension } from '../core/cost.js';
import type { Window } from '../core/limit.js';
import type { BucketSeries, History, TenantSeries } from '../history/history-read.js';
import { limitNameOf } from '../runtime/limits.js';

export const HOT = 0.9;
export const WARM = 0.8;
/** Minutes at or above `HOT` in a week from which a limit is worth raising. */
const HOT_MINUTES = 60;
const REBALANCE_RATIO = 2;
const BURSTY_MEAN = 0.5;

export interface BucketWeek {
  readonly key: string;
  readonly scope: BucketSeries['scope'];
  readonly owner: string;
  /** The limit's short name (`tpm`, `rpd`, `usd_per_day`), or its dimension and window. */
  readonly limitName: string;
  /** The limit in force at the bucket's last record. */
  readonly limit: number;
  readonly peak: number;
  /** Over active minutes. */
  readonly p95: number;
  readonly mean: number;
  readonly activeMinutes: number;
  readonly minutesAbove80: number;
  readonly minutesAbove90: number;
  readonly admitted: number;
  readonly refused: number;
}

export interface TenantWeek {
  readonly tenant: string;
  readonly group: string;
  readonly requests: number;
  readonly refused: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly costUsd: number;
}

export interface Suggestion {
  readonly kind: 'raise' | 'rebalance' | 'batch';
  /** The bucket key or the model group it is about. */
  readonly about: string;
  readonly text: string;
}

export interface WeeklyReport {
  readonly from: string;
  readonly to: string;
  /** Minutes the report covers (a week: 10,080). */
  readonly minutes: number;
  /** Fullest first. */
  readonly buckets: readonly BucketWeek[];
  /** The limit that bound most often: the most refusals, then the most minutes at or above 90 %. */
  readonly binding: BucketWeek | undefined;
  readonly tenants: readonly TenantWeek[];
  readonly totals: { readonly requests: number; readonly costUsd: number };
  readonly suggestions: readonly Suggestion[];
}

/** Which deployments each model group has (from the configuration). */
export type GroupDeployments = Readonly<Record<string, readonly string[]>>;

export function weeklyReport(history: History, groups: GroupDeployments): WeeklyReport {
  const minutes = history.toMinute - history.fromMinute + 1;
  const buckets = history.buckets
    .map(bucketWeek)
    .sort((a, b) => b.peak - a.peak || b.minutesAbove90 - a.minutesAbove90 || a.key.localeCompare(b.key));
  const binding = [...buckets]
    .filter((b) => b.refused > 0 || b.minutesAbove90 > 0)
    .sort((a, b) => b.refused - a.refused || b.minutesAbove90 - a.minutesAbove90)[0];
  const tenants = history.tenants
    .map(tenantWeek)
    .sort((a, b) => b.costUsd - a.costUsd || b.requests - a.requests);
  return {
    from: new Date(history.fromMinute * 60_000).toISOString(),
    to: new Date((history.toMinute + 1) * 60_000).toISOString(),
    minutes,
    buckets,
    binding,
    tenants,
    totals: {
      requests: tenants.reduce((n, t) => n + t.requests, 0),
      costUsd: tenants.reduce((n, t) => n + t.costUsd, 0),
    },
    suggestions: [...raises(buckets), ...rebalances(buckets, groups), ...batches(buckets, groups)],
  };
}

function bucketWeek(series: BucketSeries): BucketWeek {
  const peaks = series.minutes.map((m) => m.peak).sort((a, b) => a - b);
  const p95 = peaks[Math.max(0, Math.ceil(0.95 * peaks.length) - 1)] ?? 0;
  const name = limitNameOf(series.dimension as Dimension, (series.per || undefined) as Window | undefined);
  return {
    key: series.key,
    scope: series.scope,
    owner: series.owner,
    limitName: name ?? (series.per ? `${series.dimension} per ${series.per}` : series.dimension),
    limit: series.minutes.at(-1)?.limit ?? 0,
    peak: peaks.at(-1) ?? 0,
    p95,
    mean: peaks.reduce((s, p) => s + p, 0) / Math.max(1, peaks.length),
    activeMinutes: peaks.length,
    minutesAbove80: peaks.filter((p) => p >= WARM).length,
    minutesAbove90: peaks.filter((p) => p >= HOT).length,
    admitted: series.minutes.reduce((n, m) => n + m.admitted, 0),
    refused: series.minutes.reduce((n, m) => n + m.refused, 0),
  };
}

function tenantWeek(series: TenantSeries): TenantWeek {
  let requests = 0;
  let refused = 0;
  let inputTokens = 0;
  let outputTokens = 0;
  let costUsd = 0;
  for (const m of series.minutes) {
    requests += m.requests;
    refused += m.refused;
    inputTokens += m.inputTokens;
    outputTokens += m.outputTokens;
    costUsd += m.costUsd;
  }
  return {
    tenant: series.tenant,
    group: series.group,
    requests,
    refused,
    inputTokens,
    outputTokens,
    costUsd,
  };
}

const pct = (x: number) => `${Math.round(x * 100)} %`;

function raises(buckets: readonly BucketWeek[]): Suggestion[] {
  const out: Suggestion[] = [];
  for (const b of buckets) {
    const hot = b.minutesAbove90 >= HOT_MINUTES;
    if (!hot && b.refused === 0) continue;
    const why = `${fmt(b.minutesAbove90)} minutes at or above 90 %, peak ${pct(b.peak)}, ${fmt(b.refused)} refused`;
    if (b.scope === 'tenant') {
      if (b.refused === 0) continue;
      out.push({
        kind: 'raise',
        about: b.key,
        text: `tenant ${b.owner} hit its own ${b.limitName} of ${fmt(b.limit)} (${why}): raise its tier's limit if that traffic is wanted`,
      });
    } else {
      out.push({
        kind: 'raise',
        about: b.key,
        text: `${b.scope} ${b.owner}'s ${b.limitName} of ${fmt(b.limit)} ran hot (${why}): raise it with the provider, or add a deployment to its group`,
      });
    }
  }
  return out;
}

/** Per group and limit name: its deployments' weeks. */
function byGroupAndLimit(
  buckets: readonly BucketWeek[],
  groups: GroupDeployments,
): Map<string, { group: string; limitName: string; weeks: BucketWeek[] }> {
  const groupOf = new Map<string, string>();
  for (const [group, ids] of Object.entries(groups)) for (const id of ids) groupOf.set(id, group);
  const out = new Map<string, { group: string; limitName: string; weeks: BucketWeek[] }>();
  for (const b of buckets) {
    const group = b.scope === 'deployment' ? groupOf.get(b.owner) : undefined;
    if (!group) continue;
    const key = `${group}\u0000${b.limitName}`;
    const entry = out.get(key) ?? { group, limitName: b.limitName, weeks: [] };
    entry.weeks.push(b);
    out.set(key, entry);
  }
  return out;
}

function rebalances(buckets: readonly BucketWeek[], groups: GroupDeployments): Suggestion[] {
  const out: Suggestion[] = [];
  for (const { group, limitName, weeks } of byGroupAndLimit(buckets, groups).values()) {
    if (weeks.length < 2) continue;
    const sorted = [...weeks].sort((a, b) => b.mean - a.mean);
    const [busiest, idlest] = [sorted[0] as BucketWeek, sorted.at(-1) as BucketWeek];
    if (busiest.mean < BURSTY_MEAN || busiest.mean < REBALANCE_RATIO * idlest.mean) continue;
    out.push({
      kind: 'rebalance',
      about: group,
      text: `in group ${group}, ${busiest.owner} averages ${pct(busiest.mean)} of its ${limitName} and ${idlest.owner} ${pct(idlest.mean)}: move weight from ${busiest.owner} to ${idlest.owner}`,
    });
  }
  return out;
}

function batches(buckets: readonly BucketWeek[], groups: GroupDeployments): Suggestion[] {
  const out: Suggestion[] = [];
  const seen = new Set<string>();
  for (const { group, limitName, weeks } of byGroupAndLimit(buckets, groups).values()) {
    if (seen.has(group)) continue;
    const peak = Math.max(...weeks.map((w) => w.peak));
    const mean = weeks.reduce((s, w) => s + w.mean, 0) / weeks.length;
    if (peak < HOT || mean >= BURSTY_MEAN) continue;
    seen.add(group);
    out.push({
      kind: 'batch',
      about: group,
      text: `group ${group} peaks at ${pct(peak)} of its ${limitName} but averages ${pct(mean)}: send traffic that can wait to the batch lane (half price) or smooth its bursts`,
    });
  }
  return out;
}

/** Counts and limits as people write them: `1,680`, `160,000`, `0.5`. */
function fmt(n: number): string {
  return n >= 1_000 ? Math.round(n).toLocaleString('en-US') : String(n);
}

/**
 * Shapes what the gateway knows into the dashboard's JSON (`wire.ts`): one
 * pure function of its sources, so what the page shows (and what it must
 * never show: keys, prompts, URL credentials) is tested without a server.
 */

import type { BucketReading, DeploymentView, StoreView, TenantView } from '../gateway/state.js';
import type { RateLimitObservation } from '../providers/adapter.js';
import { ALERT_NAMES, type AlertLevel } from '../runtime/load/bucket-levels.js';
import { shareOf } from '../runtime/spillover.js';
import type { AccuracyTotals } from './accuracy-totals.js';
import { batchesSection, type LaneReading } from './batch-rows.js';
import type { CounterTotals } from './counter-totals.js';
import { type GroupLoadSource, loadRows } from './load-rows.js';
import type { ResponseCacheMinute } from './recorder.js';
import type {
  BucketRow,
  DashboardSnapshot,
  DeploymentRow,
  LimitChangeRow,
  ObservationRow,
  ResponseCacheRow,
  Series,
  SpilloverRow,
  TenantRow,
  Totals,
} from './wire.js';

export interface LastObservations {
  readonly at: number;
  readonly observations: readonly RateLimitObservation[];
}

export interface SnapshotSources {
  readonly now: number;
  readonly startedAt: number;
  readonly windowMs: number;
  readonly thresholds: { readonly warn: number; readonly act: number };
  readonly store: StoreView;
  readonly draining: boolean;
  readonly inFlight: number;
  readonly priorities: readonly string[];
  readonly queues: readonly { readonly priority: string; readonly depth: number }[];
  readonly readings: readonly BucketReading[];
  readonly alertLevel: (key: string) => AlertLevel;
  readonly deployments: readonly DeploymentView[];
  readonly lastObservations: (deployment: string) => LastObservations | undefined;
  readonly admittedLastMinute: (deployment: string) => number;
  /** Attempts per model group and deployment in the last 60 s. */
  readonly routesLastMinute: readonly { group: string; deployment: string; admitted: number }[];
  /** Groups whose configuration has `cache`, in configuration order. */
  readonly cachedGroups: readonly { readonly group: string; readonly mode: 'exact' | 'semantic' }[];
  /** What the response cache did per group in the last 60 s (any group seen since start). */
  readonly responseCacheLastMinute: readonly ResponseCacheMinute[];
  readonly tenants: readonly TenantView[];
  readonly tenantWait: (tenant: string, q: number) => number | null;
  /** The background lane: off, or its snapshot (undefined when it could not be read). */
  readonly lane: LaneReading;
  /** Each model group's load and mitigation, in configuration order (the calls changed come from `counters`). */
  readonly load: readonly Omit<GroupLoadSource, 'calls'>[];
  readonly counters: CounterTotals;
  readonly accuracy: AccuracyTotals;
  readonly cacheReadTokens: number;
  readonly cacheReported: boolean;
  readonly limitChanges: readonly LimitChangeRow[];
  readonly seriesMode: 'replace' | 'append';
  readonly series: Series;
}

export function shapeSnapshot(s: SnapshotSources): DashboardSnapshot {
  return {
    version: 1,
    now: s.now,
    startedAt: s.startedAt,
    windowMs: s.windowMs,
    thresholds: { warn: s.thresholds.warn, act: s.thresholds.act },
    // `lastError` may name hosts; the page only needs to know whether the store answers.
    store: { kind: s.store.kind, mode: s.store.mode, available: s.store.available },
    draining: s.draining,
    inFlight: s.inFlight,
    priorities: [...s.priorities],
    queues: s.queues.map((q) => ({ priority: q.priority, depth: q.depth })),
    buckets: bucketRows(s),
    deployments: s.deployments.map((d) => deploymentRow(d, s)),
    spillover: spilloverRows(s),
    responseCache: responseCacheRows(s),
    tenants: s.tenants.map((t) => tenantRow(t, s)),
    requestTokens: [...s.accuracy.requestTokens],
    batches: batchesSection(s.lane, s.now),
    load: loadRows(
      s.load.map((g) => ({ ...g, calls: s.counters.mitigatedByGroup.get(g.load.group) ?? new Map() })),
    ),
    totals: totals(s.counters, s.cacheReadTokens),
    cacheReported: s.cacheReported,
    limitChanges: s.limitChanges,
    seriesMode: s.seriesMode,
    series: s.series,
  };
}

function bucketRows(s: SnapshotSources): BucketRow[] {
  const tierOf = new Map(s.tenants.map((t) => [t.id, t.tier ?? null]));
  return s.readings.map((b) => ({
    key: b.key,
    scope: b.scope,
    owner: b.owner,
    tier: b.scope === 'tenant' ? (tierOf.get(b.owner) ?? null) : null,
    dimension: b.dimension,
    window: b.window ?? null,
    limit: b.limit,
    capacity: round(b.capacity),
    used: round(b.used),
    remaining: round(b.remaining),
    utilization: Math.round(b.utilization * 10_000) / 10_000,
    resetInMs: Math.max(0, Math.round(b.resetMs)),
    pausedForMs: Math.max(0, Math.round(b.pausedUntil - s.now)),
    alert: ALERT_NAMES[s.alertLevel(b.key)],
  }));
}

function deploymentRow(d: DeploymentView, s: SnapshotSources): DeploymentRow {
  const upstream = s.counters.upstreamByDeployment.get(d.id);
  const last = s.lastObservations(d.id);
  const accuracy = s.accuracy.byDeployment.get(d.id);
  return {
    id: d.id,
    group: d.group,
    provider: d.provider,
    model: d.model,
    upstream: publicUrl(d.baseUrl),
    weight: d.weight,
    capacity: d.capacity,
    price: d.price ? { inputPerMTok: d.price.inputPerMTok, outputPerMTok: d.price.outputPerMTok } : null,
    costUsd: d.price ? usd(s.counters.costByDeployment.get(d.id) ?? 0) : null,
    circuit: d.circuit,
    adaptiveFactor: Math.round(d.adaptiveFactor * 1000) / 1000,
    limits: d.buckets
      .filter((b) => b.window !== undefined)
      .map((b) => ({ dimension: b.dimension, window: b.window as string, limit: round(b.limit) })),
    admittedLastMinute: s.admittedLastMinute(d.id),
    responses: upstream?.responses ?? 0,
    rateLimited: s.counters.rateLimitedByDeployment.get(d.id) ?? 0,
    failures: upstream?.failures ?? 0,
    lastHeaders: (last?.observations ?? []).map((o) => observationRow(o, s.now)),
    lastHeadersAgoMs: last && last.at > 0 ? Math.max(0, Math.round(s.now - last.at)) : null,
    estimateError: {
      input: ratio(accuracy?.inputError ?? null),
      output: ratio(accuracy?.outputError ?? null),
    },
    retries: { succeeded: accuracy?.retriesSucceeded ?? 0, failed: accuracy?.retriesFailed ?? 0 },
    cacheHitRatio: ratio(accuracy?.cacheHitRatio ?? null),
  };
}

/**
 * Groups that can spill: those with a reserved deployment in configuration
 * order, then any whose calls reached a reserved deployment elsewhere (a
 * fallback group's). Traffic counts for the group asked for, on the
 * deployment that took it.
 */
function spilloverRows(s: SnapshotSources): SpilloverRow[] {
  const capacityOf = new Map(s.deployments.map((d) => [d.id, d.capacity]));
  const reserved = (deployment: string) => capacityOf.get(deployment) === 'reserved';
  const rows = new Map<string, { reserved: number; onDemand: number }>();
  const open = (group: string) => {
    if (!rows.has(group)) rows.set(group, { reserved: 0, onDemand: 0 });
  };
  for (const d of s.deployments) if (d.capacity === 'reserved') open(d.group);
  for (const r of s.routesLastMinute) if (reserved(r.deployment)) open(r.group);
  for (const r of s.routesLastMinute) {
    const row = rows.get(r.group);
    if (!row) continue;
    if (reserved(r.deployment)) row.reserved += r.admitted;
    else row.onDemand += r.admitted;
  }
  return [...rows].map(([group, row]) => {
    const cost = s.counters.costByGroup.get(group);
    return {
      group,
      reservedLastMinute: row.reserved,
      onDemandLastMinute: row.onDemand,
      spilloverShare: ratio(shareOf(row.reserved, row.onDemand)),
      reservedCostUsd: cost?.reserved === undefined ? null : usd(cost.reserved),
      onDemandCostUsd: cost?.onDemand === undefined ? null : usd(cost.onDemand),
    };
  });
}

/**
 * Only groups that cache now: a group a reload took the cache from drops
 * out, though its last minute is still in the recorder.
 */
function responseCacheRows(s: SnapshotSources): ResponseCacheRow[] {
  const minuteOf = new Map(s.responseCacheLastMinute.map((m) => [m.group, m]));
  return s.cachedGroups.map(({ group, mode }) => {
    const m = minuteOf.get(group);
    const outcomes = { hit: 0, miss: 0, stale: 0, bypass: 0, ...m?.outcomes };
    const asked = outcomes.hit + outcomes.miss;
    return {
      group,
      mode,
      outcomes,
      hitRate: asked === 0 ? null : ratio(outcomes.hit / asked),
      savedTokens: m?.savedTokens ?? 0,
      meanSimilarity: m && m.similarHits > 0 ? ratio(m.similaritySum / m.similarHits) : null,
    };
  });
}

function observationRow(o: RateLimitObservation, now: number): ObservationRow {
  return {
    dimension: o.dimension,
    window: o.window,
    limit: o.limit ?? null,
    remaining: o.remaining ?? null,
    resetInMs: o.resetAt === undefined ? null : Math.max(0, Math.round(o.resetAt - now)),
    scope: o.scope ?? null,
  };
}

function tenantRow(t: TenantView, s: SnapshotSources): TenantRow {
  const tokens = s.counters.tokensByTenant.get(t.id);
  return {
    id: t.id,
    tier: t.tier ?? null,
    priority: t.priority,
    requests: s.counters.requestsByTenant.get(t.id) ?? 0,
    inputTokens: tokens?.input ?? 0,
    outputTokens: tokens?.output ?? 0,
    refused: s.counters.refusalsByTenant.get(t.id) ?? 0,
    spendUsd: s.counters.spendByTenant.get(t.id) ?? null,
    waitP50Ms: s.tenantWait(t.id, 0.5),
    waitP99Ms: s.tenantWait(t.id, 0.99),
  };
}

function totals(c: CounterTotals, cacheReadTokens: number): Totals {
  let inputTokens = 0;
  let outputTokens = 0;
  for (const t of c.tokensByTenant.values()) {
    inputTokens += t.input;
    outputTokens += t.output;
  }
  let upstreamResponses = 0;
  for (const u of c.upstreamByDeployment.values()) upstreamResponses += u.responses;
  return {
    requests: sum(c.requestsByTenant.values()),
    admitted: c.admitted,
    inputTokens,
    outputTokens,
    cacheReadTokens,
    refused: sum(c.refusalsByCode.values()),
    refusalsByCode: Object.fromEntries(c.refusalsByCode),
    upstreamResponses,
    upstream429: sum(c.rateLimitedByDeployment.values()),
  };
}

/** Origin and path only: no user:password, no query (Azure and Gemini URLs can carry keys there). */
export function publicUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return '';
  }
}

function sum(values: Iterable<number>): number {
  let n = 0;
  for (const v of values) n += v;
  return n;
}

function ratio(n: number | null): number | null {
  return n === null ? null : Math.round(n * 10_000) / 10_000;
}

/** To a hundredth of a cent: enough for a page, stable between snapshots. */
function usd(n: number): number {
  return Math.round(n * 10_000) / 10_000;
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

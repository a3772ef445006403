/**
 * One dashboard over `sluice serve --workers N`: the answering worker's own
 * snapshot merged with every other worker's (asked through the primary).
 *
 * What each worker counts for itself (requests, tokens, refusals, queues,
 * requests in flight, admitted attempts, cache outcomes, costs, retries, the
 * series' rates and queue depths) is summed. What they read from the one
 * shared store (bucket rows, limit lines) is the answering worker's. Per
 * deployment state each worker judges alone (circuit, AIMD factor) shows the
 * worst worker; the latest rate-limit headers are the freshest. Wait and
 * token quantiles cannot be merged from quantiles: the largest worker's is
 * shown, an upper bound (the page's figures are then "at most"). Batches
 * merge by id (`batch-rows.ts`).
 */
import { mergeBatches } from './batch-rows.js';
import { mergeLoad } from './load-rows.js';
import type {
  CacheOutcomeName,
  CircuitName,
  DashboardSnapshot,
  DeploymentRow,
  LimitChangeRow,
  Line,
  RequestTokensRow,
  ResponseCacheRow,
  Series,
  SpilloverRow,
  TenantRow,
  Totals,
} from './wire.js';
import { DEPLOYMENT_LIMITS } from './wire.js';

const CIRCUIT_RANK: Readonly<Record<CircuitName, number>> = { closed: 0, half_open: 1, open: 2 };

export function mergeSnapshots(
  own: DashboardSnapshot,
  others: readonly DashboardSnapshot[],
): DashboardSnapshot {
  if (others.length === 0) return own;
  const all = [own, ...others];
  return {
    ...own,
    startedAt: Math.min(...all.map((s) => s.startedAt)),
    draining: all.some((s) => s.draining),
    inFlight: sum(all.map((s) => s.inFlight)),
    queues: own.queues.map((q) => ({
      priority: q.priority,
      depth: sum(all.map((s) => s.queues.find((o) => o.priority === q.priority)?.depth ?? 0)),
    })),
    deployments: byKey(
      all,
      (s) => s.deployments,
      (d) => d.id,
      mergeDeployments,
    ),
    spillover: byKey(
      all,
      (s) => s.spillover,
      (r) => r.group,
      mergeSpillover,
    ),
    responseCache: byKey(
      all,
      (s) => s.responseCache,
      (r) => r.group,
      mergeResponseCache,
    ),
    tenants: byKey(
      all,
      (s) => s.tenants,
      (t) => t.id,
      mergeTenants,
    ),
    requestTokens: byKey(
      all,
      (s) => s.requestTokens,
      (r) => `${r.tenant}\u0000${r.group}`,
      mergeRequestTokens,
    ),
    batches: mergeBatches(all.map((s) => s.batches)),
    load: mergeLoad(all.map((s) => s.load)),
    totals: mergeTotals(all.map((s) => s.totals)),
    cacheReported: all.some((s) => s.cacheReported),
    // Every worker sees the same provider headers now and then: one marker per deployment, limit and value.
    limitChanges: distinctChanges(all.flatMap((s) => s.limitChanges)),
    series: mergeSeries(
      own.series,
      others.map((s) => s.series),
    ),
  };
}

/** Rows of every snapshot merged by key, in the answering worker's order first, then new keys as met. */
function byKey<T>(
  all: readonly DashboardSnapshot[],
  rows: (s: DashboardSnapshot) => readonly T[],
  key: (row: T) => string,
  merge: (rows: readonly T[]) => T,
): T[] {
  const groups = new Map<string, T[]>();
  for (const snapshot of all)
    for (const row of rows(snapshot)) {
      const k = key(row);
      const list = groups.get(k);
      if (list) list.push(row);
      else groups.set(k, [row]);
    }
  return [...groups.values()].map((list) => (list.length === 1 ? (list[0] as T) : merge(list)));
}

function mergeDeployments(rows: readonly DeploymentRow[]): DeploymentRow {
  const first = rows[0] as DeploymentRow;
  const fresh = rows
    .filter((r) => r.lastHeadersAgoMs !== null)
    .sort((a, b) => (a.lastHeadersAgoMs as number) - (b.lastHeadersAgoMs as number))[0];
  const costs = rows.map((r) => r.costUsd).filter((c): c is number => c !== null);
  return {
    ...first,
    costUsd: costs.length > 0 ? sum(costs) : null,
    circuit: rows.reduce(
      (w, r) => (CIRCUIT_RANK[r.circuit] > CIRCUIT_RANK[w] ? r.circuit : w),
      first.circuit,
    ),
    adaptiveFactor: Math.min(...rows.map((r) => r.adaptiveFactor)),
    limits: rows.reduce((low, r) => (r.adaptiveFactor < low.adaptiveFactor ? r : low), first).limits,
    admittedLastMinute: sum(rows.map((r) => r.admittedLastMinute)),
    responses: sum(rows.map((r) => r.responses)),
    rateLimited: sum(rows.map((r) => r.rateLimited)),
    failures: sum(rows.map((r) => r.failures)),
    lastHeaders: fresh?.lastHeaders ?? first.lastHeaders,
    lastHeadersAgoMs: fresh?.lastHeadersAgoMs ?? null,
    // A ratio per worker: the mean of those that have one (each counts its own calls).
    estimateError: {
      input: mean(rows.map((r) => r.estimateError.input)),
      output: mean(rows.map((r) => r.estimateError.output)),
    },
    retries: {
      succeeded: sum(rows.map((r) => r.retries.succeeded)),
      failed: sum(rows.map((r) => r.retries.failed)),
    },
    cacheHitRatio: mean(rows.map((r) => r.cacheHitRatio)),
  };
}

function mergeSpillover(rows: readonly SpilloverRow[]): SpilloverRow {
  const reserved = sum(rows.map((r) => r.reservedLastMinute));
  const onDemand = sum(rows.map((r) => r.onDemandLastMinute));
  return {
    group: (rows[0] as SpilloverRow).group,
    reservedLastMinute: reserved,
    onDemandLastMinute: onDemand,
    spilloverShare: reserved + onDemand > 0 ? onDemand / (reserved + onDemand) : null,
    reservedCostUsd: sumOrNull(rows.map((r) => r.reservedCostUsd)),
    onDemandCostUsd: sumOrNull(rows.map((r) => r.onDemandCostUsd)),
  };
}

function mergeResponseCache(rows: readonly ResponseCacheRow[]): ResponseCacheRow {
  const outcomes = {} as Record<CacheOutcomeName, number>;
  for (const name of ['hit', 'miss', 'stale', 'bypass'] as const)
    outcomes[name] = sum(rows.map((r) => r.outcomes[name]));
  const similar = rows.filter((r) => r.meanSimilarity !== null);
  const hits = sum(similar.map((r) => r.outcomes.hit));
  return {
    ...(rows[0] as ResponseCacheRow),
    outcomes,
    hitRate: outcomes.hit + outcomes.miss > 0 ? outcomes.hit / (outcomes.hit + outcomes.miss) : null,
    savedTokens: sum(rows.map((r) => r.savedTokens)),
    meanSimilarity:
      hits > 0 ? sum(similar.map((r) => (r.meanSimilarity as number) * r.outcomes.hit)) / hits : null,
  };
}

function mergeTenants(rows: readonly TenantRow[]): TenantRow {
  return {
    ...(rows[0] as TenantRow),
    requests: sum(rows.map((r) => r.requests)),
    inputTokens: sum(rows.map((r) => r.inputTokens)),
    outputTokens: sum(rows.map((r) => r.outputTokens)),
    refused: sum(rows.map((r) => r.refused)),
    spendUsd: sumOrNull(rows.map((r) => r.spendUsd)),
    waitP50Ms: maxOrNull(rows.map((r) => r.waitP50Ms)),
    waitP99Ms: maxOrNull(rows.map((r) => r.waitP99Ms)),
  };
}

function mergeRequestTokens(rows: readonly RequestTokensRow[]): RequestTokensRow {
  const most = (pick: (r: RequestTokensRow) => RequestTokensRow['input']) => ({
    p50: Math.max(...rows.map((r) => pick(r).p50)),
    p95: Math.max(...rows.map((r) => pick(r).p95)),
    p99: Math.max(...rows.map((r) => pick(r).p99)),
  });
  return {
    ...(rows[0] as RequestTokensRow),
    requests: sum(rows.map((r) => r.requests)),
    input: most((r) => r.input),
    output: most((r) => r.output),
  };
}

function mergeTotals(all: readonly Totals[]): Totals {
  const codes: Record<string, number> = {};
  for (const t of all)
    for (const [code, n] of Object.entries(t.refusalsByCode)) codes[code] = (codes[code] ?? 0) + n;
  const total = (pick: (t: Totals) => number) => sum(all.map(pick));
  return {
    requests: total((t) => t.requests),
    admitted: total((t) => t.admitted),
    inputTokens: total((t) => t.inputTokens),
    outputTokens: total((t) => t.outputTokens),
    cacheReadTokens: total((t) => t.cacheReadTokens),
    refused: total((t) => t.refused),
    refusalsByCode: codes,
    upstreamResponses: total((t) => t.upstreamResponses),
    upstream429: total((t) => t.upstream429),
  };
}

/**
 * Series aligned on the answering worker's points (workers slot time the
 * same way, by epoch): rates and queue depths summed, wait quantiles the
 * largest, limit lines the answering worker's (the same shared limits).
 */
function mergeSeries(own: Series, others: readonly Series[]): Series {
  const index = others.map((s) => new Map(s.t.map((t, i) => [t, i])));
  const line = (
    mine: Line,
    pick: (s: Series) => Line | undefined,
    combine: (a: number, b: number) => number,
  ) =>
    mine.map((value, i) => {
      const t = own.t[i] as number;
      let out = value;
      others.forEach((s, k) => {
        const j = index[k]?.get(t);
        const theirs = j === undefined ? null : (pick(s)?.[j] ?? null);
        if (theirs === null) return;
        out = out === null ? theirs : combine(out, theirs);
      });
      return out;
    });
  const add = (a: number, b: number) => a + b;
  const perKey = (
    mine: Readonly<Record<string, Line>>,
    pick: (s: Series) => Readonly<Record<string, Line>>,
    combine: (a: number, b: number) => number,
    combineFor?: (key: string) => (a: number, b: number) => number,
  ) => {
    const keys = new Set([...Object.keys(mine), ...others.flatMap((s) => Object.keys(pick(s)))]);
    const out: Record<string, Line> = {};
    const empty: Line = own.t.map(() => null);
    for (const key of keys)
      out[key] = line(mine[key] ?? empty, (s) => pick(s)[key], combineFor?.(key) ?? combine);
    return out;
  };
  return {
    ...own,
    requests: line(own.requests, (s) => s.requests, add),
    inputTokens: line(own.inputTokens, (s) => s.inputTokens, add),
    outputTokens: line(own.outputTokens, (s) => s.outputTokens, add),
    cacheReadTokens: line(own.cacheReadTokens, (s) => s.cacheReadTokens, add),
    queue: perKey(own.queue, (s) => s.queue, add),
    waitP50Ms: perKey(own.waitP50Ms, (s) => s.waitP50Ms, Math.max),
    waitP99Ms: perKey(own.waitP99Ms, (s) => s.waitP99Ms, Math.max),
    upstream429: line(own.upstream429, (s) => s.upstream429, add),
    refusals: perKey(own.refusals, (s) => s.refusals, add),
    // Traffic adds up over workers; a deployment's limits are shared, so the highest reading stands.
    deployments: perKey(
      own.deployments,
      (s) => s.deployments,
      add,
      (key) => (DEPLOYMENT_LIMITS.some((name) => key.endsWith(`/${name}`)) ? Math.max : add),
    ),
  };
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

function sumOrNull(values: readonly (number | null)[]): number | null {
  const present = values.filter((v): v is number => v !== null);
  return present.length > 0 ? sum(present) : null;
}

function maxOrNull(values: readonly (number | null)[]): number | null {
  const present = values.filter((v): v is number => v !== null);
  return present.length > 0 ? Math.max(...present) : null;
}

function mean(values: readonly (number | null)[]): number | null {
  const present = values.filter((v): v is number => v !== null);
  return present.length > 0 ? sum(present) / present.length : null;
}

function distinctChanges(changes: readonly LimitChangeRow[]): LimitChangeRow[] {
  const seen = new Map<string, LimitChangeRow>();
  for (const c of [...changes].sort((a, b) => a.at - b.at)) {
    const key = `${c.deployment}|${c.name}|${c.from}|${c.to}`;
    if (!seen.has(key)) seen.set(key, c);
  }
  return [...seen.values()];
}

/**
 * A run's numbers: outcomes by status, goodput over the steady part of the
 * run against the provider's limit, upstream 429s (the provider's own
 * count), retries, latency and queue wait per priority class and tenant,
 * Jain's fairness index between equal-weight tenants, and the overhead the
 * target adds beyond queueing and the provider's own service time.
 */
import { type CacheSummary, cacheSummary } from './cache-summary.js';
import { latencyOf, type RequestRecord, waitOf } from './record.js';
import type { RunResult, Sample } from './runner.js';
import { PRIORITY_CLASSES, type Scenario, tenantWeight } from './scenario.js';
import { jainIndex, maxMinFairShares, type Percentiles, percentiles, perMinute } from './stats.js';
import { plannedTokens } from './workload.js';

/** The provider counts as saturated once its token bucket falls below this share of the limit. */
export const SATURATED_BELOW = 0.15;

export interface GroupStats {
  readonly requests: number;
  readonly served: number;
  readonly refused: number;
  readonly failed: number;
  /** End-to-end latency of served requests, from their planned arrival. */
  readonly latencyMs: Percentiles;
  /** Queue wait inside the target (served and refused), when the target tells. */
  readonly waitMs: Percentiles;
  /** Time from arrival to a refusal: how long a refused request was kept waiting. */
  readonly refusedAfterMs: Percentiles;
  /** Tokens served per minute over the steady window. */
  readonly tokensPerMin: number;
}

export interface RunSummary {
  readonly scenario: string;
  readonly target: string;
  readonly targetDescription: string;
  readonly seed: number;
  readonly durationMs: number;
  readonly requests: {
    readonly total: number;
    readonly served: number;
    readonly refused: number;
    readonly refusedByStatus: Record<string, number>;
    readonly failed: number;
    readonly failedByReason: Record<string, number>;
    /** Cut after the drain: no answer at all. */
    readonly unanswered: number;
  };
  readonly goodput: {
    /** The steady part: from the provider's saturation (or the start) to the end of arrivals. */
    readonly windowMs: readonly [number, number];
    readonly tokensPerMin: number;
    readonly requestsPerMin: number;
    /** Served tokens per minute in the window ÷ the provider's TPM limit. */
    readonly ofLimit: number | undefined;
    /** The same against what other clients leave (when the scenario has background traffic). */
    readonly ofAvailable: number | undefined;
    /** Tokens left in the provider's bucket when the window opened (after priming: what the target may still burst). */
    readonly bucketAtStart: number | undefined;
  };
  readonly upstream: {
    readonly requests: number | undefined;
    readonly rateLimited: number | undefined;
  };
  /** Requests the app saw fail: refused with a status, or no answer at all. */
  readonly clientFailures: number;
  /**
   * Per provider key (several keys behind one group), in the scenario's
   * order: its share of the summed limits beside its share of the calls it
   * admitted and of the tokens it served, and its 429s. Empty when the
   * provider cannot be asked.
   */
  readonly keys: readonly KeyShare[];
  readonly retries: {
    /** Retries the client SDK made (attempts beyond the first). */
    readonly sdk: number;
    /** Retries inside the target (Sluice's governor, a gateway's retry setting). */
    readonly target: number;
  };
  readonly latencyMs: Percentiles;
  readonly waitMs: Percentiles;
  readonly waitKnown: boolean;
  /** Latency − queue wait − the provider's configured service time (served, first-attempt requests). */
  readonly overheadMs: Percentiles;
  readonly byPriority: Record<string, GroupStats>;
  readonly byTenant: Record<string, GroupStats>;
  readonly fairness: {
    /** Jain's index of served ÷ max-min fair share, between tenants of equal weight (the lowest over weight groups). */
    readonly jain: number | undefined;
    readonly tenants: Record<string, { weight: number; demand: number; served: number; fairShare: number }>;
  };
  /** What the target's response cache did (`x-sluice-cache`), when it has one. */
  readonly cache?: CacheSummary;
}

export interface KeyShare {
  readonly key: string;
  /** This key's limit ÷ the summed limits (TPM, or RPM where a key has no TPM). */
  readonly limitShare: number | undefined;
  /** Calls the key admitted during the run, and their share of every key's. */
  readonly calls: number;
  readonly callShare: number | undefined;
  /** Tokens it served (prompt + answer), and their share. */
  readonly tokens: number;
  readonly tokenShare: number | undefined;
  readonly rateLimited: number;
}

export interface SummaryInput {
  readonly scenario: Scenario;
  readonly target: { readonly name: string; readonly description: string };
  readonly run: RunResult;
  readonly durationMs: number;
}

export function summarize({ scenario, target, run, durationMs }: SummaryInput): RunSummary {
  const records = run.records;
  const windowMs = steadyWindow(run.samples, scenario, durationMs);
  const [from, to] = windowMs;
  const served = records.filter((r) => r.outcome === 'served');
  const tokensOf = (r: RequestRecord) => r.inputTokens + r.outputTokens;
  const endedAt = (r: RequestRecord) => r.endedAt ?? Number.POSITIVE_INFINITY;
  const tokensPerMin = perMinute(served, endedAt, tokensOf, from, to);
  const tpm = scenario.provider.limits.tpm;
  const background = scenario.provider.background?.tpm ?? 0;
  const last = run.samples[run.samples.length - 1]?.provider;
  const bucketAtStart = sampleAt(run.samples, from)?.tokensRemaining;
  const first = run.samples[0]?.provider;

  return {
    scenario: scenario.name,
    target: target.name,
    targetDescription: target.description,
    seed: scenario.seed,
    durationMs,
    requests: {
      total: records.length,
      served: served.length,
      refused: records.filter((r) => r.outcome === 'refused').length,
      refusedByStatus: tally(records.filter((r) => r.outcome === 'refused').map((r) => String(r.status))),
      failed: records.filter((r) => r.outcome === 'failed').length,
      failedByReason: tally(records.filter((r) => r.outcome === 'failed').map((r) => r.reason ?? 'error')),
      unanswered: records.filter((r) => r.reason === 'unanswered').length,
    },
    goodput: {
      windowMs,
      tokensPerMin,
      requestsPerMin: perMinute(served, endedAt, () => 1, from, to),
      ofLimit: tpm ? tokensPerMin / tpm : undefined,
      ofAvailable: tpm && background > 0 ? tokensPerMin / Math.max(1, tpm - background) : undefined,
      bucketAtStart,
    },
    upstream: {
      requests: last && first ? last.requests - first.requests : undefined,
      rateLimited: last && first ? last.rejected - first.rejected : undefined,
    },
    clientFailures: records.filter((r) => r.outcome !== 'served').length,
    keys: keyShares(scenario, run.samples),
    retries: {
      sdk: records.reduce((n, r) => n + Math.max(0, r.attempts - 1), 0),
      target: records.reduce((n, r) => n + r.targetRetries, 0),
    },
    latencyMs: percentiles(served.map((r) => latencyOf(r) as number)),
    waitMs: percentiles(waits(records)),
    waitKnown: records.some((r) => r.waits.length > 0),
    overheadMs: percentiles(overheads(served, scenario)),
    byPriority: groupBy(records, (r) => r.plan.priority, PRIORITY_CLASSES, windowMs),
    byTenant: groupBy(
      records,
      (r) => r.plan.tenant,
      scenario.tenants.map((t) => t.name),
      windowMs,
    ),
    fairness: fairness(records, scenario, windowMs),
    ...withCache(cacheSummary(records)),
  };
}

function withCache(cache: CacheSummary | undefined): { cache?: CacheSummary } {
  return cache ? { cache } : {};
}

/**
 * From the first sample where the provider's token bucket ran below
 * SATURATED_BELOW of its limit (its initial full minute is spent) to the end
 * of arrivals; the whole run when it never saturated or cannot be asked.
 */
export function steadyWindow(
  samples: readonly Sample[],
  scenario: Scenario,
  durationMs: number,
): [number, number] {
  const tpm = scenario.provider.limits.tpm;
  if (tpm === undefined) return [0, durationMs];
  const saturated = samples.find(
    (s) => s.provider?.tokensRemaining !== undefined && s.provider.tokensRemaining < SATURATED_BELOW * tpm,
  );
  const from = saturated && saturated.t < durationMs ? saturated.t : 0;
  return [from, durationMs];
}

/** What each key took between the first and the last sample, against its share of the limits. */
export function keyShares(scenario: Scenario, samples: readonly Sample[]): KeyShare[] {
  const first = samples[0]?.provider?.perKey;
  const last = samples[samples.length - 1]?.provider?.perKey;
  if (!first || !last) return [];
  const keys = scenario.provider.keys;
  const dimension = keys.every((k) => k.limits.tpm !== undefined) ? 'tpm' : 'rpm';
  const limitOf = (k: (typeof keys)[number]) => k.limits[dimension];
  const limitSum = keys.every((k) => limitOf(k) !== undefined)
    ? keys.reduce((a, k) => a + (limitOf(k) as number), 0)
    : undefined;
  const taken = keys.map((k) => {
    const [a, b] = [first[k.name], last[k.name]];
    return {
      calls: (b?.admitted ?? 0) - (a?.admitted ?? 0),
      tokens: (b?.tokens ?? 0) - (a?.tokens ?? 0),
      rateLimited: (b?.rejected ?? 0) - (a?.rejected ?? 0),
    };
  });
  const calls = taken.reduce((n, t) => n + t.calls, 0);
  const tokens = taken.reduce((n, t) => n + t.tokens, 0);
  return keys.map((k, i) => {
    const t = taken[i] as (typeof taken)[number];
    const limit = limitOf(k);
    return {
      key: k.name,
      limitShare: limitSum && limit !== undefined ? limit / limitSum : undefined,
      calls: t.calls,
      callShare: calls > 0 ? t.calls / calls : undefined,
      tokens: t.tokens,
      tokenShare: tokens > 0 ? t.tokens / tokens : undefined,
      rateLimited: t.rateLimited,
    };
  });
}

/** The provider sample taken at (or just before) `t`. */
function sampleAt(samples: readonly Sample[], t: number): Sample['provider'] {
  let found: Sample | undefined;
  for (const s of samples) if (s.t <= t + 1) found = s;
  return found?.provider;
}

function waits(records: readonly RequestRecord[]): number[] {
  return records.flatMap((r) => {
    const w = waitOf(r);
    return w === undefined ? [] : [w];
  });
}

/** What is left of a served request's latency once the queue and the model's own time are taken out. */
function overheads(served: readonly RequestRecord[], scenario: Scenario): number[] {
  const { ttft_ms, per_token_ms } = scenario.provider.latency;
  return served
    .filter((r) => r.attempts <= 1 && r.targetRetries === 0)
    .map((r) => (latencyOf(r) as number) - (waitOf(r) ?? 0) - (ttft_ms + per_token_ms * r.outputTokens));
}

function groupBy(
  records: readonly RequestRecord[],
  key: (r: RequestRecord) => string,
  order: readonly string[],
  [from, to]: readonly [number, number],
): Record<string, GroupStats> {
  const out: Record<string, GroupStats> = {};
  for (const name of order) {
    const group = records.filter((r) => key(r) === name);
    if (group.length === 0) continue;
    const served = group.filter((r) => r.outcome === 'served');
    out[name] = {
      requests: group.length,
      served: served.length,
      refused: group.filter((r) => r.outcome === 'refused').length,
      failed: group.filter((r) => r.outcome === 'failed').length,
      latencyMs: percentiles(served.map((r) => latencyOf(r) as number)),
      waitMs: percentiles(waits(group)),
      refusedAfterMs: percentiles(group.filter((r) => r.outcome === 'refused').map((r) => latencyOf(r) ?? 0)),
      tokensPerMin: perMinute(
        served,
        (r) => r.endedAt ?? Number.POSITIVE_INFINITY,
        (r) => r.inputTokens + r.outputTokens,
        from,
        to,
      ),
    };
  }
  return out;
}

/**
 * Jain's index between tenants of equal weight, over what each got relative
 * to its max-min fair share of what the group got (requests arriving in the
 * steady window; demand = their planned tokens). The lowest index over the
 * weight groups with two tenants or more.
 */
function fairness(
  records: readonly RequestRecord[],
  scenario: Scenario,
  [from, to]: readonly [number, number],
) {
  const tenants: RunSummary['fairness']['tenants'] = {};
  const byWeight = new Map<number, string[]>();
  for (const t of scenario.tenants) {
    const weight = tenantWeight(scenario, t);
    byWeight.set(weight, [...(byWeight.get(weight) ?? []), t.name]);
    tenants[t.name] = { weight, demand: 0, served: 0, fairShare: 0 };
  }
  for (const r of records) {
    if (r.plan.at < from || r.plan.at >= to) continue;
    const t = tenants[r.plan.tenant];
    if (!t) continue;
    t.demand += plannedTokens(r.plan);
    if (r.outcome === 'served') t.served += r.inputTokens + r.outputTokens;
  }
  let jain: number | undefined;
  for (const [weight, names] of byWeight) {
    if (names.length < 2) continue;
    const group = names.map((n) => tenants[n] as RunSummary['fairness']['tenants'][string]);
    const capacity = group.reduce((a, t) => a + t.served, 0);
    const shares = maxMinFairShares(
      group.map((t) => t.demand),
      group.map(() => weight),
      capacity,
    );
    group.forEach((t, i) => {
      t.fairShare = shares[i] as number;
    });
    const index = jainIndex(group.filter((t) => t.fairShare > 0).map((t) => t.served / t.fairShare));
    if (index !== undefined) jain = jain === undefined ? index : Math.min(jain, index);
  }
  return { jain, tenants };
}

function tally(values: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

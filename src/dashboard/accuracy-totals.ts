/**
 * The accuracy metrics as the dashboard shows them, read from the gateway's
 * own registry like `counter-totals.ts` (so the page and `/metrics` agree):
 * estimate error and retry outcomes and prompt-cache hit ratio per
 * deployment, tokens per request as quantiles per tenant and model group.
 */
import type { Registry } from 'prom-client';
import type { RequestTokensRow, TokenQuantiles } from './wire.js';

interface Sample {
  readonly labels: Readonly<Partial<Record<string, string | number>>>;
  readonly value: number;
  readonly metricName?: string | undefined;
}

export interface DeploymentAccuracy {
  /** estimated ÷ reported − 1 over every reported request (null: nothing reported yet). */
  readonly inputError: number | null;
  readonly outputError: number | null;
  readonly retriesSucceeded: number;
  readonly retriesFailed: number;
  /** Cache reads ÷ prompt tokens (null: the provider reported no cache figures). */
  readonly cacheHitRatio: number | null;
}

export interface AccuracyTotals {
  readonly byDeployment: ReadonlyMap<string, DeploymentAccuracy>;
  readonly requestTokens: readonly RequestTokensRow[];
}

export async function readAccuracyTotals(registry: Registry): Promise<AccuracyTotals> {
  const [estimated, reported, outcomes, prompts, reads, perRequest] = await Promise.all(
    [
      'sluice_estimated_tokens_total',
      'sluice_reported_tokens_total',
      'sluice_retry_outcomes_total',
      'sluice_prompt_tokens_total',
      'sluice_prompt_cache_read_tokens_total',
      'sluice_request_tokens',
    ].map((name) => samples(registry, name)),
  );
  const key = (s: Sample, ...names: string[]) => names.map((n) => String(s.labels[n] ?? '')).join('\u0000');
  const sum = (list: readonly Sample[] | undefined, ...names: string[]) => {
    const out = new Map<string, number>();
    for (const s of list ?? []) out.set(key(s, ...names), (out.get(key(s, ...names)) ?? 0) + s.value);
    return out;
  };
  const est = sum(estimated, 'deployment', 'direction');
  const rep = sum(reported, 'deployment', 'direction');
  const outcome = sum(outcomes, 'deployment', 'outcome');
  const prompt = sum(prompts, 'deployment');
  const read = sum(reads, 'deployment');
  const deployments = new Set<string>();
  for (const list of [estimated, outcomes, prompts])
    for (const s of list ?? []) deployments.add(String(s.labels.deployment ?? ''));
  const error = (d: string, direction: string) => {
    const r = rep.get(`${d}\u0000${direction}`) ?? 0;
    return r > 0 ? (est.get(`${d}\u0000${direction}`) ?? 0) / r - 1 : null;
  };
  const byDeployment = new Map<string, DeploymentAccuracy>();
  for (const d of deployments) {
    const p = prompt.get(d) ?? 0;
    byDeployment.set(d, {
      inputError: error(d, 'input'),
      outputError: error(d, 'output'),
      retriesSucceeded: outcome.get(`${d}\u0000succeeded`) ?? 0,
      retriesFailed: outcome.get(`${d}\u0000failed`) ?? 0,
      cacheHitRatio: p > 0 ? (read.get(d) ?? 0) / p : null,
    });
  }
  return { byDeployment, requestTokens: requestTokenRows(perRequest ?? []) };
}

/** Per tenant × group: the request count and input/output quantiles from the histogram's buckets. */
function requestTokenRows(values: readonly Sample[]): RequestTokensRow[] {
  const rows = new Map<
    string,
    { tenant: string; group: string; input: Bucket[]; output: Bucket[]; count: number }
  >();
  for (const s of values) {
    if (s.metricName !== 'sluice_request_tokens_bucket') continue;
    const tenant = String(s.labels.tenant ?? '');
    const group = String(s.labels.group ?? '');
    const id = `${tenant}\u0000${group}`;
    let row = rows.get(id);
    if (!row) {
      row = { tenant, group, input: [], output: [], count: 0 };
      rows.set(id, row);
    }
    const le = s.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(s.labels.le);
    if (s.labels.direction === 'input') {
      row.input.push({ le, count: s.value });
      if (le === Number.POSITIVE_INFINITY) row.count = s.value;
    } else row.output.push({ le, count: s.value });
  }
  return [...rows.values()]
    .filter((r) => r.count > 0)
    .map((r) => ({
      tenant: r.tenant,
      group: r.group,
      requests: r.count,
      input: quantiles(r.input),
      output: quantiles(r.output),
    }))
    .sort((a, b) => a.tenant.localeCompare(b.tenant) || a.group.localeCompare(b.group));
}

interface Bucket {
  readonly le: number;
  /** Cumulative. */
  readonly count: number;
}

function quantiles(buckets: Bucket[]): TokenQuantiles {
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  return { p50: quantile(0.5, sorted), p95: quantile(0.95, sorted), p99: quantile(0.99, sorted) };
}

/**
 * The q-quantile of cumulative buckets, interpolated linearly inside the
 * bucket it falls in (as PromQL's `histogram_quantile`); in the `+Inf`
 * bucket, the highest finite bound.
 */
export function quantile(q: number, sorted: readonly Bucket[]): number {
  const total = sorted[sorted.length - 1]?.count ?? 0;
  if (total === 0) return 0;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const b of sorted) {
    if (b.count >= rank) {
      if (b.le === Number.POSITIVE_INFINITY) return lower;
      const inBucket = b.count - below;
      return Math.round(inBucket === 0 ? b.le : lower + ((b.le - lower) * (rank - below)) / inBucket);
    }
    lower = b.le;
    below = b.count;
  }
  return lower;
}

async function samples(registry: Registry, name: string): Promise<readonly Sample[]> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return [];
  return (await metric.get()).values;
}

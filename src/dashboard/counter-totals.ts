/**
 * Totals since start, read from the gateway's own Prometheus registry: the
 * dashboard shows the very counters `/metrics` exposes, so the two can
 * never disagree (the time series, which `/metrics` does not keep, come from
 * the recorder). Reading goes through the registry's `get()`, the same call
 * its exposition makes.
 */
import type { Registry } from 'prom-client';

interface Sample {
  readonly labels: Readonly<Partial<Record<string, string | number>>>;
  readonly value: number;
  readonly metricName?: string | undefined;
}

export interface CounterTotals {
  /** `sluice_requests_total` by tenant. */
  readonly requestsByTenant: ReadonlyMap<string, number>;
  /** `sluice_tokens_total` by tenant. */
  readonly tokensByTenant: ReadonlyMap<string, { input: number; output: number }>;
  /** `sluice_refusals_total` by tenant and by code. */
  readonly refusalsByTenant: ReadonlyMap<string, number>;
  readonly refusalsByCode: ReadonlyMap<string, number>;
  /** `sluice_upstream_responses_total` by deployment: all, network errors and 5xx. */
  readonly upstreamByDeployment: ReadonlyMap<string, { responses: number; failures: number }>;
  /** `sluice_upstream_rate_limited_total` by deployment. */
  readonly rateLimitedByDeployment: ReadonlyMap<string, number>;
  /** `sluice_admission_wait_seconds_count`, all classes. */
  readonly admitted: number;
  /** `sluice_cost_usd_total` by deployment (priced deployments only). */
  readonly costByDeployment: ReadonlyMap<string, number>;
  /** `sluice_cost_usd_total` by model group, split by capacity (absent: no priced traffic of that capacity). */
  readonly costByGroup: ReadonlyMap<string, { reserved?: number; onDemand?: number }>;
  /** `sluice_tenant_cost_usd_total` by tenant, over its groups (absent: nothing priced served it). */
  readonly spendByTenant: ReadonlyMap<string, number>;
  /** `sluice_mitigated_calls_total` by model group and action. */
  readonly mitigatedByGroup: ReadonlyMap<string, ReadonlyMap<string, number>>;
}

export async function readCounterTotals(registry: Registry): Promise<CounterTotals> {
  const [requests, tokens, refusals, upstream, rateLimited, waits, cost, mitigated, spend] =
    await Promise.all([
      samples(registry, 'sluice_requests_total'),
      samples(registry, 'sluice_tokens_total'),
      samples(registry, 'sluice_refusals_total'),
      samples(registry, 'sluice_upstream_responses_total'),
      samples(registry, 'sluice_upstream_rate_limited_total'),
      samples(registry, 'sluice_admission_wait_seconds'),
      samples(registry, 'sluice_cost_usd_total'),
      samples(registry, 'sluice_mitigated_calls_total'),
      samples(registry, 'sluice_tenant_cost_usd_total'),
    ]);
  const mitigatedByGroup = new Map<string, Map<string, number>>();
  for (const s of mitigated) {
    const group = mitigatedByGroup.get(label(s, 'group')) ?? new Map<string, number>();
    group.set(label(s, 'action'), (group.get(label(s, 'action')) ?? 0) + s.value);
    mitigatedByGroup.set(label(s, 'group'), group);
  }
  const costByGroup = new Map<string, { reserved?: number; onDemand?: number }>();
  for (const s of cost) {
    const entry = costByGroup.get(label(s, 'group')) ?? {};
    if (s.labels.capacity === 'reserved') entry.reserved = (entry.reserved ?? 0) + s.value;
    else entry.onDemand = (entry.onDemand ?? 0) + s.value;
    costByGroup.set(label(s, 'group'), entry);
  }
  const tokensByTenant = new Map<string, { input: number; output: number }>();
  for (const s of tokens) {
    const tenant = label(s, 'tenant');
    const entry = tokensByTenant.get(tenant) ?? { input: 0, output: 0 };
    if (s.labels.direction === 'input') entry.input += s.value;
    else if (s.labels.direction === 'output') entry.output += s.value;
    tokensByTenant.set(tenant, entry);
  }
  const upstreamByDeployment = new Map<string, { responses: number; failures: number }>();
  for (const s of upstream) {
    const deployment = label(s, 'deployment');
    const entry = upstreamByDeployment.get(deployment) ?? { responses: 0, failures: 0 };
    const status = Number(s.labels.status);
    entry.responses += s.value;
    if (status === 0 || status >= 500) entry.failures += s.value;
    upstreamByDeployment.set(deployment, entry);
  }
  return {
    requestsByTenant: sumBy(requests, 'tenant'),
    tokensByTenant,
    refusalsByTenant: sumBy(refusals, 'tenant'),
    refusalsByCode: sumBy(refusals, 'code'),
    upstreamByDeployment,
    rateLimitedByDeployment: sumBy(rateLimited, 'deployment'),
    admitted: waits
      .filter((s) => s.metricName === 'sluice_admission_wait_seconds_count')
      .reduce((n, s) => n + s.value, 0),
    costByDeployment: sumBy(cost, 'deployment'),
    costByGroup,
    spendByTenant: sumBy(spend, 'tenant'),
    mitigatedByGroup,
  };
}

async function samples(registry: Registry, name: string): Promise<readonly Sample[]> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return [];
  return (await metric.get()).values;
}

function label(sample: Sample, name: string): string {
  return String(sample.labels[name] ?? '');
}

function sumBy(values: readonly Sample[], name: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of values) {
    const key = label(s, name);
    out.set(key, (out.get(key) ?? 0) + s.value);
  }
  return out;
}

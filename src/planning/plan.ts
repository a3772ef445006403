/**
 * "Run the math before building" (issue 21): a workload's demand against
 * every limit of a model group, after the safety margin, and what would fit.
 *
 * - Deployment limits add up over the group's deployments (traffic spreads
 *   over them); a dimension one deployment leaves unlimited is unlimited for
 *   the group. Capacity is limit × (1 − safety margin), as admission hands
 *   it out.
 * - A pool (an org or project limit) is checked for what must flow through
 *   it: the demand its deployments carry beyond what the group's other
 *   deployments can take.
 * - Demand per window: requests per minute × tokens per request, scaled to
 *   the window (÷ 60 per second, × 1,440 per day); concurrency by Little's
 *   law when the workload says how long a request takes.
 * - What would fit: as many deployments like the current ones as the worst
 *   deployment dimension needs, or the limit each binding dimension needs.
 */
import type { GovernorFields, LimitsInput } from '../config/governor-schema.js';
import { priceOf } from '../config/to-topology.js';
import type { Window } from '../core/limit.js';
import { LIMIT_NAMES, type LimitName } from '../runtime/limits.js';
import type { Workload } from './workload.js';

/** A limit's short name (`rpm`, `itpm`, `concurrency` …): what a plan checks. */
/** The limits a provider sets (spending budgets are a tier's, not a deployment's). */
export type PlanDimension = Exclude<LimitName, 'usd_per_day' | 'usd_per_month'>;

const DIMENSIONS = (Object.keys(LIMIT_NAMES) as LimitName[]).filter(
  (name): name is PlanDimension => LIMIT_NAMES[name].dimension !== 'usd',
);

export interface PlanRow {
  readonly dimension: PlanDimension;
  /** `deployments` (the group's, summed) or `pool <name>`. */
  readonly scope: string;
  /** Units per the dimension's window (slots for concurrency) the workload needs, at the mean. */
  readonly demand: number;
  /** The same at the tokens' p95. */
  readonly demandP95: number;
  /** What admission hands out: the limit(s) × (1 − safety margin). */
  readonly capacity: number;
  /** The declared limit(s), before the margin. */
  readonly limit: number;
  /** demand ÷ capacity. */
  readonly utilization: number;
  readonly fits: boolean;
  /** The limit that would fit the demand (per deployment for deployment rows). */
  readonly limitNeeded: number;
}

export interface Plan {
  readonly group: string;
  readonly workload: Workload;
  readonly safetyMargin: number;
  readonly deployments: number;
  /** Every limited dimension, the worst first. */
  readonly rows: readonly PlanRow[];
  readonly fits: boolean;
  /** Dimension names that do not fit, the worst first (each once). */
  readonly binding: readonly PlanDimension[];
  /** Deployments like the current ones the deployment limits need (undefined: no deployment limit binds). */
  readonly deploymentsNeeded: number | undefined;
  /** Concurrency limits skipped because the workload does not say how long a request takes. */
  readonly unchecked: readonly string[];
  /** Monthly spend at the deployments' prices (30 days), undefined when none is priced. */
  readonly monthlyCostUsd: number | undefined;
}

export class PlanError extends Error {}

export function plan(config: GovernorFields, workload: Workload): Plan {
  const group = config.model_groups[workload.group];
  if (!group) {
    const known = Object.keys(config.model_groups).join(', ');
    throw new PlanError(`the workload's group \`${workload.group}\` is not in the configuration (${known})`);
  }
  const margin = config.safety_margin;
  const deployments = group.deployments;
  const rows: PlanRow[] = [];
  const unchecked: string[] = [];
  const demandOf = (d: PlanDimension) => ({
    mean: demand(d, workload, 'mean'),
    p95: demand(d, workload, 'p95'),
  });

  for (const dimension of DIMENSIONS) {
    const limits = deployments.map((d) => d.limits?.[dimension]);
    // A deployment without this limit takes any amount of it: the group is not limited there.
    if (limits.some((l) => l === undefined)) continue;
    const need = demandOf(dimension);
    if (Number.isNaN(need.mean)) {
      unchecked.push(`deployments ${dimension}`);
      continue;
    }
    const limit = (limits as number[]).reduce((a, b) => a + b, 0);
    rows.push(row(dimension, 'deployments', need, limit, margin, deployments.length));
  }

  for (const [name, pool] of Object.entries(config.pools)) {
    const inPool = deployments.filter((d) => d.pools?.includes(name));
    if (inPool.length === 0) continue;
    const outside = deployments.filter((d) => !d.pools?.includes(name));
    for (const dimension of DIMENSIONS) {
      const limit = pool[dimension as keyof LimitsInput] as number | undefined;
      if (limit === undefined) continue;
      const need = demandOf(dimension);
      if (Number.isNaN(need.mean)) {
        unchecked.push(`pool ${name} ${dimension}`);
        continue;
      }
      // What the deployments outside the pool can take does not have to flow through it.
      const others = outside.map((d) => d.limits?.[dimension]);
      const elsewhere = others.some((l) => l === undefined)
        ? Number.POSITIVE_INFINITY
        : (others as number[]).reduce((a, b) => a + b, 0) * (1 - margin);
      const through = (n: number) => Math.max(0, n - elsewhere);
      rows.push(
        row(
          dimension,
          `pool ${name}`,
          { mean: through(need.mean), p95: through(need.p95) },
          limit,
          margin,
          1,
        ),
      );
    }
  }

  rows.sort((a, b) => b.utilization - a.utilization);
  const binding = [...new Set(rows.filter((r) => !r.fits).map((r) => r.dimension))];
  const worstDeployment = rows.find((r) => r.scope === 'deployments');
  const deploymentsNeeded =
    worstDeployment && !worstDeployment.fits
      ? Math.ceil(deployments.length * worstDeployment.utilization - 1e-9)
      : undefined;
  return {
    group: workload.group,
    workload,
    safetyMargin: margin,
    deployments: deployments.length,
    rows,
    fits: binding.length === 0,
    binding,
    deploymentsNeeded,
    unchecked,
    monthlyCostUsd: monthlyCost(deployments, config.prices, workload),
  };
}

function row(
  dimension: PlanDimension,
  scope: string,
  need: { mean: number; p95: number },
  limit: number,
  margin: number,
  sharedBy: number,
): PlanRow {
  const capacity = limit * (1 - margin);
  const utilization = capacity > 0 ? need.mean / capacity : Number.POSITIVE_INFINITY;
  return {
    dimension,
    scope,
    demand: need.mean,
    demandP95: need.p95,
    capacity,
    limit,
    utilization,
    fits: need.mean <= capacity,
    limitNeeded: Math.ceil(need.mean / (1 - margin) / sharedBy - 1e-9),
  };
}

const MINUTES_PER: Readonly<Record<Window, number>> = {
  second: 1 / 60,
  minute: 1,
  hour: 60,
  day: 1_440,
  month: 43_200,
};

/** What the workload needs of `name` per its window; NaN where it cannot say (concurrency without a duration). */
function demand(name: PlanDimension, w: Workload, at: 'mean' | 'p95'): number {
  const { dimension, per } = LIMIT_NAMES[name];
  if (dimension === 'concurrency' || per === undefined)
    return w.secondsPerRequest === undefined ? Number.NaN : (w.requestsPerMinute / 60) * w.secondsPerRequest;
  const perRequest =
    dimension === 'requests'
      ? 1
      : dimension === 'input_tokens'
        ? w.inputTokens[at]
        : dimension === 'output_tokens'
          ? w.outputTokens[at]
          : w.inputTokens[at] + w.outputTokens[at];
  return w.requestsPerMinute * perRequest * MINUTES_PER[per];
}

/** 30 days of the workload at the mean price of the group's priced deployments (their own, or their model's list price). */
function monthlyCost(
  deployments: GovernorFields['model_groups'][string]['deployments'],
  prices: GovernorFields['prices'],
  w: Workload,
): number | undefined {
  const priced = deployments.flatMap((d) => {
    const price = priceOf(d, prices);
    return price ? [price] : [];
  });
  if (priced.length === 0) return undefined;
  const input = priced.reduce((s, p) => s + p.inputPerMTok, 0) / priced.length;
  const output = priced.reduce((s, p) => s + p.outputPerMTok, 0) / priced.length;
  const requests = w.requestsPerMinute * 1_440 * 30;
  return (requests * (w.inputTokens.mean * input + w.outputTokens.mean * output)) / 1_000_000;
}

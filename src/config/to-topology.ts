/**
 * The configuration (snake_case, validated; YAML or code) → the runtime's
 * `GovernorTopology` and the options the governor takes once at start. Only names change here: every
 * rule about what a limit or a tier means lives in the runtime.
 */

import type { IdempotencyStore } from '../idempotency/idempotency-store.js';
import { listPriceOf } from '../providers/list-prices.js';
import type { CircuitOptions } from '../runtime/circuit-breaker.js';
import type { ClusterOrderOptions } from '../runtime/cluster-demand.js';
import type { DeploymentConfig, DeploymentPrice } from '../runtime/deployment.js';
import type { GovernorOptions } from '../runtime/governor.js';
import type { LimitsConfig } from '../runtime/limits.js';
import type { LoadOptions } from '../runtime/load/group-loads.js';
import type { MitigationConfig } from '../runtime/load/mitigation-config.js';
import type { GovernorTopology, ModelGroupConfig } from '../runtime/model-groups.js';
import type { RetryOptions } from '../runtime/retry-policy.js';
import type { TenantConfig, TierConfig } from '../runtime/tenants.js';
import type { DeploymentInput, GovernorFields, LimitsInput, TierInput } from './governor-schema.js';

const LIMIT_KEYS = [
  'rps',
  'rpm',
  'rpd',
  'tps',
  'tpm',
  'tpd',
  'itpm',
  'otpm',
  'itpd',
  'otpd',
  'concurrency',
  'day',
  'window',
] as const satisfies readonly (keyof LimitsConfig)[];

export function toTopology(config: GovernorFields): GovernorTopology {
  const modelGroups: Record<string, ModelGroupConfig> = {};
  for (const [name, group] of Object.entries(config.model_groups)) {
    modelGroups[name] = {
      deployments: group.deployments.map((d) => toDeployment(d, config.prices)),
      ...(group.fallbacks && { fallbacks: group.fallbacks }),
      ...(group.downgrade && {
        downgrade: { to: group.downgrade.to, whenHeadroomBelow: group.downgrade.when_headroom_below },
      }),
      ...(group.cache && {
        cache: {
          mode: group.cache.mode,
          ttlMs: group.cache.ttl_s * 1000,
          scope: group.cache.scope,
          ...(group.cache.similarity !== undefined && { similarity: group.cache.similarity }),
          ...(group.cache.embeddings !== undefined && { embeddings: group.cache.embeddings }),
          ...(group.cache.stale_ttl_s !== undefined && { staleTtlMs: group.cache.stale_ttl_s * 1000 }),
        },
      }),
      ...(group.mitigation && { mitigation: toMitigation(group.mitigation) }),
      ...(group.prompt_budget && { promptBudget: { ...group.prompt_budget } }),
    };
  }
  const pools: Record<string, LimitsConfig> = {};
  for (const [name, limits] of Object.entries(config.pools)) pools[name] = toLimits(limits) ?? {};
  const tiers: Record<string, TierConfig> = {};
  for (const [name, tier] of Object.entries(config.tiers)) tiers[name] = toTier(tier);
  const tenants: TenantConfig[] = config.tenants.map((t) => ({
    id: t.id,
    ...(t.tier !== undefined && { tier: t.tier }),
    ...(t.weight !== undefined && { weight: t.weight }),
    ...(t.model_groups && { modelGroups: t.model_groups }),
  }));
  return {
    modelGroups,
    pools,
    tiers,
    tenants,
    safetyMargin: config.safety_margin,
    ...(config.default_priority !== undefined && { defaultPriority: config.default_priority }),
    ...(config.default_max_wait_ms !== undefined && { defaultMaxWaitMs: config.default_max_wait_ms }),
    ...(config.retry && { retry: toRetry(config.retry) }),
    ...(config.circuit && { circuit: toCircuit(config.circuit) }),
  };
}

/** Options fixed for the life of the process (a reload cannot change them). */
export function toGovernorOptions(config: GovernorFields): Omit<GovernorOptions, keyof GovernorTopology> {
  return {
    ...(config.priorities && { priorities: config.priorities }),
    ...(config.queue?.max_per_class !== undefined && { maxQueuedPerClass: config.queue.max_per_class }),
    ...(config.queue?.max_total !== undefined && { maxQueued: config.queue.max_total }),
    ...(config.queue?.aging_ms !== undefined && { agingMs: config.queue.aging_ms }),
    cluster: toClusterOrder(config.queue?.cluster),
    load: toLoadOptions(config.alerts),
    ...(config.estimates && { estimates: { learn: config.estimates.learn } }),
  };
}

/** Idempotent calls as configured, on `store` (undefined: off). */
export function toIdempotency(
  config: GovernorFields['idempotency'],
  store: (maxEntries: number) => IdempotencyStore,
  onError?: (error: unknown) => void,
): GovernorOptions['idempotency'] {
  if (!config.enabled) return undefined;
  return {
    store: store(config.max_entries),
    ttlMs: config.ttl_ms,
    leaseMs: config.lease_ms,
    maxAnswerBytes: config.max_answer_bytes,
    ...(onError && { onError }),
  };
}

/** Alert thresholds and queue pressure (a reload applies them with `Governor.setLoadOptions`). */
export function toLoadOptions(alerts: GovernorFields['alerts']): LoadOptions {
  return {
    thresholds: { warn: alerts.warn, act: alerts.act, perDay: { ...alerts.per_day } },
    queue: { warnMs: alerts.queue.warn_ms, actMs: alerts.queue.act_ms },
  };
}

function toMitigation(
  m: NonNullable<GovernorFields['model_groups'][string]['mitigation']>,
): MitigationConfig {
  return {
    ...(m.downgrade && { downgradeTiers: m.downgrade.tiers }),
    ...(m.clamp_max_tokens && {
      clampMaxTokens: { classes: m.clamp_max_tokens.classes, to: m.clamp_max_tokens.to },
    }),
    ...(m.pause && { pauseClasses: m.pause.classes }),
    ...(m.tighten && { tighten: { tiers: m.tighten.tiers, factor: m.tighten.factor } }),
    holdMs: m.hold_ms,
  };
}

/** On unless turned off; it only acts when the store is shared by several processes. */
function toClusterOrder(
  cluster: NonNullable<GovernorFields['queue']>['cluster'],
): ClusterOrderOptions | undefined {
  if (!cluster) return {};
  if (!cluster.enabled) return undefined;
  return { demandLeaseMs: cluster.demand_lease_ms };
}

function toDeployment(d: DeploymentInput, prices: GovernorFields['prices']): DeploymentConfig {
  const price = priceOf(d, prices);
  const limits = toLimits(d.limits);
  return {
    id: d.id,
    provider: d.provider,
    baseUrl: d.base_url,
    model: d.model,
    ...(d.api_key !== undefined && { apiKey: d.api_key }),
    ...(limits && { limits }),
    ...(d.long_context && {
      longContext: { aboveInputTokens: d.long_context.above_input_tokens, ...toLimits(d.long_context) },
    }),
    ...(d.pools && { pools: d.pools }),
    ...(d.weight !== undefined && { weight: d.weight }),
    ...(d.capacity !== undefined && { capacity: d.capacity }),
    ...(d.service_tier !== undefined && { serviceTier: d.service_tier }),
    ...(price && { price }),
    ...(d.headers && { headers: d.headers }),
    ...(d.learn_limits !== undefined && { learnLimits: d.learn_limits }),
    ...(d.adopt_raised_limits !== undefined && { adoptRaisedLimits: d.adopt_raised_limits }),
    ...(d.limits_ceiling && { limitsCeiling: { ...d.limits_ceiling } }),
    ...(d.ramp && {
      ramp: { maxGrowth: d.ramp.max_growth, windowMs: d.ramp.window_s * 1_000, aboveTpm: d.ramp.above_tpm },
    }),
    ...(d.forward_betas !== undefined && { forwardBetas: d.forward_betas }),
    ...(d.enqueued_tokens !== undefined && { enqueuedTokens: d.enqueued_tokens }),
  };
}

/**
 * What a deployment's tokens cost: its own `price`, else the configuration's
 * `prices` row for its model, else its model's list price
 * (`providers/list-prices.ts`), else nothing.
 */
export function priceOf(
  d: Pick<DeploymentInput, 'price' | 'model'>,
  prices: GovernorFields['prices'] = {},
): DeploymentPrice | undefined {
  const own = d.price ?? prices[d.model];
  if (!own) return listPriceOf(d.model);
  return {
    inputPerMTok: own.input_per_mtok,
    outputPerMTok: own.output_per_mtok,
    ...(own.cached_input_per_mtok !== undefined && { cachedInputPerMTok: own.cached_input_per_mtok }),
    ...(own.cache_write_per_mtok !== undefined && { cacheWritePerMTok: own.cache_write_per_mtok }),
  };
}

function toTier(tier: TierInput): TierConfig {
  const limits = withBudgets(toLimits(tier), tier);
  return {
    ...(limits && { limits }),
    ...(tier.priority !== undefined && { priority: tier.priority }),
    ...(tier.max_wait_ms !== undefined && { maxWaitMs: tier.max_wait_ms }),
    ...(tier.weight !== undefined && { weight: tier.weight }),
    ...(tier.count_tokens_rpm !== undefined && { countTokensRpm: tier.count_tokens_rpm }),
    ...(tier.prompt_budget && { promptBudget: { ...tier.prompt_budget } }),
  };
}

/** A tier's spending budgets beside its rate limits (limits.ts names them like the rest). */
function withBudgets(limits: LimitsConfig | undefined, tier: TierInput): LimitsConfig | undefined {
  if (tier.usd_per_day === undefined && tier.usd_per_month === undefined) return limits;
  return {
    ...limits,
    ...(tier.usd_per_day !== undefined && { usd_per_day: tier.usd_per_day }),
    ...(tier.usd_per_month !== undefined && { usd_per_month: tier.usd_per_month }),
    ...(tier.month !== undefined && { month: tier.month }),
    ...(tier.day !== undefined && { day: tier.day }),
    ...(tier.time_zone !== undefined && { timeZone: tier.time_zone }),
  };
}

function toLimits(input: Partial<LimitsInput> | undefined): LimitsConfig | undefined {
  if (!input) return undefined;
  const out: LimitsConfig = {};
  let any = false;
  for (const key of LIMIT_KEYS) {
    const value = input[key];
    if (value === undefined) continue;
    (out as Record<string, unknown>)[key] = value;
    any = true;
  }
  if (input.slice !== undefined) out.sliceMs = input.slice === '1s' ? 1_000 : 10_000;
  if (input.time_zone !== undefined) out.timeZone = input.time_zone;
  return any ? out : undefined;
}

function toRetry(r: NonNullable<GovernorFields['retry']>): RetryOptions {
  return {
    ...(r.max_attempts !== undefined && { maxAttempts: r.max_attempts }),
    ...(r.base_ms !== undefined && { baseMs: r.base_ms }),
    ...(r.cap_ms !== undefined && { capMs: r.cap_ms }),
    ...(r.budget_ratio !== undefined && { budgetRatio: r.budget_ratio }),
    ...(r.budget_minimum !== undefined && { budgetMinimum: r.budget_minimum }),
    ...(r.max_client_wait_ms !== undefined && { maxClientWaitMs: r.max_client_wait_ms }),
  };
}

function toCircuit(c: NonNullable<GovernorFields['circuit']>): CircuitOptions {
  return {
    ...(c.consecutive_failures !== undefined && { consecutiveFailures: c.consecutive_failures }),
    ...(c.error_rate !== undefined && { errorRate: c.error_rate }),
    ...(c.window_ms !== undefined && { windowMs: c.window_ms }),
    ...(c.min_requests !== undefined && { minRequests: c.min_requests }),
    ...(c.open_ms !== undefined && { openMs: c.open_ms }),
    ...(c.first_open_ms !== undefined && { firstOpenMs: c.first_open_ms }),
    ...(c.dead_key_probe_ms !== undefined && { deadKeyProbeMs: c.dead_key_probe_ms }),
    ...(c.dead_key_probe_max_ms !== undefined && { deadKeyProbeMaxMs: c.dead_key_probe_max_ms }),
  };
}

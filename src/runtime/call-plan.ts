/**
 * Everything the governor decides about one call before its first attempt
 * (group, tenant, priority, deadline, cost, fallback chain), plus what it
 * learns while trying (attempts made, deployments that failed, the last
 * failure). One object, so the steps of `Governor.execute` take one argument.
 */
import type { Cost } from '../core/cost.js';
import { type BucketSpec, spendsMoney } from '../core/limit.js';
import type { PriorityClasses } from '../core/scheduler/priority.js';
import type { Endpoint, ProviderAdapter, ProviderError } from '../providers/adapter.js';
import { API_FAMILIES, type ApiFamily, familiesOf } from '../providers/api-family.js';
import type { Untranslatable } from '../providers/translate/translation.js';
import type { Refused } from './admission.js';
import { type Crossing, Crossings, type Reach, untranslatableRefusal } from './crossing.js';
import type { Deployment } from './deployment.js';
import type { EstimateBasis, LearnedEstimates } from './estimates/learned-estimates.js';
import type { Call, UpstreamReply } from './exchange/call.js';
import type { ModelGroup, ModelGroups } from './model-groups.js';
import { type Refusal, refusal } from './refusal.js';
import type { TenantBudget } from './tenant-budget.js';
import { mayUse, type Tenant } from './tenants.js';
import type { UpstreamTarget } from './upstream-target.js';

/**
 * Calls Sluice routes and sends without charging the upstream's buckets (they
 * have their own provider limits or none); `ungovernedCharge` says what the
 * tenant pays for them.
 */
const UNGOVERNED: ReadonlySet<Endpoint> = new Set<Endpoint>(['models', 'count_tokens']);
const ZERO_COST: Cost = Object.freeze({ requests: 0, inputTokens: 0, outputTokens: 0 });
const ONE_REQUEST: Cost = Object.freeze({ requests: 1, inputTokens: 0, outputTokens: 0 });

export interface FailedAttempt<R extends UpstreamReply> {
  readonly reply: R | undefined;
  readonly error: ProviderError;
  readonly bodyText: string;
  readonly target: UpstreamTarget;
  /** The tenant's budget as its admission left it. */
  readonly budget: TenantBudget | undefined;
  /** What the transport threw, when the attempt got no answer. */
  readonly cause?: unknown;
  /** The attempt got no answer after it may have reached the provider: it was not sent again. */
  readonly unconfirmed?: boolean;
}

export class CallPlan<R extends UpstreamReply> {
  readonly failed = new Set<Deployment>();
  attempts = 0;
  /** When the latest attempt was sent (clock time). */
  sentAt = 0;
  /** Retries after a backoff (not fallbacks), and the deployment of the latest one. */
  retries = 0;
  retriedOn: string | undefined;
  /** Time spent waiting for admission, over every attempt. */
  waitedMs = 0;
  lastFailure: FailedAttempt<R> | undefined;
  lastRefusal: { refused: Refused; buckets: readonly BucketSpec[] } | undefined;
  /** Whether the next pick skips deployments that already failed this call. */
  excludeFailed = true;
  /** Each deployment's estimate basis: the call as that deployment's API counts it. */
  private readonly bases = new Map<string, EstimateBasis>();
  private spendsMoney: boolean | undefined;

  constructor(
    readonly call: Call,
    readonly group: ModelGroup,
    /** `group` and the fallbacks to try after it, all of them groups the tenant may use. */
    readonly chain: readonly ModelGroup[],
    /** Where eligible calls may go when `group` runs low on headroom (a group the tenant may use). */
    readonly downgradeTo: ModelGroup | undefined,
    readonly tenant: Tenant,
    readonly priority: number,
    readonly priorityName: string,
    readonly cost: Cost,
    /** Charged on the upstream's buckets (deployment, pools) with an estimated cost. */
    readonly governed: boolean,
    /** The tenant's buckets this call is charged on. */
    readonly tenantBuckets: readonly BucketSpec[],
    readonly startedAt: number,
    readonly deadline: number,
    /** What an attempt on the first deployment is priced from (`LearnedEstimates.price`); `cost` is its unadjusted cost. */
    readonly basis: EstimateBasis,
    /** How the call reaches each deployment: natively, translated, or not at all. */
    readonly crossings: Crossings,
    /** The estimate basis of a deployment the call reaches (undefined for ungoverned calls: `basis` serves all). */
    private readonly estimate: ((deployment: Deployment, reach: Reach) => EstimateBasis) | undefined,
  ) {}

  /** The call is charged on a spending budget of its tenant: its cost carries dollars (spend.ts). */
  get spends(): boolean {
    this.spendsMoney ??= this.governed && spendsMoney(this.tenantBuckets);
    return this.spendsMoney;
  }

  /** The call translated for `deployment`, when it speaks another API. */
  crossingTo(deployment: Deployment): Crossing | undefined {
    const reach = this.crossings.reach(deployment);
    return reach.kind === 'crossing' ? reach.crossing : undefined;
  }

  /** The endpoint an attempt on `deployment` calls upstream. */
  upstreamEndpoint(deployment: Deployment): Endpoint {
    return this.crossingTo(deployment)?.request.endpoint ?? this.call.endpoint;
  }

  /** Whether `deployment` can take this call at all (natively or translated). */
  reaches(deployment: Deployment): boolean {
    return this.crossings.reach(deployment).kind !== 'unreachable';
  }

  /** What an attempt on `deployment` is priced from: the call as that deployment's API and tokenizer count it. */
  basisFor(deployment: Deployment): EstimateBasis {
    if (!this.estimate) return this.basis;
    const reach = this.crossings.reach(deployment);
    const key =
      reach.kind === 'crossing'
        ? `${deployment.adapter.kind}\u0000${deployment.config.model}`
        : deployment.adapter.kind;
    let basis = this.bases.get(key);
    if (!basis) {
      basis = this.estimate(deployment, reach);
      this.bases.set(key, basis);
    }
    return basis;
  }
}

/** Resolves a call against the topology, or says why it cannot be served at all. */
export function planCall<R extends UpstreamReply>(
  call: Call,
  context: { topology: ModelGroups; classes: PriorityClasses; now: number; estimates?: LearnedEstimates },
): CallPlan<R> | { refusal: Refusal; tenant: Tenant | undefined } {
  const { topology, classes, now, estimates } = context;
  const group = call.model === undefined ? undefined : topology.group(call.model);
  if (!group) {
    const message = `The model \`${call.model ?? ''}\` is not one of the model groups served here.`;
    return { refusal: refusal('unknown_model', message), tenant: undefined };
  }
  const tenant = topology.tenants.resolve(call.tenant);
  if (!tenant) {
    const message = `Tenant \`${call.tenant}\` is not declared in this Sluice configuration.`;
    return { refusal: refusal('unknown_tenant', message), tenant: undefined };
  }
  if (!mayUse(tenant, group.name)) {
    const message = `Tenant ${tenant.id} may not use the model \`${group.name}\`.`;
    return { refusal: refusal('model_not_allowed', message), tenant };
  }
  const crossings = new Crossings(call, now);
  const chain = topology.chain(group, tenant);
  const unreachable = unreachableOf(call, group, chain, crossings);
  if (unreachable) return { refusal: unreachable, tenant };
  const priority = topology.tenants.priorityFor(tenant, call.priority);
  const maxWaitMs = Math.min(tenant.maxWaitMs, call.maxWaitMs ?? Number.POSITIVE_INFINITY);
  const governed = !UNGOVERNED.has(call.endpoint);
  const first = chain.flatMap((g) => g.deployments).find((d) => crossings.reach(d).kind !== 'unreachable');
  const estimate = governed
    ? (deployment: Deployment, reach: Reach) =>
        estimateOf(call, reach, deployment.adapter, group, tenant, estimates)
    : undefined;
  const basis = estimate && first ? estimate(first, crossings.reach(first)) : undefined;
  const { cost, tenantBuckets } = basis
    ? { cost: basis.cost, tenantBuckets: tenant.buckets }
    : ungovernedCharge(call.endpoint, tenant);
  return new CallPlan<R>(
    call,
    group,
    chain,
    topology.downgradeOf(group, tenant),
    tenant,
    priority,
    classes.nameOf(priority),
    cost,
    governed,
    tenantBuckets,
    now,
    now + Math.max(0, maxWaitMs),
    basis ?? { cost, estimated: false },
    crossings,
    estimate,
  );
}

/**
 * Why no deployment of the chain can take the call, or undefined when one
 * can. A call whose endpoint cannot cross families (embeddings, counts) to
 * groups that do not speak its API is "not here" (404, as before
 * translation); a chat call stopped by what it asks for is a 400 naming it.
 */
function unreachableOf(
  call: Call,
  group: ModelGroup,
  chain: readonly ModelGroup[],
  crossings: Crossings,
): Refusal | undefined {
  const stopped = new Map<Deployment, readonly Untranslatable[]>();
  for (const g of chain) {
    for (const deployment of g.deployments) {
      const reach = crossings.reach(deployment);
      if (reach.kind !== 'unreachable') return undefined;
      stopped.set(deployment, reach.why);
    }
  }
  if (chain.length > 0 && crossings.translates) return untranslatableRefusal(group.name, stopped);
  const families = new Set(group.deployments.flatMap((d) => familiesOf(d.config.provider)));
  return refusal(
    'unknown_model',
    `The model \`${group.name}\` is served through the ${[...families].map(apiName).join(' or ')} API, not the ${apiName(call.family)} API this request used.`,
  );
}

/**
 * The caller's own cost (`schedule()`), or the estimate of the call as the
 * deployment's adapter reads it (translated for a deployment of another
 * family: counted as that API counts), with the answer length learned for
 * this tenant.
 */
function estimateOf(
  call: Call,
  reach: Reach,
  adapter: ProviderAdapter,
  group: ModelGroup,
  tenant: Tenant,
  estimates: LearnedEstimates | undefined,
): EstimateBasis {
  if (call.cost) return { cost: call.cost, estimated: false };
  const length = estimates?.outputFor(group.name, tenant.id);
  const options = length === undefined ? undefined : { defaultMaxOutputTokens: length };
  const estimate =
    reach.kind === 'crossing'
      ? adapter.estimate(
          reach.crossing.request.endpoint,
          reach.crossing.request.body,
          reach.crossing.shape.path,
          options,
        )
      : adapter.estimate(call.endpoint, call.body, call.path, options);
  return {
    cost: estimate.cost,
    estimated: true,
    cachedPrefix: estimate.cachedPrefix,
    inputFloor: estimate.inputFloor,
  };
}

/**
 * Token counting is free upstream but has its own rate limit there (PROVIDERS.md
 * §3.6): each tenant gets a budget of its own for it, one request per count.
 * The model list costs nothing.
 */
function ungovernedCharge(
  endpoint: Endpoint,
  tenant: Tenant,
): { cost: Cost; tenantBuckets: readonly BucketSpec[] } {
  return endpoint === 'count_tokens'
    ? { cost: ONE_REQUEST, tenantBuckets: tenant.countTokensBuckets }
    : { cost: ZERO_COST, tenantBuckets: [] };
}

function apiName(family: ApiFamily): string {
  return API_FAMILIES[family].title;
}

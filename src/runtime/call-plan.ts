/**
 * Everything the governor decides about one call before its first attempt
 * (group, tenant, priority, deadline, cost, fallback chain), plus what it
 * learns while trying (attempts made, deployments that failed, the last
 * failure). One object, so the steps of `Governor.execute` take one argument.
 */
import type { Cost } from '../core/cost.js';
import type { BucketSpec } from '../core/limit.js';
import type { PriorityClasses } from '../core/scheduler/priority.js';
import type { Endpoint, ProviderError } from '../providers/adapter.js';
import { API_FAMILIES, type ApiFamily } from '../providers/api-family.js';
import type { Refused } from './admission.js';
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
    /** What each attempt is priced from (`LearnedEstimates.price`); `cost` is its unadjusted cost. */
    readonly basis: EstimateBasis,
  ) {}
}

/** Resolves a call against the topology, or says why it cannot be served at all. */
export function planCall<R extends UpstreamReply>(
  call: Call,
  context: { topology: ModelGroups; classes: PriorityClasses; now: number; estimates?: LearnedEstimates },
): CallPlan<R> | { refusal: Refusal; tenant: Tenant | undefined } {
  const { topology, classes, now, estimates } = context;
  const group = call.model === undefined ? undefined : topology.group(call.model);
  if (!group?.serves(call.family)) {
    // Sluice routes, it does not translate: a group of another API family is "not here" for this path.
    const message = group
      ? `The model \`${group.name}\` is served through the ${[...group.families].map(apiName).join(' or ')} API, not the ${apiName(call.family)} API this request used.`
      : `The model \`${call.model ?? ''}\` is not one of the model groups served here.`;
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
  const priority = topology.tenants.priorityFor(tenant, call.priority);
  const maxWaitMs = Math.min(tenant.maxWaitMs, call.maxWaitMs ?? Number.POSITIVE_INFINITY);
  const governed = !UNGOVERNED.has(call.endpoint);
  const basis = governed ? estimateOf(call, group, tenant, estimates) : undefined;
  const { cost, tenantBuckets } = basis
    ? { cost: basis.cost, tenantBuckets: tenant.buckets }
    : ungovernedCharge(call.endpoint, tenant);
  return new CallPlan<R>(
    call,
    group,
    topology.chain(group, call.family, tenant),
    topology.downgradeOf(group, call.family, tenant),
    tenant,
    priority,
    classes.nameOf(priority),
    cost,
    governed,
    tenantBuckets,
    now,
    now + Math.max(0, maxWaitMs),
    basis ?? { cost, estimated: false },
  );
}

/** The caller's own cost (`schedule()`), or the adapter's estimate with the answer length learned for this tenant. */
function estimateOf(
  call: Call,
  group: ModelGroup,
  tenant: Tenant,
  estimates: LearnedEstimates | undefined,
): EstimateBasis {
  if (call.cost) return { cost: call.cost, estimated: false };
  const length = estimates?.outputFor(group.name, tenant.id);
  const options = length === undefined ? undefined : { defaultMaxOutputTokens: length };
  const estimate = group.adapter.estimate(call.endpoint, call.body, call.path, options);
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

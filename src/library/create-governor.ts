/**
 * The library face: `createGovernor(config)` → `governor.fetch` for the
 * official SDKs and `governor.schedule(meta, fn)` for any other call.
 */
import type { Usage } from '../core/cost.js';
import { costOf } from '../core/cost.js';
import type { DeploymentConfig } from '../runtime/deployment.js';
import { Governor, type GovernorOptions } from '../runtime/governor.js';
import { describeLimit, limitRef, type Refusal } from '../runtime/refusal.js';
import { rankDeployments } from '../runtime/router.js';
import { type GovernedFetchOptions, governedFetch } from './governed-fetch.js';

export interface GovernorConfig extends GovernorOptions, GovernedFetchOptions {}

export interface ScheduleMeta {
  /** Model group to charge and route within. */
  model: string;
  /** Expected input tokens and the most output tokens the call may produce. */
  inputTokens: number;
  maxOutputTokens: number;
  tenant?: string;
  priority?: string;
  maxWaitMs?: number;
  signal?: AbortSignal;
}

export interface ScheduleContext {
  /** The deployment chosen for this call (URL, key, model to use). */
  readonly deployment: DeploymentConfig;
  readonly signal: AbortSignal | undefined;
}

/** Thrown by `schedule` when the call is refused; `code` and `retryAfterMs` say why and when. */
export class GovernorRefusalError extends Error {
  readonly code: Refusal['code'];
  readonly status: number;
  readonly retryAfterMs: number | undefined;
  constructor(readonly refusal: Refusal) {
    super(refusal.message);
    this.name = 'GovernorRefusalError';
    this.code = refusal.code;
    this.status = refusal.status;
    this.retryAfterMs = refusal.retryAfterMs;
  }
}

export interface LibraryGovernor {
  readonly fetch: typeof fetch;
  /**
   * Runs `fn` once admitted (queued by priority and tenant like any call),
   * then settles with `usageOf(result)` (or the estimate when it returns
   * nothing). Throws `GovernorRefusalError` when refused.
   */
  schedule<T>(
    meta: ScheduleMeta,
    fn: (ctx: ScheduleContext) => Promise<T>,
    usageOf?: (result: T) => Usage | undefined,
  ): Promise<T>;
  readonly governor: Governor;
  close(): Promise<void>;
}

export function createGovernor(config: GovernorConfig): LibraryGovernor {
  const governor = new Governor(config);
  let fetch: typeof globalThis.fetch;
  try {
    fetch = governedFetch(governor, config);
  } catch (error) {
    governor.close();
    throw error;
  }

  async function schedule<T>(
    meta: ScheduleMeta,
    fn: (ctx: ScheduleContext) => Promise<T>,
    usageOf?: (result: T) => Usage | undefined,
  ): Promise<T> {
    const group = governor.groups.group(meta.model);
    if (!group) {
      throw new GovernorRefusalError({
        code: 'unknown_model',
        status: 404,
        message: `unknown model group ${meta.model}`,
        retryAfterMs: undefined,
        shouldRetry: false,
      });
    }
    const tenant = governor.groups.tenants.resolve(meta.tenant ?? config.tenant ?? 'default');
    const priority = governor.groups.tenants.priorityFor(tenant, meta.priority ?? config.priority);
    const now = governor.clock.now();
    const cost = costOf(meta.inputTokens, meta.maxOutputTokens);
    const [best] = await rankDeployments(group.deployments, cost, governor.store, now);
    if (!best) {
      throw new GovernorRefusalError({
        code: 'circuit_open',
        status: 503,
        message: `every deployment of ${meta.model} is failing`,
        retryAfterMs: 1_000,
        shouldRetry: true,
      });
    }
    const deployment = best.deployment;
    const buckets = [...deployment.buckets(), ...governor.groups.poolBuckets(deployment), ...tenant.buckets];
    const maxWaitMs = Math.min(tenant.maxWaitMs, meta.maxWaitMs ?? Number.POSITIVE_INFINITY);
    const result = await governor.admission.admit({
      tenant: tenant.id,
      priority,
      weight: tenant.weight,
      buckets,
      cost,
      deadline: now + maxWaitMs,
      signal: meta.signal,
    });
    if (!result.admitted) {
      const ref = result.limitedBy ? limitRef(result.limitedBy) : undefined;
      const tooLarge = result.cause === 'too_large';
      throw new GovernorRefusalError({
        code: tooLarge
          ? 'request_too_large'
          : ref?.scope === 'tenant'
            ? 'tenant_rate_limited'
            : 'capacity_exhausted',
        status: tooLarge || ref?.scope === 'tenant' ? 429 : 503,
        message: `refused (${result.cause})${ref ? `: ${describeLimit(ref)}` : ''}`,
        retryAfterMs: Number.isFinite(result.retryAfterMs) ? result.retryAfterMs : undefined,
        shouldRetry: !tooLarge,
        limitedBy: ref,
      });
    }
    let usage: Usage | undefined;
    try {
      const value = await fn({ deployment: deployment.config, signal: meta.signal });
      usage = usageOf?.(value);
      return value;
    } finally {
      await governor.admission.settle(result, usage);
    }
  }

  return {
    fetch,
    schedule,
    governor,
    async close() {
      governor.close();
      await governor.store.close();
    },
  };
}

/**
 * The governor: admission → route → send → settle, with feedback, retries
 * and fallbacks (DESIGN.md, layer "runtime"). It is transport-agnostic: the
 * library face (`governor.fetch`, web streams) and the gateway (`node:http`
 * + undici) both hand it a `Transport` and turn its `Outcome` into a
 * response, so every rule lives here once.
 */
import { type Clock, systemClock } from '../core/clock.js';
import type { Cost } from '../core/cost.js';
import type { BucketSpec } from '../core/limit.js';
import { PriorityClasses } from '../core/scheduler/priority.js';
import type { Endpoint, HeaderLookup, ProviderError } from '../providers/adapter.js';
import { networkError } from '../providers/errors/provider-error.js';
import { MemoryStore } from '../stores/memory/memory-store.js';
import type { Store } from '../stores/store.js';
import { Admission, type Admitted, type Refused } from './admission.js';
import type { Deployment } from './deployment.js';
import { type Emit, emitter, type GovernorObserver } from './events.js';
import { applyObservations, applyRateLimited } from './feedback.js';
import { type GovernorTopology, type ModelGroup, ModelGroups } from './model-groups.js';
import { describeLimit, type LimitRef, type Refusal, type RefusalCode } from './refusal.js';
import { type RetryVerdict, retryPolicy } from './retry-policy.js';
import { type RankedDeployment, rankDeployments } from './router.js';
import { Settlement } from './settlement.js';
import { budgetOf, type TenantBudget } from './tenant-budget.js';
import type { Tenant } from './tenants.js';
import { type CallShape, type UpstreamTarget, upstreamTarget } from './upstream-target.js';

export interface GovernorOptions extends GovernorTopology {
  store?: Store;
  clock?: Clock;
  /** Uniform random in [0, 1), for backoff jitter (injected in tests). */
  random?: () => number;
  /** Priority classes, most urgent first. Default critical, high, normal, low. */
  priorities?: string[];
  agingMs?: number;
  maxQueuedPerClass?: number | number[];
  maxQueued?: number;
  /** Lease of a reservation (renewed while a call runs). Default 120 s. */
  leaseMs?: number;
  observers?: GovernorObserver[];
}

export interface Call extends CallShape {
  /** The model group the caller asked for (body `model`, or Gemini's path). */
  readonly model: string | undefined;
  readonly tenant: string;
  readonly priority?: string | undefined;
  readonly maxWaitMs?: number | undefined;
  readonly signal?: AbortSignal | undefined;
  /** The caller accepts a cheaper model when the primary runs low on headroom. */
  readonly downgrade?: boolean | undefined;
}

/** What a transport returns for one attempt; the face keeps the body. */
export interface UpstreamReply {
  readonly status: number;
  readonly headers: HeaderLookup;
  /** Reads (at most `maxBytes` of) the body as text; used for error bodies only. */
  text(maxBytes: number): Promise<string>;
  /** Releases the body unread. */
  discard(): void;
}

export interface Transport<R extends UpstreamReply> {
  /** Sends one attempt; throws on a network-level failure. */
  send(target: UpstreamTarget, signal: AbortSignal | undefined): Promise<R>;
}

export type Outcome<R extends UpstreamReply> =
  | {
      readonly kind: 'success';
      readonly reply: R;
      readonly target: UpstreamTarget;
      /** Settle with the usage the body reports (exactly once; later calls are no-ops). */
      readonly settlement: Settlement;
      readonly group: string;
      readonly tenant: Tenant;
      readonly priority: string;
      readonly budget: TenantBudget;
      readonly attempts: number;
      readonly waitedMs: number;
    }
  | {
      readonly kind: 'upstream_error';
      readonly reply: R | undefined;
      readonly error: ProviderError;
      /** The upstream error body as received (relayed to the caller). */
      readonly bodyText: string;
      readonly target: UpstreamTarget;
      readonly tenant: Tenant;
      readonly priority: string;
      readonly attempts: number;
    }
  | {
      readonly kind: 'refused';
      readonly refusal: Refusal;
      readonly tenant: Tenant | undefined;
      readonly priority: string | undefined;
      readonly budget: TenantBudget | undefined;
    };

const ERROR_BODY_LIMIT = 64 * 1024;
const UNGOVERNED: ReadonlySet<Endpoint> = new Set<Endpoint>(['models', 'count_tokens']);

export class Governor {
  readonly store: Store;
  readonly clock: Clock;
  readonly classes: PriorityClasses;
  readonly admission: Admission;
  private topology: ModelGroups;
  private readonly emit: Emit;
  private readonly random: () => number;
  private readonly leaseMs: number;
  private retry: (input: Parameters<ReturnType<typeof retryPolicy>>[0]) => RetryVerdict;
  private maxAttempts: number;

  constructor(options: GovernorOptions) {
    this.clock = options.clock ?? systemClock;
    this.store = options.store ?? new MemoryStore({ clock: this.clock });
    this.classes = new PriorityClasses(options.priorities);
    this.random = options.random ?? Math.random;
    this.leaseMs = options.leaseMs ?? 120_000;
    this.emit = emitter(options.observers ?? []);
    this.admission = new Admission({
      store: this.store,
      clock: this.clock,
      classes: this.classes.size,
      agingMs: options.agingMs,
      maxQueuedPerClass: options.maxQueuedPerClass,
      maxQueued: options.maxQueued,
    });
    this.topology = new ModelGroups(options, this.classes, this.emit);
    this.retry = retryPolicy(options.retry);
    this.maxAttempts = options.retry?.maxAttempts ?? 3;
  }

  /** The groups, deployments, pools and tenants in force. */
  get groups(): ModelGroups {
    return this.topology;
  }

  /**
   * Swaps in a new topology (config reload). Calls in flight finish on the
   * deployments they hold; deployments whose config did not change keep
   * their circuit, adaptive rate and learned limits.
   */
  reconfigure(topology: GovernorTopology): void {
    this.topology = new ModelGroups(topology, this.classes, this.emit, this.topology);
    this.retry = retryPolicy(topology.retry);
    this.maxAttempts = topology.retry?.maxAttempts ?? 3;
  }

  /** Stops admitting; queued calls are refused. */
  close(): void {
    this.admission.close();
  }

  async execute<R extends UpstreamReply>(call: Call, transport: Transport<R>): Promise<Outcome<R>> {
    const startedAt = this.clock.now();
    const topology = this.topology;
    const group = call.model === undefined ? undefined : topology.group(call.model);
    if (!group?.serves(call.family)) {
      return this.refuse(
        undefined,
        undefined,
        call,
        'unknown_model',
        404,
        `The model \`${call.model ?? ''}\` does not exist or is not served here.`,
      );
    }
    const tenant = topology.tenants.resolve(call.tenant);
    if (tenant.modelGroups && !tenant.modelGroups.has(group.name)) {
      return this.refuse(
        tenant,
        undefined,
        call,
        'model_not_allowed',
        403,
        `Tenant ${tenant.id} may not use the model \`${group.name}\`.`,
      );
    }
    const priority = topology.tenants.priorityFor(tenant, call.priority);
    const priorityName = this.classes.nameOf(priority);
    const maxWaitMs = Math.min(tenant.maxWaitMs, call.maxWaitMs ?? Number.POSITIVE_INFINITY);
    const deadline = startedAt + Math.max(0, maxWaitMs);
    const governed = !UNGOVERNED.has(call.endpoint);
    const cost = governed ? group.adapter.estimate(call.endpoint, call.body, call.path).cost : ZERO_COST;

    const chain = topology.chain(group, call.family);
    const failed = new Set<Deployment>();
    let lastFailure: Extract<Outcome<R>, { kind: 'upstream_error' }> | undefined;
    let lastRefusal: Refused | undefined;
    let attempts = 0;
    let excludeFailed = true;
    for (;;) {
      const picked = await this.pick(
        chain,
        group,
        cost,
        excludeFailed ? failed : undefined,
        call.downgrade === true,
      );
      if (!picked) {
        if (excludeFailed && failed.size > 0 && !lastFailure) {
          excludeFailed = false;
          continue;
        }
        if (lastFailure) return lastFailure;
        if (lastRefusal) return this.refusedByAdmission(lastRefusal, tenant, priorityName, group);
        return this.circuitOpen(chain, tenant, priorityName, call);
      }
      const deployment = picked.deployment;
      const buckets = governed ? this.bucketsOf(deployment, tenant) : [deployment.gate];
      const admittedOrRefused = await this.admission.admit({
        tenant: tenant.id,
        priority,
        weight: tenant.weight,
        buckets,
        cost,
        deadline,
        signal: call.signal,
        leaseMs: this.leaseMs,
      });
      if (!admittedOrRefused.admitted) {
        const refused = admittedOrRefused;
        const ref = refused.limitedBy ? limitRef(refused.limitedBy) : undefined;
        // Another deployment may have room when this one's own limits bind.
        if (ref && ref.scope !== 'tenant' && refused.cause !== 'too_large' && refused.cause !== 'aborted') {
          failed.add(deployment);
          lastRefusal = refused;
          const alternative = await this.pick(chain, group, cost, failed, false);
          if (alternative) {
            this.emit('fallback', {
              from: deployment.id,
              to: alternative.deployment.id,
              errorKind: 'capacity',
            });
            continue;
          }
        }
        return this.refusedByAdmission(refused, tenant, priorityName, group);
      }

      const admitted = admittedOrRefused;
      const target = upstreamTarget(deployment, call);
      const settlement = new Settlement(this.admission, admitted, this.clock, this.leaseMs, (usage) =>
        this.emit('settled', {
          tenant: tenant.id,
          group: group.name,
          deployment: deployment.id,
          estimate: cost,
          usage,
        }),
      );
      if (governed) {
        this.emit('admitted', {
          tenant: tenant.id,
          priority: priorityName,
          group: group.name,
          deployment: deployment.id,
          waitedMs: admitted.waitedMs,
          cost,
        });
      }
      attempts++;
      const sentAt = this.clock.now();
      deployment.circuit.onSend(sentAt);
      deployment.retryBudget.recordRequest(sentAt);

      let reply: R;
      try {
        reply = await transport.send(target, call.signal);
      } catch (cause) {
        if (call.signal?.aborted) {
          await settlement.settle();
          return this.refuse(tenant, priorityName, call, 'aborted', 499, 'The caller went away.');
        }
        // It may or may not have reached the provider: the estimate stands.
        await settlement.settle();
        const error = networkError(cause instanceof Error ? cause.message : String(cause));
        deployment.circuit.recordFailure(this.clock.now());
        this.emit('upstream', {
          deployment: deployment.id,
          status: 0,
          latencyMs: this.clock.now() - sentAt,
          errorKind: 'network',
        });
        lastFailure = {
          kind: 'upstream_error',
          reply: undefined,
          error,
          bodyText: '',
          target,
          tenant,
          priority: priorityName,
          attempts,
        };
        const next = await this.afterFailure(
          deployment,
          error,
          attempts,
          failed,
          chain,
          group,
          cost,
          deadline,
          call.signal,
        );
        if (next === 'stop') return lastFailure;
        excludeFailed = next === 'fallback';
        continue;
      }

      const now = this.clock.now();
      applyObservations(
        this.store,
        deployment,
        deployment.adapter.observe(reply.headers, now),
        now,
        this.emit,
      );
      if (reply.status >= 200 && reply.status < 300) {
        deployment.circuit.recordSuccess(now);
        deployment.onSuccess();
        this.emit('upstream', {
          deployment: deployment.id,
          status: reply.status,
          latencyMs: now - sentAt,
          errorKind: undefined,
        });
        return {
          kind: 'success',
          reply,
          target,
          settlement,
          group: group.name,
          tenant,
          priority: priorityName,
          budget: budgetOf(tenant, buckets, admitted),
          attempts,
          waitedMs: sentAt - startedAt,
        };
      }

      const bodyText = await reply.text(ERROR_BODY_LIMIT).catch(() => '');
      const error = deployment.adapter.classifyError(reply.status, reply.headers, parseJson(bodyText), now);
      this.emit('upstream', {
        deployment: deployment.id,
        status: reply.status,
        latencyMs: now - sentAt,
        errorKind: error.kind,
      });
      // The provider refused the work: no tokens were used, the request still counts.
      await settlement.settle({ inputTokens: 0, outputTokens: 0 });
      if (error.kind === 'rate_limited') applyRateLimited(this.store, deployment, error, now, this.emit);
      if (isUpstreamFault(error)) deployment.circuit.recordFailure(now);
      else if (error.kind !== 'rate_limited') deployment.circuit.recordSuccess(now);
      lastFailure = {
        kind: 'upstream_error',
        reply,
        error,
        bodyText,
        target,
        tenant,
        priority: priorityName,
        attempts,
      };
      const next = await this.afterFailure(
        deployment,
        error,
        attempts,
        failed,
        chain,
        group,
        cost,
        deadline,
        call.signal,
      );
      if (next === 'stop') return lastFailure;
      excludeFailed = next === 'fallback';
    }
  }

  /** After a failed attempt: fall back to another deployment now, retry after a backoff, or stop. */
  private async afterFailure(
    deployment: Deployment,
    error: ProviderError,
    attempts: number,
    failed: Set<Deployment>,
    chain: readonly ModelGroup[],
    group: ModelGroup,
    cost: Cost,
    deadline: number,
    signal: AbortSignal | undefined,
  ): Promise<'fallback' | 'retry' | 'stop'> {
    if (!error.retryable || signal?.aborted) return 'stop';
    failed.add(deployment);
    const limit = Math.max(
      this.maxAttempts,
      chain.reduce((n, g) => n + g.deployments.length, 0),
    );
    if (attempts >= limit) return 'stop';
    const alternative = await this.pick(chain, group, cost, failed, false);
    if (alternative) {
      this.emit('fallback', { from: deployment.id, to: alternative.deployment.id, errorKind: error.kind });
      return 'fallback';
    }
    const now = this.clock.now();
    const verdict = this.retry({ attempt: attempts, error, now, deadline, random: this.random() });
    if (!verdict.retry || !deployment.retryBudget.tryRetry(now)) return 'stop';
    this.emit('retry', {
      deployment: deployment.id,
      attempt: attempts,
      delayMs: verdict.delayMs,
      errorKind: error.kind,
    });
    // A 429 paused the bucket that fired: admission itself waits for it.
    if (error.kind !== 'rate_limited' && verdict.delayMs > 0) await this.sleep(verdict.delayMs, signal);
    return 'retry';
  }

  /** The deployment to try next: the chain's groups in order, each ranked by headroom. */
  private async pick(
    chain: readonly ModelGroup[],
    primary: ModelGroup,
    cost: Cost,
    exclude: ReadonlySet<Deployment> | undefined,
    downgrade: boolean,
  ): Promise<RankedDeployment | undefined> {
    const now = this.clock.now();
    for (const group of chain) {
      const candidates = exclude ? group.deployments.filter((d) => !exclude.has(d)) : group.deployments;
      const mayDowngrade = downgrade && group === primary && primary.downgrade !== undefined;
      const ranked = await rankDeployments(candidates, cost, this.store, now, mayDowngrade);
      const best = ranked[0];
      if (!best) continue;
      if (mayDowngrade && primary.downgrade && best.headroom < primary.downgrade.whenHeadroomBelow) {
        const cheaper = this.topology.group(primary.downgrade.to);
        const alt = cheaper
          ? (await rankDeployments(cheaper.deployments, cost, this.store, now))[0]
          : undefined;
        if (alt && alt.waitMs <= best.waitMs && alt.headroom > best.headroom) return alt;
      }
      return best;
    }
    return undefined;
  }

  private bucketsOf(deployment: Deployment, tenant: Tenant): BucketSpec[] {
    return [...deployment.buckets(), ...this.topology.poolBuckets(deployment), ...tenant.buckets];
  }

  private refusedByAdmission<R extends UpstreamReply>(
    refused: Refused,
    tenant: Tenant,
    priority: string,
    group: ModelGroup,
  ): Outcome<R> {
    const ref = refused.limitedBy ? limitRef(refused.limitedBy) : undefined;
    const retryAfterMs = Number.isFinite(refused.retryAfterMs) ? refused.retryAfterMs : undefined;
    const named = ref ? describeLimit(ref) : 'the queue';
    let code: RefusalCode;
    let status: number;
    let message: string;
    switch (refused.cause) {
      case 'too_large':
        code = 'request_too_large';
        status = 429;
        message = `Request too large: it needs more than the whole limit of ${named}. Reduce the prompt or max tokens.`;
        break;
      case 'aborted':
        code = 'aborted';
        status = 499;
        message = 'The caller went away.';
        break;
      case 'unavailable':
        code = 'store_unavailable';
        status = 503;
        message = `Shared rate-limit state is unreachable; try again in ${seconds(retryAfterMs)}.`;
        break;
      case 'closed':
        code = 'shutting_down';
        status = 503;
        message = 'The gateway is shutting down.';
        break;
      case 'queue_full':
      case 'shed':
        code = 'queue_full';
        status = 503;
        message = `The ${priority} queue is full; try again later.`;
        break;
      default:
        if (ref?.scope === 'tenant') {
          code = 'tenant_rate_limited';
          status = 429;
          message = `Rate limit reached for ${named}. Please try again in ${seconds(retryAfterMs)}.`;
        } else {
          code = 'capacity_exhausted';
          status = 503;
          message = `Upstream capacity for \`${group.name}\` cannot serve this request within its wait limit (bound by ${named}). Please try again in ${seconds(retryAfterMs)}.`;
        }
    }
    const refusal: Refusal = {
      code,
      status,
      message,
      retryAfterMs: code === 'request_too_large' ? undefined : retryAfterMs,
      shouldRetry: code !== 'request_too_large',
      limitedBy: ref,
    };
    this.emit('refused', {
      tenant: tenant.id,
      priority,
      group: group.name,
      code,
      status,
      waitedMs: refused.waitedMs,
      limitedBy: ref,
    });
    return { kind: 'refused', refusal, tenant, priority, budget: undefined };
  }

  private circuitOpen<R extends UpstreamReply>(
    chain: readonly ModelGroup[],
    tenant: Tenant,
    priority: string,
    call: Call,
  ): Outcome<R> {
    const now = this.clock.now();
    const waits = chain
      .flatMap((g) => g.deployments.map((d) => d.circuit.retryInMs(now)))
      .filter((ms) => ms > 0);
    const retryAfterMs = waits.length ? Math.min(...waits) : 1_000;
    return this.refuse(
      tenant,
      priority,
      call,
      'circuit_open',
      503,
      `Every deployment of \`${call.model ?? ''}\` is failing; try again in ${seconds(retryAfterMs)}.`,
      retryAfterMs,
    );
  }

  private refuse<R extends UpstreamReply>(
    tenant: Tenant | undefined,
    priority: string | undefined,
    call: Call,
    code: RefusalCode,
    status: number,
    message: string,
    retryAfterMs?: number,
  ): Outcome<R> {
    const shouldRetry = code === 'circuit_open' || code === 'shutting_down';
    this.emit('refused', {
      tenant: tenant?.id ?? call.tenant,
      priority: priority ?? '',
      group: call.model ?? '',
      code,
      status,
      waitedMs: 0,
      limitedBy: undefined,
    });
    return {
      kind: 'refused',
      refusal: { code, status, message, retryAfterMs, shouldRetry },
      tenant,
      priority,
      budget: undefined,
    };
  }

  private sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      const cancel = this.clock.schedule(ms, done);
      const onAbort = () => {
        cancel();
        done();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      function done() {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }
    });
  }
}

const ZERO_COST: Cost = Object.freeze({ requests: 0, inputTokens: 0, outputTokens: 0 });

function isUpstreamFault(error: ProviderError): boolean {
  return (
    error.kind === 'server_error' ||
    error.kind === 'overloaded' ||
    error.kind === 'timeout' ||
    error.kind === 'network'
  );
}

/** Which scope a bucket belongs to, from its key (`tenant:acme:…`, `pool:org:…`, `deployment:d1:…`). */
export function limitRef(spec: BucketSpec): LimitRef {
  const [scope, owner = ''] = spec.key.split(':');
  return {
    scope: scope === 'tenant' || scope === 'pool' ? scope : 'deployment',
    owner,
    key: spec.key,
    dimension: spec.dimension,
    per: spec.per,
    limit: spec.limit,
  };
}

function seconds(ms: number | undefined): string {
  if (ms === undefined) return 'a while';
  return ms < 1_000 ? `${Math.max(1, Math.ceil(ms))}ms` : `${(ms / 1_000).toFixed(1)}s`;
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export type { Admitted };

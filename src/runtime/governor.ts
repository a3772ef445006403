/**
 * The governor: admission → route → send → settle, with feedback, retries
 * and fallbacks (DESIGN.md, layer "runtime"). It is transport-agnostic: the
 * library face (`governor.fetch`, web streams) and the gateway (`node:http`
 * + undici) both hand it a `Transport` and turn its `Outcome` into a
 * response, so every rule lives here once.
 */

import type { CacheStore } from '../cache/cache-store.js';
import { embedThrough } from '../cache/embed-call.js';
import { ResponseCache, type SemanticMatcher } from '../cache/response-cache.js';
import { type Clock, systemClock } from '../core/clock.js';
import { type BucketSpec, withLimit } from '../core/limit.js';
import { PriorityClasses } from '../core/scheduler/priority.js';
import { IdempotentCalls, type IdempotentCallsOptions } from '../idempotency/idempotent-calls.js';
import type { ProviderError } from '../providers/adapter.js';
import { networkError } from '../providers/errors/provider-error.js';
import { MemoryStore } from '../stores/memory/memory-store.js';
import type { Store } from '../stores/store.js';
import { Admission, type Admitted, type Refused } from './admission.js';
import { type BatchBill, billBatch, budgetHold } from './batch-billing.js';
import { CallPlan, type FailedAttempt, planCall } from './call-plan.js';
import type { CircuitAttempt } from './circuit-breaker.js';
import type { ClusterOrderOptions } from './cluster-demand.js';
import type { Deployment } from './deployment.js';
import { type EstimateLearningOptions, LearnedEstimates } from './estimates/learned-estimates.js';
import { type Emit, emitter, type GovernorObserver } from './events.js';
import {
  AttemptError,
  type Call,
  type Outcome,
  type Transport,
  type UpstreamReply,
} from './exchange/call.js';
import { Settlement } from './exchange/settlement.js';
import { mayResend } from './exchange/unsent.js';
import { applyObservations, applyRateLimited } from './feedback.js';
import { LeaseKeeper } from './lease-keeper.js';
import { type BucketReading, readBuckets } from './load/bucket-reading.js';
import { DEFAULT_QUEUE_PRESSURE, GroupLoads, type LoadOptions } from './load/group-loads.js';
import type { GroupLoad } from './load/load-level.js';
import { Mitigations } from './load/mitigations.js';
import { type GovernorTopology, type ModelGroup, ModelGroups } from './model-groups.js';
import { asRampSignal } from './ramp.js';
import { rampFeed } from './ramp-limit.js';
import { inSeconds, limitRef, type Refusal, refusal, refusalFromAdmission, statusOf } from './refusal.js';
import { DEFAULT_MAX_CLIENT_WAIT_MS, type RetryVerdict, retryPolicy } from './retry-policy.js';
import { outageOf, outageRefusal, takeOutOfRotation } from './rotation.js';
import { rankDeployments } from './router.js';
import type { SizeClass } from './size-class.js';
import { priced, spent } from './spend.js';
import { budgetFromSnapshots, budgetOf, type TenantBudget } from './tenant-budget.js';
import type { Tenant } from './tenants.js';
import { upstreamIdentity } from './upstream-identity.js';
import { upstreamTarget } from './upstream-target.js';

export interface GovernorOptions extends GovernorTopology {
  store?: Store;
  clock?: Clock;
  /** Uniform random in [0, 1), for backoff jitter (injected in tests). */
  random?: () => number;
  /** Priority classes, most urgent first. Default critical, high, normal, low; `background` always follows. */
  priorities?: string[];
  /**
   * Share (0..1) of every bucket that calls of the `background` class leave
   * free for interactive traffic (config `batches.headroom`). Default 0.2.
   */
  backgroundHeadroom?: number;
  /** Alert thresholds and queue pressure that set each group's load level (default `DEFAULT_LOAD`). */
  load?: LoadOptions;
  /** Where calls with an `Idempotency-Key` are remembered; undefined: the header is ignored. */
  idempotency?: Omit<IdempotentCallsOptions, 'clock'>;
  agingMs?: number;
  /** One order over every instance's waiting requests when the store is shared (undefined: local order). */
  cluster?: ClusterOrderOptions | undefined;
  maxQueuedPerClass?: number | number[];
  maxQueued?: number;
  /** Lease of a reservation (renewed while a call runs). Default 120 s. */
  leaseMs?: number;
  observers?: GovernorObserver[];
  /** Estimates corrected by what providers report (README "Accounting"). */
  estimates?: EstimateLearningOptions;
  /**
   * Where the response cache keeps entries (and vectors, for semantic
   * groups): in memory, or in Redis beside the rate-limit state. Without
   * it no group caches.
   */
  responseCache?: { entries: CacheStore; semantic?: SemanticMatcher | undefined; maxEntryBytes?: number };
}

const ERROR_BODY_LIMIT = 64 * 1024;

export const DEFAULT_BACKGROUND_HEADROOM = 0.2;

/** Alert thresholds and queue pressure by default (DESIGN.md idea 10; issue 20). */
export const DEFAULT_LOAD: LoadOptions = Object.freeze({
  thresholds: { warn: 0.8, act: 0.9 },
  queue: DEFAULT_QUEUE_PRESSURE,
});

function backgroundHeadroomOf(options: GovernorOptions): number {
  const headroom = options.backgroundHeadroom ?? DEFAULT_BACKGROUND_HEADROOM;
  if (!(headroom >= 0 && headroom <= 1))
    throw new RangeError(`backgroundHeadroom must be between 0 and 1, got ${headroom}`);
  return headroom;
}

/** Where an attempt may go: deployments of one group in the order placement offers them. */
interface Places {
  readonly group: ModelGroup;
  readonly deployments: readonly Deployment[];
  /** Where on-demand deployments begin behind reserved ones (undefined: one tier). */
  readonly spillFrom: number | undefined;
}
const NOTHING_YET = Object.freeze({ waitedMs: 0, budget: undefined, attempts: 0 });

export class Governor {
  readonly store: Store;
  readonly clock: Clock;
  readonly classes: PriorityClasses;
  readonly admission: Admission;
  readonly estimates: LearnedEstimates;
  /** Answers repeated questions of groups with `cache` (undefined: no group caches). */
  readonly cache: ResponseCache | undefined;
  private topology: ModelGroups;
  private readonly emit: Emit;
  private readonly random: () => number;
  private readonly leaseMs: number;
  private readonly leases: LeaseKeeper;
  private retry: (input: Parameters<ReturnType<typeof retryPolicy>>[0]) => RetryVerdict;
  private maxAttempts: number;
  /** Mitigation engaged per group while its load is `act`. */
  readonly mitigations: Mitigations;
  /** Calls with an `Idempotency-Key` (undefined: idempotency is off). */
  readonly idempotency: IdempotentCalls | undefined;
  private readonly loads: GroupLoads;
  private cancelSampling: (() => void) | undefined;

  constructor(options: GovernorOptions) {
    this.clock = options.clock ?? systemClock;
    this.store = options.store ?? new MemoryStore({ clock: this.clock });
    this.classes = new PriorityClasses(options.priorities);
    this.random = options.random ?? Math.random;
    this.leaseMs = options.leaseMs ?? 120_000;
    this.leases = new LeaseKeeper(this.store, this.clock, this.leaseMs);
    // Ramp limits measure what calls delivered: the same settlements every observer sees.
    this.emit = emitter([rampFeed((id) => this.topology.deployment(id)), ...(options.observers ?? [])]);
    this.admission = new Admission({
      store: this.store,
      clock: this.clock,
      classes: this.classes.size,
      agingMs: options.agingMs,
      cluster: options.cluster,
      maxQueuedPerClass: options.maxQueuedPerClass,
      maxQueued: options.maxQueued,
      background: { priority: this.classes.background, headroom: backgroundHeadroomOf(options) },
    });
    this.topology = new ModelGroups(options, this.classes, { emit: this.emit, clock: this.clock });
    this.estimates = new LearnedEstimates(options.estimates);
    this.cache = options.responseCache
      ? new ResponseCache(options.responseCache.entries, {
          clock: this.clock,
          emit: this.emit,
          semantic: options.responseCache.semantic,
          embed: (group, text, tenant) => embedThrough(this, group, text, tenant),
          maxEntryBytes: options.responseCache.maxEntryBytes,
        })
      : undefined;
    this.retry = retryPolicy(options.retry);
    this.maxAttempts = options.retry?.maxAttempts ?? 3;
    this.mitigations = new Mitigations(this.clock, this.emit);
    this.idempotency = options.idempotency
      ? new IdempotentCalls({ ...options.idempotency, clock: this.clock })
      : undefined;
    this.loads = new GroupLoads(options.load ?? DEFAULT_LOAD, this.mitigations, this.emit);
  }

  /**
   * The load level of `group` (`ok`, `warn`, `act`) as the last sample left
   * it, what holds it up, and whether mitigation is engaged: what
   * `x-sluice-load` says on every answer.
   */
  load(group: string): GroupLoad {
    return this.loads.of(group);
  }

  /** Every group's load at the last sample (groups never sampled are `ok` and not listed). */
  loadOfAll(): GroupLoad[] {
    return this.loads.all();
  }

  /** The alert level (0 ok, 1 warn, 2 act) of the bucket `key` at the last sample. */
  alertLevel(key: string): 0 | 1 | 2 {
    return this.loads.bucketLevel(key);
  }

  /**
   * Reads every bucket (one `peek`) and the admission queue, and updates
   * the alert levels, the groups' load and their mitigation. Returns the
   * readings (what `/metrics` and the dashboard show).
   */
  async sampleLoad(): Promise<BucketReading[]> {
    const readings = await readBuckets(this.topology, this.store);
    const now = this.clock.now();
    const waits = this.admission.longestWaits(now, this.classes.background);
    this.loads.update(readings, this.topology, waits, now);
    this.emit('sampled', { readings });
    return readings;
  }

  /**
   * Samples the load every `intervalMs` (on the governor's clock) until
   * `close()` or the next call; a failed sample (the store away) is retried
   * at the next tick. `onError` hears why.
   */
  sampleLoadEvery(intervalMs: number, onError?: (error: unknown) => void): void {
    this.cancelSampling?.();
    let cancel: (() => void) | undefined;
    let stopped = false;
    const tick = () => {
      this.sampleLoad()
        .catch((error: unknown) => onError?.(error))
        .finally(() => {
          if (!stopped) cancel = this.clock.schedule(intervalMs, tick);
        });
    };
    cancel = this.clock.schedule(intervalMs, tick);
    this.cancelSampling = () => {
      stopped = true;
      cancel?.();
    };
  }

  /** New alert thresholds and queue pressure (a reload). */
  setLoadOptions(options: LoadOptions): void {
    this.loads.setOptions(options);
  }

  /** The longest Retry-After a client is told to sleep out on its own (`RetryOptions.maxClientWaitMs`). */
  get maxClientWaitMs(): number {
    return this.topology.retry?.maxClientWaitMs ?? DEFAULT_MAX_CLIENT_WAIT_MS;
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
    this.topology = new ModelGroups(topology, this.classes, {
      emit: this.emit,
      clock: this.clock,
      previous: this.topology,
    });
    this.retry = retryPolicy(topology.retry);
    this.maxAttempts = topology.retry?.maxAttempts ?? 3;
  }

  /**
   * The tenant's budget as the store holds it now, for answers no admission
   * produced (refusals before admission, upstream errors). Undefined when
   * the tenant has no per-minute budget or the store cannot say.
   */
  async tenantBudget(tenant: Tenant): Promise<TenantBudget | undefined> {
    if (tenant.buckets.length === 0) return undefined;
    try {
      return budgetFromSnapshots(tenant, await this.store.peek(tenant.buckets));
    } catch {
      return undefined; // no budget headers is better than no answer
    }
  }

  /**
   * Bills what a provider's Batch API served once its batch ended: at the
   * batch price, onto the tenant's spending budgets, told as `billed`
   * (runtime/batch-billing.ts). Resolves with the dollars billed.
   */
  billBatch(bill: BatchBill): Promise<number> {
    return billBatch(bill, { store: this.store, groups: this.topology, emit: this.emit });
  }

  /** Why a forwarded batch may not be sent yet for its tenant's spending budget (runtime/batch-billing.ts). */
  batchBudgetHold(hold: Parameters<typeof budgetHold>[0]): ReturnType<typeof budgetHold> {
    return budgetHold(hold, { store: this.store, groups: this.topology });
  }

  /** Stops admitting; queued calls are refused. */
  close(): void {
    this.cancelSampling?.();
    this.admission.close();
  }

  async execute<R extends UpstreamReply>(call: Call, transport: Transport<R>): Promise<Outcome<R>> {
    const plan = planCall<R>(call, {
      topology: this.topology,
      classes: this.classes,
      now: this.clock.now(),
      estimates: this.estimates,
    });
    if (!(plan instanceof CallPlan)) return this.refused(plan.refusal, call, plan.tenant, undefined);
    const outcome = await this.run(plan, transport);
    if (plan.retriedOn !== undefined) {
      this.emit('retried', {
        deployment: plan.retriedOn,
        retries: plan.retries,
        outcome: outcome.kind === 'success' ? 'succeeded' : 'failed',
      });
    }
    return outcome;
  }

  /** Attempts until an outcome: place on the group's deployments, admit, send; fall back or retry as the policies say. */
  private async run<R extends UpstreamReply>(
    plan: CallPlan<R>,
    transport: Transport<R>,
  ): Promise<Outcome<R>> {
    const paused = await this.waitOutPause(plan);
    if (paused) return paused;
    const downgrade = this.downgradeOf(plan);
    if (plan.governed && this.mitigations.budgetFactor(plan.group.name, plan.tenant) < 1)
      this.mitigations.applied(plan.group.name, 'tighten', plan.tenant.id);
    for (;;) {
      const places = await this.places(plan, plan.excludeFailed ? plan.failed : undefined, downgrade);
      if (!places) {
        if (plan.excludeFailed && plan.failed.size > 0 && !plan.lastFailure) {
          plan.excludeFailed = false;
          continue;
        }
        return this.endWithoutDeployment(plan);
      }
      const step = await this.attempt(plan, places, transport);
      if (step !== 'next') return step;
    }
  }

  /**
   * One attempt: admit on whichever of `places` fits first, send, read the
   * answer. Returns the call's outcome, or 'next' when another attempt
   * should follow (fallback or retry, decided by `afterFailure`).
   */
  private async attempt<R extends UpstreamReply>(
    plan: CallPlan<R>,
    places: Places,
    transport: Transport<R>,
  ): Promise<Outcome<R> | 'next'> {
    const { call, tenant, group } = plan;
    // Priced on each attempt and per deployment: its learned corrections, as they stand now.
    const options = places.deployments.map((deployment) => {
      const tokens = this.estimates.price(deployment, plan.basisFor(deployment));
      const sizeClass = deployment.sizeClassOf(tokens.inputTokens);
      const kept = this.estimates.kept(tokens, { group: group.name, tenant: tenant.id });
      // A tenant with a spending budget reserves the call's price at this deployment (spend.ts).
      const price = plan.spends ? deployment.config.price : undefined;
      const cost = plan.spends ? priced(tokens, price) : tokens;
      return {
        deployment,
        sizeClass,
        choice: {
          buckets: this.bucketsOf(deployment, plan, sizeClass),
          cost,
          keeps: plan.spends ? priced(kept, price) : kept,
          turn: places.group.turn(deployment),
        },
      };
    });
    const [first, ...rest] = options as [(typeof options)[0], ...typeof options];
    const admitted = await this.admission.admit({
      tenant: tenant.id,
      priority: plan.priority,
      weight: tenant.weight,
      ...first.choice,
      alternatives: rest.map((o) => o.choice),
      placement: { spillFrom: places.spillFrom, turns: places.group.turns },
      deadline: plan.deadline,
      signal: call.signal,
      leaseMs: this.leaseMs,
      // A call waits for its group's capacity in a lane of its own (no head-of-line blocking
      // across groups); long-context calls wait for their class's own limits apart too.
      lane:
        first.sizeClass === 'long_context'
          ? `${places.group.name}\u0000${first.sizeClass}`
          : places.group.name,
    });
    plan.waitedMs += admitted.waitedMs;
    const placed = options[admitted.choice] ?? first;
    const { deployment, sizeClass } = placed;
    const { buckets, cost } = placed.choice;
    if (!admitted.admitted) return this.onAdmissionRefused(plan, places, admitted, buckets);
    const circuit = deployment.circuit.onSend(this.clock.now());
    if (!circuit) {
      // The circuit opened, or its one probe left, while this call waited for admission: nothing is sent.
      const nothing = { inputTokens: 0, outputTokens: 0, ...(plan.spends && { usd: 0 }) };
      await this.admission.settle(admitted, nothing).catch(() => undefined);
      plan.failed.add(deployment);
      return 'next';
    }

    const basis = plan.basisFor(deployment);
    const target = upstreamIdentity(deployment, plan.upstreamEndpoint(deployment));
    const settlement = new Settlement(this.admission, admitted, {
      leases: this.leases,
      clock: this.clock,
      onSettled: (facts) => {
        // Only the provider's own count teaches (a 429 or an error settles on zeros it did not report).
        if (facts.usage && facts.reported)
          this.estimates.learn(deployment, basis, facts.usage, { group: group.name, tenant: tenant.id });
        else if (facts.partial) this.estimates.learnPrompt(deployment, basis, facts.partial);
        const now = this.clock.now();
        const sentAt = plan.sentAt;
        this.emit('settled', {
          tenant: tenant.id,
          group: group.name,
          deployment: deployment.id,
          target,
          estimate: cost,
          unadjusted: plan.cost,
          usage: facts.usage,
          delivered: facts.delivered,
          reported: facts.reported,
          answered: facts.answered,
          durationMs: now - sentAt,
          firstChunkMs: facts.firstChunkAt === undefined ? undefined : facts.firstChunkAt - sentAt,
          streamed: call.stream,
        });
      },
      // Settled in the class the usage shows (size-class.ts).
      reassign: plan.governed ? (usage) => deployment.reassign(sizeClass, buckets, usage) : undefined,
      // Settled at what the usage cost, where a spending budget was charged.
      price: plan.spends ? (usage) => spent(usage, deployment.config.price) : undefined,
    });
    try {
      return await this.send(plan, deployment, transport, {
        admitted,
        buckets,
        settlement,
        circuit,
        sizeClass,
      });
    } catch (error) {
      // Whatever went wrong after admission, the reservation is given back now (and the probe slot).
      deployment.circuit.release(circuit);
      await settlement.settle();
      throw error;
    }
  }

  /** Sends an admitted attempt and reads the answer's status and headers. */
  private async send<R extends UpstreamReply>(
    plan: CallPlan<R>,
    deployment: Deployment,
    transport: Transport<R>,
    held: {
      admitted: Admitted;
      buckets: readonly BucketSpec[];
      settlement: Settlement;
      circuit: CircuitAttempt;
      sizeClass: SizeClass;
    },
  ): Promise<Outcome<R> | 'next'> {
    const { call, tenant, group } = plan;
    const { admitted, settlement, circuit, sizeClass } = held;
    const cost = admitted.reservation.cost;
    const target = upstreamTarget(deployment, call, plan.crossingTo(deployment));
    const identity = upstreamIdentity(deployment, target.endpoint);
    const budget = budgetOf(held.buckets, admitted.remaining);
    if (plan.governed) {
      const waitedMs = admitted.waitedMs;
      this.emit('admitted', {
        tenant: tenant.id,
        priority: plan.priorityName,
        group: group.name,
        deployment: deployment.id,
        waitedMs,
        cost,
      });
    }
    plan.attempts++;
    const sentAt = this.clock.now();
    plan.sentAt = sentAt;
    deployment.retryBudget.recordRequest(sentAt);

    let reply: R;
    try {
      reply = await transport.send(target, call.signal);
    } catch (cause) {
      // It may or may not have reached the provider: the estimate stands.
      await settlement.settle();
      if (call.signal?.aborted) {
        deployment.circuit.release(circuit);
        return this.refused(refusal('aborted', 'The caller went away.'), call, tenant, plan.priorityName, {
          waitedMs: sentAt - plan.startedAt,
          budget,
          attempts: plan.attempts,
        });
      }
      const message = cause instanceof Error ? cause.message : String(cause);
      // It may have reached the provider: not sent again unless the caller said a repeat is safe (unsent.ts).
      // A scheduled function says itself whether running it again may help (`AttemptError`).
      const unconfirmed = !(cause instanceof AttemptError) && !mayResend(call, cause);
      const error =
        (cause instanceof AttemptError && !cause.retryable) || unconfirmed
          ? { ...networkError(message), retryable: false }
          : networkError(message);
      deployment.circuit.recordFailure(circuit, this.clock.now());
      this.emit('upstream', {
        deployment: deployment.id,
        target: identity,
        status: 0,
        latencyMs: this.clock.now() - sentAt,
        errorKind: 'network',
      });
      return this.afterFailure(plan, deployment, {
        reply: undefined,
        error,
        bodyText: '',
        target,
        budget,
        cause,
        unconfirmed,
      });
    }

    const now = this.clock.now();
    const observed = deployment.adapter.observe(reply.headers, now);
    applyObservations(this.store, deployment, observed, now, this.emit, sizeClass);
    if (reply.status >= 200 && reply.status < 300) {
      deployment.circuit.recordSuccess(circuit, now);
      deployment.onSuccess();
      this.emit('upstream', {
        deployment: deployment.id,
        target: identity,
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
        priority: plan.priorityName,
        budget,
        attempts: plan.attempts,
        waitedMs: plan.waitedMs,
      };
    }

    const bodyText = await reply.text(ERROR_BODY_LIMIT).catch(() => '');
    const classified = deployment.adapter.classifyError(
      reply.status,
      reply.headers,
      parseJson(bodyText),
      now,
    );
    const room = { held: held.buckets, remaining: admitted.remaining };
    const error = asRampSignal({ error: classified, deployment, sizeClass, ...room, now });
    this.emit('upstream', {
      deployment: deployment.id,
      target: identity,
      status: reply.status,
      latencyMs: now - sentAt,
      errorKind: error.kind,
    });
    // The provider refused the work: no tokens were used, the request still counts (not a usage report).
    await settlement.settle({ inputTokens: 0, outputTokens: 0 }, { reported: false });
    if (error.kind === 'rate_limited')
      applyRateLimited(this.store, deployment, error, now, this.emit, sizeClass, sentAt);
    // A key that cannot serve leaves rotation (rotation.ts). A 429 says nothing about
    // health; other refusals (a bad request) show it answering.
    const outage = outageOf(deployment, error);
    if (outage)
      takeOutOfRotation({ deployment, attempt: circuit, outage, now, all: this.topology.deployments() });
    else if (isUpstreamFault(error)) deployment.circuit.recordFailure(circuit, now);
    else if (error.kind === 'rate_limited') deployment.circuit.release(circuit);
    else deployment.circuit.recordSuccess(circuit, now);
    return this.afterFailure(plan, deployment, { reply, error, bodyText, target, budget });
  }

  /**
   * Admission said no on every deployment of the group: a fallback group may
   * have room when the group's own limits bind — also for a call too large
   * for the group's whole limits (a fallback with larger limits can still serve it).
   */
  private async onAdmissionRefused<R extends UpstreamReply>(
    plan: CallPlan<R>,
    places: Places,
    refused: Refused,
    buckets: readonly BucketSpec[],
  ): Promise<Outcome<R> | 'next'> {
    const ref = refused.limitedBy ? limitRef(refused.limitedBy) : undefined;
    if (ref && ref.scope !== 'tenant' && refused.cause !== 'aborted') {
      for (const d of places.deployments) plan.failed.add(d);
      plan.lastRefusal = { refused, buckets };
      const alternative = await this.places(plan, plan.failed, 'never');
      if (alternative) {
        this.emit('fallback', {
          from: (places.deployments[refused.choice] ?? places.deployments[0])?.id ?? '',
          to: alternative.deployments[0]?.id ?? '',
          errorKind: 'capacity',
        });
        // The next placement must skip these too: routing may not see what refused them (a pool, work queued ahead).
        plan.excludeFailed = true;
        return 'next';
      }
    }
    return this.refusedByAdmission(plan, refused, buckets);
  }

  /** After a failed attempt: fall back to another deployment now, retry after a backoff, or stop. */
  private async afterFailure<R extends UpstreamReply>(
    plan: CallPlan<R>,
    deployment: Deployment,
    failure: FailedAttempt<R>,
  ): Promise<Outcome<R> | 'next'> {
    plan.lastFailure = failure;
    const { error } = failure;
    const stop = () => this.upstreamError(plan, failure);
    // A key that cannot serve is never retried, but another deployment may serve the call.
    const failOverOnly = !error.retryable && outageOf(deployment, error) !== undefined;
    if ((!error.retryable && !failOverOnly) || plan.call.signal?.aborted) return stop();
    plan.failed.add(deployment);
    const deployments = plan.chain.reduce((n, g) => n + g.deployments.length, 0);
    if (plan.attempts >= Math.max(this.maxAttempts, deployments)) return stop();
    const alternative = await this.places(plan, plan.failed, 'never');
    if (alternative) {
      const to = alternative.deployments[0]?.id ?? '';
      this.emit('fallback', { from: deployment.id, to, errorKind: error.kind });
      plan.excludeFailed = true;
      return 'next';
    }
    if (failOverOnly) return stop();
    const now = this.clock.now();
    const verdict = this.retry({
      attempt: plan.attempts,
      error,
      now,
      deadline: plan.deadline,
      random: this.random(),
    });
    if (!verdict.retry || !deployment.retryBudget.tryRetry(now)) return stop();
    plan.retries++;
    plan.retriedOn = deployment.id;
    this.emit('retry', {
      deployment: deployment.id,
      attempt: plan.attempts,
      delayMs: verdict.delayMs,
      errorKind: error.kind,
    });
    // A 429 paused the bucket that fired: admission itself waits for it.
    if (error.kind !== 'rate_limited' && verdict.delayMs > 0)
      await this.sleep(verdict.delayMs, plan.call.signal);
    plan.excludeFailed = false;
    return 'next';
  }

  /**
   * Where the next attempt may go: every open deployment (circuit letting
   * calls through, not excluded) of the first group of the chain that has
   * one, reserved capacity first. With `downgrade: 'headroom'` (the
   * caller's opt-in), the cheaper group's when the group's best headroom is
   * below its threshold and the cheaper one does better; with `'forced'`
   * (mitigation under load), the cheaper group's whenever it can take the
   * call as soon (one peek of both groups' buckets).
   */
  private async places<R extends UpstreamReply>(
    plan: CallPlan<R>,
    exclude: ReadonlySet<Deployment> | undefined,
    downgrade: Downgrade,
  ): Promise<Places | undefined> {
    const now = this.clock.now();
    const primary = plan.group;
    for (const group of plan.chain) {
      const open = group.deployments.filter(
        (d) => !exclude?.has(d) && plan.reaches(d) && d.circuit.allows(now),
      );
      if (open.length === 0) continue;
      const cheaper = downgrade !== 'never' && group === primary ? plan.downgradeTo : undefined;
      if (cheaper && primary.downgrade) {
        const best = (await rankDeployments(open, plan.cost, this.store, now, true))[0];
        const forced = downgrade === 'forced';
        if (best && (forced || best.headroom < primary.downgrade.whenHeadroomBelow)) {
          const alt = (await rankDeployments(cheaper.deployments, plan.cost, this.store, now, true))[0];
          if (alt && alt.waitMs <= best.waitMs && (forced || alt.headroom > best.headroom)) {
            if (forced) this.mitigations.applied(primary.name, 'downgrade', plan.tenant.id);
            return { group: cheaper, ...cheaper.arrange([alt.deployment]) };
          }
        }
      }
      return { group, ...group.arrange(open) };
    }
    return undefined;
  }

  /** Every bucket an attempt on `deployment` is charged on: its own, its pools', the tenant's. */
  private bucketsOf<R extends UpstreamReply>(
    deployment: Deployment,
    plan: CallPlan<R>,
    sizeClass: SizeClass,
  ): BucketSpec[] {
    const out: BucketSpec[] = [];
    if (!plan.governed) out.push(deployment.gate);
    else {
      for (const bucket of deployment.buckets(sizeClass)) out.push(bucket);
      if (deployment.config.pools?.length)
        for (const bucket of this.topology.poolBuckets(deployment)) out.push(bucket);
    }
    const factor = this.mitigations.budgetFactor(plan.group.name, plan.tenant);
    if (factor < 1 && plan.governed)
      for (const bucket of plan.tenantBuckets) out.push(tightened(bucket, factor));
    else for (const bucket of plan.tenantBuckets) out.push(bucket);
    return out;
  }

  /** How the call may downgrade: the caller's opt-in, or its tier's while the group mitigates. */
  private downgradeOf<R extends UpstreamReply>(plan: CallPlan<R>): Downgrade {
    if (plan.downgradeTo && this.mitigations.downgrades(plan.group.name, plan.tenant)) return 'forced';
    return plan.call.downgrade === true ? 'headroom' : 'never';
  }

  /**
   * A call of a class its group pauses under load waits until the pause
   * ends; refused when its deadline comes first.
   */
  private async waitOutPause<R extends UpstreamReply>(plan: CallPlan<R>): Promise<Outcome<R> | undefined> {
    const group = plan.group.name;
    if (!this.mitigations.pauses(group, plan.priorityName)) return undefined;
    this.mitigations.applied(group, 'pause', plan.tenant.id);
    const started = this.clock.now();
    const resumed = await this.mitigations.whilePaused(
      group,
      plan.priorityName,
      plan.deadline,
      plan.call.signal,
    );
    plan.waitedMs += this.clock.now() - started;
    if (resumed) return undefined;
    if (plan.call.signal?.aborted)
      return this.refused(
        refusal('aborted', 'The caller went away.'),
        plan.call,
        plan.tenant,
        plan.priorityName,
      );
    return this.refused(
      refusal(
        'paused_under_load',
        `The model \`${group}\` is under heavy load: ${plan.priorityName} requests are paused until it eases.`,
        { retryAfterMs: this.mitigations.holdLeftMs(group, this.clock.now()) },
      ),
      plan.call,
      plan.tenant,
      plan.priorityName,
      { waitedMs: plan.waitedMs, budget: undefined, attempts: 0 },
    );
  }

  /** No deployment is left to try: the last failure, the last refusal, or every circuit is open. */
  private endWithoutDeployment<R extends UpstreamReply>(plan: CallPlan<R>): Outcome<R> {
    if (plan.lastFailure) return this.upstreamError(plan, plan.lastFailure);
    if (plan.lastRefusal)
      return this.refusedByAdmission(plan, plan.lastRefusal.refused, plan.lastRefusal.buckets);
    const now = this.clock.now();
    const deployments = plan.chain.flatMap((g) => g.deployments);
    const outage = outageRefusal({ deployments, group: plan.group.name, now });
    if (outage) {
      const extra = { waitedMs: plan.waitedMs, budget: undefined, attempts: plan.attempts };
      return this.refused(outage, plan.call, plan.tenant, plan.priorityName, extra);
    }
    const waits = plan.chain
      .flatMap((g) => g.deployments.map((d) => d.circuit.retryInMs(now)))
      .filter((ms) => ms > 0);
    const retryAfterMs = waits.length ? Math.min(...waits) : 1_000;
    const message = `Every deployment of \`${plan.group.name}\` is failing; try again in ${inSeconds(retryAfterMs)}.`;
    return this.refused(
      refusal('circuit_open', message, { retryAfterMs }),
      plan.call,
      plan.tenant,
      plan.priorityName,
      {
        waitedMs: plan.waitedMs,
        budget: undefined,
        attempts: plan.attempts,
      },
    );
  }

  private upstreamError<R extends UpstreamReply>(plan: CallPlan<R>, failure: FailedAttempt<R>): Outcome<R> {
    return {
      kind: 'upstream_error',
      ...failure,
      tenant: plan.tenant,
      priority: plan.priorityName,
      attempts: plan.attempts,
      waitedMs: plan.waitedMs,
    };
  }

  private refusedByAdmission<R extends UpstreamReply>(
    plan: CallPlan<R>,
    refused: Refused,
    buckets: readonly BucketSpec[],
  ): Outcome<R> {
    const answer = refusalFromAdmission(refused, { priority: plan.priorityName, group: plan.group.name });
    const budget =
      refused.remaining && plan.tenantBuckets.length ? budgetOf(buckets, refused.remaining) : undefined;
    return this.refused(answer, plan.call, plan.tenant, plan.priorityName, {
      waitedMs: plan.waitedMs,
      budget,
      attempts: plan.attempts,
    });
  }

  private refused<R extends UpstreamReply>(
    why: Refusal,
    call: Call,
    tenant: Tenant | undefined,
    priority: string | undefined,
    extra: { waitedMs: number; budget: TenantBudget | undefined; attempts: number } = NOTHING_YET,
  ): Outcome<R> {
    this.emit('refused', {
      tenant: tenant?.id ?? call.tenant,
      priority: priority ?? '',
      group: call.model ?? '',
      code: why.code,
      status: statusOf(why.code),
      waitedMs: extra.waitedMs,
      limitedBy: why.limitedBy,
    });
    return {
      kind: 'refused',
      refusal: why,
      tenant,
      priority,
      budget: extra.budget,
      waitedMs: extra.waitedMs,
      attempts: extra.attempts,
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

function isUpstreamFault(error: ProviderError): boolean {
  return (
    error.kind === 'server_error' ||
    error.kind === 'overloaded' ||
    error.kind === 'timeout' ||
    error.kind === 'network'
  );
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Whether a call may go to its group's cheaper one: never, on low headroom (opt-in), or whenever it can (mitigation). */
type Downgrade = 'never' | 'headroom' | 'forced';

/** A tenant bucket charged at `factor` of its limit (cached: the same spec for every call under one factor). */
const TIGHTENED = new WeakMap<BucketSpec, { factor: number; spec: BucketSpec }>();
function tightened(bucket: BucketSpec, factor: number): BucketSpec {
  const known = TIGHTENED.get(bucket);
  if (known?.factor === factor) return known.spec;
  const spec = withLimit(bucket, bucket.limit * factor);
  TIGHTENED.set(bucket, { factor, spec });
  return spec;
}

export type { Admitted, Call, Outcome, Transport, UpstreamReply };

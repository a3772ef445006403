/**
 * Prometheus metrics (prom-client, one registry per gateway so tests can run
 * several). Counters are fed by the governor's observer events and by the
 * proxy's end-of-request record; gauges that describe state (queues,
 * buckets, circuits, store) are read when scraped (`state-gauges.ts`).
 * Counters and histograms touched by every request are `HotCounter` /
 * `HotHistogram` (a map lookup and an add, no label hashing); prom-client
 * writes the exposition. Beside the `sluice_` metrics: the OpenTelemetry
 * GenAI client metrics (`genai-metrics.ts`), estimate accuracy and retry
 * outcomes (`accuracy-metrics.ts`), reserved versus on-demand traffic and
 * its cost (`capacity-metrics.ts`), the response cache (`cache-metrics.ts`), the background
 * lane's batches (`batch-metrics.ts`), the load signal and mitigation
 * (`load-metrics.ts`), and Node's process metrics under the
 * names prom-client gives them, so stock dashboards find them.
 *
 * Every `_total` counter exists from start: label-less ones at 0, labelled
 * ones with the tenants, groups and deployments the configuration declares
 * (again after a reload).
 */
import { Counter, collectDefaultMetrics, Registry } from 'prom-client';
import type { BatchRecord, LineResult } from '../batches/batch.js';
import { canonicalTiersOf } from '../providers/service-tier.js';
import type { GovernorObserver } from '../runtime/events.js';
import type { AlertLevel } from '../runtime/load/bucket-levels.js';
import { tierOf } from '../runtime/service-tier.js';
import { termsOf } from '../runtime/spillover.js';
import { AccuracyMetrics } from './accuracy-metrics.js';
import { BatchMetrics } from './batch-metrics.js';
import { CacheMetrics } from './cache-metrics.js';
import { CapacityMetrics } from './capacity-metrics.js';
import { GenAiMetrics } from './genai-metrics.js';
import { HotCounter, HotHistogram } from './hot-metrics.js';
import { LoadMetrics } from './load-metrics.js';
import type { BucketReading, GatewayState } from './state.js';
import { registerStateGauges } from './state-gauges.js';

const WAIT_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Refusal codes declared at zero per tenant: the ones limits and capacity produce, which dashboards alert on. */
const DECLARED_REFUSALS = ['tenant_rate_limited', 'capacity_exhausted', 'queue_full', 'circuit_open'];
/** Error kinds a retry can follow. */
const DECLARED_RETRY_KINDS = ['rate_limited', 'overloaded', 'server_error', 'timeout', 'network'];
const LATENCY_BUCKETS = [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

export interface RequestRecord {
  readonly tenant: string;
  readonly group: string;
  readonly status: number;
}

export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly requests: HotCounter;
  private readonly refusals: HotCounter;
  private readonly upstream: HotCounter;
  private readonly upstreamRateLimited: HotCounter;
  private readonly upstreamLatency: HotHistogram;
  private readonly retries: HotCounter;
  private readonly fallbacks: HotCounter;
  private readonly tierChanges: HotCounter;
  private readonly waits: HotHistogram;
  private readonly tokens: HotCounter;
  private readonly reloads: Counter<'result'>;
  private readonly adminAuthFailures: Counter<'outcome'>;
  private readonly genAi: GenAiMetrics;
  /** Whether the configuration in force has its zero series (see `declareConfigured`). */
  private declared = false;
  private readonly accuracy: AccuracyMetrics;
  private readonly capacity: CapacityMetrics;
  private readonly batches: BatchMetrics;
  readonly load: LoadMetrics;
  /** Registered with the first group that configures a cache: no cache, no series that never move. */
  private cache: CacheMetrics | undefined;
  /** `sluice_tokens_total` series per tenant, kept so a settle adds without building labels. */
  private readonly tokensByTenant = new Map<
    string,
    { input: { value: number }; output: { value: number } }
  >();

  constructor(
    private readonly state: GatewayState,
    sampleBuckets: () => Promise<readonly BucketReading[]>,
    alertLevel: (key: string) => AlertLevel,
  ) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.genAi = new GenAiMetrics(this.registry);
    this.accuracy = new AccuracyMetrics(this.registry);
    this.capacity = new CapacityMetrics(this.registry, {
      termsOf: (deployment) => {
        const config = state.governor.groups.deployment(deployment)?.config;
        return config && termsOf(config);
      },
    });
    this.requests = new HotCounter(
      'sluice_requests_total',
      'Requests answered by the gateway, by tenant, model group and HTTP status.',
      ['tenant', 'group', 'status'],
      this.registry,
    );
    this.refusals = new HotCounter(
      'sluice_refusals_total',
      'Requests Sluice refused itself, by refusal code (tenant_rate_limited, capacity_exhausted, …).',
      ['code', 'tenant'],
      this.registry,
    );
    this.upstream = new HotCounter(
      'sluice_upstream_responses_total',
      'Upstream answers by deployment and status (0: network error).',
      ['deployment', 'status'],
      this.registry,
    );
    this.upstreamRateLimited = new HotCounter(
      'sluice_upstream_rate_limited_total',
      'Upstream 429 rate-limit answers (the thing Sluice exists to avoid).',
      ['deployment'],
      this.registry,
    );
    this.upstreamLatency = new HotHistogram(
      'sluice_upstream_latency_seconds',
      'Time from sending an attempt to its response headers.',
      ['deployment'],
      LATENCY_BUCKETS,
      this.registry,
    );
    this.retries = new HotCounter(
      'sluice_retries_total',
      'Retries on the same deployment, by error kind.',
      ['deployment', 'kind'],
      this.registry,
    );
    this.fallbacks = new HotCounter(
      'sluice_fallbacks_total',
      'Attempts moved to another deployment, by reason.',
      ['from', 'to', 'reason'],
      this.registry,
    );
    this.tierChanges = new HotCounter(
      'sluice_service_tier_changes_total',
      'Answers served at another service tier than their deployment sends (a downgrade: from priority to default), charged to the served tier.',
      ['deployment', 'from', 'to'],
      this.registry,
    );
    this.waits = new HotHistogram(
      'sluice_admission_wait_seconds',
      'Time a request waited for admission, by priority class.',
      ['priority'],
      WAIT_BUCKETS,
      this.registry,
    );
    this.tokens = new HotCounter(
      'sluice_tokens_total',
      'Tokens used per tenant: the provider’s count, or on a stream cut before it what the chunks delivered (never the estimate).',
      ['tenant', 'direction'],
      this.registry,
    );
    this.reloads = new Counter({
      name: 'sluice_config_reloads_total',
      help: 'Configuration reloads (SIGHUP) by result.',
      labelNames: ['result'],
      registers,
    });
    this.adminAuthFailures = new Counter({
      name: 'sluice_admin_auth_failures_total',
      help: 'Admin API requests refused for their key: wrong_key (401) or throttled (429, too many wrong keys from one source).',
      labelNames: ['outcome'],
      registers,
    });
    registerStateGauges(this.registry, state, { sampleBuckets, alertLevel });
    this.batches = new BatchMetrics(this.registry, () => state.laneSnapshot());
    this.load = new LoadMetrics(this.registry, state);
    for (const result of ['ok', 'refused']) this.reloads.labels(result).inc(0);
    for (const outcome of ['wrong_key', 'throttled']) this.adminAuthFailures.labels(outcome).inc(0);
  }

  /** Zero series for what the configuration in force declares (at the first scrape and the first after a reload). */
  private declareConfigured(): void {
    const state = this.state;
    const groups = state.groups();
    const deployments = state.deployments().map((d) => d.id);
    for (const tenant of state.tenants()) {
      this.tokensOf(tenant.id);
      for (const code of DECLARED_REFUSALS) this.refusals.declare([code, tenant.id]);
      for (const group of tenant.modelGroups ?? groups.map((g) => g.name))
        this.requests.declare([tenant.id, group, '200']);
    }
    for (const d of deployments) {
      this.upstream.declare([d, '200']);
      this.upstreamRateLimited.declare([d]);
      for (const kind of DECLARED_RETRY_KINDS) this.retries.declare([d, kind]);
    }
    // Fallbacks where one can happen: between a group's deployments and into its fallback groups'.
    const deploymentsOf = new Map(groups.map((g) => [g.name, g.deployments]));
    for (const group of groups) {
      const targets = [...group.deployments, ...group.fallbacks.flatMap((f) => deploymentsOf.get(f) ?? [])];
      for (const from of group.deployments)
        for (const to of targets) if (from !== to) this.fallbacks.declare([from, to, 'rate_limited']);
      this.capacity.declare(group.name, group.deployments);
      if (state.governor.groups.group(group.name)?.cache) {
        const tenants = state
          .tenants()
          .filter((t) => t.modelGroups === undefined || t.modelGroups.includes(group.name))
          .map((t) => t.id);
        this.cache ??= new CacheMetrics(this.registry);
        this.cache.declare(group.name, tenants);
      }
    }
    // Tier changes a deployment's answers can show: from its tier to each other tier of its provider.
    for (const d of state.governor.groups.deployments()) {
      const from = tierOf(d);
      for (const to of canonicalTiersOf(d.config.provider))
        if (to !== from) this.tierChanges.declare([d.id, from, to]);
    }
    this.accuracy.declare(deployments);
    this.load.declare(state);
    if (state.laneOn()) this.batches.declare(state.tenants().map((t) => t.id));
  }

  private tokensOf(tenant: string): { input: { value: number }; output: { value: number } } {
    let series = this.tokensByTenant.get(tenant);
    if (!series) {
      series = { input: this.tokens.child([tenant, 'input']), output: this.tokens.child([tenant, 'output']) };
      this.tokensByTenant.set(tenant, series);
    }
    return series;
  }

  /** Feeds the counters from the governor's events. */
  observer(): GovernorObserver {
    return {
      admitted: (e) => {
        this.waits.observe([e.priority], e.waitedMs / 1000);
        this.capacity.admitted(e);
      },
      refused: (e) => this.refusals.inc([e.code, e.tenant]),
      upstream: (e) => {
        this.upstream.inc([e.deployment, statusLabel(e.status)]);
        if (e.status === 429) this.upstreamRateLimited.inc([e.deployment]);
        if (e.status > 0) this.upstreamLatency.observe([e.deployment], e.latencyMs / 1000);
        this.genAi.upstream(e);
      },
      retry: (e) => this.retries.inc([e.deployment, e.errorKind]),
      fallback: (e) => this.fallbacks.inc([e.from, e.to, e.errorKind]),
      serviceTier: (e) => this.tierChanges.inc([e.deployment, e.sent, e.served]),
      settled: (e) => {
        // What was delivered, never an estimate the buckets keep for a cut stream.
        const tokens = this.tokensOf(e.tenant);
        tokens.input.value += e.delivered.inputTokens;
        tokens.output.value += e.delivered.outputTokens;
        this.genAi.settled(e);
        this.accuracy.settled(e);
        this.capacity.settled(e);
      },
      billed: (e) => {
        const tokens = this.tokensOf(e.tenant);
        tokens.input.value += e.delivered.inputTokens;
        tokens.output.value += e.delivered.outputTokens;
        this.capacity.billed(e);
      },
      retried: (e) => this.accuracy.retried(e),
      mitigation: (e) => this.load.mitigation(e),
      mitigated: (e) => this.load.mitigatedCall(e),
      // Only groups with a cache send these: the first one registers the counters (a scrape may not have yet).
      cache: (e) => {
        this.cache ??= new CacheMetrics(this.registry);
        this.cache.observe(e);
      },
    };
  }

  recordRequest(record: RequestRecord): void {
    this.requests.inc([record.tenant, record.group, statusLabel(record.status)]);
  }

  /** A batch line this instance answered (the drain runner's `onLine`). */
  countBatchLine(batch: BatchRecord, result: LineResult, promoted: boolean): void {
    this.batches.countLine(batch, result, promoted);
  }

  recordReload(ok: boolean): void {
    this.reloads.labels(ok ? 'ok' : 'refused').inc();
    if (ok) {
      this.declared = false;
      this.capacity.reloaded();
    }
  }

  recordAdminAuthFailure(outcome: 'wrong_key' | 'throttled'): void {
    this.adminAuthFailures.labels(outcome).inc();
  }

  /** The exposition text and its content type. */
  async expose(): Promise<{ contentType: string; body: string }> {
    // At the first scrape, not in the constructor: the governor the state reads is built after the metrics.
    if (!this.declared) {
      this.declared = true;
      this.declareConfigured();
    }
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

/** Status codes as label values without a `String()` per request. */
const STATUS_LABELS = new Map<number, string>();
function statusLabel(status: number): string {
  let label = STATUS_LABELS.get(status);
  if (label === undefined) {
    label = String(status);
    STATUS_LABELS.set(status, label);
  }
  return label;
}

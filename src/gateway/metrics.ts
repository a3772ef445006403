/**
 * Prometheus metrics (prom-client, one registry per gateway so tests can run
 * several). Counters are fed by the governor's observer events and by the
 * proxy's end-of-request record; gauges that describe state (queues,
 * buckets, circuits, store) are read when scraped. Counters and histograms
 * touched by every request are `HotCounter` / `HotHistogram` (a map lookup
 * and an add, no label hashing); prom-client writes the exposition.
 */
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { GovernorObserver } from '../runtime/events.js';
import type { AlertLevel } from './alerts.js';
import { HotCounter, HotHistogram } from './hot-metrics.js';
import type { BucketReading, GatewayState } from './state.js';

const CIRCUIT_VALUE = { closed: 0, half_open: 1, open: 2 } as const;
const WAIT_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
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
  private readonly waits: HotHistogram;
  private readonly tokens: HotCounter;
  private readonly reloads: Counter<'result'>;
  private readonly adminAuthFailures: Counter<'outcome'>;

  constructor(
    state: GatewayState,
    sampleBuckets: () => Promise<readonly BucketReading[]>,
    alertLevel: (key: string) => AlertLevel,
  ) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'sluice_' });
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
    this.waits = new HotHistogram(
      'sluice_admission_wait_seconds',
      'Time a request waited for admission, by priority class.',
      ['priority'],
      WAIT_BUCKETS,
      this.registry,
    );
    this.tokens = new HotCounter(
      'sluice_tokens_total',
      'Tokens settled per tenant (reported usage, or the estimate when none arrived).',
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
    // One `peek` per scrape feeds every bucket gauge: each gauge's collect awaits the same reading.
    let reading: Promise<readonly BucketReading[]> | undefined;
    const readBuckets = () => {
      reading ??= sampleBuckets().finally(() => {
        setImmediate(() => {
          reading = undefined;
        });
      });
      return reading;
    };
    const bucketLabels = ['bucket', 'scope', 'owner', 'dimension', 'window'] as const;
    const bucketGauge = (name: string, help: string, value: (b: BucketReading) => number) =>
      new Gauge({
        name,
        help,
        labelNames: bucketLabels,
        registers,
        async collect() {
          const readings = await readBuckets();
          this.reset();
          for (const b of readings)
            this.labels(b.key, b.scope, b.owner, b.dimension, b.window ?? '').set(value(b));
        },
      });
    bucketGauge(
      'sluice_bucket_utilization',
      'Share of a bucket’s usable capacity in use (0–1).',
      (b) => b.utilization,
    );
    bucketGauge(
      'sluice_bucket_remaining',
      'Units (or slots) a bucket can still hand out.',
      (b) => b.remaining,
    );
    bucketGauge(
      'sluice_bucket_limit',
      'The limit in force for a bucket (declared, learned or lowered by AIMD).',
      (b) => b.limit,
    );
    new Gauge({
      name: 'sluice_bucket_alert_state',
      help: 'Utilization alert per bucket: 0 ok, 1 warn, 2 act.',
      labelNames: ['bucket', 'scope', 'owner'],
      registers,
      async collect() {
        const readings = await readBuckets();
        this.reset();
        for (const b of readings) this.labels(b.key, b.scope, b.owner).set(alertLevel(b.key));
      },
    });
    new Gauge({
      name: 'sluice_queue_depth',
      help: 'Requests waiting for admission, by priority class.',
      labelNames: ['priority'],
      registers,
      collect() {
        for (const q of state.queues()) this.labels(q.priority).set(q.depth);
      },
    });
    new Gauge({
      name: 'sluice_in_flight_requests',
      help: 'Requests the gateway is handling now (queued, upstream or streaming).',
      registers,
      collect() {
        this.set(state.inFlight());
      },
    });
    new Gauge({
      name: 'sluice_circuit_state',
      help: 'Circuit breaker per deployment: 0 closed, 1 half-open, 2 open.',
      labelNames: ['deployment'],
      registers,
      collect() {
        this.reset();
        for (const d of state.deployments()) this.labels(d.id).set(CIRCUIT_VALUE[d.circuit]);
      },
    });
    new Gauge({
      name: 'sluice_adaptive_factor',
      help: 'AIMD share of a deployment’s declared limits admitted now (1 = all).',
      labelNames: ['deployment'],
      registers,
      collect() {
        this.reset();
        for (const d of state.deployments()) this.labels(d.id).set(d.adaptiveFactor);
      },
    });
    new Gauge({
      name: 'sluice_store_mode',
      help: 'Where limits are decided: 1 for the current mode (memory, shared, local = fail-open, refusing = fail-closed).',
      labelNames: ['mode'],
      registers,
      collect() {
        const mode = state.store().mode;
        for (const m of ['memory', 'shared', 'local', 'refusing'] as const)
          this.labels(m).set(m === mode ? 1 : 0);
      },
    });
    const storeGauge = (
      name: string,
      help: string,
      read: (s: Awaited<ReturnType<GatewayState['storeStats']>>) => number,
    ) =>
      new Gauge({
        name,
        help,
        registers,
        async collect() {
          this.set(read(await state.storeStats()));
        },
      });
    storeGauge(
      'sluice_store_expired_leases',
      'Reservations never settled whose lease ran out (should stay 0: every request settles).',
      (s) => s.expiredLeases,
    );
    storeGauge(
      'sluice_store_duplicate_settles',
      'Settles of an already settled reservation (counted, never applied).',
      (s) => s.duplicateSettles,
    );
    storeGauge('sluice_store_active_reservations', 'Reservations held now.', (s) => s.active);
  }

  /** Feeds the counters from the governor's events. */
  observer(): GovernorObserver {
    return {
      admitted: (e) => this.waits.observe([e.priority], e.waitedMs / 1000),
      refused: (e) => this.refusals.inc([e.code, e.tenant]),
      upstream: (e) => {
        this.upstream.inc([e.deployment, statusLabel(e.status)]);
        if (e.status === 429) this.upstreamRateLimited.inc([e.deployment]);
        if (e.status > 0) this.upstreamLatency.observe([e.deployment], e.latencyMs / 1000);
      },
      retry: (e) => this.retries.inc([e.deployment, e.errorKind]),
      fallback: (e) => this.fallbacks.inc([e.from, e.to, e.errorKind]),
      settled: (e) => {
        const input = e.usage?.inputTokens ?? e.estimate.inputTokens;
        const output = e.usage?.outputTokens ?? e.estimate.outputTokens;
        if (input > 0) this.tokens.inc([e.tenant, 'input'], input);
        if (output > 0) this.tokens.inc([e.tenant, 'output'], output);
      },
    };
  }

  recordRequest(record: RequestRecord): void {
    this.requests.inc([record.tenant, record.group, statusLabel(record.status)]);
  }

  recordReload(ok: boolean): void {
    this.reloads.labels(ok ? 'ok' : 'refused').inc();
  }

  recordAdminAuthFailure(outcome: 'wrong_key' | 'throttled'): void {
    this.adminAuthFailures.labels(outcome).inc();
  }

  /** The exposition text and its content type. */
  async expose(): Promise<{ contentType: string; body: string }> {
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

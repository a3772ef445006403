/**
 * Gauges that describe state (buckets, queues, circuits, AIMD, store), read
 * when Prometheus scrapes rather than kept up to date per request.
 *
 * Each says how the primary of `--workers N` merges it over the workers
 * (workers/merged-metrics.ts; prom-client sums by default): what every
 * worker reads from the one shared store (buckets, store stats, cache size)
 * is not summed but taken once ('first'), or bounded ('max' utilization and
 * limit, 'min' remaining) where workers may read a moment apart; what each
 * worker holds itself sums (queues, requests in flight, the default); a
 * per-worker judgement takes the worst worker (circuit 'max', AIMD factor
 * 'min', alert level 'max').
 */
import { Gauge, type Registry } from 'prom-client';
import type { CacheStats } from '../cache/cache-store.js';
import type { AlertLevel } from '../runtime/load/bucket-levels.js';
import type { BucketReading, GatewayState } from './state.js';

const CIRCUIT_VALUE = { closed: 0, half_open: 1, open: 2 } as const;

export function registerStateGauges(
  registry: Registry,
  state: GatewayState,
  readings: {
    sampleBuckets: () => Promise<readonly BucketReading[]>;
    alertLevel: (key: string) => AlertLevel;
  },
): void {
  const registers = [registry];
  const { sampleBuckets, alertLevel } = readings;
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
  const bucketGauge = (
    name: string,
    help: string,
    value: (b: BucketReading) => number,
    aggregator: 'max' | 'min',
  ) =>
    new Gauge({
      name,
      help,
      labelNames: bucketLabels,
      registers,
      aggregator,
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
    'max',
  );
  bucketGauge(
    'sluice_bucket_remaining',
    'Units (or slots) a bucket can still hand out.',
    (b) => b.remaining,
    'min',
  );
  bucketGauge(
    'sluice_bucket_limit',
    'The limit in force for a bucket (declared, learned or lowered by AIMD).',
    (b) => b.limit,
    'max',
  );
  new Gauge({
    name: 'sluice_bucket_alert_state',
    help: 'Utilization alert per bucket: 0 ok, 1 warn, 2 act.',
    labelNames: ['bucket', 'scope', 'owner'],
    registers,
    aggregator: 'max',
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
    name: 'sluice_cluster_yields',
    help: 'Offers that waited for demand waiting on other instances (cluster-wide order), by priority class; cumulative.',
    labelNames: ['priority'],
    registers,
    collect() {
      for (const y of state.clusterOrder().yields) this.labels(y.priority).set(y.count);
    },
  });
  new Gauge({
    name: 'sluice_cluster_demand_records',
    help: 'Demand records this instance publishes for the cluster-wide order (bucket × class × tenant waiting).',
    registers,
    collect() {
      this.set(state.clusterOrder().records);
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
    aggregator: 'max',
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
    aggregator: 'min',
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
    aggregator: 'max',
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
      aggregator: 'first',
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
  // The response cache's entries, from its store (Redis: across every instance); 0 without a cache.
  const cacheGauge = (name: string, help: string, read: (s: CacheStats) => number) =>
    new Gauge({
      name,
      help,
      registers,
      aggregator: 'first',
      async collect() {
        const stats = await state.governor.cache?.stats().catch(() => undefined);
        this.set(stats ? read(stats) : 0);
      },
    });
  cacheGauge(
    'sluice_cache_entries',
    'Entries the response cache holds (expired ones not yet swept included).',
    (s) => s.entries,
  );
  cacheGauge(
    'sluice_cache_bytes',
    'Bytes of entries the response cache holds (keys and answers).',
    (s) => s.bytes,
  );
}

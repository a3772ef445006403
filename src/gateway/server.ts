/**
 * `startGateway(options)`: the gateway face as one `node:http` server in
 * front of one governor. `node:http` and undici were chosen by measurement
 * (README, "Gateway"): no framework, no web streams on the proxy path.
 *
 * Metrics are served on a second listener (metrics-listener.ts), never on
 * the tenant port.
 *
 * Lifecycle: start (validate, build, listen, wait for the store) → serve →
 * `reload(config)` on SIGHUP (in-flight requests keep the deployments they
 * hold) → `close()` on SIGTERM: stop accepting, let in-flight requests finish
 * up to the drain bound, answer 503 or cut the rest (settling them), close the store.
 */

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import type { Duplex } from 'node:stream';
import type { BatchLane } from '../batches/batch-lane.js';
import { toGovernorOptions, toIdempotency, toLoadOptions, toTopology } from '../config/to-topology.js';
import { unpricedUnderBudgets } from '../config/unpriced.js';
import { type Clock, systemClock } from '../core/clock.js';
import { Dashboard } from '../dashboard/dashboard.js';
import type { DashboardSnapshot } from '../dashboard/wire.js';
import { HistoryRecorder } from '../history/history-recorder.js';
import { preloadTokenizers } from '../providers/estimate/text-counter.js';
import type { GovernorObserver } from '../runtime/events.js';
import { Governor } from '../runtime/governor.js';
import { ALERT_NAMES } from '../runtime/load/bucket-levels.js';
import { type ConfiguredStore, storeFromConfig } from '../stores/from-config.js';
import { type AlertWebhookConfig, AlertWebhooks } from './alerts/alert-webhooks.js';
import { TenantKeys } from './auth.js';
import { type BatchLaneHandle, laneSettings } from './batches/lane-handle.js';
import { answerClientError, answerConnect, answerExpectation, answerMissingHost } from './client-error.js';
import { DEFAULT_DATA_DIR } from './config/load.js';
import type { GatewayConfig } from './config/schema.js';
import { GatewayContext, requestSettings } from './context.js';
import { type DrainResult, drain } from './drain.js';
import { startLane } from './lane/start-lane.js';
import { listen, urlOf } from './listen.js';
import { createLogger, flushLogger, type GatewayLogger } from './logging.js';
import { GatewayMetrics } from './metrics.js';
import { type MetricsListener, startMetricsListener } from './metrics-listener.js';
import { applyReload, loadForReload, type ReloadResult } from './reload.js';
import { defaultRouter, notFound, type Router } from './routes.js';
import { GatewayState } from './state.js';
import { UpstreamPools } from './transport.js';
export interface GatewayOptions {
  config: GatewayConfig;
  /** Overrides `listen` (CLI flags, tests on port 0). */
  host?: string;
  port?: number;
  clock?: Clock;
  /** Use this logger (tests pass a silent one or one writing to a buffer). */
  logger?: GatewayLogger;
  /** Adds routes (e.g. the dashboard's) to the built-in table. */
  routes?: (router: Router) => void;
  /** How long to wait at start for a Redis store to answer (default 5 s; the policy covers the rest). */
  storeReadyTimeoutMs?: number;
  /** Where the built dashboard page is (default: the package's `dist/dashboard/`). */
  dashboardAssetsDir?: string;
  /** The other workers' dashboard snapshots (`--workers N`): the page shows the whole gateway. */
  dashboardPeers?: () => Promise<readonly DashboardSnapshot[]>;
  /** Use this store instead of building one from `config.store` (a worker of `--workers N`: the primary's). */
  store?: ConfiguredStore;
  /** Serve `metrics.listen` from this process (default true; a worker's metrics are served by its primary). */
  metricsListener?: boolean;
}

export interface Gateway {
  /** `http://host:port` (OpenAI SDK base URL: `${url}/v1`; Anthropic SDK: `url`). */
  readonly url: string;
  readonly port: number;
  /** Where Prometheus scrapes (`metrics.listen`, never the tenant port); undefined when `metrics.enabled` is false. */
  readonly metricsUrl: string | undefined;
  readonly governor: Governor;
  readonly state: GatewayState;
  readonly context: GatewayContext;
  readonly metrics: GatewayMetrics;
  readonly dashboard: Dashboard;
  readonly logger: GatewayLogger;
  /** The configuration in force. */
  readonly config: GatewayConfig;
  /** Applies a new configuration (already validated); refuses it and keeps the old one on error. */
  reload(config: GatewayConfig): ReloadResult;
  /** Reads, validates and applies a config file (SIGHUP); a bad file is refused and the old config stays. */
  reloadFile(path: string): Promise<ReloadResult>;
  /** Reads the buckets, updates gauges and alert levels (also runs on a timer). */
  sampleBuckets(): Promise<void>;
  /** Drains (bounded by `server.drain_timeout_ms` unless given) and closes everything. */
  close(options?: { timeoutMs?: number }): Promise<DrainResult>;
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  let config = options.config;
  // What `listen`, `store` and the other settings read once are, whatever reloads came since.
  const started = options.config;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger({ level: config.log.level });
  // Tokenizer tables load lazily otherwise: the first request would pay ~100 ms.
  preloadTokenizers();

  const gatewayStore: ConfiguredStore =
    options.store ?? storeFromConfig(config.store, clock, storeLogger(logger));
  const pools = new UpstreamPools({
    connectTimeoutMs: config.upstream.connect_timeout_ms,
    headersTimeoutMs: config.upstream.headers_timeout_ms,
    bodyTimeoutMs: config.upstream.body_timeout_ms,
    connections: config.upstream.connections,
    keepAliveTimeoutMs: config.upstream.keep_alive_timeout_ms,
  });

  let governor: Governor | undefined;
  let context: GatewayContext | undefined;
  const state = new GatewayState({
    governor: () => governor as Governor,
    pools,
    store: () => gatewayStore.view(),
    inFlight: () => context?.inFlight.size ?? 0,
    lane: () => context?.lane,
  });
  const sample = () => (governor as Governor).sampleLoad();
  const metrics = new GatewayMetrics(state, sample, (key) => (governor as Governor).alertLevel(key));
  const webhooks = new AlertWebhooks(toWebhooks(config.alerts.webhooks), {
    clock,
    onOutcome: (webhook, outcome, detail) => {
      metrics.load.webhookOutcome(webhook, outcome);
      if (outcome !== 'delivered') logger.warn({ webhook, outcome, detail }, 'alert webhook not delivered');
    },
  });
  metrics.load.declareWebhooks(webhooks.labels());
  const dataDir = config.data_dir ?? resolve(DEFAULT_DATA_DIR);
  const history = config.history.enabled
    ? new HistoryRecorder({
        store: gatewayStore.history(dataDir, config.history.retention_days),
        clock,
        groups: () => (governor as Governor).groups,
        onError: (error) => logger.warn({ err: error }, 'history: a minute of records was not written'),
      })
    : undefined;

  const dashboard = new Dashboard({
    config: () => config,
    state,
    metrics,
    clock,
    logger,
    draining: () => context?.draining ?? false,
    ...(options.dashboardAssetsDir !== undefined && { assetsDir: options.dashboardAssetsDir }),
    ...(options.dashboardPeers && { peers: options.dashboardPeers }),
    history: history?.store,
  });

  governor = new Governor({
    ...toTopology(config),
    ...toGovernorOptions(config),
    store: gatewayStore.store,
    clock,
    backgroundHeadroom: config.batches.headroom,
    idempotency: toIdempotency(
      config.idempotency,
      (max) => gatewayStore.idempotency(max),
      (error) => logger.warn({ err: error }, 'idempotency store failed: the call ran without its key'),
    ),
    observers: [
      metrics.observer(),
      logObserver(logger),
      dashboard.observer(),
      { alert: (transition) => webhooks.notify(transition) },
      ...(history ? [history.observer] : []),
    ],
    responseCache: { entries: gatewayStore.responseCache, semantic: gatewayStore.semanticIndex },
  });
  context = new GatewayContext(
    governor,
    new TenantKeys(config.tenants),
    requestSettings(config),
    pools,
    logger,
  );
  context.metrics = metrics;
  context.state = state;
  const ctx = context;
  const lane = config.batches.enabled ? openLane(config, ctx, gatewayStore, clock, logger) : undefined;

  const router = defaultRouter();
  dashboard.mount(router);
  options.routes?.(router);
  const server = createServer(
    {
      requestTimeout: config.server.request_timeout_ms,
      headersTimeout: config.server.headers_timeout_ms,
      keepAliveTimeout: config.server.keep_alive_timeout_ms,
      // Node's Host check answers with an empty body: answerMissingHost answers in the caller's format.
      requireHostHeader: false,
      // Slow-client timeouts are enforced by a periodic sweep (30 s by default): sweep often enough to honour them.
      connectionsCheckingInterval: Math.min(
        30_000,
        Math.max(
          100,
          Math.floor(Math.min(config.server.headers_timeout_ms, config.server.request_timeout_ms) / 4),
        ),
      ),
    },
    (req: IncomingMessage, res: ServerResponse) => {
      if (answerMissingHost(ctx, req, res)) return;
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const pathname = q < 0 ? url : url.slice(0, q);
      const handler = router.find(req.method ?? 'GET', pathname);
      if (handler) handler(ctx, req, res);
      else notFound(ctx, req, res, pathname);
    },
  );
  // A client that stops reading (or sending) for this long is disconnected; its request settles on close.
  server.timeout = config.server.idle_timeout_ms;
  // What Node's parser refuses gets the provider's error JSON too, not an empty body.
  server.on('clientError', (error: Error, socket: Duplex) => answerClientError(ctx, error, socket));
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) =>
    answerExpectation(ctx, req, res),
  );
  server.on('connect', (req: IncomingMessage, socket: Duplex) => answerConnect(ctx, req, socket));

  const host = options.host ?? config.listen.host;
  const port = options.port ?? config.listen.port;
  const boundPort = await listen(server, host, port);
  const url = urlOf(host, boundPort);
  let metricsListener: MetricsListener | undefined;
  try {
    if (options.metricsListener !== false)
      metricsListener = await startMetricsListener({ config: config.metrics, metrics, logger });
  } catch (error) {
    server.close();
    throw error;
  }

  const storeReady = await gatewayStore.ready(options.storeReadyTimeoutMs ?? 5_000);
  if (!storeReady) {
    logger.warn(
      { store: gatewayStore.view() },
      'the store did not answer at start; serving under its on_unavailable policy until it does',
    );
  }
  ctx.ready = true;

  const startSampling = (everyMs: number) =>
    (governor as Governor).sampleLoadEvery(everyMs, (error) =>
      logger.warn({ err: error }, 'bucket sampling failed'),
    );
  startSampling(config.alerts.interval_ms);

  logger.info(
    {
      url,
      metrics: metricsListener?.url ?? 'off',
      store: gatewayStore.view().mode,
      groups: Object.keys(config.model_groups),
      tenants: config.tenants.length,
    },
    'sluice gateway listening',
  );
  warnUnpriced(config, logger);

  let closing: Promise<DrainResult> | undefined;
  const gateway: Gateway = {
    url,
    port: boundPort,
    metricsUrl: metricsListener?.url,
    governor,
    state,
    context: ctx,
    metrics,
    dashboard,
    logger,
    get config() {
      return config;
    },
    reload(next) {
      const result = applyReload({ context: ctx, started, next, logger });
      metrics.recordReload(result.ok);
      if (result.ok) {
        config = next;
        if (lane && ctx.batches) ctx.batches = laneHandle(lane, next);
        ctx.governor.setLoadOptions(toLoadOptions(next.alerts));
        webhooks.reconfigure(toWebhooks(next.alerts.webhooks));
        metrics.load.declareWebhooks(webhooks.labels());
        startSampling(next.alerts.interval_ms);
        warnUnpriced(next, logger);
      }
      return result;
    },
    async reloadFile(path) {
      const loaded = await loadForReload(path, logger);
      if (loaded.ok) return gateway.reload(loaded.config);
      metrics.recordReload(false);
      return loaded;
    },
    async sampleBuckets() {
      await sample();
    },
    close(closeOptions = {}) {
      closing ??= (async () => {
        // No new line starts; lines running are given back to run again (here after a restart, or elsewhere).
        // Open dashboards get a goodbye event rather than a cut connection.
        dashboard.close();
        webhooks.close();
        // The drain starts at once (a call arriving now is answered 503, not served), beside the
        // lane's close: no new line starts, and lines running are given back to run again (here
        // after a restart, or elsewhere). Neither waits on the other's disk.
        const [result] = await Promise.all([
          drain({
            server,
            context: ctx,
            timeoutMs: closeOptions.timeoutMs ?? config.server.drain_timeout_ms,
            clock,
          }),
          lane
            ?.close()
            .catch((error: unknown) => logger.warn({ err: error }, 'closing the batch lane failed')),
        ]);
        await pools.close();
        await history?.close();
        await metricsListener?.close();
        await gatewayStore.store.close().catch(() => undefined);
        logger.info({ ...result }, 'sluice gateway stopped');
        await flushLogger(logger);
        return result;
      })();
      return closing;
    },
  };
  return gateway;
}

/**
 * The background lane beside this gateway: its batches where the store
 * keeps state (`data_dir` with the memory store, the same Redis otherwise).
 * A worker of `--workers N` on the primary's memory store has no place for
 * them (the data_dir is one process's): the batch APIs stay off there.
 */
function openLane(
  config: GatewayConfig,
  ctx: GatewayContext,
  gatewayStore: ConfiguredStore,
  clock: Clock,
  logger: GatewayLogger,
): BatchLane | undefined {
  const store = gatewayStore.batches(config.data_dir ?? resolve(DEFAULT_DATA_DIR));
  if (!store) {
    logger.warn({}, 'batches need the Redis store with --workers: the batch and file APIs are off');
    return undefined;
  }
  const lane = startLane({ settings: config.batches, context: ctx, store, clock, logger });
  ctx.lane = lane;
  ctx.batches = laneHandle(lane, config);
  return lane;
}

/** What the batch and file routes use of the lane, under a configuration (replaced on reload). */
function laneHandle(lane: BatchLane, config: GatewayConfig): BatchLaneHandle | undefined {
  const settings = laneSettings(config);
  if (!settings) return undefined;
  return {
    store: lane.store,
    settings,
    wake: () => lane.wake(),
    progressOf: (batch) => lane.standing(batch),
  };
}

function storeLogger(logger: GatewayLogger) {
  const child = logger.child({ component: 'store' });
  return {
    warn: (fields: Record<string, unknown>, message: string) => child.warn(fields, message),
    info: (fields: Record<string, unknown>, message: string) => child.info(fields, message),
  };
}

function toWebhooks(webhooks: GatewayConfig['alerts']['webhooks']): AlertWebhookConfig[] {
  return webhooks.map((w) => ({
    url: w.url,
    secret: w.secret,
    format: w.format,
    timeoutMs: w.timeout_ms,
    maxAttempts: w.max_attempts,
  }));
}

/** Events an operator wants in the log (one line each); per-request detail is the request line. */
function logObserver(logger: GatewayLogger): GovernorObserver {
  return {
    circuit: (e) =>
      logger.warn({ deployment: e.deployment, state: e.state }, 'circuit breaker changed state'),
    paused: (e) =>
      logger.info(
        { deployment: e.deployment, bucket: e.bucket, until: new Date(e.untilMs).toISOString() },
        'upstream rate limit: bucket paused',
      ),
    fallback: (e) => logger.debug({ from: e.from, to: e.to, reason: e.errorKind }, 'fallback'),
    clamped: (e) => logger.debug({ deployment: e.deployment, clamp: e.clamp }, 'provider reset time clamped'),
    // "limit raised 500 → 5000 rpm": a tier upgrade (or a provider's lowering) is an operator's business.
    limit: (e) =>
      logger.info(
        { deployment: e.deployment, bucket: e.bucket, limit: e.name, from: e.from, to: e.to },
        e.from === undefined
          ? `limit learned: ${e.to} ${e.name}`
          : `limit ${e.to > e.from ? 'raised' : 'lowered'} ${e.from} → ${e.to} ${e.name}`,
      ),
    alert: ({ bucket, from, to }) => {
      const fields = {
        bucket: bucket.key,
        scope: bucket.scope,
        owner: bucket.owner,
        utilization: Math.round(bucket.utilization * 1000) / 1000,
        from: ALERT_NAMES[from],
        to: ALERT_NAMES[to],
      };
      if (to === 2) logger.error(fields, 'bucket utilization alert: act');
      else if (to === 1)
        logger.warn(fields, to > from ? 'bucket utilization alert: warn' : 'bucket utilization down to warn');
      else logger.info(fields, 'bucket utilization back to normal');
    },
    load: (e) =>
      logger.warn(
        {
          group: e.group,
          from: e.from,
          to: e.level,
          cause: e.cause,
          queue_wait_ms: Math.round(e.queueWaitMs),
        },
        `model group load: ${e.level}`,
      ),
    // Logged once per action as it turns on and off; the calls it changes are counted in the metrics.
    mitigation: (e) =>
      logger.warn(
        { group: e.group, action: e.action, engaged: e.engaged },
        `mitigation ${e.engaged ? 'engaged' : 'released'}: ${e.action}`,
      ),
  };
}

/** A spending budget counts nothing for a deployment without a price: say which, once per (re)load. */
function warnUnpriced(config: GatewayConfig, logger: GatewayLogger): void {
  const unpriced = unpricedUnderBudgets(config);
  if (unpriced.length > 0)
    logger.warn(
      { deployments: unpriced },
      'spending budgets: these deployments have no price (set price, or prices.<model>): their calls cost nothing against usd_per_day / usd_per_month',
    );
}

/**
 * `startSimulator(options)`: the provider simulator as an in-process HTTP
 * server on `node:http` (no framework: it is the upstream of the proxy
 * benchmarks), serving the OpenAI, Anthropic and Gemini flavours at once,
 * plus `GET /_sim/stats`, `POST /_sim/reset` and `GET|PUT /_sim/faults`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Clock, systemClock } from '../core/clock.js';
import { preloadTokenizers } from '../providers/estimate/text-counter.js';
import { BatchApi } from './batches/batch-api.js';
import type { BatchQueueStats } from './batches/batch-queue.js';
import {
  type FaultSpec,
  type FaultSpecInput,
  faultListSchema,
  limitChangeSchema,
  parseSimulatorConfig,
  type SimulatorConfig,
  SimulatorConfigError,
  type SimulatorConfigInput,
} from './config.js';
import { ContentSource } from './content.js';
import { Exchange } from './exchange.js';
import { FaultPlan } from './faults.js';
import { anthropicFlavour } from './flavours/anthropic/anthropic.js';
import { geminiFlavour } from './flavours/gemini/gemini.js';
import { openaiFlavour } from './flavours/openai/openai.js';
import { RequestTarget, readBody, sendJson, sendReply } from './http-io.js';
import { type LimitChanges, Limiter } from './limits/limiter.js';
import { type Flavours, guessFlavour, routeOf } from './routes.js';
import { TierDowngrades } from './service-tiers.js';
import { SimStats, type StatsSnapshot } from './stats.js';

export interface SimulatorOptions extends SimulatorConfigInput {
  /** Time source of the limits, faults' `during` windows and latency timers (default: the system clock). */
  readonly clock?: Clock;
}

export interface BucketStats {
  readonly limit: number;
  readonly remaining: number;
  readonly reset_ms: number;
}

export interface SimulatorStats extends StatsSnapshot {
  /** Scope id (`flavour|key|model-or-pool`) → bucket states and calls in flight. */
  readonly limits: Record<string, { in_flight: number; buckets: Record<string, BucketStats> }>;
  /** Batches by `provider.status`, lines answered, input tokens queued per scope. */
  readonly batches: BatchQueueStats;
}

/** New limits of a key × model (the pair's scope, or the pool it belongs to). */
export interface KeyLimitChange {
  readonly key: string;
  readonly model: string;
  readonly limits: LimitChanges;
}

export interface ResetOptions {
  /** Also refill every bucket, restart the other clients' flow and empty the prompt cache. */
  readonly buckets?: boolean;
}

export interface Simulator {
  /** Base URL, e.g. `http://127.0.0.1:54321` (OpenAI SDK: `${url}/v1`; Anthropic and Gemini SDKs: `url`). */
  readonly url: string;
  readonly port: number;
  readonly config: SimulatorConfig;
  stats(): SimulatorStats;
  /** Zeroes the counters and restarts fault schedules and ids; see `ResetOptions`. */
  reset(options?: ResetOptions): void;
  /**
   * Replaces the faults in force (their counts start over), as `PUT
   * /_sim/faults` does: a key runs out of credit mid-run, or comes back.
   */
  setFaults(faults: readonly FaultSpecInput[]): void;
  /** Runs every batch to its end now (same as `POST /_sim/batches/complete`); returns how many were running. */
  completeBatches(): number;
  /** Changes a key's limits for a model now, as a tier upgrade does (same as `POST /_sim/limits`). */
  setLimits(change: KeyLimitChange): void;
  close(): Promise<void>;
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const { clock = systemClock, ...input } = options;
  const config = parseSimulatorConfig(input);
  // The OpenAI flavour counts with gpt-tokenizer: load it now, not on the first request (~200 ms per encoding).
  preloadTokenizers();
  const startedAt = clock.now();
  const stats = new SimStats(startedAt);
  const limiter = new Limiter(config, clock);
  const faults = new FaultPlan(config.faults, config.seed, startedAt);
  const content = new ContentSource(config.response, config.seed);
  const flavours: Flavours = {
    openai: openaiFlavour(config),
    anthropic: anthropicFlavour(config),
    gemini: geminiFlavour(config),
  };
  const onError = (res: ServerResponse, error: unknown) => {
    if (res.headersSent) res.destroy();
    else sendJson(res, 500, { error: `simulator failure: ${(error as Error).message}` });
  };
  const tiers = new TierDowngrades(config.service_tiers.downgrades);
  const exchange = new Exchange({ config, clock, limiter, faults, tiers, stats, content, onError });
  const batches = new BatchApi({ config, clock, flavours, content });

  const snapshot = (): SimulatorStats => {
    const now = clock.now();
    const limits: SimulatorStats['limits'] = {};
    for (const scope of limiter.allScopes()) {
      const buckets: Record<string, BucketStats> = {};
      for (const v of scope.views(now)) {
        buckets[v.dimension] = { limit: v.limit, remaining: v.remaining, reset_ms: Math.ceil(v.resetMs) };
      }
      for (const v of scope.views(now, scope.longContext?.buckets ?? [])) {
        const stats = { limit: v.limit, remaining: v.remaining, reset_ms: Math.ceil(v.resetMs) };
        buckets[`long_context.${v.dimension}`] = stats;
      }
      limits[scope.id] = { in_flight: scope.inFlight, buckets };
    }
    return { ...stats.snapshot(), limits, batches: batches.queue.stats() };
  };
  const reset = (opts: ResetOptions = {}) => {
    stats.reset(clock.now());
    faults.reset();
    tiers.reset();
    exchange.resetOrdinal();
    if (opts.buckets) {
      batches.reset();
      limiter.reset();
      for (const f of Object.values(flavours)) f.reset?.();
    }
  };

  const setFaults = (input: unknown): readonly FaultSpec[] => {
    const parsed = faultListSchema.safeParse(input);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      const where = first?.path.length ? `${first.path.map(String).join('.')}: ` : '';
      throw new SimulatorConfigError(`faults are invalid: ${where}${first?.message ?? 'unknown'}`);
    }
    faults.replace(parsed.data);
    return parsed.data;
  };

  const control = async (req: IncomingMessage, res: ServerResponse, url: RequestTarget) => {
    if (url.pathname === '/_sim/stats' && req.method === 'GET') return sendJson(res, 200, snapshot());
    if (url.pathname === '/_sim/faults' && req.method === 'GET') return sendJson(res, 200, faults.current);
    if (url.pathname === '/_sim/faults' && req.method === 'PUT') {
      const raw = await bodyOf(req);
      try {
        return sendJson(res, 200, setFaults(raw ? JSON.parse(raw) : []));
      } catch (error) {
        const message =
          error instanceof SyntaxError ? 'body must be a JSON list of faults' : (error as Error).message;
        return sendJson(res, 400, { error: message });
      }
    }
    if (url.pathname === '/_sim/limits' && req.method === 'POST') {
      const raw = await bodyOf(req);
      const change = parseLimitChange(raw);
      if (typeof change === 'string') return sendJson(res, 400, { error: change });
      limiter.setLimits(change.key, change.model, change.limits);
      return sendJson(res, 200, { changed: change });
    }
    if (url.pathname === '/_sim/batches/complete' && req.method === 'POST') {
      return sendJson(res, 200, { completed: batches.queue.completeAll() });
    }
    if (url.pathname === '/_sim/reset' && req.method === 'POST') {
      const raw = await bodyOf(req);
      let buckets = url.searchParams.get('buckets') === 'true';
      try {
        const body: unknown = raw ? JSON.parse(raw) : {};
        if (typeof body === 'object' && body !== null && 'buckets' in body) buckets = body.buckets === true;
      } catch {
        return sendJson(res, 400, { error: 'body must be JSON, e.g. {"buckets": true}' });
      }
      reset({ buckets });
      return sendJson(res, 200, { reset: true, buckets });
    }
    return sendJson(res, 404, { error: `no such simulator endpoint: ${req.method} ${url.pathname}` });
  };

  const server = createServer((req, res) => {
    const url = new RequestTarget(req.url ?? '/');
    const fail = (error: unknown) => onError(res, error);
    if (url.pathname.startsWith('/_sim/')) {
      control(req, res, url).catch(fail);
      return;
    }
    if (batches.handles(url.pathname)) {
      batches.serve(req, res, url).catch(fail);
      return;
    }
    const route = routeOf(req.method ?? 'GET', url, req.headers, flavours);
    if (!route) {
      const flavour = flavours[guessFlavour(url, req.headers)];
      sendReply(res, flavour.notFound(req.method ?? 'GET', url.pathname, flavour.ids(0, clock.now())));
      return;
    }
    try {
      exchange.serve(req, res, route, url);
    } catch (error) {
      fail(error);
    }
  });
  server.keepAliveTimeout = 65_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;

  return {
    url,
    port: address.port,
    config,
    stats: snapshot,
    reset,
    setFaults: (list) => {
      setFaults(list);
    },
    completeBatches: () => batches.queue.completeAll(),
    setLimits: (change) => limiter.setLimits(change.key, change.model, change.limits),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Streams in progress and held "timeout" requests would keep close() waiting forever.
        server.closeAllConnections();
      }),
  };
}

/** The body of `POST /_sim/limits`, or what is wrong with it. */
function parseLimitChange(raw: string): KeyLimitChange | string {
  const usage = 'body must be JSON like {"key": "sk-test", "model": "gpt-4o-mini", "limits": {"rpm": 5000}}';
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return usage;
  }
  const parsed = limitChangeSchema.safeParse(body);
  return parsed.success ? parsed.data : `${usage}: ${parsed.error.issues.map((i) => i.message).join('; ')}`;
}

function bodyOf(req: IncomingMessage): Promise<string> {
  return new Promise<string>((resolve, reject) =>
    readBody(req, (error, body) => (error ? reject(error) : resolve(body))),
  );
}

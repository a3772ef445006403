/**
 * `/metrics` on a listener of its own (`metrics.listen`, 127.0.0.1:8788 by
 * default), never on the tenant port. The exposition names every tenant with
 * its requests, tokens and bucket use (what the admin key guards on
 * `/admin/v1/state`), and a scrape costs the event loop about a millisecond:
 * open on the tenant port, anyone with the URL could read other tenants'
 * usage, and a scrape loop halved proxied throughput. Loopback is where a
 * Prometheus agent on the same host scrapes; bound elsewhere, set
 * `metrics.token` and scrape with `Authorization: Bearer <token>`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { AdminKey, bearerToken } from '../dashboard/admin-key.js';
import type { GatewayConfig } from './config/schema.js';
import { listen, urlOf } from './listen.js';
import type { GatewayLogger } from './logging.js';
import type { GatewayMetrics } from './metrics.js';
import { sendText } from './respond.js';

export interface MetricsListener {
  /** Where Prometheus scrapes: `http://host:port/metrics`. */
  readonly url: string;
  close(): Promise<void>;
}

/** What a scrape reads: one gateway's registry, or (`--workers N`) every worker's merged by the primary. */
export type MetricsSource = Pick<GatewayMetrics, 'expose'>;

export interface MetricsListenerOptions {
  config: GatewayConfig['metrics'];
  metrics: MetricsSource;
  logger: GatewayLogger;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** Starts the listener; undefined when `metrics.enabled` is false. */
export async function startMetricsListener(
  options: MetricsListenerOptions,
): Promise<MetricsListener | undefined> {
  const { config, metrics, logger } = options;
  if (!config.enabled) return undefined;
  // Compared like the admin key: digests only, in constant time.
  const token = config.token === undefined ? undefined : AdminKey.from({ key: config.token });
  const server = createServer({ headersTimeout: 10_000, requestTimeout: 10_000 }, (req, res) =>
    scrape(req, res, metrics, token, logger),
  );
  const { host, port } = config.listen;
  const bound = await listen(server, host, port);
  if (!token && !LOOPBACK.has(host)) {
    logger.warn(
      { host, port: bound },
      'metrics listen on a non-loopback address without metrics.token: anyone who reaches it reads every tenant’s usage',
    );
  }
  return {
    url: `${urlOf(host, bound)}/metrics`,
    close: () => closeServer(server),
  };
}

function scrape(
  req: IncomingMessage,
  res: ServerResponse,
  metrics: MetricsSource,
  token: AdminKey | undefined,
  logger: GatewayLogger,
): void {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const pathname = q < 0 ? url : url.slice(0, q);
  if (pathname !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
    sendText(res, 404, 'not found: this listener serves GET /metrics\n');
    return;
  }
  if (token && !token.matches(bearerToken(req.headers))) {
    res.setHeader('www-authenticate', 'Bearer realm="sluice-metrics"');
    sendText(res, 401, 'metrics need "Authorization: Bearer <metrics.token>"\n');
    return;
  }
  metrics.expose().then(
    ({ contentType, body }) => sendText(res, 200, body, contentType),
    (error: unknown) => {
      logger.error({ err: error }, 'metrics exposition failed');
      sendText(res, 500, 'metrics exposition failed\n');
    },
  );
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    // A scraper's keep-alive connection would hold `close` open.
    server.closeAllConnections();
  });
}

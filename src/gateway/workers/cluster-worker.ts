/**
 * One worker of `sluice serve --workers N`: a whole gateway (startGateway)
 * on the port the primary shares, deciding on the primary's memory store
 * (or on Redis like any other instance), with no metrics listener of its
 * own: the primary serves `/metrics` for all of them.
 *
 * The primary drives it: `reload` (after the primary validated the file),
 * `drain` (SIGTERM to the primary). SIGINT is left to the primary (Ctrl-C
 * reaches the whole process group); a SIGTERM sent to the worker itself, or
 * the primary vanishing, drains it too.
 */

import type { CacheStore } from '../../cache/cache-store.js';
import { SemanticIndex } from '../../cache/semantic-index.js';
import type { IdempotencyStore } from '../../idempotency/idempotency-store.js';
import type { ConfiguredStore } from '../../stores/from-config.js';
import { fileHistory } from '../../stores/from-config.js';
import type { GatewayConfig } from '../config/schema.js';
import { startGateway } from '../server.js';
import { CONTROL_CHANNEL, type FromWorker, isControl, type ToWorker } from './control.js';
import { peersThroughPrimary } from './dashboard-peers.js';
import { forwarded, forwardedStore } from './forwarded-store.js';
import { primaryLink } from './links.js';
import { CACHE_CHANNEL, IDEMPOTENCY_CHANNEL, type StoreLink } from './store-wire.js';

export interface WorkerOptions {
  config: GatewayConfig;
  configPath: string;
  host?: string;
  port?: number;
}

export async function runWorker(options: WorkerOptions): Promise<void> {
  const link = primaryLink();
  const gateway = await startGateway({
    config: options.config,
    ...(options.host !== undefined && { host: options.host }),
    ...(options.port !== undefined && { port: options.port }),
    metricsListener: false,
    dashboardPeers: peersThroughPrimary(),
    ...(options.config.store.kind === 'memory' && { store: primaryMemoryStore(link) }),
  });
  let draining = false;
  const drain = () => {
    if (draining) return;
    draining = true;
    gateway.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('message', (message) => {
    if (!isControl<ToWorker>(message)) return;
    if (message.op === 'drain') drain();
    else if (message.op === 'reload') void gateway.reloadFile(options.configPath);
    else if (message.op === 'dashboard') {
      gateway.dashboard.localSnapshot().then(
        (snapshot) => send({ channel: CONTROL_CHANNEL, op: 'dashboard', id: message.id, snapshot }),
        () => send({ channel: CONTROL_CHANNEL, op: 'dashboard', id: message.id, snapshot: undefined }),
      );
    } else if (message.op === 'metrics') {
      gateway.metrics.registry.getMetricsAsJSON().then(
        (metrics) => send({ channel: CONTROL_CHANNEL, op: 'metrics', id: message.id, metrics }),
        () => send({ channel: CONTROL_CHANNEL, op: 'metrics', id: message.id, metrics: undefined }),
      );
    }
  });
  process.on('SIGTERM', drain);
  process.on('SIGINT', () => undefined);
  process.once('disconnect', drain);
}

function send(message: FromWorker): void {
  if (process.connected) process.send?.(message);
}

/** The memory store and response cache live in the primary; this worker reaches them over IPC. */
function primaryMemoryStore(link: StoreLink): ConfiguredStore {
  return {
    store: forwardedStore(link),
    kind: 'memory',
    view: () => ({ kind: 'memory', mode: 'memory', available: true }),
    ready: async () => true,
    responseCache: forwarded<CacheStore>(link, CACHE_CHANNEL),
    idempotency: () => forwarded<IdempotencyStore>(link, IDEMPOTENCY_CHANNEL),
    // The nearest-question index stays per worker: its vectors are large and a miss only costs a call.
    semanticIndex: new SemanticIndex(),
    // The data_dir is one process's (it is locked): batches need the Redis store with --workers.
    batches: () => undefined,
    // Each worker appends history files of its own (named by its pid); readers merge them.
    history: (dir, retentionDays) => fileHistory(dir, retentionDays),
  };
}

/**
 * The primary of `sluice serve --workers N` (`node:cluster`): it forks N
 * workers that each run a whole gateway on the one port (the primary holds
 * the listening socket and hands connections round-robin; with port 0 the
 * first worker's listen picks the port and every worker gets the same one,
 * which the primary learns from its `listening` event).
 *
 * It owns what must be one for the whole gateway: the memory store and
 * response cache (workers reach them over IPC, store-host.ts), the
 * `/metrics` listener (every worker's registry merged, merged-metrics.ts)
 * and the signals: SIGHUP validates the file once and has every worker
 * reload it (a bad file is refused everywhere, the old config stays);
 * SIGTERM / SIGINT drain every worker, then the primary exits 0; a second
 * one exits at once. A worker that dies otherwise is restarted (logged).
 */
import cluster, { type Worker } from 'node:cluster';
import { MemoryCacheStore } from '../../cache/memory-cache-store.js';
import { MemoryIdempotencyStore } from '../../idempotency/memory-idempotency-store.js';
import { MemoryStore } from '../../stores/memory/memory-store.js';
import type { GatewayConfig } from '../config/schema.js';
import { urlOf } from '../listen.js';
import { createLogger, flushLogger } from '../logging.js';
import { startMetricsListener } from '../metrics-listener.js';
import { loadForReload } from '../reload.js';
import { CONTROL_CHANNEL, type ToWorker } from './control.js';
import { answerPeers } from './dashboard-peers.js';
import { workerLink } from './links.js';
import { mergedMetrics } from './merged-metrics.js';
import { hostStore } from './store-host.js';
import { CACHE_CHANNEL, IDEMPOTENCY_CHANNEL } from './store-wire.js';

export interface PrimaryOptions {
  config: GatewayConfig;
  configPath: string;
  workers: number;
  host?: string;
}

/** A worker that dies this soon after its start is crash-looping: wait before the next one. */
const RESTART_BACKOFF_MS = 1_000;

export async function runPrimary(options: PrimaryOptions): Promise<void> {
  const { config, configPath } = options;
  const logger = createLogger({ level: config.log.level }).child({ process: 'primary' });
  // Structured clone: Infinity (a refusal that never fits) and undefined cross as they are.
  cluster.setupPrimary({ serialization: 'advanced' });
  const memory =
    config.store.kind === 'memory'
      ? {
          store: new MemoryStore({ clustered: true }),
          cache: new MemoryCacheStore(),
          idempotency: new MemoryIdempotencyStore(config.idempotency.max_entries),
        }
      : undefined;

  let draining = false;
  let listening = false;
  const live = new Set<Worker>();
  /** Workers listening: the ones a scrape asks (one still starting would hold it until its timeout). */
  const serving = new Set<Worker>();
  const startedAt = new Map<Worker, number>();
  const fork = () => {
    const worker = cluster.fork();
    live.add(worker);
    answerPeers(worker, () => serving);
    startedAt.set(worker, Date.now());
    if (memory) {
      const link = workerLink(worker);
      hostStore(memory.store, link);
      hostStore(memory.cache, link, CACHE_CHANNEL);
      hostStore(memory.idempotency, link, IDEMPOTENCY_CHANNEL);
    }
    return worker;
  };
  const tell = (message: ToWorker) => {
    for (const worker of live) if (worker.isConnected()) worker.send(message);
  };

  const metrics = await startMetricsListener({
    config: config.metrics,
    metrics: mergedMetrics(() => [...serving]),
    logger,
  });

  const allExited = new Promise<void>((resolveExited) => {
    cluster.on('exit', (worker, code, signal) => {
      live.delete(worker);
      serving.delete(worker);
      const lived = Date.now() - (startedAt.get(worker) ?? 0);
      startedAt.delete(worker);
      if (draining) {
        if (live.size === 0) resolveExited();
        return;
      }
      if (!listening) {
        // A worker that cannot start (port taken, store unreachable at start...) will not start on a retry either.
        logger.error({ worker: worker.id, code, signal }, 'a worker failed to start; stopping');
        draining = true;
        for (const other of live) other.process.kill('SIGKILL');
        process.exitCode = code || 1;
        void metrics?.close();
        return;
      }
      logger.error(
        { worker: worker.id, pid: worker.process.pid, code, signal },
        'worker died; starting another',
      );
      const delay = lived < RESTART_BACKOFF_MS ? RESTART_BACKOFF_MS : 0;
      setTimeout(() => {
        if (!draining) fork();
      }, delay);
    });
  });

  const listeningAt = new Promise<number>((resolve) => {
    let count = 0;
    cluster.on('listening', (worker, address) => {
      serving.add(worker);
      if (listening)
        logger.warn({ worker: worker.id, pid: worker.process.pid }, 'replacement worker listening');
      if (++count === options.workers) resolve(address.port);
    });
  });
  process.on('SIGHUP', () => {
    void loadForReload(configPath, logger).then((loaded) => {
      // Refused here means refused everywhere: no worker is asked to read a file that does not parse.
      if (loaded.ok) tell({ channel: CONTROL_CHANNEL, op: 'reload' });
    });
  });
  const stop = (signal: NodeJS.Signals) => {
    if (draining) {
      console.error(`${signal} again: exiting without waiting for requests in flight`);
      for (const worker of live) worker.process.kill('SIGKILL');
      process.exit(1);
    }
    draining = true;
    logger.info({ signal, workers: live.size }, 'draining every worker, then exiting');
    tell({ channel: CONTROL_CHANNEL, op: 'drain' });
    (live.size === 0 ? Promise.resolve() : allExited)
      .then(async () => {
        await metrics?.close();
        await memory?.store.close();
        logger.info('sluice gateway stopped (all workers drained)');
        await flushLogger(logger);
        process.exit(0);
      })
      .catch(() => process.exit(1));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // Signals are ours before any worker starts: SIGHUP's default would end the primary.
  for (let i = 0; i < options.workers; i++) fork();
  const port = await listeningAt;
  listening = true;
  const url = urlOf(options.host ?? config.listen.host, port);
  console.error(
    `sluice gateway listening on ${url} (${options.workers} workers, config ${configPath}); metrics ${metrics?.url ?? 'off'}; SIGHUP reloads, SIGTERM drains`,
  );
  logger.info(
    { url, workers: options.workers, metrics: metrics?.url ?? 'off' },
    'sluice gateway workers listening',
  );
}

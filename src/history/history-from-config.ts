/**
 * The history a gateway's configuration writes, opened by another process
 * (`sluice report`, `sluice plan --from-history`): the same Redis and
 * prefix as its store, or the files under its `data_dir`.
 */
import { join } from 'node:path';
import { systemClock } from '../core/clock.js';
import { DEFAULT_DATA_DIR } from '../gateway/config/load.js';
import type { GatewayConfig } from '../gateway/config/schema.js';
import { createRedisClient } from '../stores/redis/connection.js';
import { FileHistoryStore } from './file-history-store.js';
import type { HistoryStore } from './history-store.js';
import { RedisHistoryStore } from './redis-history-store.js';

export interface OpenedHistory {
  readonly store: HistoryStore;
  /** Where it is read from, for the report's heading (`redis://…/prefix` without credentials, or a directory). */
  readonly where: string;
  close(): Promise<void>;
}

export async function openHistory(config: GatewayConfig): Promise<OpenedHistory> {
  const retentionDays = config.history.retention_days;
  if (config.store.kind === 'memory') {
    const dir = join(config.data_dir ?? DEFAULT_DATA_DIR, 'history');
    return { store: new FileHistoryStore({ dir, retentionDays }), where: dir, close: async () => {} };
  }
  const { url, cluster_nodes: clusterNodes, prefix = 'sluice' } = config.store;
  const client = createRedisClient({
    ...(url !== undefined && { url }),
    ...(clusterNodes && { clusterNodes }),
    commandTimeoutMs: 10_000,
  });
  // Commands fail at once while disconnected (the store's client is built to): wait for the connection.
  await connected(client);
  const shown = clusterNodes?.length
    ? `${clusterNodes.length} cluster nodes`
    : redact(url ?? 'redis://127.0.0.1:6379');
  return {
    store: new RedisHistoryStore({ client, prefix, retentionDays, clock: systemClock }),
    where: `${shown} (prefix ${prefix})`,
    close: async () => {
      client.disconnect();
    },
  };
}

async function connected(client: ReturnType<typeof createRedisClient>): Promise<void> {
  if (client.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      client.disconnect();
      reject(new Error('Redis did not answer within 5 s'));
    }, 5_000);
    client.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** A Redis URL without its password. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'redis';
  }
}

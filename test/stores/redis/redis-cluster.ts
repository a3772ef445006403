/**
 * A throwaway three-primary Redis Cluster on free local ports: three
 * `redis-server --cluster-enabled yes` processes joined by
 * `redis-cli --cluster create`. Never the shared instance.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { type RedisServer, startRedisServer } from './redis-server.js';

const run = promisify(execFile);

export interface RedisCluster {
  readonly servers: readonly RedisServer[];
  /** Seed URLs, one per primary. */
  readonly urls: readonly string[];
  stop(): Promise<void>;
}

export async function startRedisCluster(size = 3): Promise<RedisCluster> {
  const servers: RedisServer[] = [];
  try {
    for (let i = 0; i < size; i++) {
      servers.push(
        await startRedisServer({
          args: [
            '--cluster-enabled',
            'yes',
            '--cluster-node-timeout',
            '2000',
            '--cluster-config-file',
            'nodes.conf',
          ],
        }),
      );
    }
    const addresses = servers.map((s) => `127.0.0.1:${s.port}`);
    await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes']);
    await waitForClusterOk(servers);
  } catch (error) {
    await Promise.all(servers.map((s) => s.stop()));
    throw error;
  }
  return {
    servers,
    urls: servers.map((s) => s.url),
    stop: async () => {
      await Promise.all(servers.map((s) => s.stop()));
    },
  };
}

async function waitForClusterOk(servers: readonly RedisServer[], timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const states = await Promise.all(
      servers.map(async (server) => {
        const client = new Redis(server.url, { maxRetriesPerRequest: 1 });
        try {
          return String(await client.cluster('INFO')).includes('cluster_state:ok');
        } finally {
          client.disconnect();
        }
      }),
    );
    if (states.every(Boolean)) return;
    if (Date.now() > deadline) throw new Error('Redis Cluster did not reach cluster_state:ok');
    await new Promise((r) => setTimeout(r, 100));
  }
}

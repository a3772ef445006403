/**
 * Real redis-server processes for tests. `useRedis()` gives the shared
 * instance named by REDIS_URL when set, otherwise a private server on a free
 * port; kill/restart tests always call `startRedisServer()` for their own.
 * A missing redis-server binary fails the test (CI must never skip these).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** True when this test started the process (and may kill it). */
  readonly owned: boolean;
  /** SIGKILL: a crash, nothing flushed. */
  kill(): Promise<void>;
  /** Starts the server again on the same port (empty: no persistence). */
  restart(): Promise<void>;
  /** SIGSTOP / SIGCONT: a server that stops answering without closing sockets. */
  freeze(): void;
  thaw(): void;
  stop(): Promise<void>;
}

export interface StartOptions {
  port?: number;
  /** Extra redis-server arguments, e.g. cluster mode. */
  args?: readonly string[];
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves when `port` answers PING, or rejects after `timeoutMs`. */
export async function waitForPing(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await pingOnce(port)) return;
    if (Date.now() > deadline)
      throw new Error(`redis-server on ${port} did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function pingOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

/** Servers still running: killed when the test process exits, even if a hook never ran. */
const running = new Set<ChildProcess>();
const killAll = () => {
  for (const proc of running) proc.kill('SIGKILL');
};
process.once('exit', killAll);
// A test worker stopped by signal runs no 'exit' handler: clean up, then die of the same signal.
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    killAll();
    process.kill(process.pid, signal);
  });
}

export async function startRedisServer(options: StartOptions = {}): Promise<RedisServer> {
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'sluice-redis-'));
  let child: ChildProcess | undefined;

  const launch = async () => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
    args.push('--dir', dir, ...(options.args ?? []));
    const proc = spawn('redis-server', args, { stdio: 'ignore' });
    await new Promise<void>((resolve, reject) => {
      proc.once('spawn', resolve);
      proc.once('error', (error) => reject(new Error(`cannot start redis-server: ${error.message}`)));
    });
    child = proc;
    running.add(proc);
    proc.once('exit', () => running.delete(proc));
    await waitForPing(port);
  };

  const exited = (proc: ChildProcess) =>
    proc.exitCode !== null || proc.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((resolve) => proc.once('exit', () => resolve()));

  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    owned: true,
    async kill() {
      if (!child) return;
      const proc = child;
      child = undefined;
      proc.kill('SIGKILL');
      await exited(proc);
    },
    restart: launch,
    freeze() {
      child?.kill('SIGSTOP');
    },
    thaw() {
      child?.kill('SIGCONT');
    },
    async stop() {
      if (child) {
        const proc = child;
        child = undefined;
        proc.kill('SIGCONT');
        proc.kill('SIGTERM');
        await exited(proc);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** REDIS_URL's server when set (never killed), otherwise a private one. */
export async function useRedis(): Promise<RedisServer> {
  const shared = process.env.REDIS_URL;
  if (!shared) return startRedisServer();
  const url = new URL(shared);
  const refuse = () => {
    throw new Error('the shared REDIS_URL instance is never killed by tests');
  };
  return {
    port: Number(url.port || 6379),
    url: shared,
    owned: false,
    kill: async () => refuse(),
    restart: async () => refuse(),
    freeze: refuse,
    thaw: refuse,
    stop: async () => {},
  };
}

/**
 * `useRedis` for one test file: started before its first test, stopped
 * after its last. Call at the top level; the getter holds the server once
 * the file's tests run.
 */
export function redisForFile(): () => RedisServer {
  let server: RedisServer | undefined;
  beforeAll(async () => {
    server = await useRedis();
  });
  afterAll(async () => {
    await server?.stop();
  });
  return () => {
    if (!server) throw new Error('redisForFile: the server is there only while the file’s tests run');
    return server;
  };
}

/** A key prefix no other test run uses. */
export function testPrefix(name = 't'): string {
  return `sluice-test:${name}:${randomBytes(4).toString('hex')}`;
}

/** Deletes every key under `prefix` (tests on a shared server clean up after themselves). */
export async function deleteKeys(client: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1_000);
    cursor = next;
    if (keys.length > 0) await client.unlink(...keys);
  } while (cursor !== '0');
}

/** A plain client for assertions and cleanup. */
export function adminClient(url: string): Redis {
  const client = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1 });
  client.on('error', () => {});
  return client;
}

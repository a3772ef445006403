/**
 * Redis failing under load, against private redis-server processes (never
 * the shared instance): killed and restarted, frozen (SIGSTOP), absent at
 * start. Every decision must come back — a grant or refusal, or under
 * fail-closed a typed `store_unavailable` error — none lost or hung; the
 * store follows its policy and switches back without a restart.
 *
 * Real time on purpose (slow suite): what is tested is ioredis' command
 * timeout, its reconnect backoff and the fallback's probe against a server
 * that really died or froze, all OS and client timers. The waits for a switch
 * are liveness bounds (3–10 s for a 100 ms probe); assertions count outcomes,
 * never durations.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { costOf } from '../../src/core/cost.js';
import { defineBucket } from '../../src/core/limit.js';
import { createSharedStore } from '../../src/stores/redis/create-store.js';
import { StoreUnavailableError } from '../../src/stores/redis/errors.js';
import { FallbackStore, type UnavailablePolicy } from '../../src/stores/redis/fallback-store.js';
import { RedisStore } from '../../src/stores/redis/redis-store.js';
import { RecordingLogger } from './redis/flaky-store.js';
import { freePort, type RedisServer, startRedisServer, testPrefix } from './redis/redis-server.js';
import { waitFor, watchdog } from './redis/wait-for.js';

const HANG_MS = 5_000;
let servers: RedisServer[] = [];
let stores: FallbackStore[] = [];

afterEach(async () => {
  for (const store of stores) await store.close();
  for (const server of servers) await server.stop();
  servers = [];
  stores = [];
});

function setup(url: string, policy: UnavailablePolicy) {
  const shared = new RedisStore({
    url,
    prefix: testPrefix('failure'),
    commandTimeoutMs: 300,
    reconnectMinDelayMs: 20,
    reconnectMaxDelayMs: 200,
  });
  const logger = new RecordingLogger();
  const store = new FallbackStore({
    shared,
    onUnavailable: policy,
    expectedInstances: 3,
    probeIntervalMs: 100,
    logger,
  });
  stores.push(store);
  return { shared, store, logger };
}

/** Workers reserving and settling in a loop, recording every outcome by the store's mode at the time. */
function traffic(store: FallbackStore, workers = 20) {
  const rps = defineBucket('load:rps', { dimension: 'requests', limit: 5_000, per: 'second', margin: 0 });
  const tpm = defineBucket('load:tpm', { dimension: 'tokens', limit: 10_000_000, per: 'minute', margin: 0 });
  const slots = defineBucket('load:slots', { dimension: 'concurrency', limit: 300, margin: 0 });
  const outcomes = { granted: 0, refused: 0, unavailable: 0, byMode: { shared: 0, local: 0, refusing: 0 } };
  const failures: unknown[] = [];
  let started = 0;
  let finished = 0;
  let running = true;
  const loop = async () => {
    while (running) {
      started++;
      const mode = store.status().mode;
      try {
        const decision = await watchdog(store.reserve([rps, tpm, slots], costOf(20, 20)), HANG_MS, 'reserve');
        outcomes.byMode[mode]++;
        if (decision.granted && decision.reservation) {
          outcomes.granted++;
          await new Promise((r) => setTimeout(r, 2));
          await watchdog(
            store.settle(decision.reservation, { inputTokens: 20, outputTokens: 5 }),
            HANG_MS,
            'settle',
          );
        } else {
          outcomes.refused++;
          await new Promise((r) => setTimeout(r, 5));
        }
      } catch (error) {
        if (error instanceof StoreUnavailableError) {
          outcomes.unavailable++;
          outcomes.byMode[mode]++;
          await new Promise((r) => setTimeout(r, 5));
        } else {
          failures.push(error);
        }
      }
      finished++;
    }
  };
  const all = Promise.all(Array.from({ length: workers }, loop));
  return {
    outcomes,
    failures,
    get started() {
      return started;
    },
    get finished() {
      return finished;
    },
    async stop() {
      running = false;
      await all;
    },
  };
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Redis killed mid-run and restarted', () => {
  it('fail-open: keeps deciding on local shares, then returns to Redis on its own', async () => {
    const server = await startRedisServer();
    servers.push(server);
    const { shared, store, logger } = setup(server.url, 'fail_open');
    await shared.ready();
    const load = traffic(store);
    await pause(300);
    await server.kill();
    await waitFor(() => store.status().mode === 'local', 'the switch to local shares', 3_000);
    const localBefore = store.status().localDecisions;
    await pause(400);
    expect(store.status().localDecisions).toBeGreaterThan(localBefore);
    await server.restart();
    await waitFor(() => store.status().available, 'the switch back to Redis');
    const sharedStatsAfter = () => shared.stats();
    await pause(300);
    await load.stop();

    expect(load.failures).toEqual([]);
    expect(load.finished).toBe(load.started);
    expect(load.outcomes.unavailable).toBe(0);
    expect(load.outcomes.byMode.shared).toBeGreaterThan(0);
    expect(load.outcomes.byMode.local).toBeGreaterThan(0);
    expect(store.status()).toMatchObject({
      available: true,
      mode: 'shared',
      transitions: 2,
      pendingSettles: 0,
    });
    expect(logger.lines.map((l) => l.level)).toEqual(['warn', 'info']);
    // The restarted (empty) Redis decides again.
    expect((await sharedStatsAfter()).reservations).toBeGreaterThan(0);
  });

  it('fail-closed: refuses with store_unavailable while down, never anything else, and recovers', async () => {
    const server = await startRedisServer();
    servers.push(server);
    const { shared, store } = setup(server.url, 'fail_closed');
    await shared.ready();
    const load = traffic(store);
    await pause(300);
    await server.kill();
    await waitFor(() => store.status().mode === 'refusing', 'the switch to refusing', 3_000);
    await pause(300);
    await server.restart();
    await waitFor(() => store.status().available, 'the switch back to Redis');
    await pause(300);
    await load.stop();

    expect(load.failures).toEqual([]);
    expect(load.finished).toBe(load.started);
    expect(load.outcomes.unavailable).toBeGreaterThan(0);
    // Calls in flight at the kill started in shared mode; every later one was refused at once.
    expect(load.outcomes.byMode.refusing).toBeGreaterThan(0);
    expect(load.outcomes.unavailable - load.outcomes.byMode.refusing).toBeLessThanOrEqual(20);
    expect(store.status().refusedUnavailable).toBe(load.outcomes.unavailable);
    expect(store.status()).toMatchObject({ available: true, transitions: 2 });
  });
});

describe('Redis that stops answering', () => {
  it('times commands out, falls back, and returns when the server answers again', async () => {
    const server = await startRedisServer();
    servers.push(server);
    const { shared, store } = setup(server.url, 'fail_open');
    await shared.ready();
    const load = traffic(store, 10);
    await pause(200);
    server.freeze();
    await waitFor(() => store.status().mode === 'local', 'the switch to local shares', 3_000);
    await pause(300);
    server.thaw();
    await waitFor(() => store.status().available, 'the switch back to Redis');
    await pause(200);
    await load.stop();

    expect(load.failures).toEqual([]);
    expect(load.finished).toBe(load.started);
    expect(store.status().lastError).toMatch(/timed out/i);
    expect(load.outcomes.byMode.local).toBeGreaterThan(0);
  });
});

describe('Redis absent at start', () => {
  it('starts on local shares and moves to Redis once it appears', async () => {
    const port = await freePort();
    const { store } = setup(`redis://127.0.0.1:${port}`, 'fail_open');
    const rpm = defineBucket('start:rpm', { dimension: 'requests', limit: 60, per: 'minute', margin: 0 });
    const first = await watchdog(store.reserve([rpm], costOf(0, 0)), HANG_MS, 'reserve');
    expect(first.granted).toBe(true);
    expect(store.status().mode).toBe('local');
    const server = await startRedisServer({ port });
    servers.push(server);
    await waitFor(() => store.status().available, 'the switch to Redis');
    expect((await store.reserve([rpm], costOf(0, 0))).granted).toBe(true);
    expect((await store.shared.stats()).reservations).toBe(1);
  });
});

describe('createSharedStore', () => {
  it('starts on its policy when Redis is not there, without throwing, and says so', async () => {
    const port = await freePort();
    const logger = new RecordingLogger();
    const store = await createSharedStore({
      url: `redis://127.0.0.1:${port}`,
      onUnavailable: 'fail_closed',
      connectTimeoutMs: 200,
      probeIntervalMs: 100,
      logger,
    });
    stores.push(store);
    expect(store.status()).toMatchObject({ available: false, mode: 'refusing' });
    expect(logger.lines).toHaveLength(1);
    const rpm = defineBucket('create:rpm', { dimension: 'requests', limit: 60, per: 'minute' });
    await expect(store.reserve([rpm], costOf(0, 0))).rejects.toMatchObject({ code: 'store_unavailable' });
    const server = await startRedisServer({ port });
    servers.push(server);
    await waitFor(() => store.status().available, 'the switch to Redis');
    expect((await store.reserve([rpm], costOf(0, 0))).granted).toBe(true);
  });

  it('is shared at once when Redis answers', async () => {
    const server = await startRedisServer();
    servers.push(server);
    const store = await createSharedStore({
      url: server.url,
      onUnavailable: 'fail_open',
      expectedInstances: 4,
    });
    stores.push(store);
    expect(store.status()).toMatchObject({ available: true, mode: 'shared', transitions: 0 });
  });
});

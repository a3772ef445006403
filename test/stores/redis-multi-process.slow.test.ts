/**
 * Three library instances in three OS processes share limits through one
 * Redis, in front of the simulator (started here, on 127.0.0.1), and keep
 * serving through a Redis crash. Each instance is `createGovernor` with a
 * FallbackStore over RedisStore, calling through `governor.fetch`.
 *
 * The gateway version of this test (three `sluice serve` processes) waits
 * for the gateway; the property proven is the same: shared buckets.
 *
 * Real time on purpose (slow suite): separate OS processes cannot share a
 * manual clock, Redis is SIGKILLed and restarted, and goodput is measured
 * over wall-clock seconds (95–105 % of the limit, a generous bound).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../src/simulator/index.js';
import { type ClientProcess, startClient } from './redis/client-processes.js';
import { steadyGoodput } from './redis/goodput.js';
import type { CallRecord, ClientConfig, ClientResult } from './redis/governed-client.js';
import { type RedisServer, startRedisServer, testPrefix } from './redis/redis-server.js';

let server: RedisServer | undefined;
let sim: Simulator | undefined;
let clients: ClientProcess[] = [];

afterEach(async () => {
  for (const c of clients) if (c.child.exitCode === null) c.child.kill('SIGKILL');
  clients = [];
  await sim?.close();
  await server?.stop();
  sim = undefined;
  server = undefined;
});

async function runClients(
  count: number,
  config: ClientConfig,
  during?: () => Promise<void>,
): Promise<ClientResult[]> {
  clients = Array.from({ length: count }, () => startClient(config));
  await Promise.all(clients.map((c) => c.ready));
  for (const c of clients) c.go();
  await during?.();
  const outcomes = await Promise.all(clients.map((c) => c.done));
  for (const o of outcomes) {
    expect(o.code, o.stderr).toBe(0);
    expect(o.result, o.stderr).toBeDefined();
  }
  return outcomes.map((o) => o.result as ClientResult);
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('three processes sharing one Redis in front of the simulator', () => {
  it('absorb a burst 3× over the limit with zero upstream 429s and ≥ 95 % goodput', async () => {
    server = await startRedisServer();
    const rpm = 600; // 10 per second; a full bucket holds 540 under the 10 % margin
    sim = await startSimulator({
      defaults: { rpm },
      response: { tokens: 5 },
      latency: { ttft_ms: 20, jitter: 0.5 },
    });
    const maxWaitMs = 15_000;
    const samples: [number, number][] = [];
    const simulator = sim;
    const results = await runClients(
      3,
      {
        redisUrl: server.url,
        prefix: testPrefix('multi'),
        simUrl: sim.url,
        rpm,
        burst: rpm, // 3 × 600 at once
        ratePerSec: 0,
        durationMs: 0,
        maxWaitMs,
        policy: 'fail_open',
        instances: 3,
        commandTimeoutMs: 1_000,
      },
      // The provider's view: calls it admitted, sampled over time.
      async () => {
        const until = Date.now() + maxWaitMs;
        while (Date.now() < until) {
          samples.push([Date.now(), simulator.stats().admitted]);
          await pause(250);
        }
      },
    );
    const calls = results.flatMap((r) => r.calls);
    const stats = sim.stats();
    expect(calls).toHaveLength(3 * rpm);
    expect(results.every((r) => r.hung === 0 && r.errors.length === 0)).toBe(true);
    expect(stats.rejected.rpm).toBe(0);
    const served = calls.filter((c) => c[2] === 200);
    const refused = calls.filter((c) => c[2] !== 200);
    expect(refused.every((c) => c[2] === 503 && c[3] === 1)).toBe(true); // refused with Retry-After
    expect(stats.admitted).toBe(served.length);
    // A full bucket (600 × 0.9 = 540) goes at once, then calls may only go at 10/s.
    const { goodput, seconds } = steadyGoodput(samples, rpm * 0.9, rpm);
    console.log(
      `3 processes: ${served.length} served, ${refused.length} refused (503), upstream 429s ${stats.rejected.rpm}, steady goodput ${(goodput * 100).toFixed(1)} % of ${rpm} RPM over ${seconds.toFixed(1)} s`,
    );
    expect(goodput).toBeGreaterThanOrEqual(0.95);
    expect(goodput).toBeLessThanOrEqual(1.05);
    expect(results.map((r) => [r.store.available, r.store.transitions, r.logs])).toEqual(
      results.map(() => [true, 0, []]),
    );
  });
});

describe('three processes through a Redis crash', () => {
  async function crashRun(policy: 'fail_open' | 'fail_closed') {
    server = await startRedisServer();
    const rpm = 120; // 2 per second; a full bucket holds 108 under the margin
    sim = await startSimulator({ defaults: { rpm }, response: { tokens: 5 }, latency: { ttft_ms: 10 } });
    const marks = { killedAt: 0, restartedAt: 0 };
    const redis = server;
    const results = await runClients(
      3,
      {
        redisUrl: redis.url,
        prefix: testPrefix('crash'),
        simUrl: sim.url,
        rpm,
        burst: 40, // 3 × 40 at once empties the bucket...
        ratePerSec: 2, // ...then 3 × 2/s against 2/s: 3× over the limit
        durationMs: 8_000,
        maxWaitMs: 1_000,
        policy,
        instances: 3,
        commandTimeoutMs: 300,
      },
      async () => {
        await pause(2_000);
        marks.killedAt = Date.now();
        await redis.kill();
        await pause(3_000);
        await redis.restart();
        marks.restartedAt = Date.now();
      },
    );
    const calls = results.flatMap((r) => r.calls);
    // Calls that ended well inside the outage, and after the restart.
    const during = (c: CallRecord) => c[0] > marks.killedAt + 500 && c[1] < marks.restartedAt;
    const after = (c: CallRecord) => c[1] > marks.restartedAt + 1_000;
    return { results, calls, during, after, stats: sim.stats() };
  }

  it('fail-open: no process crashes, every call gets a status, local shares serve, Redis is back on its own', async () => {
    const { results, calls, during, after, stats } = await crashRun('fail_open');
    expect(results.every((r) => r.hung === 0)).toBe(true);
    expect(calls.every((c) => c[2] !== 0)).toBe(true); // a status for every call, no exception
    expect(calls.filter(during).filter((c) => c[2] === 200).length).toBeGreaterThan(0);
    expect(calls.filter(after).filter((c) => c[2] === 200).length).toBeGreaterThan(0);
    for (const r of results) {
      expect(r.store.available).toBe(true);
      expect(r.store.transitions).toBeGreaterThanOrEqual(2);
      expect(r.store.localDecisions).toBeGreaterThan(0);
      expect(r.logs.some((l) => l.startsWith('warn'))).toBe(true);
    }
    const statuses = countBy(calls.map((c) => c[2]));
    const servedDuring = calls.filter(during).filter((c) => c[2] === 200).length;
    console.log(
      `fail-open crash run: statuses ${JSON.stringify(statuses)}, served while Redis was down ${servedDuring}, upstream 429s ${stats.rejected.rpm}`,
    );
    // Local shares started from the shared level, and the restarted (empty) Redis was raised
    // to the local ones: the provider never saw more than its limit.
    expect(stats.rejected.rpm).toBe(0);
  });

  it('fail-closed: refuses with 503 and Retry-After while Redis is down, then serves again by itself', async () => {
    const { results, calls, during, after, stats } = await crashRun('fail_closed');
    expect(results.every((r) => r.hung === 0)).toBe(true);
    expect(calls.every((c) => c[2] !== 0)).toBe(true);
    const down = calls.filter(during);
    expect(down.length).toBeGreaterThan(0);
    expect(down.every((c) => c[2] === 503 && c[3] === 1)).toBe(true);
    expect(calls.filter(after).filter((c) => c[2] === 200).length).toBeGreaterThan(0);
    for (const r of results) {
      expect(r.store.available).toBe(true);
      expect(r.store.refusedUnavailable).toBeGreaterThan(0);
    }
    const statuses = countBy(calls.map((c) => c[2]));
    console.log(
      `fail-closed crash run: statuses ${JSON.stringify(statuses)}, refused while Redis was down ${down.length}, upstream 429s ${stats.rejected.rpm}`,
    );
    expect(stats.rejected.rpm).toBe(0);
  });
});

function countBy(values: number[]): Record<number, number> {
  const out: Record<number, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

/**
 * Redis section: decisions per second of RedisStore against
 * rate-limiter-flexible's RateLimiterRedis on the same redis-server, in the
 * same run, with 1 and with 100 decisions in flight from one client.
 *
 * A Sluice decision is a 4-bucket reservation (deployment RPM + TPM, tenant
 * RPM + TPM), all-or-nothing, in one EVALSHA. The peer has no multi-key
 * consume, so "4 keys" is four consumes one after another (same guarantee
 * would need more: they are not atomic together). Limits are huge so every
 * decision is a grant and both sides do their full write path.
 *
 * Also measured: Redis-side script time per call (INFO commandstats) with
 * client time vs Redis TIME, and the host's client–Redis clock offset.
 */
import { Redis } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { costOf } from '../../src/core/cost.js';
import { FallbackStore } from '../../src/stores/redis/fallback-store.js';
import { RedisStore } from '../../src/stores/redis/redis-store.js';
import { startRedisServer } from '../../test/stores/redis/redis-server.js';
import { printTable, type Row, writeResults } from '../lib/report.js';
import { fourHugeBuckets, measureAll } from '../lib/throughput.js';

const DURATION_MS = 700;
const RUNS = 5;

/** Decisions per second with `inFlight` concurrent loops over `op` for `DURATION_MS`. */
interface Case {
  readonly name: string;
  readonly op: () => Promise<unknown>;
}

function fastClient(url: string): Redis {
  return new Redis(url, { enableAutoPipelining: true, maxRetriesPerRequest: 0 });
}

/** µs Redis spends in EVALSHA per decision while running `op` `count` times, `inFlight` at a time. */
async function scriptMicros(
  admin: Redis,
  op: () => Promise<unknown>,
  count: number,
  inFlight: number,
): Promise<number> {
  await admin.config('RESETSTAT');
  for (let i = 0; i < count; i += inFlight) await Promise.all(Array.from({ length: inFlight }, op));
  const info = await admin.info('commandstats');
  const match = /cmdstat_evalsha:calls=(\d+),usec=(\d+)/.exec(info);
  return match ? Number(match[2]) / count : Number.NaN;
}

/** Offset of Redis TIME from Date.now() (midpoint of the round trip), and the round trip. */
async function clockOffset(admin: Redis): Promise<{ offsetMs: number; rttMs: number }> {
  const samples: { offsetMs: number; rttMs: number }[] = [];
  for (let i = 0; i < 50; i++) {
    const t0 = Date.now();
    const [s, us] = (await admin.time()) as [number | string, number | string];
    const t1 = Date.now();
    samples.push({ offsetMs: Number(s) * 1_000 + Number(us) / 1_000 - (t0 + t1) / 2, rttMs: t1 - t0 });
  }
  samples.sort((a, b) => a.rttMs - b.rttMs);
  return samples[0] as { offsetMs: number; rttMs: number };
}

export async function run(): Promise<void> {
  const server = await startRedisServer();
  const admin = new Redis(server.url);
  try {
    const buckets = fourHugeBuckets();
    const one = buckets.slice(0, 1);
    const cost = costOf(500, 200);
    const store = new RedisStore({ url: server.url, prefix: 'bench' });
    const redisTime = new RedisStore({ url: server.url, prefix: 'bench-time', timeSource: 'redis' });
    await store.ready();
    await redisTime.ready();
    const wrapped = new RedisStore({ url: server.url, prefix: 'bench-wrapped' });
    await wrapped.ready();
    const resilient = new FallbackStore({
      shared: wrapped,
      onUnavailable: 'fail_open',
      expectedInstances: 3,
    });

    const peerClient = fastClient(server.url);
    const peer = (key: string) =>
      new RateLimiterRedis({ storeClient: peerClient, points: 1e12, duration: 60, keyPrefix: `rlf-${key}` });
    const peers = ['d-rpm', 'd-tpm', 't-rpm', 't-tpm'].map(peer);
    const [p0, p1, p2, p3] = peers as [
      RateLimiterRedis,
      RateLimiterRedis,
      RateLimiterRedis,
      RateLimiterRedis,
    ];
    const pingClient = fastClient(server.url);

    const cases: Case[] = [
      { name: 'ioredis PING (round-trip floor)', op: () => pingClient.ping() },
      { name: 'Sluice reserve, 4 buckets', op: () => store.reserve(buckets, cost) },
      {
        name: 'Sluice reserve + settle, 4 buckets',
        op: async () => {
          const d = await store.reserve(buckets, cost);
          if (d.reservation) await store.settle(d.reservation, { inputTokens: 480, outputTokens: 150 });
        },
      },
      { name: 'Sluice reserve, 4 buckets, via FallbackStore', op: () => resilient.reserve(buckets, cost) },
      { name: 'Sluice reserve, 1 bucket', op: () => store.reserve(one, cost) },
      { name: 'Sluice reserve, 4 buckets, Redis TIME', op: () => redisTime.reserve(buckets, cost) },
      { name: 'RateLimiterRedis consume, 1 key', op: () => p0.consume('k', 1) },
      {
        name: 'RateLimiterRedis 4 consumes in sequence',
        op: async () => {
          await p0.consume('k', 1);
          await p1.consume('k', 700);
          await p2.consume('k', 1);
          await p3.consume('k', 700);
        },
      },
      {
        name: 'RateLimiterRedis 4 consumes in parallel',
        op: () =>
          Promise.all([p0.consume('k', 1), p1.consume('k', 700), p2.consume('k', 1), p3.consume('k', 700)]),
      },
    ];

    const sequential = await measureAll(
      cases.map((c) => c.op),
      1,
      { durationMs: DURATION_MS, runs: RUNS },
    );
    const concurrent = await measureAll(
      cases.map((c) => c.op),
      100,
      { durationMs: DURATION_MS, runs: RUNS },
    );
    const rows: Row[] = cases.map((c, i) => ({
      case: c.name,
      '1 in flight /s': sequential[i] as number,
      '100 in flight /s': concurrent[i] as number,
    }));
    printTable(rows);

    // Batches form only when calls overlap: 1 in flight is one script per decision.
    const scriptCases: [string, () => Promise<unknown>][] = [
      ['Sluice reserve, 4 buckets, client time', () => store.reserve(buckets, cost)],
      ['Sluice reserve, 4 buckets, Redis TIME', () => redisTime.reserve(buckets, cost)],
      ['RateLimiterRedis consume, 1 key', () => p0.consume('k', 1)],
    ];
    const scriptRows: Row[] = [];
    for (const [name, op] of scriptCases) {
      scriptRows.push({
        'script time in Redis': name,
        'µs/decision, 1 in flight': await scriptMicros(admin, op, 5_000, 1),
        'µs/decision, 100 in flight': await scriptMicros(admin, op, 50_000, 100),
      });
    }
    console.log('');
    printTable(scriptRows);
    const offset = await clockOffset(admin);
    console.log(
      `\nclient vs Redis TIME on this host: offset ${offset.offsetMs.toFixed(3)} ms (round trip ${offset.rttMs} ms)`,
    );

    writeResults('redis', {
      durationMsPerRun: DURATION_MS,
      runs: RUNS,
      throughput: rows,
      scriptTime: scriptRows,
      clockOffset: offset,
    });
    await store.close();
    await redisTime.close();
    await resilient.close();
    peerClient.disconnect();
    pingClient.disconnect();
  } finally {
    admin.disconnect();
    await server.stop();
  }
}

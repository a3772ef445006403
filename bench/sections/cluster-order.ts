/**
 * Cluster-order section: what one order over every instance's waiting
 * requests (README, "One order for the whole cluster") costs on one Redis,
 * beside today's per-instance queues in the same run.
 *
 * 1. Decisions per second of a 4-bucket reservation, unranked (per-instance
 *    order) and ranked (cluster order) with no demand waiting and with
 *    demand published by three other instances (4 classes × 5 tenants on
 *    every bucket, the asker ahead of all of them in fair-queuing order:
 *    the whole path), 1
 *    and 100 in flight; and Redis script time per decision for each.
 * 2. Round trips under a queue: three instances (an Admission and a
 *    RedisStore each) drain 600 queued requests through one 12,000 rpm
 *    bucket; script calls per admitted request and the time to drain, with
 *    the cluster order off and on.
 */
import { Redis } from 'ioredis';
import { systemClock } from '../../src/core/clock.js';
import { costOf } from '../../src/core/cost.js';
import { defineBucket } from '../../src/core/limit.js';
import { Admission } from '../../src/runtime/admission.js';
import { RedisStore } from '../../src/stores/redis/redis-store.js';
import type { ClusterOrder, Rank } from '../../src/stores/store.js';
import { startRedisServer } from '../../test/stores/redis/redis-server.js';
import { printTable, type Row, writeResults } from '../lib/report.js';
import { fourHugeBuckets, measureAll } from '../lib/throughput.js';

const DURATION_MS = 700;
const RUNS = 5;

async function scriptStats(admin: Redis): Promise<{ calls: number; usec: number }> {
  const info = await admin.info('commandstats');
  const match = /cmdstat_evalsha:calls=(\d+),usec=(\d+)/.exec(info);
  return match ? { calls: Number(match[1]), usec: Number(match[2]) } : { calls: 0, usec: 0 };
}

async function scriptMicros(admin: Redis, op: () => Promise<unknown>, count: number, inFlight: number) {
  await admin.config('RESETSTAT');
  for (let i = 0; i < count; i += inFlight) await Promise.all(Array.from({ length: inFlight }, op));
  return (await scriptStats(admin)).usec / count;
}

/** Three instances drain 600 queued requests through one bucket; script calls per admitted request. */
async function drain(url: string, admin: Redis, prefix: string, cluster: boolean) {
  const bucket = defineBucket('drain:rpm', {
    dimension: 'requests',
    limit: 12_000,
    per: 'minute',
    margin: 0,
  });
  const stores = [0, 1, 2].map(() => new RedisStore({ url, prefix }));
  await Promise.all(stores.map((s) => s.ready()));
  // Start from an empty bucket so that every request queues.
  for (let i = 0; i < 12_000; i += 500)
    await Promise.all(
      Array.from({ length: 500 }, () => (stores[0] as RedisStore).reserve([bucket], costOf(0, 0))),
    );
  const admissions = stores.map(
    (store) =>
      new Admission({ store, clock: systemClock, ...(cluster && { cluster: { demandLeaseMs: 3_000 } }) }),
  );
  await admin.config('RESETSTAT');
  const start = performance.now();
  const calls = admissions.flatMap((admission, i) =>
    Array.from({ length: 200 }, (_, k) =>
      admission.admit({
        tenant: `t${i}`,
        priority: k % 4,
        buckets: [bucket],
        cost: costOf(0, 0),
        deadline: Number.POSITIVE_INFINITY,
      }),
    ),
  );
  const results = await Promise.all(calls);
  const ms = performance.now() - start;
  const { calls: scripts } = await scriptStats(admin);
  for (const admission of admissions) admission.close();
  await Promise.all(stores.map((s) => s.close()));
  const admitted = results.filter((r) => r.admitted).length;
  return { admitted, ms, scriptsPerAdmitted: scripts / admitted };
}

export async function run(): Promise<void> {
  const server = await startRedisServer();
  const admin = new Redis(server.url);
  try {
    const buckets = fourHugeBuckets();
    const contendedBuckets = fourHugeBuckets('contended:');
    const cost = costOf(500, 200);
    const order: ClusterOrder = { yieldMs: 1_000 };
    const rank: Rank = { priority: 2, tenant: 'acme', weight: 1 };
    const store = new RedisStore({ url: server.url, prefix: 'bench-order' });
    await store.ready();
    // Three other instances wait on every contended bucket: 4 classes × 5 tenants each.
    const entries = contendedBuckets.flatMap((bucket) =>
      [0, 1, 2, 3].flatMap((priority) =>
        [0, 1, 2, 3, 4].map((t) => ({
          bucket,
          rank: { priority, tenant: `tenant-${t}`, weight: 1 },
          amount: 10,
        })),
      ),
    );
    const publishAll = () =>
      Promise.all(
        ['b', 'c', 'd'].map((instance) => store.publishDemand({ instance, leaseMs: 600_000, entries })),
      );
    await publishAll();
    // The asker has been served while they waited: it is ahead of them all, the whole path runs.
    for (let i = 0; i < 50; i++) await store.reserve(contendedBuckets, cost, { rank, order });

    const cases: [string, () => Promise<unknown>][] = [
      ['per-instance order (unranked)', () => store.reserve(buckets, cost)],
      ['cluster order, no demand waiting', () => store.reserve(buckets, cost, { rank, order })],
      [
        'cluster order, 60 demand records per bucket',
        () => store.reserve(contendedBuckets, cost, { rank, order }),
      ],
    ];
    const ops = cases.map(([, op]) => op);
    const sequential = await measureAll(ops, 1, { durationMs: DURATION_MS, runs: RUNS });
    const concurrent = await measureAll(ops, 100, { durationMs: DURATION_MS, runs: RUNS });
    const rows: Row[] = [];
    for (let i = 0; i < cases.length; i++) {
      const op = ops[i] as () => Promise<unknown>;
      rows.push({
        'decision (4 buckets)': (cases[i] as [string, unknown])[0],
        '1 in flight /s': sequential[i] as number,
        '100 in flight /s': concurrent[i] as number,
        'ratio to unranked (100)': (concurrent[i] as number) / (concurrent[0] as number),
        'script µs/decision (1)': await scriptMicros(admin, op, 3_000, 1),
        'script µs/decision (100)': await scriptMicros(admin, op, 30_000, 100),
      });
    }
    printTable(rows);

    const drains: Row[] = [];
    for (const [name, on] of [
      ['per-instance queues', false],
      ['cluster order', true],
    ] as const) {
      const d = await drain(server.url, admin, `bench-drain-${on ? 'on' : 'off'}`, on);
      drains.push({
        '3 instances, 600 queued, 12,000 rpm': name,
        admitted: d.admitted,
        'drain ms': d.ms,
        'script calls per admitted request': d.scriptsPerAdmitted,
      });
    }
    console.log('');
    printTable(drains);
    writeResults('cluster-order', {
      durationMsPerRun: DURATION_MS,
      runs: RUNS,
      decisions: rows,
      drain: drains,
    });
    await store.close();
  } finally {
    admin.disconnect();
    await server.stop();
  }
}

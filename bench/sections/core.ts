/**
 * Core benchmark: decisions per second of the in-memory store on one core,
 * beside rate-limiter-flexible (RateLimiterMemory.consume) and bottleneck
 * (schedule of a no-op), measured in the same run. Each case runs in a
 * fresh process (no JIT state carried between cases); median of 3.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Bottleneck from 'bottleneck';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { costOf } from '../../src/core/cost.js';
import type { Reservation } from '../../src/core/decision.js';
import { type BucketSpec, defineBucket } from '../../src/core/limit.js';
import { MemoryStore } from '../../src/stores/memory/memory-store.js';
import { median, printTable, type Row, writeResults } from '../lib/report.js';

const RUN_MS = 1_000;
const BATCH = 10_000;
const KEYS = 10_000;
const HUGE = 1e15;

/** Sequential awaited operations per second over RUN_MS, timing only `op` (not `between`). */
async function opsPerSecond(
  op: (i: number) => Promise<unknown>,
  between?: () => Promise<void>,
): Promise<number> {
  let done = 0;
  let spentNs = 0n;
  while (spentNs < BigInt(RUN_MS) * 1_000_000n) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < BATCH; i++) await op(done + i);
    spentNs += process.hrtime.bigint() - start;
    done += BATCH;
    if (between) await between();
  }
  return done / (Number(spentNs) / 1e9);
}

function buckets(prefix: string, n: number): BucketSpec[] {
  return Array.from({ length: n }, (_, i) =>
    defineBucket(`${prefix}:${i}`, { dimension: 'tokens', limit: HUGE, per: 'minute' }),
  );
}

async function sluiceReserve(keys: number): Promise<number> {
  const store = new MemoryStore({ leaseMs: 600_000 });
  const specs = buckets('one', keys).map((b) => [b]);
  const cost = costOf(100, 100);
  const held: Reservation[] = [];
  return opsPerSecond(
    async (i) => {
      const d = await store.reserve(specs[i % keys] as BucketSpec[], cost);
      if (d.reservation) held.push(d.reservation);
    },
    async () => {
      // Settled outside the timed part, so this is the cost of reserve alone.
      for (const r of held) await store.settle(r);
      held.length = 0;
    },
  );
}

async function sluiceReserveSettle(bucketCount: number, keys: number): Promise<number> {
  const store = new MemoryStore();
  const sets = Array.from({ length: keys }, (_, k) => buckets(`four:${k}`, bucketCount));
  const cost = costOf(100, 100);
  const usage = { inputTokens: 100, outputTokens: 40 };
  return opsPerSecond(async (i) => {
    const d = await store.reserve(sets[i % keys] as BucketSpec[], cost);
    if (d.reservation) await store.settle(d.reservation, usage);
  });
}

async function rlfConsume(keys: number): Promise<number> {
  const limiter = new RateLimiterMemory({ points: HUGE, duration: 60 });
  const names = Array.from({ length: keys }, (_, i) => `k${i}`);
  return opsPerSecond((i) => limiter.consume(names[i % keys] as string, 1));
}

async function bottleneckSchedule(inFlight: number): Promise<number> {
  const limiter = new Bottleneck();
  const noop = () => Promise.resolve();
  let done = 0;
  const until = Date.now() + RUN_MS;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (Date.now() < until) {
        await limiter.schedule(noop);
        done++;
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await limiter.stop({ dropWaitingJobs: true });
  return done / seconds;
}

const CASES: Record<string, { peer: boolean; measure: () => Promise<number> }> = {
  'sluice reserve, 1 bucket, 1 key': { peer: false, measure: () => sluiceReserve(1) },
  'sluice reserve, 1 bucket, 10k keys': { peer: false, measure: () => sluiceReserve(KEYS) },
  'sluice reserve+settle, 1 bucket, 10k keys': { peer: false, measure: () => sluiceReserveSettle(1, KEYS) },
  'sluice reserve+settle, 4 buckets, 1 set': { peer: false, measure: () => sluiceReserveSettle(4, 1) },
  'sluice reserve+settle, 4 buckets, 10k sets': { peer: false, measure: () => sluiceReserveSettle(4, KEYS) },
  'rate-limiter-flexible consume, 1 key': { peer: true, measure: () => rlfConsume(1) },
  'rate-limiter-flexible consume, 10k keys': { peer: true, measure: () => rlfConsume(KEYS) },
  'bottleneck schedule no-op, sequential': { peer: true, measure: () => bottleneckSchedule(1) },
  'bottleneck schedule no-op, 100 in flight': { peer: true, measure: () => bottleneckSchedule(100) },
};

/** Runs one case in a child process and returns its ops/s. */
function measureIsolated(name: string): number {
  const out = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), name], {
    encoding: 'utf8',
  });
  return Number(out.trim().split('\n').pop());
}

export async function run(): Promise<void> {
  const rows: Row[] = [];
  for (const [name, c] of Object.entries(CASES)) {
    const perSecond = await median(3, () => measureIsolated(name));
    rows.push({ case: name, who: c.peer ? 'peer' : 'sluice', 'ops/s': perSecond });
  }
  printTable(rows);
  const by = (name: string) => Number(rows.find((r) => r.case === name)?.['ops/s'] ?? 0);
  const ratios = {
    reserve10kVsRlf10k:
      by('sluice reserve, 1 bucket, 10k keys') / by('rate-limiter-flexible consume, 10k keys'),
    fourBucketReserveSettlePerSecond: by('sluice reserve+settle, 4 buckets, 10k sets'),
  };
  console.log(
    `\nsingle-bucket reserve over 10k keys / rate-limiter-flexible consume over 10k keys: ${ratios.reserve10kVsRlf10k.toFixed(2)}×`,
  );
  writeResults('core', { runMs: RUN_MS, runs: 3, isolation: 'one process per measurement', rows, ratios });
}

// Child mode: `node --import tsx core.ts <case>` prints the case's ops/s.
const childCase = process.argv[2];
if (childCase && import.meta.url === `file://${process.argv[1]}`) {
  const c = CASES[childCase];
  if (!c) throw new Error(`unknown case ${childCase}`);
  // One warm-up pass so the measurement sees optimised code.
  await c.measure();
  console.log(await c.measure());
}

/**
 * The cluster-wide order at the admission level, deterministic: several
 * `Admission`s (one per instance) share one store as several processes
 * would share Redis (a MemoryStore marked `clustered`, which keeps the same
 * demand rules as reserve.lua; the store contract checks both agree), on a
 * manual clock.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { costOf } from '../../src/core/cost.js';
import { defineBucket } from '../../src/core/limit.js';
import { Admission, type AdmissionRequest, type AdmissionResult } from '../../src/runtime/admission.js';
import { MemoryStore } from '../../src/stores/memory/memory-store.js';

const CRITICAL = 0;
const NORMAL = 2;
const LOW = 3;

function cluster(instances: number, options: { enabled?: boolean } = {}) {
  const clock = new ManualClock();
  const store = new MemoryStore({ clock, clustered: true, sweepIntervalMs: 0 });
  const cluster = options.enabled === false ? undefined : { demandLeaseMs: 3_000 };
  const admissions = Array.from({ length: instances }, () => new Admission({ store, clock, cluster }));
  return { clock, store, admissions };
}

interface Outcome {
  readonly name: string;
  readonly tenant: string;
  readonly priority: number;
  readonly sentAt: number;
  result?: AdmissionResult;
  at?: number;
}

function send(
  admission: Admission,
  clock: ManualClock,
  log: Outcome[],
  request: Omit<AdmissionRequest, 'deadline'> & { deadline?: number },
  name: string,
  then?: (result: AdmissionResult) => void,
): Outcome {
  const outcome: Outcome = { name, tenant: request.tenant, priority: request.priority, sentAt: clock.now() };
  log.push(outcome);
  void admission.admit({ deadline: Number.POSITIVE_INFINITY, ...request }).then((result) => {
    outcome.result = result;
    outcome.at = clock.now();
    then?.(result);
  });
  return outcome;
}

const rpm = (limit: number) =>
  defineBucket('shared-rpm', { dimension: 'requests', limit, per: 'minute', margin: 0 });
const tpm = (limit: number) =>
  defineBucket('shared-tpm', { dimension: 'tokens', limit, per: 'minute', margin: 0 });

/** Jain's fairness index of `xs`: 1 when all are equal, 1/n when one takes everything. */
function jain(xs: readonly number[]): number {
  const sum = xs.reduce((a, b) => a + b, 0);
  const squares = xs.reduce((a, b) => a + b * b, 0);
  return (sum * sum) / (xs.length * squares);
}

function admittedBetween(log: readonly Outcome[], from: number, to: number): Outcome[] {
  return log.filter((o) => o.result?.admitted && (o.at as number) > from && (o.at as number) <= to);
}

/**
 * Low work floods two instances far beyond a 60 rpm limit; after 5 s,
 * critical calls come through the third, one every 2.5 s.
 */
async function criticalAmongLow(enabled: boolean) {
  const { clock, admissions } = cluster(3, { enabled });
  const [a, b, c] = admissions as [Admission, Admission, Admission];
  const bucket = rpm(60);
  const log: Outcome[] = [];
  const low = { tenant: 'batch', priority: LOW, buckets: [bucket], cost: costOf(0, 0) };
  for (let i = 0; i < 200; i++) send(i % 2 ? a : b, clock, log, low, `low${i}`);
  await clock.advanceAsync(5_000);
  const critical: Outcome[] = [];
  const urgent = { tenant: 'app', priority: CRITICAL, buckets: [bucket], cost: costOf(0, 0) };
  for (let i = 0; i < 8; i++) {
    critical.push(send(c, clock, log, urgent, `crit${i}`));
    await clock.advanceAsync(2_500);
  }
  // Low work still waits on A and B: they publish it, and count the offers that yielded.
  const records = admissions.map((admission) => admission.stats().demandRecords);
  await clock.advanceAsync(2_000);
  const lowYields = admissions.reduce((n, admission) => n + (admission.stats().yields[LOW] ?? 0), 0);
  for (const admission of admissions) admission.close();
  /** Low calls admitted while `call` waited: they took what it needed. */
  const overtook = (call: Outcome) =>
    admittedBetween(log, call.sentAt, call.at ?? clock.now()).filter((o) => o.priority === LOW);
  return { log, critical, overtook, records, lowYields };
}

describe('cluster-wide order over instances sharing one store', () => {
  it('a critical request waiting on one instance goes before low work queued on others', async () => {
    const { log, critical, overtook, records, lowYields } = await criticalAmongLow(true);
    expect(records).toEqual([1, 1, 0]);
    expect(lowYields).toBeGreaterThan(0);
    for (const call of critical) {
      expect(call.result?.admitted).toBe(true);
      // The bucket refills one request per second: no critical call waits for more than that.
      expect((call.at as number) - call.sentAt).toBeLessThanOrEqual(1_000);
      expect(overtook(call)).toEqual([]);
    }
    // Low work still drains in the gaps.
    expect(log.filter((o) => o.priority === LOW && o.result?.admitted).length).toBeGreaterThan(15);
  });

  it('without it, low work queued on other instances takes capacity a critical request waits for', async () => {
    const { critical, overtook, records, lowYields } = await criticalAmongLow(false);
    expect(records).toEqual([0, 0, 0]);
    expect(lowYields).toBe(0);
    expect(critical.filter((call) => overtook(call).length > 0).length).toBeGreaterThan(0);
  });

  it('light tenants on other instances get their demand served in full beside a heavy tenant', async () => {
    const { clock, admissions } = cluster(3);
    const [a, b, c] = admissions as [Admission, Admission, Admission];
    const bucket = tpm(60_000); // 1,000 tokens a second
    const log: Outcome[] = [];
    // The heavy tenant floods one instance with small calls: alone, they would take every 200 tokens freed.
    const heavy = { tenant: 'heavy', priority: NORMAL, buckets: [bucket], cost: costOf(200, 0) };
    for (let i = 0; i < 2_000; i++) send(a, clock, log, heavy, `h${i}`);
    // Two light tenants on the others, each asking 900 tokens every 3 s: under a third of the limit each.
    const light = (tenant: string) => ({ tenant, priority: NORMAL, buckets: [bucket], cost: costOf(900, 0) });
    for (let t = 0; t < 60_000; t += 3_000) {
      send(b, clock, log, light('light-1'), `l1-${t}`);
      send(c, clock, log, light('light-2'), `l2-${t}`);
      await clock.advanceAsync(3_000);
    }
    await clock.advanceAsync(5_000);
    const lights = log.filter((o) => o.tenant !== 'heavy');
    expect(lights.every((o) => o.result?.admitted)).toBe(true);
    const waits = lights.map((o) => (o.at as number) - o.sentAt).sort((x, y) => x - y);
    // Each is served within the time its own tokens take to refill, the other light's included.
    expect(waits[waits.length - 1]).toBeLessThanOrEqual(2_000);
    // And the heavy tenant used the rest: the bucket stayed busy.
    const heavyTokens = log.filter((o) => o.tenant === 'heavy' && o.result?.admitted).length * 200;
    expect(heavyTokens).toBeGreaterThan(60_000);
    for (const admission of admissions) admission.close();
  });

  it('equal tenants flooding through different instances share the bucket equally (Jain ≥ 0.98)', async () => {
    const { clock, admissions } = cluster(3);
    const bucket = tpm(60_000);
    const log: Outcome[] = [];
    // Different depths of flood per instance: 300, 150 and 60 requests of 1,000 tokens.
    const floods = [300, 150, 60];
    admissions.forEach((admission, i) => {
      for (let k = 0; k < (floods[i] as number); k++) {
        send(
          admission,
          clock,
          log,
          { tenant: `t${i}`, priority: NORMAL, buckets: [bucket], cost: costOf(1_000, 0) },
          `t${i}-${k}`,
        );
      }
    });
    await clock.advanceAsync(20_000);
    const from = clock.now();
    await clock.advanceAsync(40_000); // steady window: every tenant still backlogged (60 s of work at most each)
    const served = [0, 1, 2].map(
      (i) => admittedBetween(log, from, clock.now()).filter((o) => o.tenant === `t${i}`).length,
    );
    expect(served.reduce((x, y) => x + y, 0)).toBeGreaterThanOrEqual(39);
    expect(jain(served)).toBeGreaterThanOrEqual(0.98);
    for (const admission of admissions) admission.close();
  });

  it('tenants sharing an instance and tenants elsewhere share by tokens: local and cluster order agree', async () => {
    const { clock, admissions } = cluster(2);
    const [a, b] = admissions as [Admission, Admission];
    const bucket = tpm(60_000);
    const log: Outcome[] = [];
    // Two tenants flood instance A, one floods B; calls of different sizes: fairness is in tokens.
    const sizes: Record<string, number> = { t0: 1_000, t1: 250, t2: 500 };
    const flood = (admission: Admission, tenant: string) => {
      const tokens = sizes[tenant] as number;
      for (let k = 0; k < 200_000 / tokens; k++)
        send(
          admission,
          clock,
          log,
          { tenant, priority: NORMAL, buckets: [bucket], cost: costOf(tokens, 0) },
          tenant,
        );
    };
    flood(a, 't0');
    flood(a, 't1');
    flood(b, 't2');
    await clock.advanceAsync(20_000);
    const from = clock.now();
    await clock.advanceAsync(60_000);
    const served = ['t0', 't1', 't2'].map(
      (tenant) =>
        admittedBetween(log, from, clock.now()).filter((o) => o.tenant === tenant).length *
        (sizes[tenant] as number),
    );
    // The bucket stayed busy (60,000 tokens a minute) and was shared evenly.
    expect(served.reduce((x, y) => x + y, 0)).toBeGreaterThanOrEqual(57_000);
    expect(jain(served)).toBeGreaterThanOrEqual(0.98);
    for (const admission of admissions) admission.close();
  });

  it('concurrency slots freed by low work on one instance go to a critical call waiting on another', async () => {
    const { clock, admissions } = cluster(2);
    const [a, b] = admissions as [Admission, Admission];
    const slots = defineBucket('shared-slots', { dimension: 'concurrency', limit: 2, margin: 0 });
    const log: Outcome[] = [];
    // Every admitted call runs 1 s, then settles (frees its slot).
    const run = (admission: Admission, request: Omit<AdmissionRequest, 'deadline'>, name: string) =>
      send(admission, clock, log, request, name, (result) => {
        if (result.admitted) clock.schedule(1_000, () => void admission.settle(result));
      });
    for (let i = 0; i < 40; i++)
      run(a, { tenant: 'batch', priority: LOW, buckets: [slots], cost: costOf(0, 0) }, `low${i}`);
    await clock.advanceAsync(3_500);
    const critical: Outcome[] = [];
    for (let i = 0; i < 4; i++) {
      critical.push(
        run(b, { tenant: 'app', priority: CRITICAL, buckets: [slots], cost: costOf(0, 0) }, `crit${i}`),
      );
      await clock.advanceAsync(3_000);
    }
    for (const call of critical) {
      expect(call.result?.admitted).toBe(true);
      // A slot frees every half second; the critical call takes the next one (its poll is 250 ms).
      expect((call.at as number) - call.sentAt).toBeLessThanOrEqual(1_000);
    }
    expect(log.filter((o) => o.priority === LOW && o.result?.admitted).length).toBeGreaterThan(10);
    for (const admission of admissions) admission.close();
  });

  it('a request that may take either of two deployments waits for the first that frees, beside the cluster order', async () => {
    const { clock, admissions } = cluster(2);
    const [a, b] = admissions as [Admission, Admission];
    const east = defineBucket('east-rpm', { dimension: 'requests', limit: 60, per: 'minute', margin: 0 });
    const west = defineBucket('west-rpm', { dimension: 'requests', limit: 120, per: 'minute', margin: 0 });
    const log: Outcome[] = [];
    const both = (tenant: string, priority: number) => ({
      tenant,
      priority,
      buckets: [east],
      cost: costOf(0, 0),
      alternatives: [{ buckets: [west], cost: costOf(0, 0) }],
    });
    const start = clock.now();
    for (let i = 0; i < 300; i++)
      send(i % 2 ? a : b, clock, log, both(`t${i % 3}`, i % 5 === 0 ? CRITICAL : LOW), `r${i}`);
    await clock.advanceAsync(60_000);
    const admitted = log.filter((o) => o.result?.admitted);
    // Both deployments used in full: their first bursts (60 + 120), then 3 a second.
    expect(admitted.length).toBe(300);
    // The 180 first calls fit at once; of the 120 that queue, the 24 critical ones go first, at 3 a second.
    const lastCritical = Math.max(
      ...admitted.filter((o) => o.priority === CRITICAL).map((o) => o.at as number),
    );
    expect(lastCritical - start).toBeLessThanOrEqual(10_000);
    for (const admission of admissions) admission.close();
  });

  it('equal tenants in closed loops of 2, 5 and 12 clients on three instances share evenly (Jain ≥ 0.98)', async () => {
    const { clock, admissions } = cluster(3);
    const bucket = rpm(540);
    const served = [0, 0, 0];
    let measuring = false;
    let stop = false;
    // Each client sends its next call as soon as the last one (10 ms upstream) is over.
    const client = async (i: number) => {
      const admission = admissions[i] as Admission;
      while (!stop) {
        const result = await admission.admit({
          tenant: `t${i}`,
          priority: NORMAL,
          buckets: [bucket],
          cost: costOf(0, 0),
          deadline: Number.POSITIVE_INFINITY,
        });
        if (!result.admitted) continue;
        if (measuring) served[i] = (served[i] ?? 0) + 1;
        await new Promise<void>((done) => clock.schedule(10, done));
        void admission.settle(result);
      }
    };
    [2, 5, 12].forEach((clients, i) => {
      for (let k = 0; k < clients; k++) void client(i);
    });
    await clock.advanceAsync(8_000); // the first full bucket is spent in the first second
    measuring = true;
    await clock.advanceAsync(16_000);
    stop = true;
    expect(served.reduce((x, y) => x + y, 0)).toBeGreaterThanOrEqual(16 * 9 * 0.95);
    expect(jain(served)).toBeGreaterThanOrEqual(0.98);
    for (const admission of admissions) admission.close();
  });
});

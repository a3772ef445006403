/**
 * The cluster-wide order (README "One order for the whole cluster") across
 * real processes: three `sluice serve` gateways on one private Redis in
 * front of one simulator whose 300 rpm limit they share (270 rpm, 4.5/s,
 * after the 10 % safety margin).
 *
 * Real time on purpose (slow suite): the order is carried by demand records
 * leased in Redis and by each process's own tick, so only real processes on
 * a wall clock show it end to end. Every scenario is an open-loop or
 * closed-loop load with a fixed end; figures are taken over a steady window
 * that starts seconds after the first full bucket was spent (the first
 * answers re-sync the buckets to the provider, which can pause admission
 * once). Bounds are generous; with `queue.cluster.enabled: false` the
 * priority and fairness scenarios fail (figures in the branch's report).
 */
import { describe, expect, it } from 'vitest';
import {
  burst,
  type Call,
  closedLoop,
  flow,
  jain,
  keyOf,
  quantile,
  servedBetween,
  statuses,
} from './redis/cluster-load.js';
import { fleetsStoppedAfterEach, simulatorGroup } from './redis/gateway-fleet.js';
import type { GatewayProcess } from './redis/gateway-processes.js';

const startFleet = fleetsStoppedAfterEach();

const RPM = 300;
/** Admitted per second once the first bucket is spent: the limit less the 10 % margin. */
const CAPACITY = (RPM * 0.9) / 60;
const LEASE_MS = 3_000;

interface Tenant {
  readonly id: string;
  readonly tier: 'interactive' | 'standard' | 'bulk';
}

function gatewayConfig(
  redisUrl: string,
  prefix: string,
  simUrl: string,
  tenants: readonly Tenant[],
  rpm: number,
) {
  return {
    store: { kind: 'redis', url: redisUrl, prefix, expected_instances: 3, command_timeout_ms: 1_000 },
    queue: { cluster: { enabled: true, demand_lease_ms: LEASE_MS } },
    model_groups: simulatorGroup(simUrl, rpm),
    // Tiers set the highest class a tenant may ask for; each call names its class.
    tiers: {
      interactive: { priority: 'critical' },
      standard: { priority: 'normal' },
      bulk: { priority: 'low' },
    },
    tenants: tenants.map((t) => ({ id: t.id, key: keyOf(t.id), tier: t.tier })),
    log: { level: 'warn', requests: false },
  };
}

async function startGateways(tenants: readonly Tenant[], rpm = RPM) {
  const fleet = await startFleet({
    simulator: { defaults: { rpm }, response: { tokens: 5 }, latency: { ttft_ms: 10 } },
    config: (redisUrl, prefix, simUrl) => gatewayConfig(redisUrl, prefix, simUrl, tenants, rpm),
    gateways: 3,
  });
  return { ...fleet, gateways: fleet.gateways as readonly GatewayProcess[] };
}

const waits = (calls: readonly Call[]) => calls.map((c) => c.endedAt - c.sentAt);

describe('cluster-wide order over three gateways sharing one Redis', () => {
  it('critical calls through one gateway go before low work flooding all three', {
    timeout: 120_000,
  }, async () => {
    const { gateways, simulator } = await startGateways([
      { id: 'app', tier: 'interactive' },
      { id: 'batch', tier: 'bulk' },
    ]);
    const start = Date.now();
    const low = { tenant: 'batch', priority: 'low', maxWaitMs: 5_000 };
    // Low work: a first full bucket at once, then 3× the limit spread over the three gateways.
    const lows = [0, 1, 2].flatMap((g) => [
      burst(gateways, g, 100, low),
      flow(gateways, g, { ...low, start, fromMs: 0, toMs: 16_000, perSecond: CAPACITY }),
    ]);
    // Critical: 2/3 of the capacity, through gateway 0 only (a third would be its share without the order).
    const criticalFrom = start + 5_000;
    const criticalTo = start + 13_000;
    const critical = await flow(gateways, 0, {
      tenant: 'app',
      priority: 'critical',
      maxWaitMs: 10_000,
      start,
      fromMs: 5_000,
      toMs: 13_000,
      perSecond: CAPACITY * (2 / 3),
    });
    const lowCalls = (await Promise.all(lows)).flat();
    const p99 = quantile(waits(critical), 0.99);
    const lowServedMeanwhile = servedBetween(lowCalls, criticalFrom, criticalTo).length;
    console.log(
      `priorities: critical ${JSON.stringify(statuses(critical))}, wait p50 ${quantile(waits(critical), 0.5)} ms p99 ${p99} ms max ${Math.max(...waits(critical))} ms; ` +
        `low ${JSON.stringify(statuses(lowCalls))}, ${lowServedMeanwhile} low served while critical came; upstream 429s ${simulator.stats().rejected.rpm}`,
    );
    expect([...critical, ...lowCalls].filter((c) => c.status === 0)).toEqual([]);
    expect(critical.every((c) => c.status === 200)).toBe(true);
    expect(p99).toBeLessThan(1_000);
    // Low work held the rest of the capacity meanwhile: critical did not go first only because the bucket was idle.
    expect(lowServedMeanwhile).toBeGreaterThan(0);
    expect(simulator.stats().rejected.rpm).toBe(0);
    for (const g of gateways) expect(g.child.exitCode, g.output()).toBeNull();
  });

  it('light tenants within their share are served in full beside a heavy one on another gateway', {
    timeout: 120_000,
  }, async () => {
    const { gateways } = await startGateways([
      { id: 'heavy', tier: 'standard' },
      { id: 'light1', tier: 'standard' },
      { id: 'light2', tier: 'standard' },
    ]);
    const start = Date.now();
    const heavy = { tenant: 'heavy', priority: 'normal', maxWaitMs: 5_000 };
    const heavyCalls = Promise.all([
      burst(gateways, 0, 300, heavy),
      flow(gateways, 0, { ...heavy, start, fromMs: 0, toMs: 16_000, perSecond: 3 * CAPACITY }),
    ]);
    // Each light tenant asks for 4/5 of its third of the capacity, from 5 s on (the first bucket spent).
    const lightOf = (tenant: string, at: number) =>
      flow(gateways, at, {
        tenant,
        priority: 'normal',
        maxWaitMs: 2_000,
        start,
        fromMs: 5_000,
        toMs: 15_000,
        perSecond: (CAPACITY / 3) * 0.8,
      });
    const lights = (await Promise.all([lightOf('light1', 1), lightOf('light2', 2)])).flat();
    const heavyServed = (await heavyCalls).flat();
    const heavyMeanwhile = servedBetween(heavyServed, start + 6_000, start + 15_000).length / 9;
    console.log(
      `heavy vs light: light ${JSON.stringify(statuses(lights))}, wait p50 ${quantile(waits(lights), 0.5)} ms p99 ${quantile(waits(lights), 0.99)} ms; ` +
        `heavy ${JSON.stringify(statuses(heavyServed))}, ${heavyMeanwhile.toFixed(2)}/s served meanwhile`,
    );
    expect([...lights, ...heavyServed].filter((c) => c.status === 0)).toEqual([]);
    expect(lights.filter((c) => c.status !== 200)).toEqual([]);
    // The heavy tenant still gets what the light ones leave.
    expect(heavyMeanwhile).toBeGreaterThan(CAPACITY * 0.2);
  });

  it.each([
    // One tenant per gateway, each with a different number of clients.
    { gatewayOf: [0, 1, 2], clients: [2, 5, 12] },
    // Two tenants on one gateway, one on each of the others: per-instance queues give the pair half as much.
    { gatewayOf: [0, 0, 1, 2], clients: [4, 4, 4, 4] },
  ])(
    'equal tenants flooding through gateways $gatewayOf with clients $clients share evenly (Jain ≥ 0.98)',
    {
      timeout: 120_000,
    },
    async ({ gatewayOf, clients }) => {
      const tenants = gatewayOf.map((_, i) => `t${i + 1}`);
      // Twice the other scenarios' limit, for counts large enough that one call is not 2 % of a share.
      const rpm = 2 * RPM;
      const capacity = 2 * CAPACITY;
      const { gateways, simulator } = await startGateways(
        tenants.map((id) => ({ id, tier: 'standard' })),
        rpm,
      );
      const start = Date.now();
      const until = start + 24_000;
      // Clients wait long enough never to be refused: each tenant always has demand waiting.
      const calls = (
        await Promise.all(
          tenants.map((tenant, i) =>
            closedLoop(gateways, gatewayOf[i] as number, {
              tenant,
              priority: 'normal',
              maxWaitMs: 20_000,
              clients: clients[i] as number,
              until,
            }),
          ),
        )
      ).flat();
      // Steady window: the last 16 s (the first bucket is spent within ~2 s; shares need a few seconds of history).
      const windowS = 16;
      const served = tenants.map(
        (tenant) =>
          servedBetween(calls, until - windowS * 1_000, until).filter((c) => c.tenant === tenant).length,
      );
      const index = jain(served);
      console.log(
        `equal tenants through gateways ${gatewayOf}, clients ${clients}: served ${served} over ${windowS} s, Jain ${index.toFixed(4)}, statuses ${JSON.stringify(statuses(calls))}, upstream 429s ${simulator.stats().rejected.rpm}`,
      );
      expect(calls.filter((c) => c.status === 0)).toEqual([]);
      // The bucket was kept busy: fairness is not bought with idle capacity.
      expect(served.reduce((x, y) => x + y, 0)).toBeGreaterThan(capacity * windowS * 0.8);
      expect(index).toBeGreaterThanOrEqual(0.98);
    },
  );

  it('a gateway killed while its critical demand waits: the others recover the capacity within the lease', {
    timeout: 120_000,
  }, async () => {
    const { gateways } = await startGateways([
      { id: 'app', tier: 'interactive' },
      { id: 'batch', tier: 'bulk' },
    ]);
    const start = Date.now();
    const low = { tenant: 'batch', priority: 'low', maxWaitMs: 3_000 };
    const lows = [1, 2].flatMap((g) => [
      burst(gateways, g, 150, low),
      flow(gateways, g, { ...low, start, fromMs: 0, toMs: 22_000, perSecond: CAPACITY }),
    ]);
    // More critical work than the capacity, so gateway 0 always has demand waiting.
    const critical = flow(gateways, 0, {
      tenant: 'app',
      priority: 'critical',
      maxWaitMs: 15_000,
      start,
      fromMs: 2_000,
      toMs: 22_000,
      perSecond: CAPACITY * 1.5,
    });
    await new Promise((r) => setTimeout(r, 9_000));
    const killedAt = Date.now();
    (gateways[0] as GatewayProcess).child.kill('SIGKILL');
    await critical;
    const lowCalls = (await Promise.all(lows)).flat();
    const before = servedBetween(lowCalls, killedAt - 3_000, killedAt).length / 3;
    const firstAfter = lowCalls
      .filter((c) => c.status === 200 && c.endedAt > killedAt)
      .reduce((t, c) => Math.min(t, c.endedAt), Number.POSITIVE_INFINITY);
    const recoveredFrom = killedAt + LEASE_MS + 1_500;
    const after = servedBetween(lowCalls, recoveredFrom, recoveredFrom + 6_000).length / 6;
    console.log(
      `killed gateway: low served ${before.toFixed(2)}/s before the kill, first low ${firstAfter - killedAt} ms after it, ` +
        `${after.toFixed(2)}/s from lease + 1.5 s (capacity ${CAPACITY}/s); low ${JSON.stringify(statuses(lowCalls))}`,
    );
    for (const g of gateways.slice(1)) expect(g.child.exitCode, g.output()).toBeNull();
    expect(lowCalls.filter((c) => c.status === 0)).toEqual([]);
    // Critical demand held the low work back while gateway 0 lived...
    expect(before).toBeLessThan(CAPACITY * 0.25);
    // ...and its records ended with their lease.
    expect(firstAfter - killedAt).toBeLessThan(LEASE_MS + 1_500);
    expect(after).toBeGreaterThan(CAPACITY * 0.8);
  });
});

/**
 * Three `sluice serve` processes sharing one Redis (`store: { kind: redis }`)
 * in front of the simulator: a burst 3× over the simulated limit reaches the
 * provider without a 429 and with ≥ 95 % goodput; a Redis crash mid-run
 * crashes no gateway, loses or hangs no request, follows the policy and
 * recovers by itself.
 *
 * Real time on purpose (slow suite): three OS processes share one Redis,
 * which is SIGKILLed and restarted; goodput is the provider's admitted count
 * over wall-clock seconds, and the kill, the restart and the calls are placed
 * on a wall-clock timeline. Bounds are generous: goodput 95–105 %, calls get
 * their max wait plus 10 s before they count as hung.
 */
import { describe, expect, it } from 'vitest';
import { fleetsStoppedAfterEach, simulatorGroup } from './redis/gateway-fleet.js';
import type { GatewayProcess } from './redis/gateway-processes.js';
import { sampleAdmitted, steadyGoodput } from './redis/goodput.js';
import { watchdog } from './redis/wait-for.js';

const startFleet = fleetsStoppedAfterEach();
let gateways: readonly GatewayProcess[] = [];

const TENANT_KEY = 'tenant-key-multi-gateway';
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

function gatewayConfig(redisUrl: string, prefix: string, simUrl: string, rpm: number, policy: string) {
  return {
    store: {
      kind: 'redis',
      url: redisUrl,
      prefix,
      on_unavailable: policy,
      expected_instances: 3,
      probe_interval_ms: 100,
      command_timeout_ms: 1_000,
    },
    model_groups: simulatorGroup(simUrl, rpm),
    tenants: [{ id: 'acme', key: TENANT_KEY }],
    log: { level: 'warn', requests: false },
  };
}

/** [sent at, ended at, status (0: no answer), has Retry-After] */
type Call = [number, number, number, boolean];

function call(gateway: GatewayProcess, maxWaitMs: number): Promise<Call> {
  const sentAt = Date.now();
  const request = fetch(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${TENANT_KEY}`,
      'x-sluice-max-wait-ms': String(maxWaitMs),
    },
    body: JSON.stringify({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Hi.' }],
      max_tokens: 5,
    }),
  }).then(async (r): Promise<Call> => {
    await r.text();
    return [sentAt, Date.now(), r.status, r.headers.has('retry-after')];
  });
  return watchdog(request, maxWaitMs + 10_000, 'a gateway call').catch(
    (): Call => [sentAt, Date.now(), 0, false],
  );
}

async function startAll(policy: string, rpm: number) {
  const fleet = await startFleet({
    simulator: { defaults: { rpm }, response: { tokens: 5 }, latency: { ttft_ms: 10 } },
    config: (redisUrl, prefix, simUrl) => gatewayConfig(redisUrl, prefix, simUrl, rpm, policy),
    gateways: 3,
  });
  gateways = fleet.gateways;
  return fleet;
}

describe('three gateways sharing one Redis', () => {
  it('absorb a burst 3× over the limit with zero upstream 429s and ≥ 95 % goodput', {
    timeout: 90_000,
  }, async () => {
    const rpm = 600;
    const { simulator } = await startAll('fail_open', rpm);
    // Long enough that a burst landing late on a busy machine still leaves a steady phase of
    // many seconds: over 4 s, one pause of the provider's sync is 10 % of the measure.
    const maxWaitMs = 25_000;
    const calls = Promise.all(
      Array.from({ length: 3 * rpm }, (_, i) => call(gateways[i % 3] as GatewayProcess, maxWaitMs)),
    );
    const samples = await sampleAdmitted(simulator, maxWaitMs);
    const results = await calls;
    const stats = simulator.stats();
    const served = results.filter((c) => c[2] === 200);
    const refused = results.filter((c) => c[2] !== 200);
    expect(results.filter((c) => c[2] === 0)).toHaveLength(0);
    expect(stats.rejected.rpm).toBe(0);
    expect(refused.every((c) => c[2] === 503 && c[3])).toBe(true);
    expect(stats.admitted).toBe(served.length);
    // A full bucket (600 × 0.9 = 540) goes at once, then calls may only go at 10/s.
    const { goodput, seconds } = steadyGoodput(samples, rpm * 0.9, rpm);
    console.log(
      `3 gateways: ${served.length} served, ${refused.length} refused (503), upstream 429s ${stats.rejected.rpm}, steady goodput ${(goodput * 100).toFixed(1)} % of ${rpm} RPM over ${seconds.toFixed(1)} s`,
    );
    expect(goodput).toBeGreaterThanOrEqual(0.95);
    expect(goodput).toBeLessThanOrEqual(1.05);
    for (const g of gateways) expect(g.child.exitCode).toBeNull();
  });

  it.each(['fail_open', 'fail_closed'])(
    '%s: Redis killed mid-run and restarted — no gateway crashes, every request gets a status, recovery by itself',
    async (policy) => {
      const rpm = 120;
      const { redis, simulator } = await startAll(policy, rpm);
      const pending: Promise<Call>[] = [];
      const readiness: { at: number; status: number; mode: string }[] = [];
      const marks = { killedAt: 0, restartedAt: 0 };
      // 40 at once per gateway empties the bucket, then 3 × 2/s against 2/s.
      for (let i = 0; i < 120; i++) pending.push(call(gateways[i % 3] as GatewayProcess, 1_000));
      const start = Date.now();
      let n = 0;
      while (Date.now() - start < 8_000) {
        const elapsed = Date.now() - start;
        if (!marks.killedAt && elapsed >= 2_000) {
          marks.killedAt = Date.now();
          await redis.kill();
        }
        if (marks.killedAt && !marks.restartedAt && elapsed >= 5_000) {
          await redis.restart();
          marks.restartedAt = Date.now();
        }
        pending.push(call(gateways[n++ % 3] as GatewayProcess, 1_000));
        if (n % 3 === 0) {
          const r = await fetch(`${(gateways[0] as GatewayProcess).url}/readyz`);
          const body = (await r.json()) as { store: { mode: string } };
          readiness.push({ at: Date.now(), status: r.status, mode: body.store.mode });
        }
        await pause(1_000 / 6);
      }
      const results = await Promise.all(pending);
      for (const g of gateways) expect(g.child.exitCode, g.output()).toBeNull();
      expect(results.filter((c) => c[2] === 0)).toHaveLength(0); // none lost or hung
      const during = results.filter((c) => c[0] > marks.killedAt + 500 && c[1] < marks.restartedAt);
      const after = results.filter((c) => c[1] > marks.restartedAt + 1_000);
      const outage = readiness.filter((r) => r.at > marks.killedAt + 500 && r.at < marks.restartedAt);
      const modes = new Set(outage.map((r) => r.mode));
      // Fail-open keeps serving, so it stays ready; fail-closed refuses, so it is not.
      const readyStatuses = new Set(outage.map((r) => r.status));
      if (policy === 'fail_open') {
        expect(during.filter((c) => c[2] === 200).length).toBeGreaterThan(0);
        expect(modes).toEqual(new Set(['local']));
        expect(readyStatuses).toEqual(new Set([200]));
        expect(simulator.stats().rejected.rpm).toBe(0);
      } else {
        expect(during.length).toBeGreaterThan(0);
        expect(during.every((c) => c[2] === 503 && c[3])).toBe(true);
        expect(modes).toEqual(new Set(['refusing']));
        expect(readyStatuses).toEqual(new Set([503]));
      }
      expect(after.filter((c) => c[2] === 200).length).toBeGreaterThan(0);
      expect(readiness.at(-1)).toMatchObject({ status: 200, mode: 'shared' });
      const statuses: Record<number, number> = {};
      for (const c of results) statuses[c[2]] = (statuses[c[2]] ?? 0) + 1;
      console.log(
        `3 gateways, ${policy}, Redis down ${marks.restartedAt - marks.killedAt} ms: statuses ${JSON.stringify(statuses)}, ` +
          `during the outage ${during.filter((c) => c[2] === 200).length} served / ${during.length}, readyz ${[...modes]}, upstream 429s ${simulator.stats().rejected.rpm}`,
      );
    },
  );
});

/**
 * Placement at dispatch across instances (issue 15): two `sluice serve`
 * processes sharing one Redis, one model group over two keys of different
 * limits in front of the simulator. A burst twice the summed limits spreads
 * over both keys in proportion to their limits, reaches the provider
 * without a 429, and keeps ≥ 95 % of the summed limits in the steady phase.
 *
 * Real time on purpose (slow suite), as redis-gateways.slow.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { fleetsStoppedAfterEach } from './redis/gateway-fleet.js';
import type { GatewayProcess } from './redis/gateway-processes.js';
import { sampleAdmitted, steadyGoodput } from './redis/goodput.js';
import { watchdog } from './redis/wait-for.js';

const startFleet = fleetsStoppedAfterEach();

const TENANT_KEY = 'tenant-key-multikey';
const MODEL = 'gpt-4o-mini';
const KEYS = { 'sk-small': 150, 'sk-large': 300 } as const;

function gatewayConfig(redisUrl: string, prefix: string, simUrl: string) {
  return {
    store: { kind: 'redis', url: redisUrl, prefix, expected_instances: 2 },
    model_groups: {
      [MODEL]: {
        deployments: Object.entries(KEYS).map(([key, rpm]) => ({
          id: key,
          provider: 'openai',
          base_url: `${simUrl}/v1`,
          api_key: key,
          model: MODEL,
          limits: { rpm },
        })),
      },
    },
    tenants: [{ id: 'acme', key: TENANT_KEY }],
    log: { level: 'warn', requests: false },
  };
}

async function call(gateway: GatewayProcess, maxWaitMs: number): Promise<number> {
  const request = fetch(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${TENANT_KEY}`,
      'x-sluice-max-wait-ms': String(maxWaitMs),
    },
    body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'Hi.' }], max_tokens: 5 }),
  }).then(async (r) => {
    await r.text();
    return r.status;
  });
  return watchdog(request, maxWaitMs + 10_000, 'a gateway call').catch(() => 0);
}

describe('two gateways, one Redis, two keys of different limits', () => {
  it('spread a burst 2× over the summed limits in proportion, with zero upstream 429s and ≥ 95 % goodput', {
    timeout: 150_000,
  }, async () => {
    const { simulator: sim, gateways } = await startFleet({
      simulator: {
        keys: Object.fromEntries(
          Object.entries(KEYS).map(([key, rpm]) => [key, { models: { [MODEL]: { rpm } } }]),
        ),
        response: { tokens: 5 },
        latency: { ttft_ms: 10 },
      },
      config: gatewayConfig,
      gateways: 2,
    });
    const summed = KEYS['sk-small'] + KEYS['sk-large'];
    const maxWaitMs = 30_000;
    const calls = Promise.all(
      Array.from({ length: 2 * summed }, (_, i) => call(gateways[i % 2] as GatewayProcess, maxWaitMs)),
    );
    const samples = await sampleAdmitted(sim, maxWaitMs);
    const statuses = await calls;
    const stats = sim.stats();
    const perKey = (key: string) => stats.per_key[key]?.[MODEL];
    const small = perKey('sk-small')?.admitted ?? 0;
    const large = perKey('sk-large')?.admitted ?? 0;
    const rejected = Object.values(stats.rejected).reduce((a, b) => a + b, 0);
    const { goodput, seconds } = steadyGoodput(samples, summed * 0.9, summed);
    console.log(
      `2 gateways, keys 150 + 300 RPM: ${small} / ${large} admitted (share of the small key ${((small / (small + large)) * 100).toFixed(1)} %, its limit's share 33.3 %), ` +
        `upstream rejections ${rejected}, steady goodput ${(goodput * 100).toFixed(1)} % of ${summed} RPM over ${seconds.toFixed(1)} s`,
    );
    expect(statuses.filter((s) => s === 0)).toHaveLength(0);
    expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
    expect(rejected).toBe(0);
    expect(Math.abs(small / (small + large) - 1 / 3)).toBeLessThanOrEqual(0.1 / 3);
    expect(goodput).toBeGreaterThanOrEqual(0.95);
    for (const g of gateways) expect(g.child.exitCode, g.output()).toBeNull();
  });
});

/**
 * The gateway under stress, with the official SDKs as clients and the
 * simulator enforcing real limits upstream: bursts over the upstream limit,
 * a flooding free tenant next to a pro one, priorities, and fallback.
 * Assertions are about outcomes (who was served, who was refused and how),
 * never about wall-clock durations.
 */
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayConfigInput } from '../../src/gateway/config/schema.js';
import { baseConfig, hello, KEYS, type Rig, simOpenAiDeployment, startRig } from './helpers.js';

let rigs: Rig[] = [];
afterEach(async () => {
  await Promise.all(rigs.map((r) => r.close()));
  rigs = [];
});

async function rig(options: Parameters<typeof startRig>[0]): Promise<Rig> {
  const r = await startRig(options);
  rigs.push(r);
  return r;
}

type Result =
  | { ok: true; ms: number; headers: Headers }
  | {
      ok: false;
      ms: number;
      status: number | undefined;
      headers: Headers | undefined;
      code: string | undefined;
    };

/** One chat completion; success or the SDK's error, with the headers either way. */
async function chat(client: OpenAI, extra: Record<string, string> = {}): Promise<Result> {
  const started = performance.now();
  try {
    const { response } = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: hello, max_tokens: 20 }, { headers: extra })
      .withResponse();
    return { ok: true, ms: performance.now() - started, headers: response.headers };
  } catch (error) {
    if (!(error instanceof OpenAI.APIError)) throw error;
    return {
      ok: false,
      ms: performance.now() - started,
      status: error.status,
      headers: error.headers,
      code: error.headers?.get('x-sluice-refusal') ?? undefined,
    };
  }
}

function p99(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? 0;
}

/** A gateway whose only deployment has the simulator's own limit on the upstream key. */
function limitedUpstream(rpm: number, tiers: GatewayConfigInput['tiers']) {
  return {
    sim: { keys: { 'sk-upstream': { models: { 'gpt-4o-mini': { rpm, tpm: 10_000_000 } } } } },
    config: (simUrl: string) =>
      baseConfig(simUrl, {
        model_groups: {
          'gpt-4o-mini': {
            deployments: [simOpenAiDeployment(simUrl, { limits: { rpm, tpm: 10_000_000 } })],
          },
        },
        tiers,
      }),
  };
}

describe('a burst three times over the upstream limit', () => {
  it('causes no upstream 429: every request is served or refused with Retry-After', async () => {
    const r = await rig(
      limitedUpstream(60, {
        pro: { priority: 'normal', max_wait_ms: 1_500 },
        free: { priority: 'low' },
        enterprise: { priority: 'critical' },
      }),
    );
    const client = r.openai(KEYS.pro);
    const results = await Promise.all(Array.from({ length: 180 }, () => chat(client)));
    const served = results.filter((x) => x.ok).length;
    const refused = results.filter((x): x is Extract<Result, { ok: false }> => !x.ok);
    expect(served + refused.length).toBe(180);
    // 60 rpm with a 10 % margin: 54 at once, then one a second for the 1.5 s a request may wait.
    expect(served).toBeGreaterThanOrEqual(54);
    expect(served).toBeLessThanOrEqual(60);
    for (const refusal of refused) {
      expect(refusal.status).toBe(503);
      expect(refusal.code).toBe('capacity_exhausted');
      expect(Number(refusal.headers?.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    const upstream = r.sim.stats();
    expect(upstream.responses['429'] ?? 0).toBe(0);
    expect(upstream.admitted).toBe(served);
    const stats = await r.gateway.governor.store.stats();
    expect(stats.active).toBe(0);
    expect(stats.expiredLeases).toBe(0);
  });
});

describe('tenants and tiers', () => {
  it('a free tenant flooding does not raise the pro tenant’s p99 wait', async () => {
    const tiers = {
      free: { rpm: 30, priority: 'low', max_wait_ms: 1_000 },
      pro: { rpm: 6_000, priority: 'normal', max_wait_ms: 10_000 },
      enterprise: { priority: 'critical' },
    };
    const proWaits = async (r: Rig, flood: boolean) => {
      const free = r.openai(KEYS.free);
      const pro = r.openai(KEYS.pro);
      const flooding = flood
        ? Promise.all(Array.from({ length: 150 }, () => chat(free)))
        : Promise.resolve([]);
      const waits: number[] = [];
      for (let wave = 0; wave < 4; wave++) {
        const results = await Promise.all(Array.from({ length: 10 }, () => chat(pro)));
        expect(results.every((x) => x.ok)).toBe(true);
      }
      const floodResults = await flooding;
      for (const line of r.logs)
        if (line.msg === 'request' && line.tenant === 'pro-co') waits.push(Number(line.wait_ms));
      return { waits, floodResults };
    };
    const alone = await proWaits(await rig(limitedUpstream(600, tiers)), false);
    const crowded = await proWaits(await rig(limitedUpstream(600, tiers)), true);
    expect(crowded.waits).toHaveLength(40);
    // Waits are in ms and include tokenizing; 50 ms of slack absorbs a busy machine, not a queue.
    expect(p99(crowded.waits)).toBeLessThanOrEqual(p99(alone.waits) + 50);
    // The flood itself met its own tier budget: 429 with Retry-After and its remaining budget at 0.
    const refused = crowded.floodResults.filter((x): x is Extract<Result, { ok: false }> => !x.ok);
    expect(refused.length).toBeGreaterThan(100);
    for (const x of refused) {
      expect(x.status).toBe(429);
      expect(x.code).toBe('tenant_rate_limited');
      expect(Number(x.headers?.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(x.headers?.get('x-ratelimit-remaining-requests')).toBe('0');
    }
  });

  it('critical gets through while low is queued; low is refused when it cannot make its deadline', async () => {
    const r = await rig(
      limitedUpstream(60, {
        free: { priority: 'low', max_wait_ms: 2_500 },
        pro: { priority: 'normal' },
        enterprise: { priority: 'critical', max_wait_ms: 10_000 },
      }),
    );
    const low = r.openai(KEYS.free);
    // Use up the deployment's burst (54 of 60 rpm), then queue ten more low-priority calls.
    const first = await Promise.all(Array.from({ length: 54 }, () => chat(low)));
    expect(first.every((x) => x.ok)).toBe(true);
    const order: string[] = [];
    let answered = 0;
    const queued = Array.from({ length: 10 }, () =>
      chat(low).then((x) => {
        answered++;
        if (x.ok) order.push('low');
        return x;
      }),
    );
    // Those that cannot be served within their 2.5 s are refused at once; the rest wait.
    while ((r.gateway.state.queues().find((q) => q.priority === 'low')?.depth ?? 0) + answered !== 10) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const critical = r.openai(KEYS.enterprise);
    const urgent = [0, 1].map(() =>
      chat(critical).then((x) => {
        if (x.ok) order.push('critical');
        return x;
      }),
    );
    const [lows, criticals] = await Promise.all([Promise.all(queued), Promise.all(urgent)]);
    expect(criticals.every((x) => x.ok)).toBe(true);
    // Refill is one a second: the critical calls took the first two slots, ahead of every queued low one.
    expect(order.slice(0, 2)).toEqual(['critical', 'critical']);
    const shed = lows.filter((x): x is Extract<Result, { ok: false }> => !x.ok);
    expect(shed.length).toBeGreaterThanOrEqual(8);
    for (const x of shed) {
      expect(x.status).toBe(503);
      expect(Number(x.headers?.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    expect(r.sim.stats().responses['429'] ?? 0).toBe(0);
  });

  it('a request may lower its priority but never raise it above its tier’s', async () => {
    const r = await rig({});
    await chat(r.openai(KEYS.free), { 'x-sluice-priority': 'critical' });
    await chat(r.openai(KEYS.enterprise), { 'x-sluice-priority': 'low' });
    const lines = r.logs.filter((l) => l.msg === 'request');
    expect(lines.map((l) => [l.tenant, l.priority])).toEqual([
      ['free-co', 'low'],
      ['big-co', 'low'],
    ]);
  });

  it('x-sluice-max-wait-ms shortens a request’s wait', async () => {
    const r = await rig(
      limitedUpstream(60, {
        free: { priority: 'low' },
        pro: { priority: 'normal', max_wait_ms: 30_000 },
        enterprise: { priority: 'critical' },
      }),
    );
    const pro = r.openai(KEYS.pro);
    await Promise.all(Array.from({ length: 54 }, () => chat(pro)));
    // The next slot is about a second away: a 100 ms wait cannot be met, so it is refused at once.
    const impatient = await chat(pro, { 'x-sluice-max-wait-ms': '100' });
    expect(impatient.ok).toBe(false);
    expect(impatient.ok ? 0 : impatient.status).toBe(503);
  });
});

describe('fallback', () => {
  it('serves from the fallback group when the primary deployment fails', async () => {
    const r = await rig({
      sim: { faults: [{ kind: '500', rate: 1, key: 'sk-broken' }] },
      config: (simUrl) =>
        baseConfig(simUrl, {
          server: { deployment_header: true },
          model_groups: {
            'gpt-4o-mini': {
              deployments: [
                {
                  id: 'primary',
                  provider: 'openai',
                  base_url: `${simUrl}/v1`,
                  api_key: 'sk-broken',
                  model: 'gpt-4o-mini',
                },
              ],
              fallbacks: ['gpt-4o-mini-backup'],
            },
            'gpt-4o-mini-backup': {
              deployments: [
                {
                  id: 'backup',
                  provider: 'openai',
                  base_url: `${simUrl}/v1`,
                  api_key: 'sk-healthy',
                  model: 'gpt-4o-mini',
                },
              ],
            },
          },
        }),
    });
    const results = await Promise.all(Array.from({ length: 5 }, () => chat(r.openai())));
    for (const x of results) {
      expect(x.ok).toBe(true);
      if (x.ok) expect(x.headers.get('x-sluice-deployment')).toBe('backup');
    }
    const stats = r.sim.stats();
    expect(stats.per_key['sk-broken']?.['gpt-4o-mini']?.admitted).toBe(0);
    expect(stats.responses['500']).toBeGreaterThanOrEqual(1);
    expect(stats.per_key['sk-healthy']?.['gpt-4o-mini']?.admitted).toBe(5);
    const lines = r.logs.filter((l) => l.msg === 'request');
    expect(lines.some((l) => Number(l.retries) >= 1)).toBe(true);
    expect((await r.gateway.metrics.expose()).body).toMatch(
      /sluice_fallbacks_total\{from="primary",to="backup"/,
    );
  });

  it('moves to a healthy deployment of the same group when one cannot be reached', async () => {
    const r = await rig({
      config: (simUrl) =>
        baseConfig(simUrl, {
          server: { deployment_header: true },
          model_groups: {
            'gpt-4o-mini': {
              deployments: [
                {
                  id: 'dead',
                  provider: 'openai',
                  base_url: 'http://127.0.0.1:9/v1',
                  api_key: 'sk-x',
                  model: 'gpt-4o-mini',
                  weight: 100,
                },
                {
                  id: 'alive',
                  provider: 'openai',
                  base_url: `${simUrl}/v1`,
                  api_key: 'sk-y',
                  model: 'gpt-4o-mini',
                },
              ],
            },
          },
        }),
    });
    const results = await Promise.all(Array.from({ length: 4 }, () => chat(r.openai())));
    expect(results.every((x) => x.ok && x.headers.get('x-sluice-deployment') === 'alive')).toBe(true);
  });
});

describe('refusals no retry can fix, and timeouts', () => {
  it('relays an upstream quota error with x-should-retry: false, so the SDK does not retry it', async () => {
    const r = await rig({ sim: { faults: [{ kind: 'insufficient_quota', rate: 1 }] } });
    const result = await chat(r.openai(KEYS.pro, { maxRetries: 2 }));
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.status).toBe(429);
      expect(result.headers?.get('x-should-retry')).toBe('false');
    }
    // Neither the gateway nor the SDK tried again.
    expect(r.sim.stats().requests).toBe(1);
    expect(r.logs.filter((l) => l.msg === 'request')).toHaveLength(1);
  });

  it('refuses a request larger than the tenant’s whole budget with 429 and x-should-retry: false', async () => {
    const r = await rig({
      config: (simUrl) =>
        baseConfig(simUrl, { tiers: { pro: { tpm: 1_000, priority: 'normal' }, free: {}, enterprise: {} } }),
    });
    const client = r.openai(KEYS.pro, { maxRetries: 2 });
    const error = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: hello, max_tokens: 5_000 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    const headers = (error as InstanceType<typeof OpenAI.APIError>).headers;
    expect(headers?.get('x-should-retry')).toBe('false');
    expect(headers?.get('x-sluice-refusal')).toBe('request_too_large');
    expect(headers?.get('retry-after')).toBeNull();
    expect((error as Error).message).toMatch(/tenant pro-co: 1,000 tokens per minute/);
    expect(r.logs.filter((l) => l.msg === 'request')).toHaveLength(1);
    expect(r.sim.stats().requests).toBe(0);
  });

  it('gives up on an upstream that never answers, after its headers timeout', async () => {
    const r = await rig({
      sim: { faults: [{ kind: 'timeout', rate: 1 }] },
      config: (simUrl) =>
        baseConfig(simUrl, { upstream: { headers_timeout_ms: 200 }, retry: { max_attempts: 1 } }),
    });
    const result = await chat(r.openai());
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.status).toBe(502);
    expect(r.logs.findLast((l) => l.msg === 'request')).toMatchObject({
      status: 502,
      upstream_error: 'network',
    });
    expect((await r.gateway.governor.store.stats()).active).toBe(0);
  });

  it('drops a client that stops sending its request body', async () => {
    const r = await rig({
      config: (simUrl) =>
        baseConfig(simUrl, { server: { headers_timeout_ms: 200, request_timeout_ms: 300 } }),
    });
    const { connect } = await import('node:net');
    const url = new URL(r.gateway.url);
    const answer = await new Promise<string>((resolve) => {
      const socket = connect(Number(url.port), url.hostname, () => {
        socket.write(
          `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${KEYS.pro}\r\ncontent-length: 1000\r\n\r\n{"model":`,
        );
      });
      let text = '';
      socket.on('data', (d) => {
        text += String(d);
      });
      socket.on('close', () => resolve(text));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(r.sim.stats().requests).toBe(0);
  });
});

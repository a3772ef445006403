/**
 * The gateway under stress, with the official SDKs as clients and the
 * simulator enforcing real limits upstream: bursts over the upstream limit,
 * a flooding free tenant next to a pro one, priorities, and fallback.
 * Assertions are about outcomes (who was served, who was refused and how),
 * never about wall-clock durations.
 *
 * The simulator and the gateway share one manual clock: refill, queue
 * deadlines and waits move only when a test advances it, so "one a second"
 * is exact. (Socket timeouts, which a manual clock cannot move, are in
 * timeouts.slow.test.ts.)
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { GatewayConfigInput } from '../../src/gateway/config/schema.js';
import {
  baseConfig,
  hello,
  KEYS,
  type Rig,
  type RigOptions,
  rigsClosedAfterEach,
  simOpenAiDeployment,
  waitUntil,
} from './helpers.js';

const startTestRig = rigsClosedAfterEach();

/** A rig on a manual clock (the test's `clock`), closed after the test. */
async function rig(options: RigOptions, clock = new ManualClock()): Promise<Rig> {
  return startTestRig({ ...options, clock });
}

type Result =
  | { ok: true; headers: Headers }
  | {
      ok: false;
      status: number | undefined;
      headers: Headers | undefined;
      code: string | undefined;
    };

/** One chat completion; success or the SDK's error, with the headers either way. */
async function chat(client: OpenAI, extra: Record<string, string> = {}): Promise<Result> {
  try {
    const { response } = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: hello, max_tokens: 20 }, { headers: extra })
      .withResponse();
    return { ok: true, headers: response.headers };
  } catch (error) {
    if (!(error instanceof OpenAI.APIError)) throw error;
    return {
      ok: false,
      status: error.status,
      headers: error.headers,
      code: error.headers?.get('x-sluice-refusal') ?? undefined,
    };
  }
}

/** Depth of the gateway's queue of `priority`. */
function depth(r: Rig, priority: string): number {
  return r.gateway.state.queues().find((q) => q.priority === priority)?.depth ?? 0;
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
    const clock = new ManualClock();
    const r = await rig(
      limitedUpstream(60, {
        pro: { priority: 'normal', max_wait_ms: 1_500 },
        free: { priority: 'low' },
        enterprise: { priority: 'critical' },
      }),
      clock,
    );
    const client = r.openai(KEYS.pro);
    let answered = 0;
    const pending = Array.from({ length: 180 }, () =>
      chat(client).then((x) => {
        answered++;
        return x;
      }),
    );
    // Before the clock moves, every request is answered or queued.
    await waitUntil(() => answered + depth(r, 'normal') === 180);
    await clock.advanceAsync(1_500);
    const results = await Promise.all(pending);
    const served = results.filter((x) => x.ok).length;
    const refused = results.filter((x): x is Extract<Result, { ok: false }> => !x.ok);
    expect(served + refused.length).toBe(180);
    // 60 rpm with a 10 % margin: 54 at once, then one a second for the 1.5 s a request may wait.
    expect(served).toBe(55);
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
  it('a free tenant flooding does not make the pro tenant wait', async () => {
    const r = await rig(
      limitedUpstream(600, {
        free: { rpm: 30, priority: 'low', max_wait_ms: 1_000 },
        pro: { rpm: 6_000, priority: 'normal', max_wait_ms: 10_000 },
        enterprise: { priority: 'critical' },
      }),
    );
    const free = r.openai(KEYS.free);
    const pro = r.openai(KEYS.pro);
    const flooding = Promise.all(Array.from({ length: 150 }, () => chat(free)));
    // A pro call that would have to wait is refused at once (max wait 0): a wait shows as a failure, not a hang.
    const patient = { 'x-sluice-max-wait-ms': '0' };
    for (let wave = 0; wave < 4; wave++) {
      const results = await Promise.all(Array.from({ length: 10 }, () => chat(pro, patient)));
      expect(results.every((x) => x.ok)).toBe(true);
    }
    const floodResults = await flooding;
    const waits = r.logs.filter((l) => l.msg === 'request' && l.tenant === 'pro-co').map((l) => l.wait_ms);
    // The clock never moved: every pro call was admitted on arrival, none queued behind the flood.
    expect(waits).toEqual(Array.from({ length: 40 }, () => 0));
    // The flood itself met its own tier budget: 429 with Retry-After and its remaining budget at 0.
    const refused = floodResults.filter((x): x is Extract<Result, { ok: false }> => !x.ok);
    expect(refused).toHaveLength(120);
    for (const x of refused) {
      expect(x.status).toBe(429);
      expect(x.code).toBe('tenant_rate_limited');
      expect(Number(x.headers?.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(x.headers?.get('x-ratelimit-remaining-requests')).toBe('0');
    }
  });

  it('critical gets through while low is queued; low is refused when it cannot make its deadline', async () => {
    const clock = new ManualClock();
    const r = await rig(
      limitedUpstream(60, {
        free: { priority: 'low', max_wait_ms: 2_500 },
        pro: { priority: 'normal' },
        enterprise: { priority: 'critical', max_wait_ms: 10_000 },
      }),
      clock,
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
    await waitUntil(() => depth(r, 'low') + answered === 10);
    expect(answered).toBe(8);
    const critical = r.openai(KEYS.enterprise);
    const urgent = [0, 1].map(() =>
      chat(critical).then((x) => {
        if (x.ok) order.push('critical');
        return x;
      }),
    );
    await waitUntil(() => depth(r, 'critical') === 2);
    // Refill is one a second: the critical calls take the slots at 1 s and 2 s, ahead of both
    // queued low ones, whose 2.5 s deadline then passes.
    await clock.advanceAsync(3_000);
    const [lows, criticals] = await Promise.all([Promise.all(queued), Promise.all(urgent)]);
    expect(criticals.every((x) => x.ok)).toBe(true);
    expect(order).toEqual(['critical', 'critical']);
    const shed = lows.filter((x): x is Extract<Result, { ok: false }> => !x.ok);
    expect(shed).toHaveLength(10);
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
});

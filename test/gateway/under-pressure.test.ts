/**
 * Under pressure through both faces (issue 20), with the simulator as
 * upstream, the official openai SDK as client and one manual clock: a burst
 * fills the group's deployment, the load signal says so on every answer,
 * each mitigation turns on at `act` and off once the level drops and the
 * hold has passed. The governor samples the load every second of the clock.
 */
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { parseConfig } from '../../src/gateway/config/load.js';
import type { GatewayConfigInput } from '../../src/gateway/config/schema.js';
import type { Gateway } from '../../src/gateway/server.js';
import type { GovernorEvents } from '../../src/runtime/events.js';
import { type Simulator, startSimulator } from '../../src/simulator/index.js';
import { closeAfterEach, governor, simulator } from '../library/helpers.js';
import { redisForFile, testPrefix } from '../stores/redis/redis-server.js';
import { advanceUntilSettled, hello, KEYS, memoryLogger, type Rig, rigsClosedAfterEach } from './helpers.js';
import { startTestGateway } from './test-gateway.js';

const startRig = rigsClosedAfterEach();
closeAfterEach();
const redis = redisForFile();

type Mitigation = NonNullable<GatewayConfigInput['model_groups'][string]['mitigation']>;

/** `chat` on `sk-main` (100 rpm, 90 usable), `chat-mini` on `sk-mini`; free tenants are class `low`. */
function configOf(
  simUrl: string,
  mitigation?: Omit<Mitigation, 'hold_ms'>,
  alerts: GatewayConfigInput['alerts'] = {},
): GatewayConfigInput {
  const deployment = (key: string, model: string) => ({
    id: key,
    provider: 'openai' as const,
    base_url: `${simUrl}/v1`,
    api_key: key,
    model,
    limits: { rpm: 100 },
    // The declared limit is the one under test: the simulator reports far more.
    adopt_raised_limits: false,
  });
  return {
    listen: { host: '127.0.0.1', port: 0 },
    metrics: { listen: { host: '127.0.0.1', port: 0 } },
    server: { deployment_header: true },
    model_groups: {
      chat: {
        deployments: [deployment('sk-main', 'gpt-4o')],
        downgrade: { to: 'chat-mini', when_headroom_below: 0 },
        ...(mitigation && { mitigation: { ...mitigation, hold_ms: 5_000 } }),
      },
      'chat-mini': { deployments: [deployment('sk-mini', 'gpt-4o-mini')] },
    },
    tiers: {
      free: { rpm: 20, priority: 'low', max_wait_ms: 30_000 },
      pro: { priority: 'normal', max_wait_ms: 30_000 },
    },
    tenants: [
      { id: 'free-co', key: KEYS.free, tier: 'free' },
      { id: 'pro-co', key: KEYS.pro, tier: 'pro' },
    ],
    alerts: { interval_ms: 1_000, ...alerts },
  };
}

async function rig(
  mitigation?: Omit<Mitigation, 'hold_ms'>,
  alerts?: GatewayConfigInput['alerts'],
): Promise<{ r: Rig; clock: ManualClock }> {
  const clock = new ManualClock();
  const r = await startRig({
    clock,
    sim: { response: { mode: 'lorem', tokens: 8 } },
    config: (simUrl) => configOf(simUrl, mitigation, alerts),
  });
  return { r, clock };
}

/** One chat call; its status and the answer's headers (also for an error). */
async function chat(
  client: OpenAI,
  extra: { max_tokens?: number; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; completion: number | undefined }> {
  try {
    const { data, response } = await client.chat.completions
      .create(
        { model: 'chat', messages: hello, max_tokens: extra.max_tokens ?? 5 },
        { headers: extra.headers },
      )
      .withResponse();
    return { status: response.status, headers: response.headers, completion: data.usage?.completion_tokens };
  } catch (error) {
    if (error instanceof OpenAI.APIError)
      return { status: error.status ?? 0, headers: error.headers as Headers, completion: undefined };
    throw error;
  }
}

/** `n` calls of `client` at once, each answered (the clock moves while they wait). */
async function burst(clock: ManualClock, client: OpenAI, n: number): Promise<number[]> {
  const calls = Promise.all(Array.from({ length: n }, () => chat(client)));
  return (await advanceUntilSettled(clock, calls, { stepMs: 10 })).map((c) => c.status);
}

describe('the load signal through the gateway', () => {
  it('says ok, warn and act on every answer as a burst fills the group, beside the tenant’s own budget', async () => {
    const { r, clock } = await rig();
    const pro = r.openai(KEYS.pro);
    const quiet = await chat(pro);
    expect(quiet.headers.get('x-sluice-load')).toBe('ok');
    expect(quiet.headers.get('ratelimit-policy')).toBeNull(); // pro has no per-minute budget
    const free = await chat(r.openai(KEYS.free));
    expect(free.headers.get('ratelimit-policy')).toBe('"requests";q=20;w=60');
    expect(free.headers.get('ratelimit')).toMatch(/^"requests";r=19;t=\d+$/);

    expect((await burst(clock, pro, 73)).every((s) => s === 200)).toBe(true); // 75 of 90 usable
    await r.gateway.sampleBuckets();
    expect((await chat(pro)).headers.get('x-sluice-load')).toBe('warn');

    expect((await burst(clock, pro, 10)).every((s) => s === 200)).toBe(true); // 86 of 90
    await r.gateway.sampleBuckets();
    expect(r.gateway.governor.load('chat')).toMatchObject({
      level: 'act',
      cause: 'deployment:sk-main:requests:minute',
    });
    const acting = await chat(pro);
    expect(acting.headers.get('x-sluice-load')).toBe('act');
    // The other group is not loaded.
    const mini = await pro.chat.completions
      .create({ model: 'chat-mini', messages: hello, max_tokens: 5 })
      .withResponse();
    expect(mini.response.headers.get('x-sluice-load')).toBe('ok');

    await clock.advanceAsync(60_000);
    await r.gateway.sampleBuckets();
    expect((await chat(pro)).headers.get('x-sluice-load')).toBe('ok');
    const levels = r.logs.filter((l) => l.msg?.toString().startsWith('model group load')).map((l) => l.to);
    // Sampled every second while the minute refills: down through warn on the way.
    expect(levels).toEqual(['warn', 'act', 'warn', 'ok']);
    const scrape = await fetch(r.gateway.metricsUrl as string).then((res) => res.text());
    expect(scrape).toMatch(/^sluice_load_level\{group="chat"\} 0$/m);
  });
});

describe('mitigation through the gateway', () => {
  it('downgrades the free tier to the cheaper group at act, and stops after the hold once the level drops', async () => {
    const { r, clock } = await rig({ downgrade: { tiers: ['free'] } });
    const pro = r.openai(KEYS.pro);
    const free = r.openai(KEYS.free);
    expect((await chat(free)).headers.get('x-sluice-deployment')).toBe('sk-main');
    await burst(clock, pro, 85);
    await r.gateway.sampleBuckets();
    expect((await chat(free)).headers.get('x-sluice-deployment')).toBe('sk-mini');
    expect((await chat(pro)).headers.get('x-sluice-deployment')).toBe('sk-main');
    await clock.advanceAsync(60_000);
    await r.gateway.sampleBuckets();
    expect((await chat(free)).headers.get('x-sluice-deployment')).toBe('sk-main');
    const changes = r.logs.filter((l) => l.action === 'downgrade').map((l) => l.engaged);
    expect(changes).toEqual([true, false]);
    const scrape = await fetch(r.gateway.metricsUrl as string).then((res) => res.text());
    expect(scrape).toMatch(/^sluice_mitigated_calls_total\{group="chat",action="downgrade"\} 1$/m);
    expect(scrape).toMatch(
      /^sluice_mitigation_changes_total\{group="chat",action="downgrade",to="off"\} 1$/m,
    );
  });

  it('clamps max_tokens of the low class at act, also for calls that named none', async () => {
    const { r, clock } = await rig({ clamp_max_tokens: { classes: ['low'], to: 3 } });
    const free = r.openai(KEYS.free);
    await burst(clock, r.openai(KEYS.pro), 85);
    await r.gateway.sampleBuckets();
    const clamped = await chat(free, { max_tokens: 500 });
    expect(clamped.status).toBe(200);
    expect(clamped.headers.get('x-sluice-max-tokens-clamped')).toBe('3');
    expect(clamped.completion).toBeLessThanOrEqual(3);
    const none = await free.chat.completions.create({ model: 'chat', messages: hello }).withResponse();
    expect(none.response.headers.get('x-sluice-max-tokens-clamped')).toBe('3');
    expect(none.data.usage?.completion_tokens).toBeLessThanOrEqual(3);
    const pro = await chat(r.openai(KEYS.pro), { max_tokens: 500 });
    expect(pro.headers.get('x-sluice-max-tokens-clamped')).toBeNull();
    expect(pro.completion).toBe(8);
  });

  it('pauses the low class at act while others are served, and serves it once the pause ends', async () => {
    const { r, clock } = await rig({ pause: { classes: ['low'] } });
    const pro = r.openai(KEYS.pro);
    await burst(clock, pro, 85);
    await r.gateway.sampleBuckets();
    let done = false;
    const paused = chat(r.openai(KEYS.free)).finally(() => {
      done = true;
    });
    await expect.poll(() => r.gateway.governor.mitigations.pausedCount('chat'), { interval: 2 }).toBe(1);
    expect((await chat(pro)).status).toBe(200);
    expect(done).toBe(false);
    // The burst's requests refill; the level drops and the hold (5 s) passes well inside the 30 s wait.
    const answer = await advanceUntilSettled(clock, paused, { stepMs: 500 });
    expect(answer.status).toBe(200);
    expect(clock.now() - r.gateway.governor.clock.now()).toBe(0);
  });

  it('refuses a paused call when its wait runs out first: 503, Retry-After, OpenAI’s error JSON', async () => {
    const { r, clock } = await rig({ pause: { classes: ['low'] } });
    await burst(clock, r.openai(KEYS.pro), 85);
    await r.gateway.sampleBuckets();
    const answer = await advanceUntilSettled(
      clock,
      chat(r.openai(KEYS.free), { headers: { 'x-sluice-max-wait-ms': '2000' } }),
      { stepMs: 100 },
    );
    expect(answer.status).toBe(503);
    expect(answer.headers.get('x-sluice-refusal')).toBe('paused_under_load');
    expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  it('tightens the free tier’s budget by the factor at act', async () => {
    const served = async (mitigation: Omit<Mitigation, 'hold_ms'> | undefined) => {
      // Acting at 40 % here, so the deployment keeps room and only the tier's budget binds.
      const { r, clock } = await rig(mitigation, { warn: 0.3, act: 0.4 });
      await burst(clock, r.openai(KEYS.pro), 40);
      await r.gateway.sampleBuckets();
      const free = r.openai(KEYS.free);
      const statuses: number[] = [];
      for (let i = 0; i < 24; i++)
        statuses.push((await chat(free, { headers: { 'x-sluice-max-wait-ms': '0' } })).status);
      expect(statuses.filter((s) => s !== 200).every((s) => s === 429)).toBe(true);
      return statuses.filter((s) => s === 200).length;
    };
    const tightened = await served({ tighten: { tiers: ['free'], factor: 0.5 } });
    const untouched = await served({ clamp_max_tokens: { classes: ['critical'], to: 1 } });
    // A tenant's budget is its own promise, counted without the upstream safety margin.
    expect([tightened, untouched]).toEqual([10, 20]);
  });
});

describe('the load signal across gateways on one Redis', () => {
  const gateways: Gateway[] = [];
  let sim: Simulator | undefined;
  afterEach(async () => {
    await Promise.all(gateways.splice(0).map((g) => g.close({ timeoutMs: 1_000 })));
    await sim?.close();
  });

  it('puts both gateways at act when traffic through both fills the shared bucket, and both mitigate', async () => {
    sim = await startSimulator({ response: { mode: 'lorem', tokens: 4 } });
    const simUrl = sim.url;
    const config = parseConfig(
      {
        ...configOf(simUrl, { downgrade: { tiers: ['free'] } }),
        store: { kind: 'redis', url: redis().url, prefix: testPrefix('load') },
      },
      'test config',
      {},
    );
    for (let i = 0; i < 2; i++) gateways.push(await startTestGateway({ config, logger: memoryLogger([]) }));
    const client = (g: Gateway, key: string) =>
      new OpenAI({ apiKey: key, baseURL: `${g.url}/v1`, maxRetries: 0 });
    const [one, two] = gateways as [Gateway, Gateway];
    // 89 of the 90 usable requests of sk-main's minute, half through each gateway (act holds for ~5 s of refill).
    const calls = Array.from({ length: 89 }, (_, i) => chat(client(i % 2 ? two : one, KEYS.pro)));
    expect((await Promise.all(calls)).every((c) => c.status === 200)).toBe(true);
    await Promise.all(gateways.map((g) => g.sampleBuckets()));
    for (const g of gateways)
      expect(g.governor.load('chat')).toMatchObject({ level: 'act', mitigating: true });
    const free = await chat(client(two, KEYS.free));
    expect(free.headers.get('x-sluice-load')).toBe('act');
    expect(free.headers.get('x-sluice-deployment')).toBe('sk-mini');
  });
});

describe('the load signal through governor.fetch', () => {
  it('is `load(group)`, the `load` event and `x-sluice-load` on the SDK’s answers', async () => {
    const sim = await simulator({ response: { mode: 'lorem', tokens: 4 } });
    const clock = new ManualClock();
    const events: Parameters<GovernorEvents['load']>[0][] = [];
    const g = governor(
      {
        model_groups: {
          chat: {
            deployments: [
              {
                id: 'a',
                provider: 'openai',
                base_url: `${sim.url}/v1`,
                model: 'gpt-4o',
                limits: { rpm: 100 },
              },
            ],
          },
        },
        alerts: { interval_ms: 1_000 },
      },
      { clock, observers: [{ load: (e) => events.push(e) }] },
    );
    const client = new OpenAI({ apiKey: 'sk-x', fetch: g.fetch, maxRetries: 0 });
    const call = () =>
      client.chat.completions.create({ model: 'chat', messages: hello, max_tokens: 5 }).withResponse();
    expect((await call()).response.headers.get('x-sluice-load')).toBe('ok');
    await advanceUntilSettled(clock, Promise.all(Array.from({ length: 85 }, call)), { stepMs: 10 });
    await clock.advanceAsync(1_000); // the next sample
    await expect.poll(() => g.load('chat').level, { interval: 2 }).toBe('act');
    expect((await call()).response.headers.get('x-sluice-load')).toBe('act');
    expect(events.map((e) => e.level)).toEqual(['act']);
  });
});

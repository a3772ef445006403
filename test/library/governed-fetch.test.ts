/**
 * `governor.fetch` with the real `openai` and `@anthropic-ai/sdk` clients
 * against the simulator on 127.0.0.1: admission, streaming usage, aborts,
 * refusals the SDKs understand, retries, fallbacks and header sync.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import type { LimitsConfig } from '../../src/runtime/limits.js';
import type { Simulator } from '../../src/simulator/index.js';
import { closeAfterEach, governor, simulator } from './helpers.js';

closeAfterEach();

function openaiGroup(sim: Simulator, limits: LimitsConfig, id = 'sim-openai') {
  return {
    deployments: [
      { id, provider: 'openai' as const, base_url: `${sim.url}/v1`, model: 'gpt-4o-mini', limits },
    ],
  };
}

const ask = {
  model: 'gpt-4o-mini',
  messages: [{ role: 'user' as const, content: 'Say hello to the world.' }],
  max_tokens: 40,
};

describe('governor.fetch with the openai SDK', () => {
  it('serves a burst 3× over the limit with no 429 reaching the SDK, where the bare SDK gets 429s', async () => {
    const limits = { rpm: 30 };
    const sim = await simulator({ defaults: limits, response: { tokens: 10 } });
    // The same burst without Sluice: the SDK's own retries are not enough.
    const bare = new OpenAI({ apiKey: 'sk-bare', baseURL: `${sim.url}/v1`, maxRetries: 2 });
    const bareResults = await Promise.allSettled(
      Array.from({ length: 90 }, () => bare.chat.completions.create(ask)),
    );
    const bare429 = sim.stats().rejected.rpm;
    expect(bareResults.filter((r) => r.status === 'rejected').length).toBeGreaterThan(0);
    expect(bare429).toBeGreaterThan(0);

    sim.reset({ buckets: true });
    const g = governor({ model_groups: { 'gpt-4o-mini': openaiGroup(sim, limits) } });
    const client = new OpenAI({ apiKey: 'sk-gov', baseURL: `${sim.url}/v1`, fetch: g.fetch, maxRetries: 0 });
    const results = await Promise.allSettled(
      Array.from({ length: 90 }, () =>
        client.chat.completions.create(ask, { headers: { 'x-sluice-max-wait-ms': '1500' } }),
      ),
    );
    const served = results.filter((r) => r.status === 'fulfilled').length;
    const refusals = results.flatMap((r) =>
      r.status === 'rejected' ? [r.reason as InstanceType<typeof OpenAI.APIError>] : [],
    );
    expect(sim.stats().rejected.rpm).toBe(0);
    // 30 RPM with a 10 % margin: 27 at once, then one every 2 s; the rest is refused with a time to come back.
    expect(served).toBeGreaterThanOrEqual(27);
    expect(served + refusals.length).toBe(90);
    for (const refusal of refusals) {
      expect(refusal.status).toBe(503);
      expect(Number(refusal.headers?.get('retry-after'))).toBeGreaterThan(0);
      // The deployment's own limit is the operator's business: the message names the model group's capacity.
      expect(refusal.message).toContain('Upstream capacity for `gpt-4o-mini`');
    }
    const stats = await g.governor.store.stats();
    expect(stats.active).toBe(0);
    expect(stats.settled).toBe(served);
  });

  it('settles a stream with the usage it reported, and hides the usage chunk it asked for', async () => {
    const sim = await simulator({ response: { tokens: 25 } });
    // A per-day bucket: it refills too slowly to blur the settled amount during the test.
    const g = governor({ model_groups: { 'gpt-4o-mini': openaiGroup(sim, { tpd: 1_000_000 }) } });
    const client = new OpenAI({ apiKey: 'sk', baseURL: `${sim.url}/v1`, fetch: g.fetch, maxRetries: 0 });
    const stream = await client.chat.completions.create({ ...ask, max_tokens: 500, stream: true });
    let usageChunks = 0;
    let text = '';
    for await (const chunk of stream) {
      if (chunk.choices.length === 0) usageChunks++;
      text += chunk.choices[0]?.delta?.content ?? '';
    }
    expect(text.length).toBeGreaterThan(0);
    expect(usageChunks).toBe(0);
    const [deployment] = g.governor.groups.deployments();
    const tpm = deployment?.bucketFor('tokens', 'day');
    const [snapshot] = await g.governor.store.peek(tpm ? [tpm] : []);
    // Reserved prompt + 500; settled to prompt + 25 output tokens.
    expect(snapshot?.used).toBeGreaterThan(25);
    expect(snapshot?.used).toBeLessThan(100);
    expect((await g.governor.store.stats()).active).toBe(0);
  });

  it('keeps the usage chunk when the caller asked for it', async () => {
    const sim = await simulator({ response: { tokens: 5 } });
    const g = governor({ model_groups: { 'gpt-4o-mini': openaiGroup(sim, { tpm: 100_000 }) } });
    const client = new OpenAI({ apiKey: 'sk', baseURL: `${sim.url}/v1`, fetch: g.fetch, maxRetries: 0 });
    const stream = await client.chat.completions.create({
      ...ask,
      stream: true,
      stream_options: { include_usage: true },
    });
    let usage: unknown;
    for await (const chunk of stream) if (chunk.usage) usage = chunk.usage;
    expect(usage).toMatchObject({ completion_tokens: 5 });
  });

  it('settles the reservation when the client aborts mid-stream', async () => {
    const sim = await simulator({ response: { tokens: 2_000 }, latency: { per_token_ms: 2 } });
    const g = governor({
      model_groups: { 'gpt-4o-mini': openaiGroup(sim, { tpm: 100_000, concurrency: 1 }) },
    });
    const client = new OpenAI({ apiKey: 'sk', baseURL: `${sim.url}/v1`, fetch: g.fetch, maxRetries: 0 });
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { ...ask, max_tokens: 3_000, stream: true },
      { signal: controller.signal },
    );
    let chunks = 0;
    // The SDK ends the iteration quietly on abort.
    for await (const _ of stream) if (++chunks === 3) controller.abort();
    expect(chunks).toBeLessThan(100);
    await vi_waitFor(async () => (await g.governor.store.stats()).active === 0);
    const stats = await g.governor.store.stats();
    expect(stats.settled).toBe(1);
    // The concurrency slot is free again: the next call goes through at once.
    await expect(client.chat.completions.create(ask)).resolves.toBeDefined();
  });

  it('answers a tenant over its own budget with a 429 the SDK recognises, with retry-after', async () => {
    const sim = await simulator({});
    const g = governor(
      {
        model_groups: { 'gpt-4o-mini': openaiGroup(sim, { rpm: 1_000 }) },
        tiers: { free: { rpm: 2, max_wait_ms: 0 } },
        tenants: [{ id: 'tiny', tier: 'free' }],
      },
      { tenant: 'tiny' },
    );
    const client = new OpenAI({ apiKey: 'sk', baseURL: `${sim.url}/v1`, fetch: g.fetch, maxRetries: 0 });
    // A tier's budget is Sluice's own policy: both of its 2 requests are usable.
    await client.chat.completions.create(ask);
    await client.chat.completions.create(ask);
    const error = await client.chat.completions.create(ask).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    const rateLimit = error as InstanceType<typeof OpenAI.RateLimitError>;
    expect(Number(rateLimit.headers?.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(rateLimit.message).toContain('tenant tiny');
    expect(sim.stats().requests).toBe(2);
  });

  it('refuses a request larger than a whole limit with x-should-retry: false, and the SDK does not retry', async () => {
    const sim = await simulator({});
    const g = governor({ model_groups: { 'gpt-4o-mini': openaiGroup(sim, { tpm: 1_000 }) } });
    const client = new OpenAI({ apiKey: 'sk', baseURL: `${sim.url}/v1`, fetch: g.fetch, maxRetries: 2 });
    const error = await client.chat.completions
      .create({ ...ask, max_tokens: 5_000 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect((error as InstanceType<typeof OpenAI.APIError>).headers?.get('x-should-retry')).toBe('false');
    expect(sim.stats().requests).toBe(0);
  });

  it('retries a transient upstream 500 itself, so the SDK sees a success', async () => {
    const sim = await simulator({ faults: [{ kind: '500', at: [1] }] });
    const g = governor({
      model_groups: { 'gpt-4o-mini': openaiGroup(sim, { rpm: 1_000 }) },
      retry: { base_ms: 1, cap_ms: 5 },
    });
    const client = new OpenAI({ apiKey: 'sk', baseURL: `${sim.url}/v1`, fetch: g.fetch, maxRetries: 0 });
    await expect(client.chat.completions.create(ask)).resolves.toMatchObject({ object: 'chat.completion' });
    expect(sim.stats().requests).toBe(2);
  });

  it('never retries quota exhaustion, and tells the SDK not to either', async () => {
    const sim = await simulator({ faults: [{ kind: 'insufficient_quota', every: 1 }] });
    const g = governor({ model_groups: { 'gpt-4o-mini': openaiGroup(sim, { rpm: 1_000 }) } });
    const client = new OpenAI({ apiKey: 'sk', baseURL: `${sim.url}/v1`, fetch: g.fetch, maxRetries: 2 });
    const error = await client.chat.completions.create(ask).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe('insufficient_quota');
    expect(sim.stats().requests).toBe(1);
  });

  it('falls back to the next deployment when the first one fails', async () => {
    const broken = await simulator({ faults: [{ kind: '503', every: 1 }] });
    const healthy = await simulator({});
    const g = governor({
      model_groups: {
        'gpt-4o-mini': {
          deployments: [
            {
              id: 'broken',
              provider: 'openai',
              base_url: `${broken.url}/v1`,
              model: 'gpt-4o-mini',
              limits: { rpm: 1_000 },
            },
            {
              id: 'healthy',
              provider: 'openai',
              base_url: `${healthy.url}/v1`,
              model: 'gpt-4o-mini',
              limits: { rpm: 1_000 },
            },
          ],
        },
      },
    });
    const client = new OpenAI({ apiKey: 'sk', baseURL: `${broken.url}/v1`, fetch: g.fetch, maxRetries: 0 });
    for (let i = 0; i < 4; i++) await expect(client.chat.completions.create(ask)).resolves.toBeDefined();
    expect(healthy.stats().requests).toBe(4);
    expect(broken.stats().requests).toBeGreaterThanOrEqual(1);
  });

  it('sees traffic of other clients on the same key through the headers and stays clear of 429s', async () => {
    const sim = await simulator({
      defaults: { rpm: 120 },
      background: { key: 'sk-shared', model: 'gpt-4o-mini', rpm: 60 },
    });
    const g = governor({ model_groups: { 'gpt-4o-mini': openaiGroup(sim, { rpm: 120 }) } });
    const client = new OpenAI({
      apiKey: 'sk-shared',
      baseURL: `${sim.url}/v1`,
      fetch: g.fetch,
      maxRetries: 0,
    });
    const results = await Promise.allSettled(
      Array.from({ length: 150 }, () =>
        client.chat.completions.create(ask, { headers: { 'x-sluice-max-wait-ms': '1000' } }),
      ),
    );
    expect(results.some((r) => r.status === 'fulfilled')).toBe(true);
    // One response is enough to learn how full the key really is.
    expect(sim.stats().rejected.rpm).toBeLessThanOrEqual(1);
  });

  it('answers a priority or wait header it cannot honour with a 400 the SDK does not retry', async () => {
    const sim = await simulator({});
    const g = governor({ model_groups: { 'gpt-4o-mini': openaiGroup(sim, { rpm: 1_000 }) } });
    const client = new OpenAI({ apiKey: 'sk-test', baseURL: `${sim.url}/v1`, fetch: g.fetch });
    for (const headers of [{ 'x-sluice-priority': 'urgent' }, { 'x-sluice-max-wait-ms': 'soon' }]) {
      const error = await client.chat.completions.create(ask, { headers }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    }
    expect(sim.stats().requests).toBe(0);
    expect(() => governor({ model_groups: { other: openaiGroup(sim, {}) } }, { priority: 'urgent' })).toThrow(
      /urgent/,
    );
  });

  it('refuses a call for a model the config does not declare, naming the model, and sends nothing', async () => {
    const sim = await simulator({});
    const g = governor({ model_groups: { other: openaiGroup(sim, { rpm: 1 }) } });
    const client = new OpenAI({ apiKey: 'sk', baseURL: `${sim.url}/v1`, fetch: g.fetch, maxRetries: 0 });
    const error = await client.chat.completions.create(ask).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect((error as InstanceType<typeof OpenAI.APIError>).message).toContain('`gpt-4o-mini`');
    expect((error as InstanceType<typeof OpenAI.APIError>).headers?.get('x-should-retry')).toBe('false');
    expect(sim.stats().requests).toBe(0);
  });

  it('passes calls for models it does not govern through untouched when told to', async () => {
    const sim = await simulator({});
    const g = governor({ model_groups: { other: openaiGroup(sim, { rpm: 1 }) }, undeclared_models: 'pass' });
    const client = new OpenAI({ apiKey: 'sk', baseURL: `${sim.url}/v1`, fetch: g.fetch, maxRetries: 0 });
    for (let i = 0; i < 3; i++) await client.chat.completions.create(ask);
    expect((await g.governor.store.stats()).reservations).toBe(0);
    // A Request object keeps its body for the pass-through.
    const request = new Request(`${sim.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk' },
      body: JSON.stringify(ask),
    });
    expect((await g.fetch(request)).status).toBe(200);
    expect((await g.governor.store.stats()).reservations).toBe(0);
  });
});

describe('governor.fetch with the anthropic SDK', () => {
  function anthropicGroup(sim: Simulator) {
    return {
      deployments: [
        {
          id: 'sim-anthropic',
          provider: 'anthropic' as const,
          base_url: sim.url,
          model: 'claude-haiku-4-5',
          limits: { rpm: 1_000, itpm: 100_000, otpd: 1_000_000, tpm: 8_000 },
        },
      ],
    };
  }

  it('governs messages, plain and streamed, and settles with the usage Anthropic reports', async () => {
    const sim = await simulator({ response: { tokens: 12 } });
    const g = governor({ model_groups: { 'claude-haiku-4-5': anthropicGroup(sim) } });
    const client = new Anthropic({ apiKey: 'sk-ant', baseURL: sim.url, fetch: g.fetch, maxRetries: 0 });
    const message = await client.messages.create({
      model: 'claude-haiku-4-5',
      max_tokens: 400,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(message.usage.output_tokens).toBe(12);
    const final = await client.messages
      .stream({ model: 'claude-haiku-4-5', max_tokens: 400, messages: [{ role: 'user', content: 'hi' }] })
      .finalMessage();
    expect(final.usage.output_tokens).toBe(12);
    const [deployment] = g.governor.groups.deployments();
    const otpd = deployment?.bucketFor('output_tokens', 'day');
    const [snapshot] = await g.governor.store.peek(otpd ? [otpd] : []);
    // 2 × 400 reserved, settled to 2 × 12 (less the little a rolling day refilled meanwhile, ~12/s).
    expect(snapshot?.used).toBeLessThanOrEqual(24 + 1e-6);
    expect(snapshot?.used).toBeGreaterThan(19);
    expect((await g.governor.store.stats()).active).toBe(0);
  });

  it('answers a refusal in Anthropic format, which the SDK raises as its own error', async () => {
    const sim = await simulator({});
    const g = governor({ model_groups: { 'claude-haiku-4-5': anthropicGroup(sim) } });
    const client = new Anthropic({ apiKey: 'sk-ant', baseURL: sim.url, fetch: g.fetch, maxRetries: 0 });
    const error = await client.messages
      .create({ model: 'claude-haiku-4-5', max_tokens: 9_000, messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
    expect((error as InstanceType<typeof Anthropic.APIError>).headers?.get('x-should-retry')).toBe('false');
  });
});

describe('governor.schedule', () => {
  it('admits, runs and settles any call, and refuses with a typed error', async () => {
    const sim = await simulator({});
    const g = governor({ model_groups: { 'gpt-4o-mini': openaiGroup(sim, { tpm: 10_000 }) } });
    const result = await g.schedule(
      { model: 'gpt-4o-mini', inputTokens: 100, maxOutputTokens: 900 },
      async ({ deployment }) => ({
        id: deployment.id,
        usage: { inputTokens: 100, outputTokens: 50 },
      }),
      (r) => r.usage,
    );
    expect(result.id).toBe('sim-openai');
    const stats = await g.governor.store.stats();
    expect(stats.settled).toBe(1);
    await expect(
      g.schedule({ model: 'gpt-4o-mini', inputTokens: 20_000, maxOutputTokens: 0 }, async () => 1),
    ).rejects.toMatchObject({ code: 'request_too_large', status: 429 });
  });
});

async function vi_waitFor(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('condition not met in time');
}

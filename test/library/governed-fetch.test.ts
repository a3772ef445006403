/**
 * `governor.fetch` with the real `openai` and `@anthropic-ai/sdk` clients
 * against the simulator on 127.0.0.1: admission, streaming usage, aborts,
 * refusals the SDKs understand, retries, fallbacks and header sync.
 *
 * Where time matters (refill, queue waits, streaming latency, a rolling
 * day's refill under a settled amount) the simulator and the governor share
 * one manual clock, so the amounts asserted are exact. The bare SDK's own
 * retries sleep in real time: that comparison is in bare-sdk.slow.test.ts.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { LibraryGovernor } from '../../src/library/create-governor.js';
import type { LimitsConfig } from '../../src/runtime/limits.js';
import type { Simulator } from '../../src/simulator/index.js';
import { closeAfterEach, governor, simulator } from './helpers.js';

closeAfterEach();

/**
 * Resolves once `check` holds: a wait for sockets and the event loop, not for
 * time (the clock is manual); the 10 s timeout is only a safety net.
 */
async function waitUntil(check: () => boolean | Promise<boolean>): Promise<void> {
  await expect.poll(check, { timeout: 10_000, interval: 2 }).toBe(true);
}

/**
 * Sends `n` calls at once, then moves `clock` a second at a time until every
 * one is answered. Before each step, the calls the last one released have
 * come back (the others wait in the queue), so what is served depends on the
 * clock alone, not on how fast the machine runs.
 */
async function burst<T>(
  clock: ManualClock,
  g: LibraryGovernor,
  n: number,
  call: () => Promise<T>,
): Promise<PromiseSettledResult<T>[]> {
  let answered = 0;
  const results = Promise.allSettled(
    Array.from({ length: n }, () =>
      call().finally(() => {
        answered++;
      }),
    ),
  );
  const queued = () => g.governor.admission.stats().queued.reduce((sum, depth) => sum + depth, 0);
  for (let seconds = 0; seconds <= 120; seconds++) {
    await waitUntil(() => answered + queued() === n);
    if (answered === n) return results;
    await clock.advanceAsync(1_000);
  }
  throw new Error('calls still queued after 120 s of clock time');
}

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
  // The same burst sent by the bare SDK meets 429s despite its own retries: bare-sdk.slow.test.ts.
  it('serves a burst 3× over the limit with no 429 reaching the SDK', async () => {
    const clock = new ManualClock();
    const limits = { rpm: 30 };
    const sim = await simulator({ clock, defaults: limits, response: { tokens: 10 } });
    const g = governor({ model_groups: { 'gpt-4o-mini': openaiGroup(sim, limits) } }, { clock });
    const client = new OpenAI({ apiKey: 'sk-gov', baseURL: `${sim.url}/v1`, fetch: g.fetch, maxRetries: 0 });
    const results = await burst(clock, g, 90, () =>
      client.chat.completions.create(ask, { headers: { 'x-sluice-max-wait-ms': '9000' } }),
    );
    const served = results.filter((r) => r.status === 'fulfilled').length;
    const refusals = results.flatMap((r) =>
      r.status === 'rejected' ? [r.reason as InstanceType<typeof OpenAI.APIError>] : [],
    );
    expect(sim.stats().rejected.rpm).toBe(0);
    // 30 RPM with a 10 % margin: 27 at once, then one every 2 s (at 2, 4, 6 and 8 s) for the 9 s a
    // call may wait; the rest is refused with a time to come back.
    expect(served).toBe(31);
    expect(refusals).toHaveLength(59);
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
    // The clock stands still: nothing refills under the settled amount.
    const clock = new ManualClock();
    const sim = await simulator({ clock, response: { tokens: 25 } });
    const g = governor({ model_groups: { 'gpt-4o-mini': openaiGroup(sim, { tpd: 1_000_000 }) } }, { clock });
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
    // Reserved prompt + 500; settled to the prompt and the 25 output tokens the simulator counted
    // (up to the float error of bucket time at epoch magnitudes, ~1e-6 of a token).
    expect(sim.stats().tokens).toMatchObject({ output: 25 });
    expect(snapshot?.used).toBeCloseTo(sim.stats().tokens.input + 25, 4);
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
    // Upstream sends a token each 20 ms of the shared clock: the test decides how many arrive.
    const clock = new ManualClock();
    const sim = await simulator({ clock, response: { tokens: 2_000 }, latency: { per_token_ms: 20 } });
    const g = governor(
      { model_groups: { 'gpt-4o-mini': openaiGroup(sim, { tpm: 100_000, concurrency: 1 }) } },
      { clock },
    );
    const client = new OpenAI({ apiKey: 'sk', baseURL: `${sim.url}/v1`, fetch: g.fetch, maxRetries: 0 });
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { ...ask, max_tokens: 3_000, stream: true },
      { signal: controller.signal },
    );
    let tokens = 0;
    // The SDK ends the iteration quietly on abort.
    const reading = (async () => {
      for await (const chunk of stream) if (chunk.choices[0]?.delta?.content) tokens++;
    })();
    // The first token comes at once; the clock delivers two more, then the client leaves.
    await waitUntil(() => tokens === 1);
    for (const delivered of [2, 3]) {
      await clock.advanceAsync(20);
      await waitUntil(() => tokens === delivered);
    }
    controller.abort();
    await reading;
    expect(tokens).toBe(3);
    await waitUntil(async () => (await g.governor.store.stats()).active === 0);
    const stats = await g.governor.store.stats();
    expect(stats.settled).toBe(1);
    // The concurrency slot is free again: the next call reaches upstream with the clock unmoved.
    const next = client.chat.completions.create(ask);
    await waitUntil(() => sim.stats().requests === 2);
    // Its answer (40 tokens at 20 ms) is written once the clock has moved 800 ms.
    await clock.advanceAsync(40 * 20);
    await expect(next).resolves.toMatchObject({ usage: { completion_tokens: 40 } });
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
    /** The same burst on a key of 120 rpm, with or without other clients taking 60 rpm of it. */
    const run = async (othersRpm: number) => {
      const clock = new ManualClock();
      const sim = await simulator({
        clock,
        defaults: { rpm: 120 },
        ...(othersRpm > 0 && { background: { key: 'sk-shared', model: 'gpt-4o-mini', rpm: othersRpm } }),
      });
      const g = governor({ model_groups: { 'gpt-4o-mini': openaiGroup(sim, { rpm: 120 }) } }, { clock });
      const client = new OpenAI({
        apiKey: 'sk-shared',
        baseURL: `${sim.url}/v1`,
        fetch: g.fetch,
        maxRetries: 0,
      });
      const results = await burst(clock, g, 150, () =>
        client.chat.completions.create(ask, { headers: { 'x-sluice-max-wait-ms': '10250' } }),
      );
      return { served: results.filter((r) => r.status === 'fulfilled').length, upstream: sim.stats() };
    };
    // Alone: 108 at once (120 rpm less the 10 % margin), then two a second for the 10.25 s a call may wait.
    const alone = await run(0);
    expect(alone.served).toBe(128);
    expect(alone.upstream.rejected.rpm).toBe(0);
    // Beside others taking 60 rpm, the key has one a second left for us, and the headers of each answer
    // say so: the gaps grow from half a second to a second (at 0.5, 1.25, 2.125 … 9 and 10 s), none refused.
    const shared = await run(60);
    expect(shared.served).toBe(119);
    expect(shared.upstream.rejected.rpm).toBe(0);
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
    // The clock stands still: the rolling day does not refill under the settled amount.
    const clock = new ManualClock();
    const sim = await simulator({ clock, response: { tokens: 12 } });
    const g = governor({ model_groups: { 'claude-haiku-4-5': anthropicGroup(sim) } }, { clock });
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
    // 2 × 400 reserved, settled to 2 × 12 (up to the float error of bucket time, ~1e-6 of a token).
    expect(snapshot?.used).toBeCloseTo(24, 4);
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

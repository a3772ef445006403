/** Operating the simulator: stats, reset, routing, other clients, concurrency and the latency model. */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import {
  type Simulator,
  type SimulatorOptions,
  type SimulatorStats,
  startSimulator,
} from '../../src/simulator/index.js';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(options: SimulatorOptions = {}) {
  const clock = new ManualClock();
  sim = await startSimulator({ clock, ...options });
  return { sim, clock };
}

function chat(s: Simulator, extra: Record<string, unknown> = {}, key = 'sk-test') {
  return fetch(`${s.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Hi' }],
      max_tokens: 50,
      ...extra,
    }),
  });
}

function messages(s: Simulator, extra: Record<string, unknown> = {}) {
  return fetch(`${s.url}/v1/messages`, {
    method: 'POST',
    headers: { 'x-api-key': 'sk-ant', 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'claude-sonnet-5-5',
      max_tokens: 500,
      messages: [{ role: 'user', content: 'Hi' }],
      ...extra,
    }),
  });
}

describe('GET /_sim/stats and POST /_sim/reset', () => {
  it('count requests, admissions, refusals by dimension, tokens and bucket states', async () => {
    const { sim } = await start({
      keys: { 'sk-test': { models: { 'gpt-4o-mini': { rpm: 2, tpm: 10_000 } } } },
      response: { tokens: 5 },
    });
    for (let i = 0; i < 3; i++) await chat(sim);
    await chat(sim, { max_tokens: 20_000 });
    const stats = (await (await fetch(`${sim.url}/_sim/stats`)).json()) as SimulatorStats;
    expect(stats).toMatchObject({
      requests: 4,
      admitted: 2,
      // The last one is larger than the whole TPM limit: "never fits" outranks the RPM wait.
      rejected: { rpm: 1, tpm: 1 },
      rejected_too_large: 1,
      responses: { '200': 2, '429': 2 },
      tokens: { input: 16, output: 10 },
      concurrency: { current: 0, peak: 1 },
      by_flavour: { openai: 4, anthropic: 0, gemini: 0 },
    });
    expect(stats.per_key['sk-test']?.['gpt-4o-mini']).toMatchObject({
      requests: 4,
      admitted: 2,
      output_tokens: 10,
    });
    expect(stats.limits['openai|sk-test|gpt-4o-mini']?.buckets.rpm).toMatchObject({ limit: 2, remaining: 0 });
  });

  it('reset counters only, or buckets too', async () => {
    const { sim } = await start({ keys: { 'sk-test': { models: { 'gpt-4o-mini': { rpm: 1 } } } } });
    await chat(sim);
    expect((await chat(sim)).status).toBe(429);
    const soft = await fetch(`${sim.url}/_sim/reset`, { method: 'POST' });
    expect(await soft.json()).toEqual({ reset: true, buckets: false });
    expect(sim.stats().requests).toBe(0);
    expect((await chat(sim)).status).toBe(429);
    await fetch(`${sim.url}/_sim/reset`, { method: 'POST', body: JSON.stringify({ buckets: true }) });
    expect((await chat(sim)).status).toBe(200);
    expect(sim.stats()).toMatchObject({ requests: 1, admitted: 1 });
  });
});

describe('routing', () => {
  it('answers unknown paths with 404 in the flavour the headers suggest', async () => {
    const { sim } = await start();
    const openai = await fetch(`${sim.url}/v1/nope`, { headers: { authorization: 'Bearer k' } });
    expect(openai.status).toBe(404);
    expect(await openai.json()).toMatchObject({
      error: { message: 'Invalid URL (GET /v1/nope)', type: 'invalid_request_error' },
    });
    const anthropic = await fetch(`${sim.url}/v1/nope`, { headers: { 'x-api-key': 'k' } });
    expect(await anthropic.json()).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
    const gemini = await fetch(`${sim.url}/v1beta/nope`);
    expect(await gemini.json()).toMatchObject({ error: { code: 404, status: 'NOT_FOUND' } });
  });

  it('lists models in Anthropic format when asked with Anthropic headers', async () => {
    const { sim } = await start();
    const res = await fetch(`${sim.url}/v1/models`, {
      headers: { 'x-api-key': 'k', 'anthropic-version': '2023-06-01' },
    });
    expect(await res.json()).toMatchObject({
      has_more: false,
      data: [{ type: 'model' }, { type: 'model' }, { type: 'model' }],
    });
  });

  it('applies defaults per key × model, exact entries, and shared pools', async () => {
    const { sim } = await start({
      defaults: { rpm: 1 },
      keys: { 'sk-test': { models: { 'gpt-4o-mini': { rpm: 2 }, 'gpt-4.1*': { rpm: 1 } } } },
    });
    expect((await chat(sim, { model: 'gpt-4o' }, 'sk-other')).status).toBe(200);
    expect((await chat(sim, { model: 'gpt-4o' }, 'sk-other')).status).toBe(429);
    // Another key, same model: its own bucket.
    expect((await chat(sim, { model: 'gpt-4o' }, 'sk-third')).status).toBe(200);
    expect((await chat(sim)).status).toBe(200);
    expect((await chat(sim)).status).toBe(200);
    expect((await chat(sim)).status).toBe(429);
    // gpt-4.1 and gpt-4.1-mini share one pool.
    expect((await chat(sim, { model: 'gpt-4.1' })).status).toBe(200);
    expect((await chat(sim, { model: 'gpt-4.1-mini' })).status).toBe(429);
  });
});

describe('other clients on the same key', () => {
  it('consume the limits continuously, visible in the headers', async () => {
    const { sim, clock } = await start({
      keys: { 'sk-test': { models: { 'gpt-4o-mini': { rpm: 600, tpm: 100_000 } } } },
      background: { key: 'sk-test', model: 'gpt-4o-mini', flavour: 'openai', tpm: 150_000 },
      response: { tokens: 10 },
    });
    const first = await chat(sim);
    expect(first.headers.get('x-ratelimit-remaining-tokens')).toBe(String(100_000 - 8 - 50));
    // The others take 150 k/min against a refill of 100 k/min: −50 k/min net, so 6 s cost 5,000 more.
    clock.advance(6_000);
    const second = await chat(sim);
    expect(Number(second.headers.get('x-ratelimit-remaining-tokens'))).toBe(100_000 - (8 + 10) - 5_000 - 58);
    clock.advance(120_000);
    expect((await chat(sim)).status).toBe(429);
  });
});

describe('latency and concurrency on the simulator clock', () => {
  it('holds a concurrency slot until the answer is written', async () => {
    const { sim, clock } = await start({
      keys: { 'sk-test': { models: { 'gpt-4o-mini': { concurrency: 1 } } } },
      latency: { ttft_ms: 500, per_token_ms: 10 },
      response: { tokens: 10 },
    });
    const slow = chat(sim);
    await expect.poll(() => sim.stats().concurrency.current).toBe(1);
    const refused = await chat(sim);
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ error: { type: 'requests', code: 'rate_limit_exceeded' } });
    expect(sim.stats().rejected.concurrency).toBe(1);
    clock.advance(600);
    expect((await slow).status).toBe(200);
    expect(sim.stats().concurrency).toEqual({ current: 0, peak: 1 });
    const next = chat(sim);
    await expect.poll(() => sim.stats().concurrency.current).toBe(1);
    clock.advance(600);
    expect((await next).status).toBe(200);
  });

  it('charges Anthropic output tokens as the stream produces them', async () => {
    const { sim, clock } = await start({
      keys: { 'sk-ant': { models: { 'claude-sonnet-5-5': { otpm: 60 } } } },
      anthropic: { round_remaining: false },
      latency: { ttft_ms: 0, per_token_ms: 100 },
      response: { tokens: 20 },
    });
    const stream = await messages(sim, { stream: true });
    const done = stream.text();
    clock.advance(1_000);
    // 11 tokens so far (one at once, then one per 100 ms) against a refill of 1 per second: 10 in use.
    const probe = await fetch(`${sim.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': 'sk-ant', 'x-sim-output-tokens': '0' },
      body: JSON.stringify({
        model: 'claude-sonnet-5-5',
        max_tokens: 5,
        messages: [{ role: 'user', content: 'Hi' }],
      }),
    });
    expect(probe.headers.get('anthropic-ratelimit-output-tokens-remaining')).toBe('50');
    clock.advance(1_000);
    await done;
    expect(sim.stats().tokens.output).toBe(20);
  });
});

describe('limit accuracy end to end', () => {
  it('admits, over any interval T, at most L + L·T/W requests and tokens (random traffic, manual clock)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({ dt: fc.integer({ min: 0, max: 4_000 }), max: fc.integer({ min: 1, max: 3_000 }) }),
          {
            minLength: 5,
            maxLength: 40,
          },
        ),
        async (traffic) => {
          const clock = new ManualClock();
          const local = await startSimulator({
            clock,
            keys: { 'sk-test': { models: { 'gpt-4o-mini': { rpm: 20, tpm: 8_000 } } } },
            openai: { reconcile: false },
          });
          try {
            const admitted: { at: number; tokens: number }[] = [];
            for (const { dt, max } of traffic) {
              clock.advance(dt);
              const res = await chat(local, { max_tokens: max });
              // "Hi" is 8 prompt tokens with the chat framing; the estimate is kept.
              if (res.status === 200) admitted.push({ at: clock.now(), tokens: 8 + max });
              else expect(res.status).toBe(429);
            }
            for (let i = 0; i < admitted.length; i++) {
              let tokens = 0;
              for (let j = i; j < admitted.length; j++) {
                tokens += admitted[j]?.tokens ?? 0;
                const span = (admitted[j]?.at ?? 0) - (admitted[i]?.at ?? 0);
                expect(j - i + 1).toBeLessThanOrEqual(20 + (20 * span) / 60_000 + 1e-9);
                expect(tokens).toBeLessThanOrEqual(8_000 + (8_000 * span) / 60_000 + 1e-6);
              }
            }
          } finally {
            await local.close();
          }
        },
      ),
      { numRuns: 15 },
    );
  });
});

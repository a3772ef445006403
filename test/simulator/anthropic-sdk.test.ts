/**
 * The official `@anthropic-ai/sdk` against the simulator's Anthropic flavour
 * (PROVIDERS.md §3, §8.9–8.14).
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { type Simulator, type SimulatorOptions, startSimulator } from '../../src/simulator/index.js';

const MODEL = 'claude-sonnet-5-5';
let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(options: SimulatorOptions = {}) {
  const clock = new ManualClock(Date.UTC(2026, 4, 1, 12, 0, 0));
  sim = await startSimulator({ clock, ...options });
  const client = new Anthropic({ apiKey: 'sk-ant-test', baseURL: sim.url, maxRetries: 0 });
  return { sim, clock, client };
}

function limits(models: Record<string, Record<string, number>>): SimulatorOptions {
  return { keys: { 'sk-ant-test': { models } } };
}

async function failure<T>(call: Promise<unknown>, kind: new (...args: never[]) => T): Promise<T> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(kind);
  return error as T;
}

// 48 characters → 12 tokens at ceil(chars / 4).
const question = 'What is the capital of France? Answer in a word.';
const ask = { model: MODEL, max_tokens: 100, messages: [{ role: 'user' as const, content: question }] };

describe('Anthropic flavour with the official SDK', () => {
  it('answers messages with usage and stop_reason', async () => {
    const { client } = await start({ response: { tokens: 7 } });
    const message = await client.messages.create(ask);
    expect(message.type).toBe('message');
    expect(message.stop_reason).toBe('end_turn');
    expect(message.content[0]?.type).toBe('text');
    expect(message.usage).toMatchObject({
      input_tokens: Math.ceil(question.length / 4),
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      output_tokens: 7,
    });
    const capped = await client.messages.create({ ...ask, max_tokens: 3 });
    expect(capped.stop_reason).toBe('max_tokens');
    expect(capped.usage.output_tokens).toBe(3);
  });

  it('streams the documented events; the SDK accumulates the same message (§3.5)', async () => {
    const { client } = await start({ response: { tokens: 5 } });
    const whole = await client.messages.create(ask);
    const stream = client.messages.stream(ask);
    const types: string[] = [];
    stream.on('streamEvent', (event) => types.push(event.type));
    const final = await stream.finalMessage();
    expect(final.content).toEqual(whole.content);
    expect(final.usage.output_tokens).toBe(5);
    expect(final.usage.input_tokens).toBe(whole.usage.input_tokens);
    // The SDK keeps `ping` to itself; it is on the wire (checked below).
    expect(types).toEqual([
      'message_start',
      'content_block_start',
      ...Array(5).fill('content_block_delta'),
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    const raw = await fetch(`${sim?.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': 'sk-ant-test', 'content-type': 'application/json' },
      body: JSON.stringify({ ...ask, stream: true }),
    });
    expect(raw.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const events = [...(await raw.text()).matchAll(/^event: (\w+)$/gm)].map((m) => m[1]);
    expect(events.slice(0, 3)).toEqual(['message_start', 'content_block_start', 'ping']);
  });

  it('sends anthropic-ratelimit-* headers: remaining tokens rounded to thousands, RFC 3339 resets (§3.1)', async () => {
    const { client, clock } = await start(limits({ [MODEL]: { rpm: 50, itpm: 30_000, otpm: 8_000 } }));
    const { response } = await client.messages.create(ask).withResponse();
    const h = response.headers;
    expect(h.get('request-id')).toMatch(/^req_011/);
    expect(h.get('anthropic-ratelimit-requests-limit')).toBe('50');
    expect(h.get('anthropic-ratelimit-requests-remaining')).toBe('49');
    // One request of 50/min refills in 1.2 s: full again at 12:00:02 (rounded up to whole seconds).
    expect(h.get('anthropic-ratelimit-requests-reset')).toBe('2026-05-01T12:00:02Z');
    expect(h.get('anthropic-ratelimit-input-tokens-limit')).toBe('30000');
    expect(h.get('anthropic-ratelimit-input-tokens-remaining')).toBe('30000');
    expect(h.get('anthropic-ratelimit-output-tokens-remaining')).toBe('8000');
    // No total-token limit configured: the tokens-* headers show input + output.
    expect(h.get('anthropic-ratelimit-tokens-limit')).toBe('38000');
    expect(new Date(h.get('anthropic-ratelimit-requests-reset') ?? '').getTime()).toBeGreaterThan(
      clock.now(),
    );
  });

  it('refuses over ITPM with the documented 429 that the SDK recognises (§8.10)', async () => {
    const { client, clock } = await start(limits({ [MODEL]: { rpm: 50, itpm: 50_000, otpm: 10_000 } }));
    const big = { ...ask, messages: [{ role: 'user' as const, content: 'x'.repeat(4 * 30_000) }] };
    await client.messages.create(big);
    const error = await failure(client.messages.create(big), Anthropic.RateLimitError);
    expect(error.status).toBe(429);
    expect(error.type).toBe('rate_limit_error');
    expect(error.message).toContain(
      'This request would exceed the rate limit for your organization (5f0a6b1e-3c2d-4e8f-9a7b-1c2d3e4f5a6b) of 50,000 input tokens per minute.',
    );
    // 10,000 tokens missing at 50,000/min: 12 s.
    expect(error.headers?.get('retry-after')).toBe('12');
    expect(error.headers?.get('x-should-retry')).toBe('true');
    expect(error.headers?.get('anthropic-ratelimit-input-tokens-remaining')).toBe('20000');
    expect(error.requestID).toMatch(/^req_011/);
    clock.advance(12_000);
    await client.messages.create(big);
  });

  it('counts OTPM as output is produced (2026 rule) or from max_tokens at the start (older rule)', async () => {
    const produced = await start({ ...limits({ [MODEL]: { otpm: 1_000 } }), response: { tokens: 400 } });
    const first = await produced.client.messages.create({ ...ask, max_tokens: 4_000 }).withResponse();
    // Headers are written at admission, before any output.
    expect(first.response.headers.get('anthropic-ratelimit-output-tokens-remaining')).toBe('1000');
    await produced.client.messages.create({ ...ask, max_tokens: 4_000 });
    await produced.client.messages.create({ ...ask, max_tokens: 4_000 });
    // 1,200 produced against 1,000: the bucket is overdrawn and refuses until it refills.
    const error = await failure(produced.client.messages.create(ask), Anthropic.RateLimitError);
    expect(error.message).toContain('of 1,000 output tokens per minute');
    expect(error.headers?.get('retry-after')).toBe('13');
    await sim?.close();

    const reserved = await start({
      ...limits({ [MODEL]: { otpm: 10_000 } }),
      anthropic: { otpm: 'max_tokens', round_remaining: false },
      response: { tokens: 400 },
    });
    const call = await reserved.client.messages.create({ ...ask, max_tokens: 4_000 }).withResponse();
    expect(call.response.headers.get('anthropic-ratelimit-output-tokens-remaining')).toBe('6000');
    const next = await reserved.client.messages.create({ ...ask, max_tokens: 100 }).withResponse();
    // The first call was corrected to its 400 real tokens.
    expect(next.response.headers.get('anthropic-ratelimit-output-tokens-remaining')).toBe(
      String(10_000 - 400 - 100),
    );
  });

  it('emulates prompt caching: writes count against ITPM, reads do not (§3.2)', async () => {
    const { client } = await start({
      ...limits({ [MODEL]: { itpm: 100_000 } }),
      anthropic: { cache_min_tokens: 1_024, round_remaining: false },
    });
    const system = 'Policy. '.repeat(1_000); // 8,000 chars → 2,000 tokens
    const cached = {
      ...ask,
      system: [{ type: 'text' as const, text: system, cache_control: { type: 'ephemeral' as const } }],
    };
    const write = await client.messages.create(cached).withResponse();
    expect(write.data.usage).toMatchObject({
      cache_creation_input_tokens: 2_000,
      cache_read_input_tokens: 0,
    });
    expect(write.data.usage.input_tokens).toBe(Math.ceil((system.length + question.length) / 4) - 2_000);
    const read = await client.messages.create(cached).withResponse();
    expect(read.data.usage).toMatchObject({ cache_creation_input_tokens: 0, cache_read_input_tokens: 2_000 });
    const itpmAfterWrite = Number(read.response.headers.get('anthropic-ratelimit-input-tokens-remaining'));
    const third = await client.messages.create(cached).withResponse();
    const itpmAfterRead = Number(third.response.headers.get('anthropic-ratelimit-input-tokens-remaining'));
    // The read charged only the uncached tail (plus the refill of a few ms, which is none on a manual clock).
    expect(itpmAfterWrite - itpmAfterRead).toBe(read.data.usage.input_tokens);
  });

  it('counts tokens on a separate limit (§3.6)', async () => {
    const { client } = await start(limits({ [MODEL]: { rpm: 1 }, count_tokens: { rpm: 100 } }));
    await client.messages.create(ask);
    for (let i = 0; i < 3; i++) {
      const counted = await client.messages.countTokens({ model: MODEL, messages: ask.messages });
      expect(counted.input_tokens).toBe(Math.ceil(question.length / 4));
    }
    await failure(client.messages.create(ask), Anthropic.RateLimitError);
  });

  it('answers 529 overloaded_error as the SDK OverloadedError, and the spend cap without retry-after (§8.11, §8.12)', async () => {
    const { client } = await start({
      faults: [
        { kind: '529', at: [1] },
        { kind: 'insufficient_quota', at: [2] },
      ],
    });
    const overloaded = await failure(client.messages.create(ask), Anthropic.InternalServerError);
    expect(overloaded.status).toBe(529);
    expect(overloaded.type).toBe('overloaded_error');
    expect(overloaded.constructor.name).toBe('OverloadedError');
    const capped = await failure(client.messages.create(ask), Anthropic.RateLimitError);
    expect(capped.headers?.get('retry-after')).toBeNull();
    expect(capped.message).toContain('You will regain access on 2026-06-01 at 00:00 UTC.');
    expect((capped.error as { error?: { details?: unknown } }).error?.details).toEqual({
      error_code: 'enforced_spend_limit_reached',
    });
  });

  it('answers bad requests and missing keys in Anthropic format', async () => {
    const { client, sim } = await start();
    const bad = await failure(
      client.messages.create({ model: MODEL, messages: ask.messages } as never),
      Anthropic.BadRequestError,
    );
    expect(bad.type).toBe('invalid_request_error');
    expect(bad.message).toContain('max_tokens: Field required');
    const raw = await fetch(`${sim.url}/v1/messages`, {
      method: 'POST',
      body: '{}',
      headers: { 'anthropic-version': '2023-06-01' },
    });
    expect(raw.status).toBe(401);
    expect(await raw.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
  });
});

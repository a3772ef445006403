/**
 * The governor's provider adapters (`src/providers`) read what the simulator
 * writes: two implementations of PROVIDERS.md checked against each other.
 * Header observations must match the simulator's own buckets, refusals must
 * classify as rate limits with the right wait, stream taps must find the
 * final usage, and cut streams must be seen as incomplete.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { ProviderAdapter } from '../../src/providers/adapter.js';
import {
  createAnthropicAdapter,
  createGeminiAdapter,
  createOpenAIAdapter,
} from '../../src/providers/index.js';
import { type Simulator, type SimulatorOptions, startSimulator } from '../../src/simulator/index.js';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const T0 = Date.UTC(2026, 4, 1, 12, 0, 0);

async function start(options: SimulatorOptions) {
  const clock = new ManualClock(T0);
  sim = await startSimulator({ clock, ...options });
  return { sim, clock };
}

async function call(path: string, headers: Record<string, string>, body: unknown) {
  const res = await fetch(`${sim?.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { res, bytes: new Uint8Array(await res.arrayBuffer()) };
}

function tapped(
  adapter: ProviderAdapter,
  endpoint: Parameters<ProviderAdapter['createUsageTap']>[0],
  bytes: Uint8Array,
) {
  const tap = adapter.createUsageTap(endpoint);
  // Split anywhere: feed in small pieces.
  for (let i = 0; i < bytes.length; i += 7) tap.push(bytes.subarray(i, i + 7));
  return tap;
}

describe('OpenAI adapter on simulator answers', () => {
  const adapter = createOpenAIAdapter({ requestsWindow: 'minute' });
  const key = { authorization: 'Bearer sk-test' };
  const body = {
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: 'Hello there' }],
    max_tokens: 100,
  };

  it('observes remaining and full-refill times that match the buckets', async () => {
    await start({ keys: { 'sk-test': { models: { 'gpt-4o-mini': { rpm: 500, tpm: 200_000 } } } } });
    const { res } = await call('/v1/chat/completions', key, body);
    const observed = adapter.observe(res.headers, T0);
    const requests = observed.find((o) => o.dimension === 'requests');
    const tokens = observed.find((o) => o.dimension === 'tokens');
    expect(requests).toMatchObject({ limit: 500, remaining: 499, resetAt: T0 + 120 });
    expect(tokens?.limit).toBe(200_000);
    expect(tokens?.remaining).toBe(200_000 - (9 + 100));
    // The adapter's admission estimate is what the simulator charged.
    expect(adapter.estimate('chat_completions', body, '/v1/chat/completions').cost).toMatchObject({
      requests: 1,
      inputTokens: 9,
      outputTokens: 100,
    });
  });

  it('classifies the 429 as rate_limited on requests with the simulator wait', async () => {
    await start({ keys: { 'sk-test': { models: { 'gpt-4o-mini': { rpm: 3 } } } } });
    for (let i = 0; i < 3; i++) await call('/v1/chat/completions', key, body);
    const { res, bytes } = await call('/v1/chat/completions', key, body);
    const error = adapter.classifyError(
      res.status,
      res.headers,
      JSON.parse(new TextDecoder().decode(bytes)),
      T0,
    );
    expect(error).toMatchObject({
      kind: 'rate_limited',
      retryable: true,
      retryAfterMs: 20_000,
      dimension: 'requests',
    });
  });

  it('taps the final usage chunk of a stream, and knows a cut stream is incomplete', async () => {
    await start({
      response: { tokens: 10 },
      faults: [{ kind: 'reset_mid_stream', at: [2], after_tokens: 4 }],
    });
    const streamed = { ...body, stream: true, stream_options: { include_usage: true } };
    const whole = await call('/v1/chat/completions', key, streamed);
    const tap = tapped(adapter, 'chat_completions', whole.bytes);
    expect(tap.complete()).toBe(true);
    expect(tap.usage()).toMatchObject({ inputTokens: 9, outputTokens: 10 });
    const cut = await fetch(`${sim?.url}/v1/chat/completions`, {
      method: 'POST',
      headers: key,
      body: JSON.stringify(streamed),
    });
    const cutTap = adapter.createUsageTap('chat_completions');
    const reader = (cut.body as ReadableStream<Uint8Array>).getReader();
    await expect(
      (async () => {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          cutTap.push(value);
        }
      })(),
    ).rejects.toThrow();
    expect(cutTap.complete()).toBe(false);
  });

  it('classifies insufficient_quota as never retried', async () => {
    await start({ faults: [{ kind: 'insufficient_quota', at: [1] }] });
    const { res, bytes } = await call('/v1/chat/completions', key, body);
    const error = adapter.classifyError(
      res.status,
      res.headers,
      JSON.parse(new TextDecoder().decode(bytes)),
      T0,
    );
    expect(error).toMatchObject({ kind: 'quota_exhausted', retryable: false });
  });
});

describe('Anthropic adapter on simulator answers', () => {
  const adapter = createAnthropicAdapter();
  const key = { 'x-api-key': 'sk-ant' };
  const body = {
    model: 'claude-sonnet-5-5',
    max_tokens: 100,
    messages: [{ role: 'user', content: 'x'.repeat(4_000) }],
  };

  it('observes the input, output and request buckets, and classifies the ITPM 429', async () => {
    await start({
      keys: { 'sk-ant': { models: { 'claude-sonnet-5-5': { rpm: 50, itpm: 2_000, otpm: 8_000 } } } },
      anthropic: { round_remaining: false },
    });
    const first = await call('/v1/messages', key, body);
    const observed = adapter.observe(first.res.headers, T0);
    expect(observed.find((o) => o.dimension === 'input_tokens')).toMatchObject({
      limit: 2_000,
      remaining: 1_000,
    });
    expect(observed.find((o) => o.dimension === 'requests')).toMatchObject({ limit: 50, remaining: 49 });
    await call('/v1/messages', key, body);
    const refused = await call('/v1/messages', key, body);
    const error = adapter.classifyError(
      refused.res.status,
      refused.res.headers,
      JSON.parse(new TextDecoder().decode(refused.bytes)),
      T0,
    );
    // 1,000 tokens missing at 2,000/min: 30 s.
    expect(error).toMatchObject({ kind: 'rate_limited', retryable: true, retryAfterMs: 30_000 });
  });

  it('taps usage from message_start and the cumulative message_delta', async () => {
    await start({ response: { tokens: 12 } });
    const { bytes } = await call('/v1/messages', key, { ...body, stream: true });
    const tap = tapped(adapter, 'messages', bytes);
    expect(tap.complete()).toBe(true);
    expect(tap.usage()).toMatchObject({ inputTokens: 1_000, outputTokens: 12 });
  });

  it('sees the 529 as overloaded and the mid-stream overloaded_error as a stream error', async () => {
    await start({
      faults: [
        { kind: '529', at: [1] },
        { kind: 'error_mid_stream', at: [2] },
      ],
    });
    const overloaded = await call('/v1/messages', key, body);
    const error = adapter.classifyError(
      529,
      overloaded.res.headers,
      JSON.parse(new TextDecoder().decode(overloaded.bytes)),
      T0,
    );
    expect(error).toMatchObject({ kind: 'overloaded', retryable: true });
    const cut = await call('/v1/messages', key, { ...body, stream: true });
    const tap = tapped(adapter, 'messages', cut.bytes);
    expect(tap.error()).toMatchObject({ kind: 'overloaded' });
  });
});

describe('Gemini adapter on simulator answers', () => {
  const adapter = createGeminiAdapter();
  const path = '/v1beta/models/gemini-2.5-flash:generateContent';
  const body = { contents: [{ role: 'user', parts: [{ text: 'Explain rate limits in one sentence.' }] }] };

  it('reads RetryInfo from the 429 body and usage from the stream', async () => {
    await start({ keys: { k: { models: { 'gemini-2.5-flash': { rpm: 2 } } } }, response: { tokens: 5 } });
    const streamed = await call(
      '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse',
      { 'x-goog-api-key': 'k' },
      body,
    );
    const tap = tapped(adapter, 'stream_generate_content', streamed.bytes);
    expect(tap.complete()).toBe(true);
    expect(tap.usage()).toMatchObject({ inputTokens: 9, outputTokens: 5 });
    await call(path, { 'x-goog-api-key': 'k' }, body);
    const refused = await call(path, { 'x-goog-api-key': 'k' }, body);
    const error = adapter.classifyError(
      429,
      refused.res.headers,
      JSON.parse(new TextDecoder().decode(refused.bytes)),
      T0,
    );
    // Gemini's minute is fixed (PROVIDERS.md §4.1): the third call waits for the next second 00.
    expect(error).toMatchObject({ kind: 'rate_limited', retryAfterMs: 60_000 });
    expect(adapter.observe(refused.res.headers, T0)).toEqual([]);
  });
});

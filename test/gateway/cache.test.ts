/**
 * The exact response cache through the gateway, with the official SDKs and
 * the simulator (memory store; the Redis store is tested with two gateways
 * in `cache-redis.test.ts`): a repeated question is answered without an
 * upstream call or a bucket charge, in the caller's API and framing whatever
 * the entry was kept from; identical concurrent misses make one upstream
 * call; `Cache-Control` refreshes or skips; entries expire on the gateway's
 * clock, stay the tenant's own, and answer stale when no deployment can.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import {
  advanceUntilSettled,
  baseConfig,
  hello,
  KEYS,
  rigsClosedAfterEach,
  simAnthropicDeployment,
  simOpenAiDeployment,
} from './helpers.js';

const startRig = rigsClosedAfterEach();

const cached = (extra: Record<string, unknown> = {}) => ({ mode: 'exact' as const, ttl_s: 60, ...extra });

function cachingRig(
  options: {
    clock?: ManualClock;
    cache?: Record<string, unknown>;
    sim?: Parameters<typeof startRig>[0] extends infer O ? (O extends { sim?: infer S } ? S : never) : never;
  } = {},
) {
  return startRig({
    ...(options.clock && { clock: options.clock }),
    ...(options.sim && { sim: options.sim }),
    config: (simUrl) =>
      baseConfig(simUrl, {
        model_groups: {
          'gpt-4o-mini': { deployments: [simOpenAiDeployment(simUrl)], cache: cached(options.cache) },
          'claude-haiku': { deployments: [simAnthropicDeployment(simUrl)] },
        },
      }),
  });
}

async function ask(
  client: OpenAI,
  extra: Partial<OpenAI.ChatCompletionCreateParamsNonStreaming> = {},
  headers: Record<string, string> = {},
) {
  const { data, response } = await client.chat.completions
    .create({ model: 'gpt-4o-mini', messages: hello, max_tokens: 20, ...extra }, { headers })
    .withResponse();
  return {
    text: data.choices[0]?.message.content ?? '',
    cache: response.headers.get('x-sluice-cache'),
    data,
  };
}

describe('the exact response cache through the gateway', () => {
  it('answers a repeated question without an upstream call or a bucket charge', async () => {
    const r = await cachingRig();
    const client = r.openai();
    const first = await ask(client);
    expect(first.cache).toBe('miss');
    const reservations = (await r.gateway.governor.store.stats()).reservations;
    const second = await ask(client);
    expect(second.cache).toBe('hit');
    expect(second.text).toBe(first.text);
    expect(second.data.usage).toMatchObject({
      prompt_tokens: first.data.usage?.prompt_tokens,
      completion_tokens: first.data.usage?.completion_tokens,
    });
    expect(r.sim.stats().requests).toBe(1);
    expect((await r.gateway.governor.store.stats()).reservations).toBe(reservations);
    const metrics = await (await fetch(r.gateway.metricsUrl as string)).text();
    expect(metrics).toContain(
      'sluice_cache_requests_total{group="gpt-4o-mini",tenant="pro-co",outcome="hit"} 1',
    );
    expect(metrics).toContain(
      'sluice_cache_requests_total{group="gpt-4o-mini",tenant="pro-co",outcome="miss"} 1',
    );
    expect(metrics).toMatch(/sluice_cache_saved_tokens_total\{group="gpt-4o-mini",tenant="pro-co"\} [1-9]/);
    expect(metrics).toContain('sluice_cache_entries 1');
    // A group without a cache says nothing about one.
    const other = await r
      .openai()
      .chat.completions.create({ model: 'claude-haiku', messages: hello, max_tokens: 5 })
      .withResponse();
    expect(other.response.headers.get('x-sluice-cache')).toBeNull();
  });

  it('replays a non-streamed entry as a stream, and keeps a streamed answer for a non-streamed call', async () => {
    const r = await cachingRig();
    const client = r.openai();
    const whole = await ask(client);
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: hello,
      max_tokens: 20,
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe(whole.text);
    expect(r.sim.stats().requests).toBe(1);
    // The other way round: a streamed miss is kept whole.
    const question = [{ role: 'user' as const, content: 'Another question' }];
    const streamed = await client.chat.completions
      .stream({ model: 'gpt-4o-mini', messages: question, max_tokens: 20 })
      .finalChatCompletion();
    const again = await ask(client, { messages: question });
    expect(again.cache).toBe('hit');
    expect(again.text).toBe(streamed.choices[0]?.message.content);
    expect(r.sim.stats().requests).toBe(2);
  });

  it('answers an Anthropic caller from the entry an OpenAI caller’s question left', async () => {
    const r = await startRig({
      config: (simUrl) =>
        baseConfig(simUrl, {
          model_groups: {
            'claude-haiku': {
              deployments: [simAnthropicDeployment(simUrl)],
              cache: cached({ scope: 'shared' }),
            },
          },
        }),
    });
    const openaiAnswer = await r
      .openai()
      .chat.completions.create({ model: 'claude-haiku', messages: hello, max_tokens: 20 });
    const anthropic = await r
      .anthropic()
      .messages.create({ model: 'claude-haiku', messages: hello, max_tokens: 20 })
      .withResponse();
    expect(anthropic.response.headers.get('x-sluice-cache')).toBe('hit');
    const block = anthropic.data.content[0];
    expect(block?.type === 'text' && block.text).toBe(openaiAnswer.choices[0]?.message.content);
    expect(r.sim.stats().requests).toBe(1);
  });

  it('makes one upstream call for 20 identical concurrent misses, and answers all of them', async () => {
    const clock = new ManualClock();
    const r = await cachingRig({ clock, sim: { latency: { ttft_ms: 500 } } });
    const client = r.openai();
    const calls = Promise.all(Array.from({ length: 20 }, () => ask(client)));
    const answers = await advanceUntilSettled(clock, calls, { stepMs: 100 });
    expect(r.sim.stats().requests).toBe(1);
    expect(new Set(answers.map((a) => a.text)).size).toBe(1);
    expect(answers.filter((a) => a.cache === 'miss')).toHaveLength(1);
    expect(answers.filter((a) => a.cache === 'hit')).toHaveLength(19);
  });

  it('refreshes on Cache-Control: no-cache and skips the cache on no-store', async () => {
    const r = await cachingRig();
    const client = r.openai();
    await ask(client);
    expect((await ask(client, {}, { 'cache-control': 'no-cache' })).cache).toBe('miss');
    expect((await ask(client, {}, { 'cache-control': 'no-store' })).cache).toBe('bypass');
    expect(r.sim.stats().requests).toBe(3);
    expect((await ask(client)).cache).toBe('hit');
  });

  it('expires entries on the gateway’s clock and keeps them the tenant’s own', async () => {
    const clock = new ManualClock();
    const r = await cachingRig({ clock });
    await ask(r.openai());
    expect((await ask(r.openai(KEYS.enterprise))).cache).toBe('miss');
    clock.advance(59_000);
    expect((await ask(r.openai())).cache).toBe('hit');
    clock.advance(2_000);
    expect((await ask(r.openai())).cache).toBe('miss');
    expect(r.sim.stats().requests).toBe(3);
  });

  it('bypasses what it cannot key, and never keeps an error or a cut stream', async () => {
    const r = await cachingRig({
      sim: {
        faults: [
          { kind: 'error_mid_stream', stream: true, at: [1] },
          { kind: '500', stream: false, at: [2, 3, 4] },
        ],
      },
    });
    const client = r.openai();
    expect((await ask(client, { n: 2 } as never)).cache).toBe('bypass');
    const cut = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: hello, max_tokens: 20, stream: true })
      .then(async (s) => {
        for await (const _ of s);
      })
      .catch((e: unknown) => e);
    expect(cut).toBeInstanceOf(Error);
    const failed = await ask(client).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(OpenAI.APIError);
    expect((await ask(client)).cache).toBe('miss');
  });

  it('serves a stale entry, marked stale, when no deployment can serve', async () => {
    const clock = new ManualClock();
    const r = await cachingRig({
      clock,
      cache: { stale_ttl_s: 3_600 },
      sim: { faults: [{ kind: 'insufficient_quota', from: 2 }] },
    });
    const fresh = await ask(r.openai());
    clock.advance(120_000);
    const stale = await ask(r.openai());
    expect(stale.cache).toBe('stale');
    expect(stale.text).toBe(fresh.text);
    // Older than stale_ttl_s: the refusal stands.
    clock.advance(3_600_000);
    const refused = await ask(r.openai()).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
  });
});

describe('the exact response cache through governor.fetch', () => {
  it('answers a repeated Anthropic SDK call from the cache', async () => {
    const { createGovernor } = await import('../../src/library/create-governor.js');
    const r = await startRig();
    const governor = createGovernor({
      model_groups: {
        'claude-haiku': {
          deployments: [
            { id: 'a', provider: 'anthropic', base_url: r.sim.url, model: 'claude-3-5-haiku-latest' },
          ],
          cache: { mode: 'exact', ttl_s: 60 },
        },
      },
    });
    try {
      const client = new Anthropic({
        apiKey: 'sk-ant-upstream',
        baseURL: r.sim.url,
        fetch: governor.fetch,
        maxRetries: 0,
      });
      const first = await client.messages
        .create({ model: 'claude-haiku', messages: hello, max_tokens: 20 })
        .withResponse();
      const second = await client.messages
        .create({ model: 'claude-haiku', messages: hello, max_tokens: 20 })
        .withResponse();
      expect([
        first.response.headers.get('x-sluice-cache'),
        second.response.headers.get('x-sluice-cache'),
      ]).toEqual(['miss', 'hit']);
      expect(second.data.content).toEqual(first.data.content);
      expect(r.sim.stats().requests).toBe(1);
    } finally {
      await governor.close();
    }
  });
});

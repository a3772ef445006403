import { describe, expect, it } from 'vitest';
import { OPENAI_RATE_LIMIT_HEADERS } from '../../src/providers/openai/rate-limit-headers.js';
import { isUsageOnlyChunk, isUsageOnlyData } from '../../src/providers/openai/stream-usage.js';
import { COMPATIBLE_PRESETS, compatiblePreset } from '../../src/providers/openai-compatible/presets.js';
import { createAdapter, PROVIDER_KINDS } from '../../src/providers/registry.js';
import { headersOf, NOW, sample } from './helpers.js';

describe('createAdapter', () => {
  it.each(PROVIDER_KINDS)('builds a frozen %s adapter', (kind) => {
    const adapter = createAdapter(kind);
    expect(adapter.kind).toBe(kind);
    expect(Object.isFrozen(adapter)).toBe(true);
  });

  it('refuses unknown kinds and presets (configuration errors fail at startup)', () => {
    expect(() => createAdapter('bedrock' as never)).toThrow(TypeError);
    expect(() => createAdapter('openai-compatible', { preset: 'nope' as never })).toThrow(TypeError);
  });
});

describe('presets never share mutable state', () => {
  it('hands out fresh copies', () => {
    const a = compatiblePreset('groq');
    const b = compatiblePreset('groq');
    expect(a).toEqual(b);
    expect(a).not.toBe(b);
    expect(a.rateLimitHeaders[0]).not.toBe(b.rateLimitHeaders[0]);
    a.rateLimitHeaders[0] = { ...a.rateLimitHeaders[0], window: 'minute' } as (typeof a.rateLimitHeaders)[0];
    a.streamOptions = false;
    expect(compatiblePreset('groq')).toEqual(b);
  });

  it('keeps the shared tables frozen', () => {
    expect(Object.isFrozen(OPENAI_RATE_LIMIT_HEADERS)).toBe(true);
    expect(OPENAI_RATE_LIMIT_HEADERS.every(Object.isFrozen)).toBe(true);
    expect(() => {
      (OPENAI_RATE_LIMIT_HEADERS as unknown as unknown[]).push({});
    }).toThrow();
  });

  it('copies caller options instead of keeping them', () => {
    const headers = compatiblePreset('together').rateLimitHeaders;
    const adapter = createAdapter('openai-compatible', { rateLimitHeaders: headers });
    const h = headersOf({ 'x-ratelimit-limit': '10', 'x-ratelimit-remaining': '5' });
    const before = adapter.observe(h, NOW);
    headers.length = 0;
    expect(adapter.observe(h, NOW)).toEqual(before);
    expect(before).toEqual([
      expect.objectContaining({ dimension: 'requests', window: 'second', limit: 10, remaining: 5 }),
    ]);
  });

  it('lists every preset', () => {
    expect(COMPATIBLE_PRESETS).toEqual([
      'generic',
      'groq',
      'together',
      'mistral',
      'openrouter',
      'deepseek',
      'vllm',
    ]);
  });

  it('custom header names for a local server', () => {
    const adapter = createAdapter('openai-compatible', {
      rateLimitHeaders: [
        {
          dimension: 'requests',
          window: 'hour',
          basis: 'configured',
          limit: 'x-my-limit',
          remaining: 'x-my-left',
          reset: 'x-my-reset-at',
          resetFormat: 'epoch',
        },
      ],
    });
    const at = NOW + 30 * 60_000;
    expect(
      adapter.observe(
        headersOf({ 'x-my-limit': '100', 'x-my-left': '40', 'x-my-reset-at': String(at / 1000) }),
        NOW,
      ),
    ).toEqual([
      expect.objectContaining({
        dimension: 'requests',
        window: 'hour',
        limit: 100,
        remaining: 40,
        resetAt: at,
      }),
    ]);
  });
});

describe('tokenizer choice of OpenAI-compatible servers', () => {
  const body = (model: string) => ({ model, messages: [{ role: 'user', content: 'tiktoken is great!' }] });
  it('uses the real tokenizer for OpenAI models and characters for the rest', () => {
    const auto = createAdapter('openai-compatible', { preset: 'groq' });
    expect(
      auto.estimate('chat_completions', body('openai/gpt-oss-20b'), '/openai/v1/chat/completions').cost
        .inputTokens,
    ).toBe(3 + 1 + 6 + 3);
    // 'user' = 1 and 18 ASCII chars = 5 by the character estimate.
    expect(auto.estimate('chat_completions', body('llama-3.3-70b-versatile'), '/').cost.inputTokens).toBe(
      3 + 1 + 5 + 3,
    );
    const forced = createAdapter('openai-compatible', { tokenizer: 'openai' });
    expect(forced.estimate('chat_completions', body('llama-3.3-70b-versatile'), '/').cost.inputTokens).toBe(
      3 + 1 + 6 + 3,
    );
  });
});

describe('stream usage for streamed chat (§1.8)', () => {
  const openai = createAdapter('openai');
  it('asks for usage when a streamed request lacks it, without touching the original', () => {
    const body = { model: 'gpt-4o', stream: true, stream_options: { include_obfuscation: false } };
    const changed = openai.requestStreamUsage?.('chat_completions', body);
    expect(changed).toEqual({ ...body, stream_options: { include_obfuscation: false, include_usage: true } });
    expect(body.stream_options).toEqual({ include_obfuscation: false });
    expect(
      openai.requestStreamUsage?.('chat_completions', {
        stream: true,
        stream_options: { include_usage: true },
      }),
    ).toBeUndefined();
    expect(openai.requestStreamUsage?.('chat_completions', { stream: false })).toBeUndefined();
    expect(openai.requestStreamUsage?.('responses', { stream: true })).toBeUndefined();
    expect(openai.requestStreamUsage?.('completions', { stream: true })).toMatchObject({
      stream_options: { include_usage: true },
    });
  });

  it('not for servers that reject stream_options, nor for Anthropic', () => {
    expect(createAdapter('openai-compatible', { preset: 'mistral' }).requestStreamUsage).toBeUndefined();
    expect(createAdapter('anthropic').requestStreamUsage).toBeUndefined();
  });

  it('recognises the usage-only chunk the gateway strips again', () => {
    const lines = sample('8.7')
      .text.split('\n')
      .filter((l) => l.startsWith('data: '));
    const flags = lines.map((l) => isUsageOnlyData(l.slice(6)));
    expect(flags).toEqual([false, false, false, true, false]);
    expect(isUsageOnlyChunk({ choices: [], usage: { prompt_tokens: 1 } })).toBe(true);
    expect(isUsageOnlyChunk({ choices: [], usage: null })).toBe(false);
    expect(isUsageOnlyData('{"choices": [ ], "usage": {"prompt_tokens": 1}}')).toBe(true);
    expect(isUsageOnlyData('not json "usage" "choices":[]')).toBe(false);
  });
});

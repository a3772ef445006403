import { describe, expect, it } from 'vitest';
import { createAdapter } from '../../src/providers/registry.js';
import { sample } from './helpers.js';

const openai = createAdapter('openai');
const azure = createAdapter('azure');
const anthropic = createAdapter('anthropic');
const gemini = createAdapter('gemini');
const groq = createAdapter('openai-compatible', { preset: 'groq' });

describe('matchEndpoint', () => {
  it.each([
    [openai, 'POST', '/v1/chat/completions', 'chat_completions'],
    [openai, 'post', '/v1/chat/completions/', 'chat_completions'],
    [openai, 'POST', '/v1/responses', 'responses'],
    [openai, 'POST', '/v1/completions', 'completions'],
    [openai, 'POST', '/v1/embeddings', 'embeddings'],
    [openai, 'GET', '/v1/models', 'models'],
    [openai, 'GET', '/v1/models/gpt-4o', 'models'],
    [openai, 'GET', '/v1/chat/completions', undefined],
    [openai, 'POST', '/v1/responses/resp_1/cancel', undefined],
    [openai, 'POST', '/v1/files', undefined],
    [groq, 'POST', '/openai/v1/chat/completions', 'chat_completions'],
    [
      azure,
      'POST',
      '/openai/deployments/gpt4o-prod/chat/completions?api-version=2024-10-21',
      'chat_completions',
    ],
    [azure, 'POST', '/openai/deployments/emb/embeddings?api-version=2024-10-21', 'embeddings'],
    [azure, 'POST', '/openai/v1/chat/completions', 'chat_completions'],
    [azure, 'POST', '/openai/v1/responses', 'responses'],
    [anthropic, 'POST', '/v1/messages', 'messages'],
    [anthropic, 'POST', '/v1/messages/count_tokens', 'count_tokens'],
    [anthropic, 'POST', '/anthropic/v1/messages?beta=true', 'messages'],
    [anthropic, 'GET', '/v1/models', 'models'],
    [anthropic, 'POST', '/v1/chat/completions', undefined],
    [gemini, 'POST', '/v1beta/models/gemini-2.5-flash:generateContent', 'generate_content'],
    [
      gemini,
      'POST',
      '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse',
      'stream_generate_content',
    ],
    [gemini, 'POST', '/v1beta/models/gemini-2.5-flash%3AgenerateContent', 'generate_content'],
    // Only `models/{one safe segment}`: tuned models and dot segments are not model groups.
    [gemini, 'POST', '/v1/tunedModels/my-model:generateContent', undefined],
    [gemini, 'POST', '/v1beta/models/..:generateContent', undefined],
    [gemini, 'POST', '/v1beta/models/x%2F..%2Fy:generateContent', undefined],
    [gemini, 'POST', '/v1beta/models/gemini-2.5-flash:countTokens', 'count_tokens'],
    [gemini, 'POST', '/v1beta/models/gemini-embedding-001:embedContent', 'embed_content'],
    [gemini, 'POST', '/v1beta/models/gemini-embedding-001%3AbatchEmbedContents', 'batch_embed_contents'],
    [gemini, 'GET', '/v1beta/models/gemini-embedding-001:embedContent', undefined],
    [gemini, 'POST', '/v1beta/models/gemini-2.5-flash:predict', undefined],
    [gemini, 'POST', '/v1beta/openai/chat/completions', 'chat_completions'],
    [gemini, 'POST', '/v1beta/openai/embeddings', 'embeddings'],
    [gemini, 'GET', '/v1beta/models', 'models'],
  ] as const)('%#: %s %s', (adapter, method, path, endpoint) => {
    expect(adapter.matchEndpoint(method, path)).toBe(endpoint);
  });

  it('reads the model of a native Gemini path', () => {
    const estimate = gemini.estimate(
      'generate_content',
      { contents: [] },
      '/v1beta/models/gemini-2.5-flash:generateContent',
    );
    expect(estimate.model).toBe('gemini-2.5-flash');
  });
});

describe('usageFromBody', () => {
  it('OpenAI §8.1: prompt + completion', () => {
    expect(openai.usageFromBody('chat_completions', sample('8.1').body)).toEqual({
      inputTokens: 13,
      outputTokens: 5,
      cacheReadTokens: 0,
      cacheWriteTokens: undefined,
    });
  });

  it('OpenAI embeddings: prompt tokens only', () => {
    const body = { object: 'list', data: [], usage: { prompt_tokens: 8, total_tokens: 8 } };
    expect(openai.usageFromBody('embeddings', body)).toMatchObject({ inputTokens: 8, outputTokens: 0 });
  });

  it('Anthropic §8.9: input + cache writes', () => {
    expect(anthropic.usageFromBody('messages', sample('8.9').body)).toEqual({
      inputTokens: 2095,
      outputTokens: 503,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      promptTokens: 2095,
      // The tier that served it (a typed field beside usage: runtime/service-tier.ts).
      serviceTier: 'standard',
    });
  });

  it('Anthropic §8.14: count_tokens consumes nothing', () => {
    expect(anthropic.usageFromBody('count_tokens', sample('8.14').body)).toEqual({
      inputTokens: 0,
      outputTokens: 0,
    });
  });

  it('Anthropic cache-read exceptions are configurable', () => {
    const body = {
      model: 'claude-opus-4-7',
      usage: {
        input_tokens: 5,
        cache_creation_input_tokens: 20,
        cache_read_input_tokens: 300,
        output_tokens: 9,
      },
    };
    expect(anthropic.usageFromBody('messages', body)).toMatchObject({ inputTokens: 25 });
    const counting = createAdapter('anthropic', { cacheReadsCountFor: ['claude-opus-4'] });
    expect(counting.usageFromBody('messages', body)).toMatchObject({ inputTokens: 325 });
  });

  it('Gemini usageMetadata, also from a non-streamed JSON-array answer', () => {
    const chunk = {
      usageMetadata: { promptTokenCount: 7, candidatesTokenCount: 3, cachedContentTokenCount: 2 },
    };
    expect(gemini.usageFromBody('generate_content', chunk)).toEqual({
      inputTokens: 7,
      outputTokens: 3,
      cacheReadTokens: 2,
    });
    expect(gemini.usageFromBody('stream_generate_content', [{}, chunk, {}])).toMatchObject({
      inputTokens: 7,
    });
  });

  it('Gemini OpenAI-compatible bodies use OpenAI usage', () => {
    const body = { usage: { prompt_tokens: 4, completion_tokens: 6, total_tokens: 10 } };
    expect(gemini.usageFromBody('chat_completions', body)).toMatchObject({ inputTokens: 4, outputTokens: 6 });
  });

  it.each([undefined, null, 'text', 42, [], { usage: 'x' }, { usage: { prompt_tokens: -1 } }])(
    'unknown usage for %j',
    (body) => {
      expect(openai.usageFromBody('chat_completions', body)).toBeUndefined();
      expect(anthropic.usageFromBody('messages', body)).toBeUndefined();
      expect(gemini.usageFromBody('generate_content', body)).toBeUndefined();
    },
  );
});

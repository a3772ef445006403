import { describe, expect, it } from 'vitest';
import { estimateTokensFromChars } from '../../src/providers/estimate/text-counter.js';
import { createAdapter } from '../../src/providers/registry.js';

const anthropic = createAdapter('anthropic');
const gemini = createAdapter('gemini');

describe('character estimate', () => {
  it('is ceil(ascii / 4 + non-ASCII units)', () => {
    expect(estimateTokensFromChars('')).toBe(0);
    expect(estimateTokensFromChars('abcd')).toBe(1);
    expect(estimateTokensFromChars('abcde')).toBe(2);
    expect(estimateTokensFromChars('日本語')).toBe(3);
    expect(estimateTokensFromChars('ab日本')).toBe(3);
  });
});

describe('Anthropic estimate (§3.6: no public tokenizer)', () => {
  const path = '/v1/messages';
  it('counts system, message text, framing; reserves max_tokens', () => {
    const estimate = anthropic.estimate(
      'messages',
      {
        model: 'claude-sonnet-4-6',
        max_tokens: 1024,
        stream: true,
        system: 'You are terse.', // 14 chars → 4
        messages: [
          { role: 'user', content: 'Hello, Claude' }, // 13 → 4
          { role: 'assistant', content: [{ type: 'text', text: 'Hi!!' }] }, // 4 → 1
        ],
      },
      path,
    );
    expect(estimate).toMatchObject({ endpoint: 'messages', model: 'claude-sonnet-4-6', stream: true });
    expect(estimate.cost).toEqual({ requests: 1, inputTokens: 4 + 3 + 4 + 3 + 1, outputTokens: 1024 });
  });

  it('adds images, tool definitions with the tool system prompt, tool use and results', () => {
    const tools = [{ name: 'get_weather', input_schema: { type: 'object' } }];
    const base = anthropic.estimate(
      'messages',
      { max_tokens: 1, messages: [{ role: 'user', content: 'x' }] },
      path,
    ).cost.inputTokens;
    const rich = anthropic.estimate(
      'messages',
      {
        max_tokens: 1,
        tools,
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'x' },
              {
                type: 'image',
                source: { type: 'base64', media_type: 'image/png', data: 'A'.repeat(100_000) },
              },
            ],
          },
          {
            role: 'assistant',
            content: [{ type: 'tool_use', id: 't', name: 'get_weather', input: { city: 'Paris' } }],
          },
          {
            role: 'user',
            content: [{ type: 'tool_result', tool_use_id: 't', content: [{ type: 'text', text: 'Sunny' }] }],
          },
        ],
      },
      path,
    ).cost.inputTokens;
    const toolsJson = Math.ceil(JSON.stringify(tools).length / 4);
    const toolUse =
      Math.ceil('get_weather'.length / 4) + Math.ceil(JSON.stringify({ city: 'Paris' }).length / 4);
    expect(rich - base).toBe(1600 + 346 + toolsJson + 3 + toolUse + 3 + 2);
  });

  it('count_tokens costs only the request', () => {
    expect(
      anthropic.estimate(
        'count_tokens',
        { model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'x' }] },
        path,
      ).cost,
    ).toEqual({ requests: 1, inputTokens: 0, outputTokens: 0 });
  });
});

describe('Gemini estimate', () => {
  const path = '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse';
  it('counts text parts and images, reserves candidateCount × maxOutputTokens', () => {
    const estimate = gemini.estimate(
      'stream_generate_content',
      {
        contents: [
          {
            role: 'user',
            parts: [
              { text: 'Describe this' },
              { inlineData: { mimeType: 'image/jpeg', data: 'A'.repeat(1000) } },
            ],
          },
        ],
        systemInstruction: { parts: [{ text: 'Be brief' }] },
        generationConfig: { maxOutputTokens: 200, candidateCount: 2 },
      },
      path,
    );
    expect(estimate).toMatchObject({ model: 'gemini-2.5-flash', stream: true });
    expect(estimate.cost).toEqual({ requests: 1, inputTokens: 4 + 1032 + 2, outputTokens: 400 });
  });

  it('estimates OpenAI-compatible requests by characters', () => {
    const estimate = gemini.estimate(
      'chat_completions',
      { model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'abcdefgh' }], max_tokens: 5 },
      '/v1beta/openai/chat/completions',
    );
    expect(estimate.cost).toEqual({ requests: 1, inputTokens: 3 + 1 + 2 + 3, outputTokens: 5 });
  });
});

/**
 * The response cache's keys: the same question in any chat API and either
 * framing is one key; anything that changes the answer, the scope or the
 * group splits it; the semantic partition is the question without its
 * last user message.
 */
import { describe, expect, it } from 'vitest';
import { cacheKeyOf } from '../../src/cache/cache-key.js';
import { chatApiOfEndpoint } from '../../src/providers/translate/chat-apis.js';
import type { NeutralRequest } from '../../src/providers/translate/neutral.js';

function read(endpoint: 'chat_completions' | 'messages' | 'generate_content', body: unknown): NeutralRequest {
  const api = chatApiOfEndpoint(endpoint);
  const read = api?.readRequest({ body, model: 'g', stream: false });
  if (!read?.ok) throw new Error('unreadable');
  return read.value;
}

const tool = (schema: Record<string, unknown>) => ({
  type: 'function',
  function: { name: 'lookup', description: 'Look up', parameters: schema },
});

describe('cacheKeyOf', () => {
  const openai = read('chat_completions', {
    model: 'g',
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'What is the capital of France?' },
    ],
    max_completion_tokens: 50,
  });

  it('is one key for the same question asked through OpenAI or Anthropic, streamed or not', () => {
    const anthropic = read('messages', {
      model: 'other-name',
      system: 'Be brief.',
      messages: [{ role: 'user', content: 'What is the capital of France?' }],
      max_tokens: 50,
      stream: true,
    });
    expect(cacheKeyOf(anthropic, 'g', 't1')).toEqual(cacheKeyOf(openai, 'g', 't1'));
    expect(cacheKeyOf({ ...openai, stream: true, streamUsage: true }, 'g', 't1').exact).toBe(
      cacheKeyOf(openai, 'g', 't1').exact,
    );
  });

  it('splits on the scope, the group, the system prompt and any parameter that changes the answer', () => {
    const base = cacheKeyOf(openai, 'g', 't1');
    expect(cacheKeyOf(openai, 'g', 't2').exact).not.toBe(base.exact);
    expect(cacheKeyOf(openai, 'h', 't1').exact).not.toBe(base.exact);
    expect(cacheKeyOf({ ...openai, system: ['Be verbose.'] }, 'g', 't1').partition).not.toBe(base.partition);
    expect(cacheKeyOf({ ...openai, temperature: 0.2 }, 'g', 't1').exact).not.toBe(base.exact);
    expect(cacheKeyOf({ ...openai, maxOutputTokens: 51 }, 'g', 't1').exact).not.toBe(base.exact);
  });

  it('does not split on the key order of a tool schema', () => {
    const ask = (schema: Record<string, unknown>) =>
      read('chat_completions', {
        model: 'g',
        messages: [{ role: 'user', content: 'hi' }],
        tools: [tool(schema)],
      });
    const a = ask({ type: 'object', properties: { q: { type: 'string' } }, required: ['q'] });
    const b = ask({ required: ['q'], properties: { q: { type: 'string' } }, type: 'object' });
    expect(cacheKeyOf(a, 'g', 's').exact).toBe(cacheKeyOf(b, 'g', 's').exact);
  });

  it('partitions by everything but the last user message, which the semantic cache matches on', () => {
    const other = {
      ...openai,
      messages: [{ role: 'user' as const, parts: [{ kind: 'text' as const, text: 'Capital of France?' }] }],
    };
    const a = cacheKeyOf(openai, 'g', 't1');
    const b = cacheKeyOf(other, 'g', 't1');
    expect(a.partition).toBe(b.partition);
    expect(a.exact).not.toBe(b.exact);
    expect([a.lastUserText, b.lastUserText]).toEqual([
      'What is the capital of France?',
      'Capital of France?',
    ]);
    expect(a.exact).toMatch(/^[0-9a-f]{64}$/);
  });
});

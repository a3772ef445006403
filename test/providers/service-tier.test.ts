/**
 * The served tier read beside usage (PROVIDERS.md "2026 changes": charge the
 * tier the answer reports): OpenAI's `service_tier` in a JSON body, whole or
 * read partially, and in stream chunks; Gemini's `x-gemini-service-tier`
 * header; and the tier a deployment puts in the request.
 */
import { describe, expect, it } from 'vitest';
import { lastWordMember } from '../../src/providers/parse/json-member.js';
import { bodyForUsage } from '../../src/providers/parse/usage-body.js';
import { createAdapter } from '../../src/providers/registry.js';
import { canonicalTier, servedTierFromHeaders, withServiceTier } from '../../src/providers/service-tier.js';

const openai = createAdapter('openai');
const encode = (text: string) => new TextEncoder().encode(text);

/** A chat completion as OpenAI sends it: `service_tier` after `usage`, content of `size` characters. */
function chatBody(tier: string, size: number): string {
  return JSON.stringify({
    id: 'chatcmpl-1',
    object: 'chat.completion',
    model: 'gpt-4o',
    choices: [{ index: 0, message: { role: 'assistant', content: 'x'.repeat(size) }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 12, completion_tokens: 34, total_tokens: 46 },
    service_tier: tier,
    system_fingerprint: 'fp_1',
  });
}

/** A Responses object, pretty-printed as OpenAI sends it: `service_tier` a few members before `usage`. */
function responsesBody(tier: string, size: number): string {
  return JSON.stringify(
    {
      id: 'resp_1',
      object: 'response',
      model: 'gpt-5',
      output: [
        {
          type: 'message',
          content: [{ type: 'output_text', text: `"service_tier": "flex" ${'y'.repeat(size)}` }],
        },
      ],
      parallel_tool_calls: true,
      reasoning: { effort: 'medium', summary: null },
      service_tier: tier,
      store: true,
      temperature: 1,
      text: { format: { type: 'text' }, verbosity: 'medium' },
      tool_choice: 'auto',
      tools: [],
      top_logprobs: 0,
      top_p: 1,
      truncation: 'disabled',
      usage: { input_tokens: 20, output_tokens: 30, total_tokens: 50 },
      user: null,
      metadata: {},
    },
    null,
    2,
  );
}

function usageOfBody(endpoint: 'chat_completions' | 'responses', raw: string, minBytes?: number) {
  return openai.usageFromBody(endpoint, bodyForUsage(Buffer.from(raw), minBytes));
}

describe('served tier: non-streamed bodies', () => {
  it.each([0, 1_024])('Chat Completions: read after usage (partial read from %i bytes)', (minBytes) => {
    for (const size of [10, 5_000, 200_000]) {
      expect(usageOfBody('chat_completions', chatBody('default', size), minBytes)).toMatchObject({
        inputTokens: 12,
        outputTokens: 34,
        serviceTier: 'default',
      });
    }
  });

  it('Responses: read before usage, not from text that looks like it', () => {
    for (const size of [10, 5_000, 200_000]) {
      expect(usageOfBody('responses', responsesBody('priority', size), 0)).toMatchObject({
        inputTokens: 20,
        serviceTier: 'priority',
      });
    }
  });

  it('the partial read gives what JSON.parse gives for usage, model and tier', () => {
    const raw = chatBody('flex', 3_000);
    const whole = JSON.parse(raw) as Record<string, unknown>;
    expect(bodyForUsage(Buffer.from(raw), 0)).toEqual({
      usage: whole.usage,
      model: whole.model,
      service_tier: whole.service_tier,
    });
  });

  it('no tier reported: none read', () => {
    const raw = JSON.stringify({ model: 'm', usage: { prompt_tokens: 1, completion_tokens: 2 } });
    expect(usageOfBody('chat_completions', raw, 0)?.serviceTier).toBeUndefined();
  });
});

describe('served tier: streams', () => {
  const head = (tier: string) =>
    `"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-4o","service_tier":"${tier}"`;

  it('Chat Completions: the usage chunk’s service_tier', () => {
    const tap = openai.createUsageTap('chat_completions');
    const text = [
      `data: {${head('default')},"choices":[{"index":0,"delta":{"content":"\\"service_tier\\":\\"flex\\""},"finish_reason":null}],"usage":null}`,
      `data: {${head('default')},"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}`,
      'data: [DONE]',
      '',
    ].join('\n\n');
    // Split anywhere, byte by byte: the same answer.
    for (const chunk of encode(text)) tap.push(new Uint8Array([chunk]));
    expect(tap.usage()).toEqual(
      expect.objectContaining({ inputTokens: 3, outputTokens: 4, serviceTier: 'default' }),
    );
  });

  it('Responses: the terminal event’s response.service_tier', () => {
    const tap = openai.createUsageTap('responses');
    tap.push(
      encode(
        'event: response.completed\ndata: {"type":"response.completed","response":{"id":"r","service_tier":"flex","output":[],"usage":{"input_tokens":5,"output_tokens":6}}}\n\n',
      ),
    );
    expect(tap.usage()).toMatchObject({ inputTokens: 5, outputTokens: 6, serviceTier: 'flex' });
  });

  it('a word member is a key, not string content', () => {
    expect(
      lastWordMember('{"a":"\\"service_tier\\":\\"flex\\"","service_tier":"default"}', 'service_tier'),
    ).toBe('default');
    expect(lastWordMember('{"a":"\\"service_tier\\":\\"flex\\""}', 'service_tier')).toBeUndefined();
    expect(lastWordMember('{"service_tier":null}', 'service_tier')).toBeUndefined();
  });
});

describe('served tier: Anthropic usage', () => {
  const anthropic = createAdapter('anthropic');

  it('reads usage.service_tier from a message and from message_start of a stream', () => {
    const body = {
      model: 'claude-sonnet-4-6',
      usage: { input_tokens: 10, output_tokens: 3, service_tier: 'priority' },
    };
    expect(anthropic.usageFromBody('messages', body)).toMatchObject({
      inputTokens: 10,
      serviceTier: 'priority',
    });
    const tap = anthropic.createUsageTap('messages');
    tap.push(
      encode(
        [
          'event: message_start',
          'data: {"type":"message_start","message":{"model":"claude-sonnet-4-6","usage":{"input_tokens":7,"output_tokens":1,"service_tier":"standard"}}}',
          '',
          'event: message_delta',
          'data: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":9}}',
          '',
          '',
        ].join('\n'),
      ),
    );
    expect(tap.usage()).toMatchObject({ inputTokens: 7, outputTokens: 9, serviceTier: 'standard' });
  });
});

describe('served tier: Gemini header', () => {
  it('reads x-gemini-service-tier on Gemini answers only', () => {
    const headers = new Headers({ 'x-gemini-service-tier': 'STANDARD' });
    expect(servedTierFromHeaders('gemini', headers)).toBe('STANDARD');
    expect(canonicalTier('gemini', 'STANDARD')).toBe('standard');
    expect(canonicalTier('gemini', 'SERVICE_TIER_PRIORITY')).toBe('priority');
    expect(servedTierFromHeaders('openai', headers)).toBeUndefined();
    expect(servedTierFromHeaders('gemini', new Headers())).toBeUndefined();
  });
});

describe('the tier sent', () => {
  it('goes in the body of tiered endpoints unless the caller chose one', () => {
    const sent = { provider: 'openai', endpoint: 'chat_completions', tier: 'flex' } as const;
    expect(withServiceTier({ model: 'm' }, sent)).toEqual({ model: 'm', service_tier: 'flex' });
    expect(withServiceTier({ model: 'm', service_tier: 'auto' }, sent)).toBeUndefined();
    expect(withServiceTier({ model: 'm' }, { ...sent, endpoint: 'embeddings' })).toBeUndefined();
    const gemini = { provider: 'gemini', endpoint: 'generate_content', tier: 'priority' } as const;
    expect(withServiceTier({ contents: [] }, gemini)).toEqual({ contents: [], service_tier: 'priority' });
    expect(withServiceTier({ contents: [], serviceTier: 'flex' }, gemini)).toBeUndefined();
  });

  it('OpenAI names one tier twice (`fast` is `priority`) and serves `auto` as `default`', () => {
    expect(canonicalTier('openai', 'fast')).toBe('priority');
    expect(canonicalTier('openai', 'auto')).toBe('default');
    expect(canonicalTier('openai', 'ultrafast')).toBe('ultrafast');
  });
});

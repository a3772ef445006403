import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Endpoint, ProviderAdapter, UsageTap } from '../../../src/providers/adapter.js';
import { createAdapter } from '../../../src/providers/registry.js';
import { bytes, feedBytewise, feedSplit, sample } from '../helpers.js';

const openai = createAdapter('openai');
const anthropic = createAdapter('anthropic');
const gemini = createAdapter('gemini');

interface Case {
  readonly name: string;
  readonly adapter: ProviderAdapter;
  readonly endpoint: Endpoint;
  readonly stream: string;
}

function summary(tap: UsageTap) {
  return { usage: tap.usage(), complete: tap.complete(), error: tap.error()?.kind };
}

const CHAT_TAIL = [
  'data: {"id":"chatcmpl-CVFjOTBIgA3kuQLnIXXxtg7Ge7hbs","object":"chat.completion.chunk","created":1761564674,"model":"gpt-3.5-turbo-0125","service_tier":"default","system_fingerprint":null,"choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null,"obfuscation":"a"}',
  '',
  'data: {"id":"chatcmpl-CVFjOTBIgA3kuQLnIXXxtg7Ge7hbs","object":"chat.completion.chunk","created":1761564674,"model":"gpt-3.5-turbo-0125","service_tier":"default","system_fingerprint":null,"choices":[],"usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"obfuscation":"8618FsxJD2gV"}',
  '',
  'data: [DONE]',
  '',
  '',
].join('\n');

const RESPONSES_STREAM = [
  'event: response.created',
  'data: {"type":"response.created","sequence_number":0,"response":{"id":"resp_1","status":"in_progress","output":[],"usage":null,"error":null}}',
  '',
  'event: response.output_text.delta',
  'data: {"type":"response.output_text.delta","sequence_number":1,"delta":"Hi \\"usage\\": {\\"input_tokens\\": 999}","item_id":"msg_1","output_index":0,"content_index":0}',
  '',
  'event: response.completed',
  'data: {"type":"response.completed","sequence_number":2,"response":{"id":"resp_1","status":"completed","error":null,"output":[{"type":"message","content":[{"type":"output_text","text":"Hi"}]}],"usage":{"input_tokens":36,"input_tokens_details":{"cached_tokens":12},"output_tokens":87,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":123}}}',
  '',
  '',
].join('\r\n');

const GEMINI_SSE = [
  'data: {"candidates": [{"content": {"parts": [{"text": "Hel"}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 8,"totalTokenCount": 8},"modelVersion": "gemini-2.5-flash"}',
  '',
  'data: {"candidates": [{"content": {"parts": [{"text": "lo ✓ ünïcödé"}],"role": "model"},"finishReason": "STOP","index": 0}],"usageMetadata": {"promptTokenCount": 8,"candidatesTokenCount": 12,"thoughtsTokenCount": 30,"totalTokenCount": 50},"modelVersion": "gemini-2.5-flash"}',
  '',
  '',
].join('\r\n');

const GEMINI_ARRAY =
  '[{"candidates": [{"content": {"parts": [{"text": "a ] } \\" [ {"}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 8,"totalTokenCount": 8}}\n,\r\n{"candidates": [{"content": {"parts": [{"text": "b"}],"role": "model"},"finishReason": "STOP","index": 0}],"usageMetadata": {"promptTokenCount": 8,"candidatesTokenCount": 2,"totalTokenCount": 10}}\n]';

const CASES: readonly Case[] = [
  { name: 'OpenAI chat §8.7', adapter: openai, endpoint: 'chat_completions', stream: sample('8.7').text },
  { name: 'OpenAI chat tail §1.8', adapter: openai, endpoint: 'chat_completions', stream: CHAT_TAIL },
  { name: 'OpenAI Responses', adapter: openai, endpoint: 'responses', stream: RESPONSES_STREAM },
  { name: 'Anthropic §8.13', adapter: anthropic, endpoint: 'messages', stream: sample('8.13').text },
  {
    name: 'Anthropic §8.13 with error tail',
    adapter: anthropic,
    endpoint: 'messages',
    stream: sample('8.13').text.split('event: message_delta')[0] + sample('8.13.b').text,
  },
  { name: 'Gemini alt=sse', adapter: gemini, endpoint: 'stream_generate_content', stream: GEMINI_SSE },
  { name: 'Gemini JSON array', adapter: gemini, endpoint: 'stream_generate_content', stream: GEMINI_ARRAY },
];

describe('usage taps: expected results', () => {
  const whole = (c: Case) => {
    const tap = c.adapter.createUsageTap(c.endpoint);
    tap.push(bytes(c.stream));
    return summary(tap);
  };

  it('OpenAI chat §8.7: final usage chunk, prompt + completion', () => {
    expect(whole(CASES[0] as Case)).toEqual({
      usage: { inputTokens: 10, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: undefined },
      complete: true,
      error: undefined,
    });
  });

  it('OpenAI chat tail with obfuscation fields', () => {
    expect(whole(CASES[1] as Case).usage).toMatchObject({ inputTokens: 10, outputTokens: 5 });
  });

  it('Responses: usage of response.completed, not text that looks like usage', () => {
    expect(whole(CASES[2] as Case)).toEqual({
      usage: { inputTokens: 36, outputTokens: 87, cacheReadTokens: 12, cacheWriteTokens: undefined },
      complete: true,
      error: undefined,
    });
  });

  it('Anthropic §8.13: input from message_start, output from the last message_delta (not summed)', () => {
    expect(whole(CASES[3] as Case)).toEqual({
      usage: { inputTokens: 25, outputTokens: 15, cacheReadTokens: 0, cacheWriteTokens: 0, promptTokens: 25 },
      complete: true,
      error: undefined,
    });
  });

  it('Anthropic §8.13 cut by an overloaded_error: partial usage and the error', () => {
    expect(whole(CASES[4] as Case)).toEqual({
      usage: { inputTokens: 25, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, promptTokens: 25 },
      complete: false,
      error: 'overloaded',
    });
  });

  it('Gemini SSE: last usageMetadata wins, thoughts count as output', () => {
    expect(whole(CASES[5] as Case)).toEqual({
      usage: { inputTokens: 8, outputTokens: 42, cacheReadTokens: undefined },
      complete: true,
      error: undefined,
    });
  });

  it('Gemini JSON array: elements split correctly around brackets inside strings', () => {
    expect(whole(CASES[6] as Case)).toEqual({
      usage: { inputTokens: 8, outputTokens: 2, cacheReadTokens: undefined },
      complete: true,
      error: undefined,
    });
  });

  it('a chat stream without include_usage reports no usage and is not complete', () => {
    const tap = openai.createUsageTap('chat_completions');
    tap.push(bytes(sample('8.7').text.replace(/data: \{[^\n]*"choices":\[\],"usage":\{[^\n]*\n\n/, '')));
    expect(summary(tap)).toEqual({ usage: undefined, complete: false, error: undefined });
  });

  it('an OpenAI in-stream error chunk', () => {
    const tap = openai.createUsageTap('chat_completions');
    tap.push(
      bytes(
        'data: {"error":{"message":"The server had an error","type":"server_error","param":null,"code":null}}\n\n',
      ),
    );
    expect(tap.error()).toMatchObject({ kind: 'server_error', status: 500 });
  });

  it('an OpenRouter mid-stream upstream rate limit', () => {
    const tap = createAdapter('openai-compatible', { preset: 'openrouter' }).createUsageTap(
      'chat_completions',
    );
    tap.push(
      bytes(
        'data: {"id":"x","object":"chat.completion.chunk","error":{"code":429,"message":"Provider returned error"},"choices":[{"index":0,"delta":{"content":""},"finish_reason":"error"}]}\n\n',
      ),
    );
    expect(tap.error()).toMatchObject({ kind: 'rate_limited', status: 429 });
  });

  it('a Responses error event', () => {
    const tap = openai.createUsageTap('responses');
    tap.push(
      bytes(
        'event: error\ndata: {"type":"error","code":"rate_limit_exceeded","message":"Slow down","param":null}\n\n',
      ),
    );
    expect(tap.error()).toMatchObject({ kind: 'rate_limited' });
  });

  it('Anthropic cache reads count for older models only', () => {
    const stream = (model: string) =>
      `event: message_start\ndata: {"type":"message_start","message":{"model":"${model}","usage":{"input_tokens":10,"cache_creation_input_tokens":100,"cache_read_input_tokens":1000,"output_tokens":1}}}\n\n` +
      'event: message_delta\ndata: {"type":"message_delta","delta":{},"usage":{"output_tokens":7}}\n\n';
    const run = (model: string) => {
      const tap = anthropic.createUsageTap('messages');
      tap.push(bytes(stream(model)));
      return tap.usage();
    };
    expect(run('claude-sonnet-4-6')).toMatchObject({
      inputTokens: 110,
      outputTokens: 7,
      cacheReadTokens: 1000,
    });
    expect(run('claude-3-5-haiku-20241022')).toMatchObject({ inputTokens: 1110, outputTokens: 7 });
  });

  it('Anthropic message_delta repeating the input side overwrites, never adds', () => {
    const tap = anthropic.createUsageTap('messages');
    tap.push(
      bytes(
        'event: message_start\ndata: {"type":"message_start","message":{"model":"claude-sonnet-4-6","usage":{"input_tokens":10682,"output_tokens":1}}}\n\n' +
          'event: message_delta\ndata: {"type":"message_delta","usage":{"input_tokens":10682,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":510}}\n\n',
      ),
    );
    expect(tap.usage()).toMatchObject({ inputTokens: 10682, outputTokens: 510 });
  });
});

describe('usage taps: bytes split anywhere give the same result', () => {
  for (const c of CASES) {
    const data = bytes(c.stream);
    const expected = (() => {
      const tap = c.adapter.createUsageTap(c.endpoint);
      tap.push(data);
      return summary(tap);
    })();

    it(`${c.name}: byte by byte`, () => {
      expect(summary(feedBytewise(c.adapter.createUsageTap(c.endpoint), data))).toEqual(expected);
    });

    it(`${c.name}: random splits`, () => {
      fc.assert(
        fc.property(fc.array(fc.integer({ min: 0, max: data.length }), { maxLength: 40 }), (cuts) => {
          expect(summary(feedSplit(c.adapter.createUsageTap(c.endpoint), data, cuts))).toEqual(expected);
        }),
        { numRuns: 200 },
      );
    });
  }
});

describe('usage taps: hostile streams', () => {
  it('survive garbage, truncation, and oversized events without throwing', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2_000 }), fc.constantFrom(...CASES), (junk, c) => {
        const tap = c.adapter.createUsageTap(c.endpoint);
        tap.push(junk);
        tap.push(bytes(c.stream.slice(0, c.stream.length >> 1)));
        const usage = tap.usage();
        if (usage) {
          expect(usage.inputTokens).toBeGreaterThanOrEqual(0);
          expect(usage.outputTokens).toBeGreaterThanOrEqual(0);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('drop an event larger than the buffer limit and keep reading', () => {
    const tap = openai.createUsageTap('chat_completions');
    tap.push(bytes(`data: {"choices":[{"delta":{"content":"${'x'.repeat(9 << 20)}"}}]}\n\n`));
    tap.push(bytes(CHAT_TAIL));
    expect(tap.usage()).toMatchObject({ inputTokens: 10, outputTokens: 5 });
  });
});

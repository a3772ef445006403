/**
 * Each family's stream reader on streams shaped as the providers send them,
 * split at every byte (inside multi-byte UTF-8 characters too): the events
 * are the same whatever the split.
 */
import { describe, expect, it } from 'vitest';
import type { NeutralStreamEvent } from '../../../../src/providers/translate/stream/events.js';
import {
  STREAM_FORMATS,
  type StreamFormat,
} from '../../../../src/providers/translate/stream/stream-translation.js';
import {
  ANTHROPIC_OVERLOAD_STREAM,
  ANTHROPIC_TOOL_STREAM,
  GEMINI_JSON_ERROR_STREAM,
  GEMINI_JSON_STREAM,
  GEMINI_SSE_STREAM,
  OPENAI_ERROR_STREAM,
  OPENAI_TOOL_STREAM,
} from './fixtures.js';

function read(format: StreamFormat, chunks: readonly Uint8Array[]): NeutralStreamEvent[] {
  const reader = STREAM_FORMATS[format].reader();
  const events: NeutralStreamEvent[] = [];
  const sink = (event: NeutralStreamEvent) => events.push(event);
  for (const chunk of chunks) reader.push(chunk, sink);
  reader.end(sink);
  return events;
}

/** The events for `text` whole, and for it split in two at every byte position. */
function everySplit(
  format: StreamFormat,
  text: string,
): { whole: NeutralStreamEvent[]; splits: NeutralStreamEvent[][] } {
  const bytes = new TextEncoder().encode(text);
  const splits: NeutralStreamEvent[][] = [];
  for (let i = 1; i < bytes.length; i++) splits.push(read(format, [bytes.subarray(0, i), bytes.subarray(i)]));
  splits.push(
    read(
      format,
      [...bytes].map((b) => Uint8Array.of(b)),
    ),
  );
  return { whole: read(format, [bytes]), splits };
}

const TOOL_ARGS = { city: 'Paris' };

const cases: { name: string; format: StreamFormat; text: string; events: NeutralStreamEvent[] }[] = [
  {
    name: 'OpenAI Chat: text, two parallel tool calls, the usage chunk',
    format: 'openai-chat',
    text: OPENAI_TOOL_STREAM,
    events: [
      { kind: 'start', id: 'chatcmpl-CVFj', model: 'gpt-4o-mini-2024-07-18', createdSeconds: 1761564674 },
      { kind: 'text', index: 0, text: 'Grüße 👋, checking' },
      { kind: 'text', index: 0, text: ' both.' },
      { kind: 'tool-call', index: 1, id: 'call_paris', name: 'get_weather' },
      { kind: 'tool-arguments', index: 1, json: '{"city": "Pa' },
      { kind: 'tool-arguments', index: 1, json: 'ris"}' },
      { kind: 'tool-call', index: 2, id: 'call_rome', name: 'get_weather' },
      { kind: 'tool-arguments', index: 2, json: '{"city": "Rome"}' },
      { kind: 'stop', reason: 'tool-calls' },
      {
        kind: 'usage',
        usage: { inputTokens: 82, outputTokens: 41, cachedInputTokens: 64, reasoningTokens: 0 },
      },
    ],
  },
  {
    name: 'OpenAI Chat: an error chunk after the 200',
    format: 'openai-chat',
    text: OPENAI_ERROR_STREAM,
    events: [
      { kind: 'start', id: 'chatcmpl-CVFj', model: 'gpt-4o-mini-2024-07-18', createdSeconds: 1761564674 },
      { kind: 'text', index: 0, text: 'Hel' },
      {
        kind: 'error',
        status: 500,
        type: 'server_error',
        message: 'The server had an error while processing your request. Sorry about that!',
      },
    ],
  },
  {
    name: 'Anthropic: text, ping, tool_use, cumulative usage with cache reads and writes',
    format: 'anthropic-messages',
    text: ANTHROPIC_TOOL_STREAM,
    events: [
      { kind: 'start', id: 'msg_01XFDUDYJgAACzvnptvVoYEL', model: 'claude-sonnet-4-6' },
      {
        kind: 'usage',
        usage: { inputTokens: 2620, outputTokens: 2, cachedInputTokens: 2048, cacheWriteTokens: 100 },
      },
      { kind: 'text', index: 0, text: '' },
      { kind: 'text', index: 0, text: 'Grüße 👋, ' },
      { kind: 'text', index: 0, text: 'let me check.' },
      { kind: 'tool-call', index: 1, id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', name: 'get_weather' },
      { kind: 'tool-arguments', index: 1, json: '{"city": "San Fra' },
      { kind: 'tool-arguments', index: 1, json: 'ncisco"}' },
      {
        kind: 'usage',
        usage: { inputTokens: 2620, outputTokens: 89, cachedInputTokens: 2048, cacheWriteTokens: 100 },
      },
      { kind: 'stop', reason: 'tool-calls' },
    ],
  },
  {
    name: 'Anthropic: overloaded_error mid-stream is a 529',
    format: 'anthropic-messages',
    text: ANTHROPIC_OVERLOAD_STREAM,
    events: [
      { kind: 'start', id: 'msg_1nZd', model: 'claude-sonnet-4-6' },
      { kind: 'usage', usage: { inputTokens: 25, outputTokens: 1 } },
      { kind: 'text', index: 0, text: '' },
      { kind: 'error', status: 529, type: 'overloaded_error', message: 'Overloaded' },
    ],
  },
  {
    name: 'Gemini alt=sse: text over chunks, a call without id, the finish chunk with thoughts counted',
    format: 'gemini-sse',
    text: GEMINI_SSE_STREAM,
    events: [
      { kind: 'start', id: 'tTCwacuEBMvn', model: 'gemini-2.5-flash' },
      { kind: 'usage', usage: { inputTokens: 11, outputTokens: 0 } },
      { kind: 'text', index: 0, text: 'Grüße 👋, ' },
      { kind: 'usage', usage: { inputTokens: 11, outputTokens: 4 } },
      { kind: 'text', index: 0, text: 'checking.' },
      { kind: 'usage', usage: { inputTokens: 11, outputTokens: 9 } },
      { kind: 'tool-call', index: 1, id: 'gemini-call-tTCwacuEBMvn-1', name: 'get_weather' },
      { kind: 'tool-arguments', index: 1, json: JSON.stringify(TOOL_ARGS) },
      {
        kind: 'usage',
        usage: { inputTokens: 11, outputTokens: 29, cachedInputTokens: 4, reasoningTokens: 17 },
      },
      { kind: 'stop', reason: 'tool-calls' },
    ],
  },
  {
    name: 'Gemini JSON array: pretty-printed elements, MAX_TOKENS',
    format: 'gemini-json',
    text: GEMINI_JSON_STREAM,
    events: [
      { kind: 'start', id: 'tTCwacuEBMvn', model: 'gemini-2.5-flash' },
      { kind: 'usage', usage: { inputTokens: 11, outputTokens: 0 } },
      { kind: 'text', index: 0, text: 'Grüße 👋, ' },
      { kind: 'usage', usage: { inputTokens: 11, outputTokens: 6 } },
      { kind: 'text', index: 0, text: 'it is sunny.' },
      { kind: 'stop', reason: 'max-tokens' },
    ],
  },
  {
    name: 'Gemini JSON array: an error element keeps its code',
    format: 'gemini-json',
    text: GEMINI_JSON_ERROR_STREAM,
    events: [
      {
        kind: 'error',
        status: 429,
        type: 'RESOURCE_EXHAUSTED',
        message: 'Resource has been exhausted (e.g. check quota).',
      },
    ],
  },
];

describe('stream readers', () => {
  it.each(cases)('$name, split at every byte', ({ format, text, events }) => {
    const { whole, splits } = everySplit(format, text);
    expect(whole).toEqual(events);
    for (const split of splits) expect(split).toEqual(events);
  });

  it('the Gemini reader reads an alt=sse stream whichever of its formats it is registered as', () => {
    expect(read('gemini-json', [new TextEncoder().encode(GEMINI_SSE_STREAM)])).toEqual(
      read('gemini-sse', [new TextEncoder().encode(GEMINI_SSE_STREAM)]),
    );
  });
});

/**
 * What a caller sees when the upstream's stream is broken, cut, incomplete
 * or reports an error: its own family's error event last, the stream still
 * well-formed, nothing thrown. And what passes over harmlessly: event types
 * no family knows yet.
 */
import { describe, expect, it } from 'vitest';
import {
  createStreamTranslation,
  type StreamFormat,
} from '../../../../src/providers/translate/stream/stream-translation.js';
import {
  ANTHROPIC_OVERLOAD_STREAM,
  ANTHROPIC_TOOL_STREAM,
  GEMINI_JSON_STREAM,
  GEMINI_SSE_STREAM,
  OPENAI_TOOL_STREAM,
} from './fixtures.js';
import { assemble, byteChunks, FORMATS, OPTIONS, streamMessages, translate } from './stream-kit.js';

const bytes = (text: string) => [new TextEncoder().encode(text)];

/** The error the caller's stream ended with (it must end with one). */
function endedWithError(to: StreamFormat, stream: string): Record<string, unknown> {
  const assembled = assemble(to, stream);
  if (!('error' in assembled)) throw new Error(`no error event in ${stream}`);
  return assembled.error;
}

const broken: { name: string; says: string; from: StreamFormat; text: string }[] = [
  {
    says: 'before its finish_reason',
    name: 'OpenAI cut mid-event',
    from: 'openai-chat',
    text: OPENAI_TOOL_STREAM.slice(0, 900),
  },
  {
    says: 'without its usage chunk',
    name: 'OpenAI without its usage chunk',
    from: 'openai-chat',
    text: OPENAI_TOOL_STREAM.replace(/data: \{[^\n]*"choices":\[\],"usage":\{[^\n]*\n\n/, ''),
  },
  {
    says: 'before data: [DONE]',
    name: 'OpenAI without data: [DONE]',
    from: 'openai-chat',
    text: OPENAI_TOOL_STREAM.replace('data: [DONE]\n\n', ''),
  },
  {
    says: 'not the JSON',
    name: 'OpenAI with an unparsable event',
    from: 'openai-chat',
    text: OPENAI_TOOL_STREAM.replace('data: [DONE]', 'data: {"id": "chatcmpl-\n\ndata: [DONE]'),
  },
  {
    says: 'before the stop_reason',
    name: 'Anthropic cut mid-event',
    from: 'anthropic-messages',
    text: ANTHROPIC_TOOL_STREAM.slice(0, 1500),
  },
  {
    says: 'before message_stop',
    name: 'Anthropic without message_stop',
    from: 'anthropic-messages',
    text: ANTHROPIC_TOOL_STREAM.replace('event: message_stop\ndata: {"type":"message_stop"}\n\n', ''),
  },
  {
    says: 'carries no usage',
    name: 'Anthropic without usage in message_start',
    from: 'anthropic-messages',
    text: ANTHROPIC_TOOL_STREAM.replace(/,"usage":\{"input_tokens":472[^}]*\}/, ''),
  },
  {
    says: 'pause_turn',
    name: 'Anthropic with a stop reason that cannot travel',
    from: 'anthropic-messages',
    text: ANTHROPIC_TOOL_STREAM.replace('"stop_reason":"tool_use"', '"stop_reason":"pause_turn"'),
  },
  {
    says: 'before its finishReason',
    name: 'Gemini SSE cut mid-event',
    from: 'gemini-sse',
    text: GEMINI_SSE_STREAM.slice(0, -200),
  },
  {
    says: 'without its usageMetadata',
    name: 'Gemini SSE without usageMetadata',
    from: 'gemini-sse',
    text: GEMINI_SSE_STREAM.replace(/"usageMetadata": \{[^}]*(\{[^}]*\}[^}]*)*\},/g, ''),
  },
  {
    says: 'before its finishReason',
    name: 'Gemini JSON array cut mid-element',
    from: 'gemini-json',
    text: GEMINI_JSON_STREAM.slice(0, -120),
  },
  {
    says: 'MALFORMED_FUNCTION_CALL',
    name: 'Gemini with a finishReason that cannot travel',
    from: 'gemini-json',
    text: GEMINI_JSON_STREAM.replace('"MAX_TOKENS"', '"MALFORMED_FUNCTION_CALL"'),
  },
  { says: 'before message_start', name: 'an empty body', from: 'anthropic-messages', text: '' },
];

/** How each family says "the server failed" (a 502 has no envelope of its own). */
const SERVER_ERROR: Record<StreamFormat, Record<string, unknown>> = {
  'openai-chat': { type: 'server_error' },
  'openai-responses': { code: 'server_error' },
  'anthropic-messages': { type: 'error', error: { type: 'api_error' } },
  'gemini-sse': { code: 500, status: 'INTERNAL' },
  'gemini-json': { code: 500, status: 'INTERNAL' },
};

describe.each(FORMATS)('towards a %s caller', (to) => {
  it.each(broken)('$name: the caller gets its server error event last', ({ from, text, says }) => {
    const error = endedWithError(to, translate(from, to, byteChunks(text, [7, 300, 301, 1200])));
    expect(error).toMatchObject(SERVER_ERROR[to]);
    expect(JSON.stringify(error)).toContain(says);
  });

  it('an in-stream overload reaches it as its own family says overload', () => {
    const error = endedWithError(to, translate('anthropic-messages', to, bytes(ANTHROPIC_OVERLOAD_STREAM)));
    const expected: Record<StreamFormat, unknown> = {
      'openai-chat': {
        message: 'Overloaded',
        type: 'service_unavailable_error',
        param: null,
        code: 'server_is_overloaded',
      },
      'openai-responses': { code: 'server_error', message: 'Overloaded' },
      'anthropic-messages': { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
      'gemini-sse': { code: 503, message: 'Overloaded', status: 'UNAVAILABLE' },
      'gemini-json': { code: 503, message: 'Overloaded', status: 'UNAVAILABLE' },
    };
    expect(error).toEqual(expected[to]);
  });

  it('a broken upstream connection ends the stream with an error, and nothing after it', () => {
    const translation = createStreamTranslation('openai-chat', to, OPTIONS);
    const decoder = new TextDecoder();
    let stream = decoder.decode(translation.push(bytes(OPENAI_TOOL_STREAM.slice(0, 1000))[0] as Uint8Array));
    stream += decoder.decode(translation.fail('the upstream connection was reset'));
    expect(translation.push(bytes(OPENAI_TOOL_STREAM.slice(1000))[0] as Uint8Array)).toHaveLength(0);
    expect(translation.end()).toHaveLength(0);
    expect(JSON.stringify(endedWithError(to, stream))).toContain('the upstream connection was reset');
  });

  it('event types no family knows yet pass over', () => {
    const future = ANTHROPIC_TOOL_STREAM.replace(
      'event: ping',
      'event: content_block_future\ndata: {"type":"content_block_future","index":0}\n\nevent: ping',
    );
    const plain = assemble(to, translate('anthropic-messages', to, bytes(ANTHROPIC_TOOL_STREAM)));
    expect(assemble(to, translate('anthropic-messages', to, bytes(future)))).toEqual(plain);
    expect('body' in plain).toBe(true);
  });
});

describe('towards a Gemini caller, which gets each call whole', () => {
  it.each(['gemini-sse', 'gemini-json'] as const)(
    'arguments that are not a JSON object end %s with an error',
    (to) => {
      const broken = ANTHROPIC_TOOL_STREAM.replace('ncisco\\"}', 'ncisco\\"');
      const stream = translate('anthropic-messages', to, bytes(broken));
      expect(JSON.stringify(endedWithError(to, stream))).toContain('not a JSON object');
      expect(streamMessages(stream).filter((m) => 'error' in (m.data as object))).toHaveLength(1);
    },
  );
});

describe('writer options', () => {
  it('every format names the caller model when one is given', () => {
    for (const to of FORMATS) {
      const stream = translate('anthropic-messages', to, bytes(ANTHROPIC_TOOL_STREAM), {
        ...OPTIONS,
        model: 'team-default',
      });
      expect(stream).not.toContain('claude-sonnet-4-6');
      expect(stream).toContain('"team-default"');
    }
  });

  it('an OpenAI caller that did not ask for stream usage gets no usage chunk', () => {
    const stream = translate('gemini-sse', 'openai-chat', bytes(GEMINI_SSE_STREAM), {
      ...OPTIONS,
      streamUsage: false,
    });
    expect(stream).not.toContain('"usage"');
    expect(stream.endsWith('data: [DONE]\n\n')).toBe(true);
  });

  it('OpenAI `created` is the upstream one, or the given clock when the upstream has none', () => {
    const fromOpenAI = translate('openai-chat', 'openai-chat', bytes(OPENAI_TOOL_STREAM), OPTIONS);
    expect(fromOpenAI).toContain('"created":1761564674');
    const fromGemini = translate('gemini-sse', 'openai-chat', bytes(GEMINI_SSE_STREAM), OPTIONS);
    expect(fromGemini).toContain(`"created":${OPTIONS.createdSeconds}`);
  });
});

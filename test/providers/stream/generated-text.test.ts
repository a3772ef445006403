/**
 * Output counted from the text a stream carried (providers/stream/generated-text.ts),
 * what a stream cut before the provider's final count delivered: the
 * members each family puts generated text in, escapes decoded, split anywhere.
 */
import { describe, expect, it } from 'vitest';
import { createAdapter } from '../../../src/providers/registry.js';
import { GeneratedText, textMembers } from '../../../src/providers/stream/generated-text.js';
import { bytes, feedBytewise, sample } from '../helpers.js';

function counted(data: string, members: readonly string[]): number {
  const text = new GeneratedText();
  text.add(data, textMembers(...members));
  return text.tokens();
}

describe('GeneratedText', () => {
  it('counts four ASCII characters a token and each other unit as one, escapes decoded', () => {
    expect(counted('{"content":"abcdefgh"}', ['content'])).toBe(2);
    // `\n` and `\"` are one character each, `\u00e9` a non-ASCII one: 3 ascii + 1 other.
    expect(counted('{"content":"a\\n\\"\\u00e9"}', ['content'])).toBe(2);
    expect(counted('{"content" : "ü✓"}', ['content'])).toBe(2);
  });

  it('counts only the named string members, every occurrence', () => {
    const data = '{"role":"assistant","content":"abcd","x":{"content":"efgh"},"content_type":"zzzzzzzz"}';
    expect(counted(data, ['content'])).toBe(2);
    expect(counted('{"content":null,"arguments":"{\\"a\\":1}"}', ['content', 'arguments'])).toBe(2);
  });
});

describe('usage taps count the generated text of a cut stream', () => {
  const chunk = (content: string) =>
    `data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"${content}"},"finish_reason":null}],"usage":null}\n\n`;

  it('OpenAI chat: delta content, no usage yet', () => {
    const tap = createAdapter('openai').createUsageTap('chat_completions');
    feedBytewise(tap, bytes(chunk('Hello') + chunk(' world') + chunk('!!!!!')));
    expect(tap.complete()).toBe(false);
    expect(tap.usage()).toBeUndefined();
    expect(tap.generatedTokens()).toBe(Math.ceil(16 / 4));
  });

  it('Anthropic: text deltas only (message_start and content_block_start carry none)', () => {
    const tap = createAdapter('anthropic').createUsageTap('messages');
    const stream = sample('8.13').text.split('event: message_delta')[0] as string;
    tap.push(bytes(stream));
    expect(tap.generatedTokens()).toBe(Math.ceil('Hello!'.length / 4));
  });

  it('Responses: *.delta events', () => {
    const tap = createAdapter('openai').createUsageTap('responses');
    tap.push(
      bytes(
        'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":"abcdefgh"}\n\n',
      ),
    );
    expect(tap.generatedTokens()).toBe(2);
  });

  it('Gemini: part text', () => {
    const tap = createAdapter('gemini').createUsageTap('stream_generate_content');
    tap.push(
      bytes(
        'data: {"candidates":[{"content":{"parts":[{"text":"abcdefghijkl"}],"role":"model"},"index":0}]}\n\n',
      ),
    );
    expect(tap.generatedTokens()).toBe(3);
  });
});

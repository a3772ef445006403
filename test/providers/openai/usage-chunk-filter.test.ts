import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UsageChunkFilter } from '../../../src/providers/openai/usage-chunk-filter.js';

const chunk = (content: string) =>
  `data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"${content}"}}],"usage":null}\n\n`;
const usageOnly =
  'data: {"id":"c","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":10,"completion_tokens":2,"total_tokens":12}}\n\n';
const stream = `${chunk('Hel')}${chunk('lo')}${usageOnly}data: [DONE]\n\n`;
const expected = `${chunk('Hel')}${chunk('lo')}data: [DONE]\n\n`;

function run(parts: string[]): string {
  const filter = new UsageChunkFilter();
  const decoder = new TextDecoder();
  let out = '';
  for (const part of parts)
    out += decoder.decode(filter.push(new TextEncoder().encode(part)), { stream: true });
  return out + decoder.decode(filter.end());
}

describe('UsageChunkFilter', () => {
  it('drops only the usage-only event', () => {
    expect(run([stream])).toBe(expected);
  });

  it('gives the same output however the bytes are split', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 20 }),
        (cuts) => {
          const points = [0, ...cuts.sort((a, b) => a - b), stream.length];
          const parts = points.slice(1).map((end, i) => stream.slice(points[i], end));
          expect(run(parts)).toBe(expected);
        },
      ),
    );
  });

  it('passes a chunk of whole events that are all kept on as it came, without a copy', () => {
    const filter = new UsageChunkFilter();
    const bytes = Buffer.from(`${chunk('Hel')}${chunk('lo')}`);
    expect(filter.push(bytes)).toBe(bytes);
  });

  it('drops a usage-only event written with spaces and CRLF line ends, keeps one that only mentions usage', () => {
    const spaced =
      'data: {"id":"c","choices": [ ],"usage" : {"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}\r\n\r\n';
    const mention = chunk('the \\"usage\\": {} key');
    expect(run([mention, spaced, 'data: [DONE]\r\n\r\n'])).toBe(`${mention}data: [DONE]\r\n\r\n`);
  });

  it('keeps an unterminated last event that is not usage', () => {
    expect(run(['data: [DONE]'])).toBe('data: [DONE]');
  });
});

/** Answers, token counting and latency: deterministic for a seed. */
import { countTokens as cl100k } from 'gpt-tokenizer/encoding/cl100k_base';
import { countTokens as o200k } from 'gpt-tokenizer/encoding/o200k_base';
import { describe, expect, it } from 'vitest';
import { parseSimulatorConfig } from '../../src/simulator/config.js';
import { ContentSource, splitPieces } from '../../src/simulator/content.js';
import { timingFor } from '../../src/simulator/latency.js';
import { charTokens, openaiChatTokens, openaiTokens } from '../../src/simulator/tokens.js';

const response = (r: object) => parseSimulatorConfig({ response: r }).response;

describe('answers', () => {
  it('lorem: the same words for the same seed, one token each in both OpenAI encodings', () => {
    const a = new ContentSource(response({ mode: 'lorem', tokens: 200 }), 1).answer('', undefined);
    const b = new ContentSource(response({ mode: 'lorem', tokens: 200 }), 1).answer('', undefined);
    const c = new ContentSource(response({ mode: 'lorem', tokens: 200 }), 2).answer('', undefined);
    expect(a.text).toBe(b.text);
    expect(a.text).not.toBe(c.text);
    expect(a.pieces).toHaveLength(200);
    expect(o200k(a.text)).toBe(200);
    expect(cl100k(a.text)).toBe(200);
  });

  it('caps at the request maximum and says so; a per-request length overrides the configured one', () => {
    const source = new ContentSource(response({ mode: 'lorem', tokens: 10 }), 1);
    expect(source.answer('', 4)).toMatchObject({ finish: 'length' });
    expect(source.answer('', 4).pieces).toHaveLength(4);
    expect(source.answer('', 10).finish).toBe('stop');
    expect(source.answer('', undefined, 3).pieces).toHaveLength(3);
  });

  it('echo and fixed split into words that join back to the text', () => {
    expect(splitPieces('  Hello, big   world!')).toEqual(['  Hello,', ' big', '   world!']);
    const echo = new ContentSource(response({ mode: 'echo' }), 1);
    expect(echo.answer('say this back', undefined).text).toBe('say this back');
    const fixed = new ContentSource(response({ mode: 'fixed', text: 'All good here.' }), 1);
    expect(fixed.answer('ignored', 2)).toMatchObject({ text: 'All good', finish: 'length' });
  });
});

describe('token counting', () => {
  it('OpenAI: o200k for current models, cl100k for gpt-4 / gpt-3.5 / embeddings, cookbook framing', () => {
    const text = 'Tokenizers differ between model generations, naturally.';
    expect(openaiTokens(text, 'gpt-4o')).toBe(o200k(text));
    expect(openaiTokens(text, 'gpt-4.1-mini')).toBe(o200k(text));
    expect(openaiTokens(text, 'gpt-4-0613')).toBe(cl100k(text));
    expect(openaiTokens(text, 'gpt-3.5-turbo')).toBe(cl100k(text));
    expect(openaiTokens(text, 'text-embedding-3-small')).toBe(cl100k(text));
    const chat = [
      { role: 'system', text: 'Be brief.' },
      { role: 'user', text, name: 'ana' },
    ];
    const expected =
      3 + (3 + o200k('system') + o200k('Be brief.')) + (3 + o200k('user') + o200k(text) + 1 + o200k('ana'));
    expect(openaiChatTokens(chat, 'gpt-4o')).toBe(expected);
  });

  it('Anthropic and Gemini: a quarter of the characters, rounded up', () => {
    expect(charTokens(0)).toBe(0);
    expect(charTokens(1)).toBe(1);
    expect(charTokens(48)).toBe(12);
    expect(charTokens(49)).toBe(13);
  });
});

describe('latency', () => {
  it('is zero by default and jitters within bounds, the same way for the same seed and request', () => {
    const none = parseSimulatorConfig({}).latency;
    expect(timingFor(none, 1, 1)).toEqual({ ttftMs: 0, perTokenMs: 0 });
    const latency = parseSimulatorConfig({ latency: { ttft_ms: 200, per_token_ms: 5, jitter: 0.2 } }).latency;
    const timings = Array.from({ length: 200 }, (_, i) => timingFor(latency, 9, i + 1));
    for (const t of timings) {
      expect(t.ttftMs).toBeGreaterThanOrEqual(160);
      expect(t.ttftMs).toBeLessThanOrEqual(240);
      expect(t.perTokenMs / t.ttftMs).toBeCloseTo(5 / 200, 10);
    }
    expect(new Set(timings.map((t) => t.ttftMs)).size).toBeGreaterThan(150);
    expect(timingFor(latency, 9, 17)).toEqual(timings[16]);
    expect(timingFor(latency, 9, 17, 1_000).perTokenMs).toBeGreaterThan(800);
  });
});

/**
 * The simulator's bag-of-words embeddings: unit length, deterministic, and
 * close for rewordings, far for unrelated texts, so semantic-cache tests
 * built on them prove something.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { embeddingOf, wordsOf } from '../../src/simulator/bag-of-words.js';

function cosine(a: string, b: string, dimensions = 1536): number {
  const x = embeddingOf(a, dimensions);
  const y = embeddingOf(b, dimensions);
  let dot = 0;
  for (let i = 0; i < dimensions; i++) dot += (x[i] as number) * (y[i] as number);
  return dot;
}

const REWORDINGS: [string, string][] = [
  ['What is the capital of France?', "what's the capital of france"],
  ['What is the capital of France?', 'Tell me the capital of France, please.'],
  ['How do I reset my password?', 'How can I reset my password'],
  ['Café opening hours on Sunday', 'cafe opening hours on sunday!'],
];

const UNRELATED: [string, string][] = [
  ['What is the capital of France?', 'What is the boiling point of water?'],
  ['What is the capital of France?', 'How do I reset my password?'],
  ['Summarise this article about climate change', 'Write a poem about cats'],
];

describe('bag-of-words embeddings', () => {
  it('splits into lower-cased words without accents or punctuation', () => {
    expect(wordsOf("  Café's menu, v2.0 — OK?")).toEqual(['cafes', 'menu', 'v2', '0', 'ok']);
    expect(wordsOf('?!')).toEqual([]);
  });

  it('is unit length and the same for the same text, at any dimension count', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 1, max: 3072 }), (text, dimensions) => {
        const v = embeddingOf(text, dimensions);
        expect(v).toHaveLength(dimensions);
        expect(Math.hypot(...v)).toBeCloseTo(1, 4);
        expect(embeddingOf(text, dimensions)).toEqual(v);
      }),
    );
  });

  it('puts rewordings of a question above 0.9', () => {
    for (const [a, b] of REWORDINGS) expect(cosine(a, b), `${a} | ${b}`).toBeGreaterThan(0.9);
  });

  it('puts unrelated questions below 0.3', () => {
    for (const [a, b] of UNRELATED) expect(cosine(a, b), `${a} | ${b}`).toBeLessThan(0.3);
  });

  it('gives a text without words a vector of its own', () => {
    expect(cosine('???', '!!!')).toBeLessThan(0.3);
    expect(cosine('???', '???')).toBeCloseTo(1, 5);
  });
});

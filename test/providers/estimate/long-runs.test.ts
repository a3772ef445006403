import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { countTokens as cl100k } from 'gpt-tokenizer/encoding/cl100k_base';
import { countTokens as o200k } from 'gpt-tokenizer/encoding/o200k_base';
import { afterEach, describe, expect, it } from 'vitest';
import {
  countWithoutLongRuns,
  longRuns,
  MAX_RUN_BYTES,
  maxPreTokenBytes,
} from '../../../src/providers/estimate/long-runs.js';
import { estimateTokensFromChars, tokenizerCounter } from '../../../src/providers/estimate/text-counter.js';
import { longestPreToken, spyOnTokenizers, type TokenizerSpy } from './tokenizer-spy.js';

const ORDINARY = { disallowedSpecial: new Set<string>() };

/** Pieces that join into runs either pre-tokenizer keeps whole, or that sit on a class boundary. */
const ATOMS = [
  'a',
  'Z',
  'é',
  '中',
  'ก',
  '\u0301',
  ' ',
  '\t',
  '\n',
  '\r',
  '\u00a0',
  '\u3000',
  '/',
  '!',
  '.',
  "'",
  "'ll",
  '1',
  '٣',
  '😀',
  '\ud800',
  '\n/',
  '!\u0301',
  'a\u0301',
  '<|endoftext|>',
];
const text = fc
  .array(fc.tuple(fc.constantFrom(...ATOMS), fc.integer({ min: 1, max: 24 })), { maxLength: 12 })
  .map((parts) => parts.map(([atom, n]) => atom.repeat(n)).join(''));

describe('long runs are kept from the BPE', () => {
  it('no piece handed to the tokenizer holds a pre-token over the bound; pieces and runs rebuild the text', () => {
    const bound = 8;
    fc.assert(
      fc.property(text, (t) => {
        const tokenized: string[] = [];
        const parts: string[] = [];
        const total = countWithoutLongRuns(
          t,
          (piece) => {
            tokenized.push(piece);
            parts.push(piece);
            return 1;
          },
          (run) => {
            parts.push(run);
            return 1;
          },
          bound,
        );
        expect(parts.join('')).toBe(t);
        expect(total).toBe(parts.length);
        for (const piece of tokenized)
          expect(longestPreToken(piece)).toBeLessThanOrEqual(maxPreTokenBytes(bound));
      }),
      { numRuns: 2_000 },
    );
  });

  describe('through the OpenAI counter', () => {
    let spy: TokenizerSpy | undefined;
    afterEach(() => spy?.restore());

    it.each([
      ['A', 'A'.repeat(20_000)],
      ['spaces', ' '.repeat(20_000)],
      ['!', '!'.repeat(20_000)],
      ['newline-slash tail', `!${'\n/'.repeat(10_000)}`],
      ['CJK without punctuation', '漢字仮名交じり文'.repeat(2_500)],
      ['combining marks', 'a\u0301'.repeat(10_000)],
      ['runs between words', `start ${'x'.repeat(5_000)} middle ${'-'.repeat(5_000)} end`],
    ])('%s: the encoder never sees a pre-token over the bound', (_name, input) => {
      spy = spyOnTokenizers();
      // A different tail per call, so neither count comes from a cache.
      tokenizerCounter('o200k_base').count(`${input} for o200k.`);
      tokenizerCounter('cl100k_base').count(`${input} for cl100k.`);
      expect(spy.seen.length).toBeGreaterThanOrEqual(2);
      for (const piece of spy.seen) expect(longestPreToken(piece)).toBeLessThanOrEqual(maxPreTokenBytes());
    });
  });

  it('a 100,000-character run is counted as its character estimate', () => {
    const run = 'A'.repeat(100_000);
    expect(tokenizerCounter('o200k_base').count(run)).toBe(estimateTokensFromChars(run));
    const spaces = ' '.repeat(100_000);
    expect(tokenizerCounter('cl100k_base').count(spaces)).toBe(estimateTokensFromChars(spaces));
  });

  it('normal text is counted exactly as the tokenizer counts it', () => {
    const samples = [
      readFileSync(new URL('../../../README.md', import.meta.url), 'utf8'),
      readFileSync(new URL('../../../src/providers/estimate/long-runs.ts', import.meta.url), 'utf8'),
      '人工知能は、人間の知的な振る舞いを模倣する技術です。深層学習の発展により、画像認識や自然言語処理が大きく進歩しました。',
      'Données: 42 € — naïve café, Straße; ¿qué tal? 😀 <|endoftext|> done.',
    ];
    for (const sample of samples) {
      expect(longRuns(sample)).toBeUndefined();
      expect(tokenizerCounter('o200k_base').count(sample)).toBe(o200k(sample, ORDINARY));
      expect(tokenizerCounter('cl100k_base').count(sample)).toBe(cl100k(sample, ORDINARY));
    }
  });

  it('runs just over the bound are cut, runs at it are not', () => {
    expect(longRuns(`a ${'x'.repeat(MAX_RUN_BYTES)} b`)).toBeUndefined();
    expect(longRuns(`a ${'x'.repeat(MAX_RUN_BYTES + 1)} b`)).toEqual([2, 3 + MAX_RUN_BYTES]);
    // Three bytes per CJK character.
    const cjk = Math.floor(MAX_RUN_BYTES / 3);
    expect(longRuns('中'.repeat(cjk))).toBeUndefined();
    expect(longRuns('中'.repeat(cjk + 1))).toEqual([0, cjk + 1]);
  });
});

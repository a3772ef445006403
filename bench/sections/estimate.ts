/**
 * Estimate section: milliseconds to count the input tokens of one
 * 100,000-character text (the largest one request hands the tokenizer, see
 * `PromptTally`) with Sluice's OpenAI counter, beside gpt-tokenizer's own
 * `countTokens` on the same text in the same run.
 *
 * The texts are the worst cases for a BPE (one unbroken run of a letter, a
 * space, a symbol, CJK without punctuation), runs just under Sluice's bound
 * (`MAX_RUN_BYTES`) of random letters, symbols and CJK, which it still
 * tokenizes, and normal text for scale (base64, this repository's README).
 * gpt-tokenizer's merge cache is emptied before every count, and each Sluice
 * count has a fresh prefix so its own count cache does not answer; the peer
 * runs once per text (its worst cases take seconds each), Sluice median of 5.
 */

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { MAX_RUN_BYTES } from '../../src/providers/estimate/long-runs.js';
import { preloadTokenizers, tokenizerCounter } from '../../src/providers/estimate/text-counter.js';
import { median, printTable, type Row, writeResults } from '../lib/report.js';

const CHARS = 100_000;
const RUNS = 5;

type Encoding = {
  countTokens(text: string, options?: unknown): number;
  clearMergeCache(): void;
};
/** The same CommonJS module object the counter loads, so one merge cache is emptied for both. */
const o200k = createRequire(import.meta.url)('gpt-tokenizer/encoding/o200k_base') as Encoding;
const ORDINARY = { disallowedSpecial: new Set<string>() };

/** Deterministic pseudo-random draws (an LCG), so every run measures the same texts. */
function draws(seed: number): () => number {
  let x = seed;
  return () => {
    x = (Math.imul(x, 1_103_515_245) + 12_345) >>> 0;
    return x / 2 ** 32;
  };
}

/** Words of `length` characters drawn from `alphabet`, one space apart, up to CHARS characters. */
function words(alphabet: readonly string[], length: number, seed: number): string {
  const next = draws(seed);
  let out = '';
  while (out.length < CHARS) {
    for (let i = 0; i < length; i++) out += alphabet[Math.floor(next() * alphabet.length)];
    out += ' ';
  }
  return out.slice(0, CHARS);
}

const LETTERS = [...'abcdefghijklmnopqrstuvwxyz'];
const SYMBOLS = [...'!"#$%&()*+,-.:;<=>?@[]^_{|}~'];
const CJK = Array.from({ length: 20_000 }, (_, i) => String.fromCharCode(0x4e00 + i));

function texts(): Record<string, string> {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const bytes = draws(7);
  return {
    "one run: 'A'": 'A'.repeat(CHARS),
    'one run: spaces': ' '.repeat(CHARS),
    "one run: '!'": '!'.repeat(CHARS),
    'one run: CJK, no punctuation': words(CJK, CHARS, 1),
    [`runs of ${MAX_RUN_BYTES} random letters`]: words(LETTERS, MAX_RUN_BYTES, 2),
    [`runs of ${MAX_RUN_BYTES} random symbols`]: words(SYMBOLS, MAX_RUN_BYTES, 3),
    [`runs of ${Math.floor(MAX_RUN_BYTES / 3)} random CJK`]: words(CJK, Math.floor(MAX_RUN_BYTES / 3), 4),
    base64: Buffer.from(Array.from({ length: CHARS }, () => Math.floor(bytes() * 256)))
      .toString('base64')
      .slice(0, CHARS),
    'English (README.md)': readme.repeat(Math.ceil(CHARS / readme.length)).slice(0, CHARS),
  };
}

function timed(count: () => number): { ms: number; tokens: number } {
  o200k.clearMergeCache();
  const started = performance.now();
  const tokens = count();
  return { ms: performance.now() - started, tokens };
}

export async function run(): Promise<void> {
  preloadTokenizers(['o200k_base']);
  const counter = tokenizerCounter('o200k_base');
  // Compile both paths before measuring (the peer's worst cases only in part: they take seconds).
  for (let round = 0; round < 2; round++) {
    for (const text of Object.values(texts())) {
      counter.count(`warm ${round} ${text}`);
      o200k.countTokens(text.slice(0, 2_000), ORDINARY);
    }
  }
  const rows: Row[] = [];
  let prefix = 0;
  for (const [name, text] of Object.entries(texts())) {
    let sluiceTokens = 0;
    const sluiceMs = await median(RUNS, () => {
      const { ms, tokens } = timed(() => counter.count(`${prefix++} ${text}`));
      sluiceTokens = tokens;
      return ms;
    });
    const peer = timed(() => o200k.countTokens(text, ORDINARY));
    rows.push({
      text: name,
      'gpt-tokenizer ms': peer.ms,
      'sluice ms': sluiceMs,
      'gpt-tokenizer tokens': peer.tokens,
      'sluice tokens': sluiceTokens,
    });
  }
  printTable(rows);
  writeResults('estimate', {
    chars: CHARS,
    maxRunBytes: MAX_RUN_BYTES,
    runs: RUNS,
    encoding: 'o200k_base',
    rows,
  });
}

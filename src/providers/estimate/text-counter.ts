/**
 * Counting the tokens of one piece of text, the unit every estimator builds on.
 *
 * - `tokenizerCounter`: the real BPE of an OpenAI encoding (gpt-tokenizer).
 *   Special-token text such as `<|endoftext|>` in user content is counted as
 *   ordinary text, as the API does, instead of throwing.
 * - `charCounter`: the documented estimate for providers without a public
 *   tokenizer (Anthropic, Gemini, open models): ceil(ascii / 4 + nonAscii).
 *   Four ASCII characters per token is the usual English rule and what OpenAI
 *   itself uses at admission (PROVIDERS.md §1.5, §6.2); each non-ASCII UTF-16
 *   unit counts as a whole token so CJK text (about one token per character)
 *   is not under-reserved by 4×. Over-reservation is refunded at settlement.
 *
 * The encodings are large (o200k_base: ~200 ms and ~100 MB to load), so they
 * load on first use through `require`, keeping startup light for deployments
 * that never call an OpenAI model; `preloadTokenizers()` moves that cost to
 * startup. Tokenizing costs ~0.2 µs per token, but the square of a piece's
 * length on one unbroken run (`AAAA…`), so such runs beyond a few dozen
 * characters are estimated from characters (`long-runs.ts`); text beyond a
 * per-request budget of characters is estimated too (see `PromptTally`), and
 * counts are remembered (`CountCache` for long texts,
 * `ShortCountCache` for short ones), since chat clients resend the same
 * system prompt and history every turn, and every message names its role.
 */
import { createRequire } from 'node:module';
import { CountCache, MIN_CACHED_CHARS, ShortCountCache } from './count-cache.js';
import { DEFAULT_ENCODING, type EncodingName } from './encodings.js';
import { countWithoutLongRuns } from './long-runs.js';

export interface TextCounter {
  /** True for a real tokenizer; false for an estimate. */
  readonly exact: boolean;
  count(text: string): number;
  /** The count of `text` when it is already known (no tokenizing), else undefined. */
  known?(text: string): number | undefined;
}

type EncodingApi = typeof import('gpt-tokenizer/encoding/o200k_base');

const load = createRequire(import.meta.url);
const loaded = new Map<EncodingName, EncodingApi>();
/** Counting options that treat special-token text as ordinary text. */
const ORDINARY = Object.freeze({ disallowedSpecial: new Set<string>() });

function encodingApi(name: EncodingName): EncodingApi {
  let api = loaded.get(name);
  if (!api) {
    api = load(`gpt-tokenizer/encoding/${name}`) as EncodingApi;
    loaded.set(name, api);
  }
  return api;
}

export function preloadTokenizers(names: readonly EncodingName[] = [DEFAULT_ENCODING, 'cl100k_base']): void {
  for (const name of names) encodingApi(name);
}

export function estimateTokensFromChars(text: string): number {
  let ascii = 0;
  let other = 0;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) < 0x80) ascii++;
    else other++;
  }
  return Math.ceil(ascii / 4 + other);
}

export const charCounter: TextCounter = Object.freeze({ exact: false, count: estimateTokensFromChars });

const tokenizerCounters = new Map<EncodingName, TextCounter>();
/** Per encoding: 4 M characters (~8 MB of strings) of recently counted text. */
const CACHE_CHARS = 4_000_000;
/** Per encoding: short texts (under 256 characters: at most ~5 MB). */
const SHORT_CACHE_ENTRIES = 8_192;

export function tokenizerCounter(name: EncodingName): TextCounter {
  let counter = tokenizerCounters.get(name);
  if (!counter) {
    const cache = new CountCache(CACHE_CHARS);
    const short = new ShortCountCache(SHORT_CACHE_ENTRIES);
    const count = (text: string): number => {
      try {
        const api = encodingApi(name);
        return countWithoutLongRuns(
          text,
          (piece) => api.countTokens(piece, ORDINARY),
          estimateTokensFromChars,
        );
      } catch {
        // The tokenizer failed to load or choked: an estimate beats a throw on the hot path.
        return estimateTokensFromChars(text);
      }
    };
    counter = Object.freeze({
      exact: true,
      known(text: string): number | undefined {
        if (text.length === 0) return 0;
        return text.length < MIN_CACHED_CHARS ? short.get(text) : cache.get(text);
      },
      count(text: string): number {
        if (text.length < MIN_CACHED_CHARS) {
          if (text.length === 0) return 0;
          const known = short.get(text);
          if (known !== undefined) return known;
          const n = count(text);
          short.set(text, n);
          return n;
        }
        const cached = cache.get(text);
        if (cached !== undefined) return cached;
        const n = count(text);
        cache.set(text, n);
        return n;
      },
    });
    tokenizerCounters.set(name, counter);
  }
  return counter;
}

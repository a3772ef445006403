/**
 * What differs between OpenAI-compatible servers, as data (PROVIDERS.md §5):
 * the names and meaning of their rate-limit headers, whether they accept
 * `stream_options.include_usage`, and whether their models use OpenAI's
 * tokenizer. The tables are frozen; `compatiblePreset` hands out copies a
 * caller may change freely.
 */
import { defineScheme, type HeaderScheme, type LimitHeaders } from '../observe/header-scheme.js';
import { OPENAI_RATE_LIMIT_HEADERS } from '../openai/rate-limit-headers.js';

/**
 * `openai`: gpt-tokenizer for every model; `chars`: the character estimate;
 * `auto`: the tokenizer for OpenAI model names (`gpt-4o`, `openai/gpt-oss-20b`,
 * `o3-mini`, `text-embedding-3-small`), characters for the rest (Llama,
 * Mistral, Qwen… whose tokenizers differ).
 */
export type TokenizerChoice = 'auto' | 'openai' | 'chars';

export interface CompatiblePreset {
  readonly rateLimitHeaders: HeaderScheme;
  readonly streamOptions: boolean;
  readonly tokenizer: TokenizerChoice;
}

export type CompatiblePresetName =
  | 'generic'
  | 'groq'
  | 'together'
  | 'mistral'
  | 'openrouter'
  | 'deepseek'
  | 'vllm';

function triplet(
  dimension: LimitHeaders['dimension'],
  window: LimitHeaders['window'],
  names: { limit?: string; remaining?: string; reset?: string },
  basis: LimitHeaders['basis'] = 'documented',
): LimitHeaders {
  return { dimension, window, basis, resetFormat: 'duration', ...names };
}

/** Groq: OpenAI's names, but requests are per DAY and tokens per minute (console.groq.com/docs/rate-limits). */
const GROQ_HEADERS = defineScheme([
  triplet('requests', 'day', {
    limit: 'x-ratelimit-limit-requests',
    remaining: 'x-ratelimit-remaining-requests',
    reset: 'x-ratelimit-reset-requests',
  }),
  triplet('tokens', 'minute', {
    limit: 'x-ratelimit-limit-tokens',
    remaining: 'x-ratelimit-remaining-tokens',
    reset: 'x-ratelimit-reset-tokens',
  }),
]);

/** Together: requests and tokens per second, reset in seconds [2nd]. */
const TOGETHER_HEADERS = defineScheme([
  triplet(
    'requests',
    'second',
    { limit: 'x-ratelimit-limit', remaining: 'x-ratelimit-remaining', reset: 'x-ratelimit-reset' },
    'configured',
  ),
  triplet(
    'tokens',
    'second',
    { limit: 'x-tokenlimit-limit', remaining: 'x-tokenlimit-remaining' },
    'configured',
  ),
]);

/** Mistral: tokens per minute "by size" [2nd]; OpenAI-style names may appear too. */
const MISTRAL_HEADERS = defineScheme([
  triplet(
    'tokens',
    'minute',
    {
      limit: 'x-ratelimitbysize-limit-minute',
      remaining: 'x-ratelimitbysize-remaining-minute',
      reset: 'ratelimitbysize-reset',
    },
    'configured',
  ),
  ...OPENAI_RATE_LIMIT_HEADERS.filter((entry) => entry.scope === undefined),
]);

const PRESETS: Readonly<Record<CompatiblePresetName, CompatiblePreset>> = Object.freeze({
  // Unknown servers: OpenAI's header names, request window inferred.
  generic: Object.freeze({
    rateLimitHeaders: OPENAI_RATE_LIMIT_HEADERS,
    streamOptions: true,
    tokenizer: 'auto',
  }),
  groq: Object.freeze({ rateLimitHeaders: GROQ_HEADERS, streamOptions: true, tokenizer: 'auto' }),
  together: Object.freeze({ rateLimitHeaders: TOGETHER_HEADERS, streamOptions: true, tokenizer: 'auto' }),
  mistral: Object.freeze({ rateLimitHeaders: MISTRAL_HEADERS, streamOptions: false, tokenizer: 'chars' }),
  // OpenRouter reports limits only inside 429 bodies (§8.17); usage comes by default.
  openrouter: Object.freeze({ rateLimitHeaders: defineScheme([]), streamOptions: true, tokenizer: 'auto' }),
  // DeepSeek does not rate-limit (§5); its models use their own tokenizer.
  deepseek: Object.freeze({ rateLimitHeaders: defineScheme([]), streamOptions: true, tokenizer: 'chars' }),
  vllm: Object.freeze({ rateLimitHeaders: defineScheme([]), streamOptions: true, tokenizer: 'auto' }),
});

export const COMPATIBLE_PRESETS: readonly CompatiblePresetName[] = Object.freeze(
  Object.keys(PRESETS) as CompatiblePresetName[],
);

/** A fresh, mutable copy of a preset (the shared table stays untouched). */
export function compatiblePreset(name: CompatiblePresetName): {
  rateLimitHeaders: LimitHeaders[];
  streamOptions: boolean;
  tokenizer: TokenizerChoice;
} {
  const preset = Object.hasOwn(PRESETS, name) ? PRESETS[name] : undefined;
  // A configuration mistake, not provider data: fail loudly at startup.
  if (!preset) throw new TypeError(`unknown OpenAI-compatible preset: ${String(name)}`);
  return {
    rateLimitHeaders: preset.rateLimitHeaders.map((entry) => ({ ...entry })),
    streamOptions: preset.streamOptions,
    tokenizer: preset.tokenizer,
  };
}

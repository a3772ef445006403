/**
 * Anthropic's `anthropic-ratelimit-*` headers (PROVIDERS.md §3.1): limits per
 * minute per model class, resets as RFC 3339 times at which the bucket is
 * full again, remaining tokens rounded to the nearest thousand. The
 * `tokens-*` triplet shows the most restrictive token limit in effect
 * (a Workspace's, or input + output combined).
 *
 * The Priority Tier triplets (`anthropic-priority-*`) and subscription
 * headers (`anthropic-ratelimit-unified-*`) are left out: they describe
 * other capacity than the API key's.
 */
import { defineScheme, type HeaderScheme } from '../observe/header-scheme.js';

const TRIPLETS = [
  ['requests', 'requests'],
  ['tokens', 'tokens'],
  ['input-tokens', 'input_tokens'],
  ['output-tokens', 'output_tokens'],
] as const;

export const ANTHROPIC_RATE_LIMIT_HEADERS: HeaderScheme = defineScheme(
  TRIPLETS.map(([name, dimension]) => ({
    dimension,
    window: 'minute' as const,
    basis: 'documented' as const,
    limit: `anthropic-ratelimit-${name}-limit`,
    remaining: `anthropic-ratelimit-${name}-remaining`,
    reset: `anthropic-ratelimit-${name}-reset`,
    resetFormat: 'rfc3339' as const,
  })),
);

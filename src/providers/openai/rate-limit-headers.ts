/**
 * OpenAI's rate-limit headers (PROVIDERS.md §1.1): one triplet for requests,
 * one for tokens, one for the project-scoped token limit. Resets are Go
 * durations until the bucket is full (§1.2, §1.3).
 *
 * The token limit is per minute. The request limit is per minute on most
 * keys but per day on some (the free tier's 10 000 RPD, §1.3), so its window
 * is inferred from each response unless configured.
 */
import type { Window } from '../../core/limit.js';
import { defineScheme, type HeaderScheme, type LimitHeaders } from '../observe/header-scheme.js';

function triplet(kind: string): Pick<LimitHeaders, 'limit' | 'remaining' | 'reset' | 'resetFormat'> {
  return {
    limit: `x-ratelimit-limit-${kind}`,
    remaining: `x-ratelimit-remaining-${kind}`,
    reset: `x-ratelimit-reset-${kind}`,
    resetFormat: 'duration',
  };
}

export const OPENAI_RATE_LIMIT_HEADERS: HeaderScheme = defineScheme([
  {
    dimension: 'requests',
    window: 'minute',
    basis: 'documented',
    inferFrom: ['minute', 'day'],
    ...triplet('requests'),
  },
  { dimension: 'tokens', window: 'minute', basis: 'documented', ...triplet('tokens') },
  {
    dimension: 'tokens',
    window: 'minute',
    basis: 'documented',
    scope: 'project',
    ...triplet('project-tokens'),
  },
]);

/** The OpenAI scheme with the request window fixed by configuration instead of inferred. */
export function openAIRateLimitHeaders(requestsWindow?: Window): HeaderScheme {
  if (!requestsWindow) return OPENAI_RATE_LIMIT_HEADERS;
  return defineScheme(
    OPENAI_RATE_LIMIT_HEADERS.map((entry) =>
      entry.dimension === 'requests'
        ? { ...entry, window: requestsWindow, basis: 'configured' as const, inferFrom: undefined }
        : entry,
    ),
  );
}

/**
 * Azure OpenAI (§2.1): the same names, both limits per minute per
 * deployment, resets as bare seconds (handled by the duration parser), `-1`
 * for unknown (left out by the count parser), and historically only the
 * `remaining` headers.
 */
export const AZURE_RATE_LIMIT_HEADERS: HeaderScheme = defineScheme([
  { dimension: 'requests', window: 'minute', basis: 'documented', ...triplet('requests') },
  { dimension: 'tokens', window: 'minute', basis: 'documented', ...triplet('tokens') },
]);

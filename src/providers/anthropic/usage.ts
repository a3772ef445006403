/**
 * Anthropic usage as its input-tokens-per-minute limit counts it
 * (PROVIDERS.md §3.2): `input_tokens` (after the last cache breakpoint) and
 * `cache_creation_input_tokens` count; `cache_read_input_tokens` do not,
 * except on the older models marked † in the rate-limit table, which count
 * cache reads too. That list is configurable (`cacheReadsCountFor`).
 */
import type { Endpoint, ProviderUsage } from '../adapter.js';
import { countField, field, stringField } from '../parse/json-shape.js';

/** Model name prefixes whose ITPM includes cache reads (§3.2 †: Haiku 3.5, Sonnet 3.5, Opus 3, Haiku 3). */
export const CACHE_READS_COUNT_FOR: readonly string[] = Object.freeze([
  'claude-3-5-haiku',
  'claude-3-5-sonnet',
  'claude-3-opus',
  'claude-3-haiku',
  'claude-3-sonnet',
]);

/** Last-seen value of each usage field of a message (streams overwrite, never add, §3.5). */
export interface AnthropicCounts {
  input?: number | undefined;
  cacheCreation?: number | undefined;
  cacheRead?: number | undefined;
  output?: number | undefined;
  /** `usage.service_tier`: `standard`, `priority` or `batch` (§3, full `Usage`). */
  serviceTier?: string | undefined;
}

const ZERO: ProviderUsage = Object.freeze({ inputTokens: 0, outputTokens: 0 });

/** Overwrites each field that `usage` reports; null or missing fields keep their value. */
export function mergeAnthropicUsage(counts: AnthropicCounts, usage: unknown): boolean {
  const input = countField(usage, 'input_tokens');
  const cacheCreation = countField(usage, 'cache_creation_input_tokens');
  const cacheRead = countField(usage, 'cache_read_input_tokens');
  const output = countField(usage, 'output_tokens');
  if (input !== undefined) counts.input = input;
  if (cacheCreation !== undefined) counts.cacheCreation = cacheCreation;
  if (cacheRead !== undefined) counts.cacheRead = cacheRead;
  if (output !== undefined) counts.output = output;
  const tier = stringField(usage, 'service_tier');
  if (tier !== undefined) counts.serviceTier = tier;
  return (
    input !== undefined || cacheCreation !== undefined || cacheRead !== undefined || output !== undefined
  );
}

export function anthropicUsage(
  counts: AnthropicCounts,
  model: string | undefined,
  cacheReadsCountFor: readonly string[],
): ProviderUsage {
  const cacheRead = counts.cacheRead ?? 0;
  const readsCount = model !== undefined && cacheReadsCountFor.some((prefix) => model.startsWith(prefix));
  const inputTokens = (counts.input ?? 0) + (counts.cacheCreation ?? 0) + (readsCount ? cacheRead : 0);
  return {
    inputTokens,
    outputTokens: counts.output ?? 0,
    cacheReadTokens: counts.cacheRead,
    cacheWriteTokens: counts.cacheCreation,
    // The whole prompt: the hit ratio's denominator; the 200 K long-context threshold counts it too.
    promptTokens: (counts.input ?? 0) + (counts.cacheCreation ?? 0) + cacheRead,
    ...(counts.serviceTier !== undefined && { serviceTier: counts.serviceTier }),
  };
}

export function usageFromAnthropicBody(
  endpoint: Endpoint,
  body: unknown,
  cacheReadsCountFor: readonly string[],
): ProviderUsage | undefined {
  // count_tokens and the model list consume no tokens (§3.6).
  if (endpoint === 'count_tokens' || endpoint === 'models') return ZERO;
  const counts: AnthropicCounts = {};
  if (!mergeAnthropicUsage(counts, field(body, 'usage'))) return undefined;
  return anthropicUsage(counts, stringField(body, 'model'), cacheReadsCountFor);
}

/**
 * Usage as OpenAI-style APIs report it. Chat Completions, Completions and
 * Embeddings use `prompt_tokens` / `completion_tokens` (`CompletionUsage`,
 * PROVIDERS.md §1.8); the Responses API uses `input_tokens` /
 * `output_tokens` (`ResponseUsage`). OpenAI's token limit counts
 * prompt + completion, cached prompt tokens included, so `inputTokens` is the
 * whole prompt and the cache split is reported beside it.
 */
import type { Endpoint, ProviderUsage } from '../adapter.js';
import { countField, field, recordField, stringField } from '../parse/json-shape.js';

const ZERO: ProviderUsage = Object.freeze({ inputTokens: 0, outputTokens: 0 });

export function openAIUsage(usage: unknown): ProviderUsage | undefined {
  const prompt = countField(usage, 'prompt_tokens') ?? countField(usage, 'input_tokens');
  let output = countField(usage, 'completion_tokens') ?? countField(usage, 'output_tokens');
  if (prompt === undefined && output === undefined) return undefined;
  // Embeddings report only prompt and total tokens.
  const total = countField(usage, 'total_tokens');
  if (output === undefined && total !== undefined && prompt !== undefined && total >= prompt) {
    output = total - prompt;
  }
  const details = recordField(usage, 'prompt_tokens_details') ?? recordField(usage, 'input_tokens_details');
  return {
    inputTokens: prompt ?? 0,
    outputTokens: output ?? 0,
    cacheReadTokens: countField(details, 'cached_tokens'),
    cacheWriteTokens: countField(details, 'cache_write_tokens'),
  };
}

export function usageFromOpenAIBody(endpoint: Endpoint, body: unknown): ProviderUsage | undefined {
  if (endpoint === 'models') return ZERO;
  return withServedTier(openAIUsage(field(body, 'usage')), stringField(body, 'service_tier'));
}

/** Usage with the tier the answer says served it (`service_tier`, beside `usage`), when it says. */
export function withServedTier(
  usage: ProviderUsage | undefined,
  tier: string | undefined,
): ProviderUsage | undefined {
  return usage && tier ? { ...usage, serviceTier: tier } : usage;
}

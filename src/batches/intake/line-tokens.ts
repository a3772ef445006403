/**
 * Input tokens of a batch line, counted by the same estimators admission
 * uses for a live call of that API (`src/providers/estimate/`): the sum over
 * a tenant's unfinished batches is what `max_enqueued_tokens` caps.
 */
import type { ProviderAdapter } from '../../providers/adapter.js';
import { matchOpenAIPath } from '../../providers/openai/endpoints.js';
import { createAdapter } from '../../providers/registry.js';
import type { BatchApi, BatchLine } from '../batch.js';
import type { LineTokens } from './intake.js';

/** One adapter per API for every batch (adapters keep no per-call state). */
const ESTIMATORS: Readonly<Record<BatchApi, ProviderAdapter>> = Object.freeze({
  openai: createAdapter('openai'),
  anthropic: createAdapter('anthropic'),
});

export function lineTokens(api: BatchApi): LineTokens {
  const adapter = ESTIMATORS[api];
  return (line: BatchLine) => {
    const endpoint = api === 'anthropic' ? 'messages' : matchOpenAIPath('POST', line.url);
    if (endpoint === undefined) return 0;
    return adapter.estimate(endpoint, line.body, line.url).cost.inputTokens;
  };
}

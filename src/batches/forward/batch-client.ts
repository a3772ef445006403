/** The provider client for a deployment that takes batches of an API, or undefined when it cannot. */
import type { Deployment } from '../../runtime/deployment.js';
import type { BatchApi } from '../batch.js';
import { AnthropicBatchClient } from './anthropic-batches.js';
import { forwardTarget } from './forward-target.js';
import { OpenAIBatchClient } from './openai-batches.js';
import type { ProviderBatchClient } from './provider-batch.js';
import type { FetchLike } from './provider-http.js';

export function batchClientFor(
  deployment: Deployment,
  api: BatchApi,
  fetchFn: FetchLike,
): ProviderBatchClient | undefined {
  const target = forwardTarget(deployment, api);
  if (!target) return undefined;
  return target.provider === 'openai'
    ? new OpenAIBatchClient(target, deployment, fetchFn)
    : new AnthropicBatchClient(target, deployment, fetchFn);
}

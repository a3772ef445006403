/**
 * A line's body as the deployment must receive it: the model the caller
 * named (the group) becomes the one the provider knows, by the same rule
 * the proxy follows for interactive calls (runtime/upstream-target.ts):
 * a string `model` that differs is replaced, then the adapter may name the
 * model elsewhere too (`bodyForModel`).
 */
import { matchOpenAIPath } from '../../providers/openai/endpoints.js';
import type { Deployment } from '../../runtime/deployment.js';
import type { BatchLine } from '../batch.js';

export function upstreamBody(deployment: Deployment, line: BatchLine): Record<string, unknown> {
  const model = deployment.config.model;
  let body = line.body;
  if (typeof body.model === 'string' && body.model !== model) body = { ...body, model };
  const endpoint =
    deployment.config.provider === 'anthropic' ? 'messages' : matchOpenAIPath('POST', line.url);
  if (endpoint === undefined) return body;
  return deployment.adapter.bodyForModel?.(endpoint, body, model) ?? body;
}

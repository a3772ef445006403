/**
 * Azure OpenAI (PROVIDERS.md §2): OpenAI's API behind per-deployment paths
 * (`/openai/deployments/{d}/chat/completions?api-version=…`, and the newer
 * `/openai/v1/…`), per-minute limits per deployment, `retry-after-ms` on
 * 429s, and 429 bodies that name the limit only in prose ("token rate
 * limit" / "call rate limit", §2.3), which the shared OpenAI classifier reads.
 *
 * Deployment names are chosen by the customer, so the tokenizer is picked
 * from `deploymentModels` when the name says nothing (`prod-chat` → `gpt-4o`).
 */
import type { ProviderAdapter } from '../adapter.js';
import { encodingForModel } from '../estimate/encodings.js';
import { tokenizerCounter } from '../estimate/text-counter.js';
import { azureDeployment, matchOpenAIPath } from '../openai/endpoints.js';
import { classifyOpenAIError } from '../openai/errors.js';
import { createOpenAIFamilyAdapter } from '../openai/family.js';
import { OPENAI_OUTPUT_RULE } from '../openai/models.js';
import { AZURE_RATE_LIMIT_HEADERS } from '../openai/rate-limit-headers.js';
import { type EstimateTuning, maxTokenizedChars, outputDefaults } from '../options.js';
import { azureAuth, pathAfterBase } from '../upstream-url.js';

export interface AzureAdapterOptions extends EstimateTuning {
  /** Deployment name → the OpenAI model it serves, for choosing the tokenizer. */
  readonly deploymentModels?: Readonly<Record<string, string>> | undefined;
}

export function createAzureAdapter(options: AzureAdapterOptions = {}): ProviderAdapter {
  const models = new Map(Object.entries(options.deploymentModels ?? {}));
  return createOpenAIFamilyAdapter({
    kind: 'azure',
    matchEndpoint: matchOpenAIPath,
    modelFromPath: azureDeployment,
    counterFor: (model) =>
      tokenizerCounter(encodingForModel(model === undefined ? model : (models.get(model) ?? model))),
    output: outputDefaults(options, OPENAI_OUTPUT_RULE),
    maxTokenizedChars: maxTokenizedChars(options),
    characterFloor: true,
    rateLimitHeaders: AZURE_RATE_LIMIT_HEADERS,
    classifyError: classifyOpenAIError,
    streamOptions: true,
    // Azure's base URL stops before `/openai/…`; its key goes in `api-key`.
    upstreamPath: pathAfterBase,
    authHeaders: azureAuth,
  });
}

/**
 * OpenAI (api.openai.com): real tokenizer per model (PROVIDERS.md §6.1),
 * `x-ratelimit-*` headers (§1.1), error codes (§1.6), usage in bodies and
 * streams (§1.8).
 */
import type { Window } from '../../core/limit.js';
import type { ProviderAdapter } from '../adapter.js';
import { encodingForModel } from '../estimate/encodings.js';
import { tokenizerCounter } from '../estimate/text-counter.js';
import { type EstimateTuning, maxTokenizedChars, outputDefaults } from '../options.js';
import { matchOpenAIPath } from './endpoints.js';
import { classifyOpenAIError } from './errors.js';
import { createOpenAIFamilyAdapter } from './family.js';
import { OPENAI_OUTPUT_RULE } from './models.js';
import { openAIRateLimitHeaders } from './rate-limit-headers.js';

export interface OpenAIAdapterOptions extends EstimateTuning {
  /**
   * Window of `x-ratelimit-limit-requests`. Unset, it is inferred from each
   * response (RPM on most keys, RPD on some, §1.3).
   */
  readonly requestsWindow?: Window | undefined;
}

export function createOpenAIAdapter(options: OpenAIAdapterOptions = {}): ProviderAdapter {
  return createOpenAIFamilyAdapter({
    kind: 'openai',
    matchEndpoint: matchOpenAIPath,
    modelFromPath: () => undefined,
    counterFor: (model) => tokenizerCounter(encodingForModel(model)),
    output: outputDefaults(options, OPENAI_OUTPUT_RULE),
    maxTokenizedChars: maxTokenizedChars(options),
    characterFloor: true,
    rateLimitHeaders: openAIRateLimitHeaders(options.requestsWindow),
    classifyError: classifyOpenAIError,
    streamOptions: true,
  });
}

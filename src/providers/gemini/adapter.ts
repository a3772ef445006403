/**
 * Google Gemini API (PROVIDERS.md §4): native `generateContent` /
 * `streamGenerateContent`, `countTokens` (free upstream, its own per-minute
 * limit), `embedContent` and `batchEmbedContents` (embed.ts), and the
 * OpenAI-compatible paths under
 * `/v1beta/openai/`, which behave like the OpenAI adapter except that errors
 * are Google's (classified by `classifyGeminiError`) and tokens are
 * estimated from characters. Gemini sends no rate-limit headers, so
 * `observe` reports nothing; limits come from configuration and 429 bodies.
 */
import { costOf } from '../../core/cost.js';
import type { Endpoint, EstimateOptions, ProviderAdapter, RefusalKind } from '../adapter.js';
import { providerError } from '../errors/provider-error.js';
import { charCounter } from '../estimate/text-counter.js';
import { guarded } from '../guard.js';
import { estimateOpenAIRequest } from '../openai/estimate.js';
import { openAIErrorPayload } from '../openai/payload.js';
import { withStreamUsage } from '../openai/stream-usage.js';
import { usageFromOpenAIBody } from '../openai/usage.js';
import { UsageChunkFilter } from '../openai/usage-chunk-filter.js';
import { createOpenAIUsageTap } from '../openai/usage-tap.js';
import { type EstimateTuning, maxTokenizedChars, outputDefaults } from '../options.js';
import { field, isRecord } from '../parse/json-shape.js';
import { classifyInStream } from '../stream/in-stream-error.js';
import { geminiAuth, geminiPath } from '../upstream-url.js';
import { geminiBodyForModel } from './body-model.js';
import { estimateGeminiEmbedding, usageFromGeminiEmbedding } from './embed.js';
import { geminiModelFromPath, isCompatEndpoint, matchGeminiPath } from './endpoints.js';
import { classifyGeminiError } from './errors.js';
import { estimateGeminiRequest } from './estimate.js';
import { geminiErrorPayload } from './payload.js';
import { usageFromGeminiBody } from './usage.js';
import { createGeminiUsageTap } from './usage-tap.js';

export type GeminiAdapterOptions = EstimateTuning;

export function createGeminiAdapter(options: GeminiAdapterOptions = {}): ProviderAdapter {
  const output = outputDefaults(options);
  const compatConfig = Object.freeze({
    counterFor: () => charCounter,
    output,
    maxTokenizedChars: maxTokenizedChars(options),
  });
  const nativeConfig = Object.freeze({ output });
  const classify = guarded(classifyGeminiError, (status: number) => providerError('server_error', status));

  const estimate = (
    endpoint: Endpoint,
    body: unknown,
    pathname: string,
    estimateOptions?: EstimateOptions,
  ) => {
    if (isCompatEndpoint(endpoint))
      return estimateOpenAIRequest(endpoint, body, undefined, compatConfig, estimateOptions);
    const model = geminiModelFromPath(pathname);
    return endpoint === 'embed_content' || endpoint === 'batch_embed_contents'
      ? estimateGeminiEmbedding(endpoint, body, model)
      : estimateGeminiRequest(endpoint, body, model, nativeConfig, estimateOptions);
  };

  const errorPayload = (kind: RefusalKind, message: string, endpoint?: Endpoint, status?: number) =>
    endpoint !== undefined && isCompatEndpoint(endpoint)
      ? openAIErrorPayload(kind, message)
      : geminiErrorPayload(kind, message, status);

  return Object.freeze({
    kind: 'gemini',
    matchEndpoint: guarded(matchGeminiPath, () => undefined),
    estimate: guarded(estimate, (endpoint) => ({
      endpoint,
      model: undefined,
      stream: false,
      cost: costOf(0, 0),
    })),
    usageFromBody: guarded(
      (endpoint: Endpoint, body: unknown) => {
        if (isCompatEndpoint(endpoint)) return usageFromOpenAIBody(endpoint, body);
        if (endpoint === 'embed_content' || endpoint === 'batch_embed_contents')
          return usageFromGeminiEmbedding(body);
        // A count holds no usage: `totalTokens` is what the caller asked about, not what was spent.
        return endpoint === 'count_tokens' ? undefined : usageFromGeminiBody(body);
      },
      () => undefined,
    ),
    bodyError: guarded(
      (_endpoint: Endpoint, body: unknown) => {
        const first = Array.isArray(body) ? body[0] : body;
        const error = field(first, 'error');
        return isRecord(error) ? classifyInStream(classify, first, error) : undefined;
      },
      () => undefined,
    ),
    createUsageTap: (endpoint: Endpoint) =>
      isCompatEndpoint(endpoint) ? createOpenAIUsageTap(endpoint, classify) : createGeminiUsageTap(classify),
    observe: () => [],
    classifyError: classify,
    errorPayload: guarded(errorPayload, (kind, message, _endpoint, status) =>
      geminiErrorPayload(kind, message, status),
    ),
    requestStreamUsage: guarded(withStreamUsage, () => undefined),
    stripAddedStreamUsage: () => new UsageChunkFilter(),
    bodyForModel: guarded(geminiBodyForModel, () => undefined),
    upstreamPath: geminiPath,
    authHeaders: geminiAuth,
  } satisfies ProviderAdapter);
}

/**
 * One adapter for every API shaped like OpenAI's: OpenAI itself, Azure
 * OpenAI, the OpenAI-compatible servers and Gemini's compatibility paths
 * differ only in data (endpoints, header scheme, error classifier,
 * tokenizer choice), which this builder takes as a frozen config.
 */
import { costOf } from '../../core/cost.js';
import type {
  Endpoint,
  ErrorPayload,
  HeaderLookup,
  ProviderAdapter,
  ProviderKind,
  RefusalKind,
} from '../adapter.js';
import { providerError } from '../errors/provider-error.js';
import type { OutputDefaults } from '../estimate/output-reservation.js';
import type { TextCounter } from '../estimate/text-counter.js';
import { guarded } from '../guard.js';
import { type HeaderScheme, observeHeaders } from '../observe/header-scheme.js';
import { field, isRecord } from '../parse/json-shape.js';
import { classifyInStream, type ErrorClassifier } from '../stream/in-stream-error.js';
import { bearerAuth, pathAfterVersionedBase, type UpstreamPathInput } from '../upstream-url.js';
import { estimateOpenAIRequest } from './estimate.js';
import { openAIErrorPayload } from './payload.js';
import { withStreamUsage } from './stream-usage.js';
import { usageFromOpenAIBody } from './usage.js';
import { UsageChunkFilter } from './usage-chunk-filter.js';
import { createOpenAIUsageTap } from './usage-tap.js';

export interface OpenAIFamilyConfig {
  readonly kind: ProviderKind;
  readonly matchEndpoint: (method: string, pathname: string) => Endpoint | undefined;
  /** The model when the body names none (Azure: the deployment in the path). */
  readonly modelFromPath: (pathname: string) => string | undefined;
  readonly counterFor: (model: string | undefined) => TextCounter;
  readonly output: OutputDefaults;
  readonly maxTokenizedChars: number;
  /** The limiter charges at least its character estimate of the prompt (OpenAI, Azure: PROVIDERS.md §1.5). */
  readonly characterFloor?: boolean;
  readonly rateLimitHeaders: HeaderScheme;
  readonly classifyError: ErrorClassifier;
  /** Whether the server understands `stream_options.include_usage`. */
  readonly streamOptions: boolean;
  readonly errorPayload?: ((kind: RefusalKind, message: string) => ErrorPayload) | undefined;
  /** Where a call goes after the base URL (default: the base URL ends with `/v1`). */
  readonly upstreamPath?: ((input: UpstreamPathInput) => string) | undefined;
  /** The headers that carry a key (default: `Authorization: Bearer`). */
  readonly authHeaders?: ((key: string) => Record<string, string>) | undefined;
}

export function createOpenAIFamilyAdapter(config: OpenAIFamilyConfig): ProviderAdapter {
  const classify = guarded(config.classifyError, (status: number) => providerError('server_error', status));
  const adapter: ProviderAdapter = {
    kind: config.kind,
    matchEndpoint: guarded(config.matchEndpoint, () => undefined),
    estimate: guarded(
      (endpoint, body, pathname, options) =>
        estimateOpenAIRequest(endpoint, body, config.modelFromPath(pathname), config, options),
      (endpoint) => ({ endpoint, model: undefined, stream: false, cost: costOf(0, 0) }),
    ),
    usageFromBody: guarded(usageFromOpenAIBody, () => undefined),
    bodyError: guarded(
      (_endpoint: Endpoint, body: unknown) => {
        const error = field(body, 'error');
        return isRecord(error) ? classifyInStream(classify, body, error) : undefined;
      },
      () => undefined,
    ),
    createUsageTap: (endpoint) => createOpenAIUsageTap(endpoint, classify),
    observe: guarded(
      (headers: HeaderLookup, now: number) => observeHeaders(config.rateLimitHeaders, headers, now),
      () => [],
    ),
    classifyError: classify,
    errorPayload: guarded(config.errorPayload ?? openAIErrorPayload, openAIErrorPayload),
    upstreamPath: config.upstreamPath ?? pathAfterVersionedBase,
    authHeaders: config.authHeaders ?? bearerAuth,
  };
  if (config.streamOptions) {
    adapter.requestStreamUsage = guarded(withStreamUsage, () => undefined);
    adapter.stripAddedStreamUsage = () => new UsageChunkFilter();
  }
  return Object.freeze(adapter);
}

/**
 * Anthropic Messages API (PROVIDERS.md §3): character-based input estimate,
 * `anthropic-ratelimit-*` headers, cache-aware ITPM usage, spend-cap aware
 * error classes, and its own error envelope for refusals.
 */
import { costOf } from '../../core/cost.js';
import type { Endpoint, EstimateOptions, HeaderLookup, ProviderAdapter } from '../adapter.js';
import { providerError } from '../errors/provider-error.js';
import { guarded } from '../guard.js';
import { observeHeaders } from '../observe/header-scheme.js';
import { type EstimateTuning, outputDefaults } from '../options.js';
import { isRecord, stringField } from '../parse/json-shape.js';
import { classifyInStream } from '../stream/in-stream-error.js';
import { anthropicAuth, pathAfterBase } from '../upstream-url.js';
import { matchAnthropicPath } from './endpoints.js';
import { classifyAnthropicError } from './errors.js';
import { estimateAnthropicRequest } from './estimate.js';
import { anthropicErrorPayload } from './payload.js';
import { ANTHROPIC_RATE_LIMIT_HEADERS } from './rate-limit-headers.js';
import { CACHE_READS_COUNT_FOR, usageFromAnthropicBody } from './usage.js';
import { createAnthropicUsageTap } from './usage-tap.js';

export interface AnthropicAdapterOptions extends Omit<EstimateTuning, 'maxTokenizedChars'> {
  /**
   * Model name prefixes whose input-token limit also counts cache reads
   * (default: the older models the docs mark with †, `CACHE_READS_COUNT_FOR`).
   */
  readonly cacheReadsCountFor?: readonly string[] | undefined;
}

export function createAnthropicAdapter(options: AnthropicAdapterOptions = {}): ProviderAdapter {
  const cacheReadsCountFor = Object.freeze([...(options.cacheReadsCountFor ?? CACHE_READS_COUNT_FOR)]);
  const config = Object.freeze({ output: outputDefaults(options), cacheReadsCountFor });
  const classify = guarded(classifyAnthropicError, (status: number) => providerError('server_error', status));
  return Object.freeze({
    kind: 'anthropic',
    matchEndpoint: guarded(matchAnthropicPath, () => undefined),
    estimate: guarded(
      (endpoint: Endpoint, body: unknown, _pathname: string, estimateOptions?: EstimateOptions) =>
        estimateAnthropicRequest(endpoint, body, config, estimateOptions),
      (endpoint) => ({ endpoint, model: undefined, stream: false, cost: costOf(0, 0) }),
    ),
    usageFromBody: guarded(
      (endpoint: Endpoint, body: unknown) => usageFromAnthropicBody(endpoint, body, cacheReadsCountFor),
      () => undefined,
    ),
    bodyError: guarded(
      (_endpoint: Endpoint, body: unknown) =>
        isRecord(body) && stringField(body, 'type') === 'error'
          ? classifyInStream(classify, body, body.error)
          : undefined,
      () => undefined,
    ),
    createUsageTap: () => createAnthropicUsageTap(classify, cacheReadsCountFor),
    observe: guarded(
      (headers: HeaderLookup, now: number) => observeHeaders(ANTHROPIC_RATE_LIMIT_HEADERS, headers, now),
      () => [],
    ),
    classifyError: classify,
    errorPayload: guarded(anthropicErrorPayload, anthropicErrorPayload),
    upstreamPath: pathAfterBase,
    authHeaders: anthropicAuth,
  } satisfies ProviderAdapter);
}

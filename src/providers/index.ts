/**
 * The providers layer (DESIGN.md "Layers"): one adapter per provider behind
 * the `ProviderAdapter` port, plus the pure helpers the gateway needs.
 */
export type * from './adapter.js';
export { type AnthropicAdapterOptions, createAnthropicAdapter } from './anthropic/adapter.js';
export { CACHE_READS_COUNT_FOR } from './anthropic/usage.js';
export { type AzureAdapterOptions, createAzureAdapter } from './azure/adapter.js';
export { isQuotaWait, networkError } from './errors/provider-error.js';
export { type EncodingName, encodingForModel } from './estimate/encodings.js';
export { DEFAULT_MAX_OUTPUT_TOKENS } from './estimate/output-reservation.js';
export { DEFAULT_MAX_TOKENIZED_CHARS } from './estimate/prompt-tally.js';
export { estimateTokensFromChars, preloadTokenizers } from './estimate/text-counter.js';
export { createGeminiAdapter, type GeminiAdapterOptions } from './gemini/adapter.js';
export {
  defineScheme,
  type HeaderScheme,
  type LimitHeaders,
  observeHeaders,
  type ResetFormat,
} from './observe/header-scheme.js';
export { clampResetAt, RESET_TOLERANCE_MS } from './observe/reset-clamp.js';
export { inferWindow } from './observe/window-inference.js';
export { createOpenAIAdapter, type OpenAIAdapterOptions } from './openai/adapter.js';
export { isUsageOnlyChunk, isUsageOnlyData, withStreamUsage } from './openai/stream-usage.js';
export { createOpenAICompatibleAdapter, type OpenAICompatibleOptions } from './openai-compatible/adapter.js';
export {
  COMPATIBLE_PRESETS,
  type CompatiblePreset,
  type CompatiblePresetName,
  compatiblePreset,
  type TokenizerChoice,
} from './openai-compatible/presets.js';
export type { EstimateTuning } from './options.js';
export { parseDurationMs } from './parse/go-duration.js';
export { MAX_RETRY_AFTER_MS, parseRetryAfter, retryAfterFromHeaders } from './parse/retry-after.js';
export { type AdapterOptionsByKind, createAdapter, PROVIDER_KINDS } from './registry.js';

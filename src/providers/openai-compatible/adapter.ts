/**
 * Any server that speaks OpenAI's API (vLLM, Groq, Together, Mistral,
 * OpenRouter, DeepSeek, local servers): the OpenAI adapter with the
 * rate-limit header scheme, stream-usage support and tokenizer choice of a
 * preset, each overridable. Errors use the OpenAI classifier, which also
 * knows Groq's 413, OpenRouter's `{"error":{"code":429}}` (also inside a
 * 200), Mistral's top-level error fields and DeepSeek's 402.
 */
import type { ProviderAdapter } from '../adapter.js';
import { baseModelName, encodingForModel } from '../estimate/encodings.js';
import { charCounter, type TextCounter, tokenizerCounter } from '../estimate/text-counter.js';
import { defineScheme, type LimitHeaders } from '../observe/header-scheme.js';
import { matchOpenAIPath } from '../openai/endpoints.js';
import { classifyOpenAIError } from '../openai/errors.js';
import { createOpenAIFamilyAdapter } from '../openai/family.js';
import { type EstimateTuning, maxTokenizedChars, outputDefaults } from '../options.js';
import { type CompatiblePresetName, compatiblePreset, type TokenizerChoice } from './presets.js';

export interface OpenAICompatibleOptions extends EstimateTuning {
  /** Starting point for the options below (default `generic`). */
  readonly preset?: CompatiblePresetName | undefined;
  /** Rate-limit header triplets; replaces the preset's. */
  readonly rateLimitHeaders?: readonly LimitHeaders[] | undefined;
  readonly tokenizer?: TokenizerChoice | undefined;
  /** Whether the server accepts `stream_options.include_usage`. */
  readonly streamOptions?: boolean | undefined;
}

/** Names of OpenAI's own models, which other servers may host (gpt-oss on Groq, GPT on OpenRouter). */
const OPENAI_MODEL = /^(?:gpt-|chatgpt-|o\d|text-embedding-|davinci-|babbage-)/;

export function createOpenAICompatibleAdapter(options: OpenAICompatibleOptions = {}): ProviderAdapter {
  const preset = compatiblePreset(options.preset ?? 'generic');
  const tokenizer = options.tokenizer ?? preset.tokenizer;
  const counterFor = (model: string | undefined): TextCounter => {
    if (tokenizer === 'chars') return charCounter;
    if (tokenizer === 'auto' && (model === undefined || !OPENAI_MODEL.test(baseModelName(model))))
      return charCounter;
    return tokenizerCounter(encodingForModel(model));
  };
  return createOpenAIFamilyAdapter({
    kind: 'openai-compatible',
    matchEndpoint: matchOpenAIPath,
    modelFromPath: () => undefined,
    counterFor,
    output: outputDefaults(options),
    maxTokenizedChars: maxTokenizedChars(options),
    rateLimitHeaders: defineScheme(options.rateLimitHeaders ?? preset.rateLimitHeaders),
    classifyError: classifyOpenAIError,
    streamOptions: options.streamOptions ?? preset.streamOptions,
  });
}

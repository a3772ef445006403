/**
 * `createAdapter(kind, options)`: the one entry the runtime and gateway use
 * to get an adapter for a deployment's provider. Each call builds a new
 * adapter from the caller's options; nothing is shared or cached across calls
 * except the frozen tables and the (lazily loaded) tokenizers.
 */
import type { ProviderAdapter, ProviderKind } from './adapter.js';
import { type AnthropicAdapterOptions, createAnthropicAdapter } from './anthropic/adapter.js';
import { type AzureAdapterOptions, createAzureAdapter } from './azure/adapter.js';
import { createGeminiAdapter, type GeminiAdapterOptions } from './gemini/adapter.js';
import { createOpenAIAdapter, type OpenAIAdapterOptions } from './openai/adapter.js';
import { createOpenAICompatibleAdapter, type OpenAICompatibleOptions } from './openai-compatible/adapter.js';

export interface AdapterOptionsByKind {
  openai: OpenAIAdapterOptions;
  azure: AzureAdapterOptions;
  anthropic: AnthropicAdapterOptions;
  gemini: GeminiAdapterOptions;
  'openai-compatible': OpenAICompatibleOptions;
}

export const PROVIDER_KINDS: readonly ProviderKind[] = Object.freeze([
  'openai',
  'azure',
  'anthropic',
  'gemini',
  'openai-compatible',
]);

export function createAdapter<K extends ProviderKind>(
  kind: K,
  options?: AdapterOptionsByKind[K],
): ProviderAdapter {
  switch (kind) {
    case 'openai':
      return createOpenAIAdapter(options as OpenAIAdapterOptions | undefined);
    case 'azure':
      return createAzureAdapter(options as AzureAdapterOptions | undefined);
    case 'anthropic':
      return createAnthropicAdapter(options as AnthropicAdapterOptions | undefined);
    case 'gemini':
      return createGeminiAdapter(options as GeminiAdapterOptions | undefined);
    case 'openai-compatible':
      return createOpenAICompatibleAdapter(options as OpenAICompatibleOptions | undefined);
    default:
      throw new TypeError(`unknown provider kind: ${String(kind)}`);
  }
}

/**
 * Gemini `usageMetadata` (PROVIDERS.md §4): `promptTokenCount` (cached
 * content included) plus `toolUsePromptTokenCount` is the input; output is
 * `candidatesTokenCount` plus `thoughtsTokenCount` (thinking is generated
 * and billed as output). Streams repeat the metadata; the last one wins.
 */
import type { ProviderUsage } from '../adapter.js';
import { countField, recordField } from '../parse/json-shape.js';

export function geminiUsage(metadata: unknown): ProviderUsage | undefined {
  const prompt = countField(metadata, 'promptTokenCount');
  const candidates = countField(metadata, 'candidatesTokenCount');
  const thoughts = countField(metadata, 'thoughtsTokenCount');
  if (prompt === undefined && candidates === undefined && thoughts === undefined) return undefined;
  return {
    inputTokens: (prompt ?? 0) + (countField(metadata, 'toolUsePromptTokenCount') ?? 0),
    outputTokens: (candidates ?? 0) + (thoughts ?? 0),
    cacheReadTokens: countField(metadata, 'cachedContentTokenCount'),
  };
}

export function usageFromGeminiBody(body: unknown): ProviderUsage | undefined {
  // A non-streamed `streamGenerateContent` answer is a JSON array of chunks.
  if (Array.isArray(body)) {
    for (let i = body.length - 1; i >= 0; i--) {
      const found = geminiUsage(recordField(body[i], 'usageMetadata'));
      if (found) return found;
    }
    return undefined;
  }
  return geminiUsage(recordField(body, 'usageMetadata'));
}

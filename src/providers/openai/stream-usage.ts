/**
 * Getting usage out of streamed Chat Completions and Completions. OpenAI
 * sends it only when the request asks with `stream_options.include_usage`,
 * in one extra chunk whose `choices` is empty (PROVIDERS.md §1.8). The
 * gateway adds the option when a client left it out, and removes that extra
 * chunk again before the client sees it (`isUsageOnlyChunk`). The Responses
 * API always reports usage and needs nothing.
 */
import type { Endpoint } from '../adapter.js';
import { arrayField, field, isRecord, recordField } from '../parse/json-shape.js';

export function withStreamUsage(
  endpoint: Endpoint,
  body: Record<string, unknown>,
): Record<string, unknown> | undefined {
  if (endpoint !== 'chat_completions' && endpoint !== 'completions') return undefined;
  if (field(body, 'stream') !== true) return undefined;
  const options = recordField(body, 'stream_options');
  if (field(options, 'include_usage') === true) return undefined;
  return { ...body, stream_options: { ...options, include_usage: true } };
}

const EMPTY_CHOICES = /"choices"\s*:\s*\[\s*\]/;

/** A parsed chunk that only carries the usage requested by `withStreamUsage`. */
export function isUsageOnlyChunk(chunk: unknown): boolean {
  if (!isRecord(chunk)) return false;
  const choices = arrayField(chunk, 'choices');
  return choices !== undefined && choices.length === 0 && isRecord(field(chunk, 'usage'));
}

/** The same test on an SSE `data:` payload; cheap for the ordinary chunks it rejects. */
export function isUsageOnlyData(data: string): boolean {
  if (typeof data !== 'string' || !data.includes('"usage"') || !EMPTY_CHOICES.test(data)) return false;
  try {
    return isUsageOnlyChunk(JSON.parse(data));
  } catch {
    return false;
  }
}

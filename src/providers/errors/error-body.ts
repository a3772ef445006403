/**
 * The error object inside whatever body arrived: parsed JSON, raw text that
 * may still be JSON, or a Gemini JSON-array stream (`[{"error":…}]`, §4.2).
 * Providers nest it under `error` (OpenAI, Anthropic, Google, OpenRouter) or
 * put the fields at the top level (Mistral, Bedrock, §5).
 */
import { field, isRecord, type JsonRecord, stringField } from '../parse/json-shape.js';

/** Raw error bodies larger than this are not worth parsing for a classification. */
const MAX_TEXT_PARSE = 1 << 20;
const MAX_MESSAGE = 2_000;

export function parseErrorBody(body: unknown): unknown {
  if (typeof body !== 'string') return body;
  const text = body.trim();
  if (text.length > MAX_TEXT_PARSE || !(text.startsWith('{') || text.startsWith('['))) return body;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return body;
  }
}

export function errorObject(body: unknown): JsonRecord | undefined {
  let value = parseErrorBody(body);
  if (Array.isArray(value)) value = value[0];
  if (!isRecord(value)) return undefined;
  const nested = field(value, 'error');
  if (isRecord(nested)) return nested;
  return typeof field(value, 'message') === 'string' ? value : undefined;
}

/** A readable message: the object's `message`, or the start of a raw text body. */
export function errorMessage(error: JsonRecord | undefined, body: unknown): string | undefined {
  const message =
    stringField(error, 'message') ?? (typeof body === 'string' && body.length > 0 ? body : undefined);
  return message?.slice(0, MAX_MESSAGE);
}

/** Error codes are strings (`insufficient_quota`) or numbers (`429` on OpenRouter, Google). */
export function errorCode(error: JsonRecord | undefined, key = 'code'): string | undefined {
  const value = field(error, key);
  if (typeof value === 'string') return value.slice(0, 200);
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

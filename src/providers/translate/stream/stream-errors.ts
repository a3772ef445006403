/**
 * Errors inside a translated stream. A reader turns an upstream's in-stream
 * error into a status in HTTP's sense (what the same error would have been
 * as a response), and a writer turns a status back into the caller's
 * family's envelope through the same payload tables Sluice's own refusals
 * use (`providers/<family>/payload.ts`), so an SDK raises its usual class.
 */
import type { RefusalKind } from '../../adapter.js';
import { field, stringField } from '../../parse/json-shape.js';

/** What a stream that broke or cannot travel is told: the upstream, not the caller, failed. */
export const BAD_GATEWAY = 502;

/** Anthropic `error.type` → the status Anthropic answers it with (PROVIDERS.md §3.3). */
const ANTHROPIC_ERROR_STATUS: Readonly<Record<string, number>> = Object.freeze({
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
});

/** OpenAI `error.type` / `error.code` → status (§1.6); OpenRouter puts the status itself in `code` (§5). */
const OPENAI_ERROR_STATUS: Readonly<Record<string, number>> = Object.freeze({
  invalid_request_error: 400,
  authentication_error: 401,
  invalid_api_key: 401,
  permission_error: 403,
  not_found_error: 404,
  rate_limit_error: 429,
  rate_limit_exceeded: 429,
  insufficient_quota: 429,
  tokens: 429,
  requests: 429,
  server_error: 500,
  service_unavailable_error: 503,
  server_is_overloaded: 503,
});

export function anthropicErrorStatus(type: string | undefined): number {
  return (type !== undefined && ANTHROPIC_ERROR_STATUS[type]) || 500;
}

/** `error` of an OpenAI error chunk `{"error":{message,type,code}}`. */
export function openAIErrorStatus(error: unknown): number {
  const code = field(error, 'code');
  const numeric = typeof code === 'number' ? code : typeof code === 'string' ? Number(code) : Number.NaN;
  if (numeric >= 400 && numeric <= 599) return numeric;
  const byCode = typeof code === 'string' ? OPENAI_ERROR_STATUS[code] : undefined;
  const type = stringField(error, 'type');
  return byCode ?? (type !== undefined ? OPENAI_ERROR_STATUS[type] : undefined) ?? 500;
}

/** Google's `code` is the HTTP status (§4.2). */
export function geminiErrorStatus(error: unknown): number {
  const code = field(error, 'code');
  return typeof code === 'number' && code >= 400 && code <= 599 ? code : 500;
}

/** A status as the refusal kind whose envelope a writer uses. */
export function refusalKindOf(status: number): RefusalKind {
  switch (status) {
    case 400:
      return 'invalid_request';
    case 401:
      return 'authentication';
    case 403:
      return 'permission';
    case 404:
      return 'not_found';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit';
    case 503:
    case 529:
      return 'overloaded';
    default:
      return 'api_error';
  }
}

/**
 * A message batch's results file (docs.anthropic.com/en/api/retrieving-message-batch-results):
 * JSONL, one `{custom_id, result}` line per request, `result` one of
 * `succeeded` (the message), `errored` (an error response), `canceled`,
 * `expired`. Pure.
 */
import type { LineResult } from '../batch.js';

type ErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'api_error'
  | 'overloaded_error';

/** Anthropic's error type for an HTTP status (docs.anthropic.com/en/api/errors). */
function errorTypeOf(status: number): ErrorType {
  switch (status) {
    case 400:
      return 'invalid_request_error';
    case 401:
      return 'authentication_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 529:
      return 'overloaded_error';
    default:
      return status >= 400 && status < 500 ? 'invalid_request_error' : 'api_error';
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** An errored line's `error`: the answer's own Anthropic error body when it is one, else one built from the line. */
function errorResponse(result: LineResult) {
  const body = result.body;
  const requestId = result.requestId === '' ? {} : { request_id: result.requestId };
  if (isObject(body) && body.type === 'error' && isObject(body.error)) return { ...requestId, ...body };
  const inner = isObject(body) && isObject(body.error) ? body.error : undefined;
  const message =
    result.error?.message ??
    (typeof inner?.message === 'string' ? inner.message : 'The request could not be processed.');
  return {
    type: 'error' as const,
    error: { type: errorTypeOf(result.status), message },
    ...requestId,
  };
}

export function anthropicResult(result: LineResult) {
  switch (result.outcome) {
    case 'succeeded':
      return { type: 'succeeded' as const, message: result.body };
    case 'errored':
      return { type: 'errored' as const, error: errorResponse(result) };
    default:
      return { type: result.outcome };
  }
}

export function anthropicResultLine(result: LineResult): string {
  return `${JSON.stringify({ custom_id: result.customId, result: anthropicResult(result) })}\n`;
}

export function renderAnthropicResults(results: readonly LineResult[]): string {
  let text = '';
  for (const result of results) text += anthropicResultLine(result);
  return text;
}

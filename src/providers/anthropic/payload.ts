/**
 * Sluice's refusals in Anthropic's envelope
 * `{"type":"error","error":{"type","message"}}` (PROVIDERS.md §3.3), with the
 * error types of the SDK's `ErrorType` union so `@anthropic-ai/sdk` raises
 * its usual classes. Overload is answered with 503, not 529: 529 means the
 * API itself is overloaded for everyone.
 */
import type { ErrorPayload, RefusalKind } from '../adapter.js';

const REFUSALS: Readonly<Record<RefusalKind, readonly [number, string]>> = Object.freeze({
  rate_limit: [429, 'rate_limit_error'],
  budget: [429, 'rate_limit_error'],
  overloaded: [503, 'overloaded_error'],
  invalid_request: [400, 'invalid_request_error'],
  authentication: [401, 'authentication_error'],
  permission: [403, 'permission_error'],
  not_found: [404, 'not_found_error'],
  request_too_large: [413, 'request_too_large'],
  api_error: [500, 'api_error'],
});

export function anthropicErrorPayload(kind: RefusalKind, message: string): ErrorPayload {
  const [status, type] = REFUSALS[kind] ?? REFUSALS.api_error;
  return {
    status,
    body: { type: 'error', error: { type, message: typeof message === 'string' ? message : '' } },
  };
}

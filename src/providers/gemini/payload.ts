/**
 * Sluice's refusals as `google.rpc.Status` JSON
 * `{"error":{"code","message","status"}}` (PROVIDERS.md §4.2), the shape
 * `@google/genai` reads. Google has no 413: an oversized request is
 * INVALID_ARGUMENT (400), as Google itself answers.
 */
import type { ErrorPayload, RefusalKind } from '../adapter.js';

const REFUSALS: Readonly<Record<RefusalKind, readonly [number, string]>> = Object.freeze({
  rate_limit: [429, 'RESOURCE_EXHAUSTED'],
  budget: [429, 'RESOURCE_EXHAUSTED'],
  overloaded: [503, 'UNAVAILABLE'],
  invalid_request: [400, 'INVALID_ARGUMENT'],
  authentication: [401, 'UNAUTHENTICATED'],
  permission: [403, 'PERMISSION_DENIED'],
  not_found: [404, 'NOT_FOUND'],
  request_too_large: [400, 'INVALID_ARGUMENT'],
  api_error: [500, 'INTERNAL'],
});

/** `answeredWith`: the HTTP status actually sent, when not the kind's; Google's `code` is always the HTTP status. */
export function geminiErrorPayload(kind: RefusalKind, message: string, answeredWith?: number): ErrorPayload {
  const [kindStatus, rpcStatus] = REFUSALS[kind] ?? REFUSALS.api_error;
  const status = answeredWith ?? kindStatus;
  return {
    status,
    body: { error: { code: status, message: typeof message === 'string' ? message : '', status: rpcStatus } },
  };
}

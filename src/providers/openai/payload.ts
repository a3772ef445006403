/**
 * Sluice's own refusals in OpenAI's error envelope
 * `{"error":{"message","type","param","code"}}` (PROVIDERS.md §1.6), so the
 * official SDKs raise their usual classes (they pick the class from the
 * status and read `code`/`type`/`param` from `body.error`, §1.7).
 */
import type { ErrorPayload, RefusalKind } from '../adapter.js';

interface OpenAIRefusal {
  readonly status: number;
  readonly type: string;
  readonly code: string | null;
}

const REFUSALS: Readonly<Record<RefusalKind, OpenAIRefusal>> = Object.freeze({
  rate_limit: { status: 429, type: 'rate_limit_error', code: 'rate_limit_exceeded' },
  // As OpenAI answers an account out of credit (type `insufficient_quota`), with the budget's own code.
  budget: { status: 429, type: 'insufficient_quota', code: 'budget_exceeded' },
  overloaded: { status: 503, type: 'service_unavailable_error', code: 'server_is_overloaded' },
  invalid_request: { status: 400, type: 'invalid_request_error', code: null },
  authentication: { status: 401, type: 'invalid_request_error', code: 'invalid_api_key' },
  permission: { status: 403, type: 'invalid_request_error', code: null },
  not_found: { status: 404, type: 'invalid_request_error', code: null },
  request_too_large: { status: 413, type: 'invalid_request_error', code: 'request_too_large' },
  api_error: { status: 500, type: 'server_error', code: null },
});

export function openAIErrorPayload(kind: RefusalKind, message: string): ErrorPayload {
  const refusal = REFUSALS[kind] ?? REFUSALS.api_error;
  return {
    status: refusal.status,
    body: {
      error: {
        message: typeof message === 'string' ? message : '',
        type: refusal.type,
        param: null,
        code: refusal.code,
      },
    },
  };
}

/**
 * Whether a failed attempt may be sent again (issue 20: "a 429 mid-loop can
 * cause the agent to retry the entire loop, re-executing already-completed
 * tool calls"). A request that may have reached the provider is not sent
 * again, to the same deployment or another, unless the caller said a repeat
 * is safe (`Idempotency-Key`) or the method is a read. A failure proves the
 * request never arrived only when no connection was made: refused, no such
 * host, no route, or the connect timed out. Everything else — a reset, a
 * socket closed mid-way, a timeout waiting for headers — may have come after
 * the provider read the request, and started work it will charge for.
 */
import type { Call } from './call.js';

/** Error codes of a connection that was never made (Node's, and undici's connect timeout). */
const NEVER_CONNECTED: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Whether `cause` (as the transport threw it, wrapped or not) proves nothing was sent. */
export function provesNotSent(cause: unknown): boolean {
  let error: unknown = cause;
  for (let depth = 0; depth < 5 && error instanceof Error; depth++) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && NEVER_CONNECTED.has(code)) return true;
    // Happy eyeballs: every address refused.
    if (error instanceof AggregateError && error.errors.length > 0 && error.errors.every(provesNotSent))
      return true;
    error = error.cause;
  }
  return false;
}

/** Whether `call` may be sent again after an attempt that failed with `cause` and no answer. */
export function mayResend(call: Call, cause: unknown): boolean {
  return call.method === 'GET' || call.idempotencyKey !== undefined || provesNotSent(cause);
}

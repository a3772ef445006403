/**
 * What of a caller's request may travel upstream besides its body, per API
 * family: a few request headers, the family's beta header (only for the
 * betas a deployment allows) and, per endpoint, a few query parameters with
 * the values they may take. Anything not listed stays behind: a caller's
 * `openai-organization`, `?key=`, `?api-version=` or unknown header must
 * not steer the gateway's own key. Tables are frozen; the runtime applies
 * them (`runtime/forwarding.ts`).
 */
import type { Endpoint } from './adapter.js';

export interface ForwardingRules {
  /** Request headers passed on as the caller sent them. */
  readonly headers: readonly string[];
  /** Headers the API requires, with the value sent when the caller sent none. */
  readonly defaults: Readonly<Record<string, string>>;
  /** The family's beta header (comma-separated beta names), passed on only as far as a deployment allows. */
  readonly betaHeader: string | undefined;
  /** Query parameters per endpoint, each with the values it may take. */
  readonly query: Readonly<Partial<Record<Endpoint, Readonly<Record<string, readonly string[]>>>>>;
}

/** W3C trace context and a client's own request id: they name a call, they change nothing about it. */
export const TRACE_HEADERS: readonly string[] = Object.freeze([
  'traceparent',
  'tracestate',
  'x-client-request-id',
]);

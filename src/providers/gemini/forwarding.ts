/**
 * Gemini's native API: `alt=sse` on streams (what the SDKs ask for; without
 * it the stream is one JSON array), nothing else of the query: the key
 * travels in `x-goog-api-key`, never as `?key=`.
 */
import { type ForwardingRules, TRACE_HEADERS } from '../forwarding.js';

export const GEMINI_FORWARDING: ForwardingRules = Object.freeze({
  headers: TRACE_HEADERS,
  defaults: Object.freeze({}),
  betaHeader: undefined,
  query: Object.freeze({ stream_generate_content: Object.freeze({ alt: Object.freeze(['sse']) }) }),
});

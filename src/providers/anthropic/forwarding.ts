/**
 * Anthropic's Messages API: the API version the caller speaks (every call
 * needs one, PROVIDERS.md §3), `anthropic-beta` as the deployment allows,
 * and the `?beta=true` marker the SDK's beta client adds (it selects
 * nothing upstream; relaying it keeps the request as the SDK wrote it).
 */
import { type ForwardingRules, TRACE_HEADERS } from '../forwarding.js';

const BETA_MARKER = Object.freeze({ beta: Object.freeze(['true']) });

export const ANTHROPIC_FORWARDING: ForwardingRules = Object.freeze({
  headers: Object.freeze(['anthropic-version', ...TRACE_HEADERS]),
  defaults: Object.freeze({ 'anthropic-version': '2023-06-01' }),
  betaHeader: 'anthropic-beta',
  query: Object.freeze({ messages: BETA_MARKER, count_tokens: BETA_MARKER }),
});

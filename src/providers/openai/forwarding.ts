/**
 * OpenAI-style calls (OpenAI, Azure, Gemini's and other compatible
 * endpoints): tracing only, `openai-beta` as the deployment allows, no
 * query. Azure's `api-version` belongs to the deployment (its `base_url`),
 * never to the caller.
 */
import { type ForwardingRules, TRACE_HEADERS } from '../forwarding.js';

export const OPENAI_FORWARDING: ForwardingRules = Object.freeze({
  headers: TRACE_HEADERS,
  defaults: Object.freeze({}),
  betaHeader: 'openai-beta',
  query: Object.freeze({}),
});

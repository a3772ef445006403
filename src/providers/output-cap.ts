/**
 * Where each endpoint's request says how many tokens the answer may have,
 * and how to lower it: what mitigation's `clamp_max_tokens` rewrites. A
 * request that names no maximum gets one (the field the endpoint's API
 * documents today), so an uncapped request cannot slip past the clamp.
 */
import type { Endpoint } from './adapter.js';

type Body = Record<string, unknown>;

/** The body with its output capped at `to` tokens; undefined when it already asks for no more. */
export function capOutput(endpoint: Endpoint, body: Body | undefined, to: number): Body | undefined {
  if (!body) return undefined;
  switch (endpoint) {
    case 'chat_completions':
      // `max_tokens` is deprecated for chat but still sent by many clients: lower whichever is there.
      if (body.max_completion_tokens === undefined && body.max_tokens !== undefined)
        return capField(body, 'max_tokens', to);
      return capField(body, 'max_completion_tokens', to);
    case 'completions':
    case 'messages':
      return capField(body, 'max_tokens', to);
    case 'responses':
      return capField(body, 'max_output_tokens', to);
    case 'generate_content':
    case 'stream_generate_content': {
      const config = isObject(body.generationConfig) ? body.generationConfig : {};
      const capped = capField(config, 'maxOutputTokens', to);
      return capped ? { ...body, generationConfig: capped } : undefined;
    }
    default:
      return undefined; // embeddings, counts: no output to cap
  }
}

function capField(body: Body, field: string, to: number): Body | undefined {
  const asked = body[field];
  if (typeof asked === 'number' && asked <= to) return undefined;
  return { ...body, [field]: to };
}

function isObject(value: unknown): value is Body {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

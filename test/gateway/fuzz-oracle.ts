/**
 * The fuzz's oracle (fuzz.test.ts): what must hold for every answer the
 * gateway gives a hostile request, and for everything it sends a provider.
 * The expected error format is read from the request the way the README's
 * endpoint table reads it, not from the gateway's code.
 */
import type { Family, FuzzRequest } from './fuzz-requests.js';
import type { RawAnswer, RawFailure, RawLeft } from './raw-exchange.js';
import type { Forwarded } from './recording-relay.js';

const OPENAI_ROUTES = new Set(['/v1/chat/completions', '/v1/responses', '/v1/completions', '/v1/embeddings']);

/**
 * The API family whose error format the caller must get, read as the README
 * says: a route's own family; unrouted paths by their shape (`/v1/messages…`
 * Anthropic, `/v1beta/…` but `/v1beta/openai/` and `/v1/models/{m}:{method}`
 * Gemini, as is any path naming a native verb under `/v1/models/`, which a
 * POST gets the 400 `invalid_path` for), then by `anthropic-version`, else
 * OpenAI.
 */
function familyOf(request: FuzzRequest): Family | undefined {
  const { method, path } = request;
  // `G ET /v1beta/… HTTP/1.1`: a request line that does not split into method and path has no path to read.
  if (!/^[A-Za-z]+$/.test(method)) return undefined;
  const anthropicHeader = request.headers.some(([name]) => name.toLowerCase() === 'anthropic-version');
  if (OPENAI_ROUTES.has(path)) return 'openai';
  if (path.startsWith('/v1/messages')) return 'anthropic';
  if (/^\/v1beta\/(?!openai\/)/.test(path)) return 'gemini';
  if (/^\/v1\/models\/[^/]*(?::|%3a)/i.test(path) || path.startsWith('/v1/tunedModels/')) return 'gemini';
  if (/^\/v1\/models\/.*(?::|%3a)(?:generateContent|streamGenerateContent)(?:$|\/)/i.test(path))
    return 'gemini';
  return anthropicHeader ? 'anthropic' : 'openai';
}

/**
 * The envelopes an answer may be in. Headers too large (431) are refused
 * before the head is read in full, so `anthropic-version` counts only if the
 * gateway got to it: either family will do. A request line with no readable
 * path: any family.
 */
function expectedFamilies(request: FuzzRequest, status: number): readonly Family[] {
  const family = familyOf(request);
  if (family === undefined) return ['openai', 'anthropic', 'gemini'];
  if (status !== 431) return [family];
  const withoutVersion = familyOf({
    ...request,
    headers: request.headers.filter(([n]) => n !== 'anthropic-version'),
  });
  return withoutVersion === family || withoutVersion === undefined ? [family] : [family, withoutVersion];
}

const STACK = /\bat [^\n]*[/\\][^\n]*\.(?:ts|js|mjs|cjs):\d+:\d+/;

/** What is wrong with this answer to this request (empty: nothing). */
export function answerViolations(
  request: FuzzRequest,
  result: RawAnswer | RawFailure | RawLeft,
  boundMs: number,
): string[] {
  // A caller that left has no answer to judge; what it held is checked after the batch.
  if (result.kind === 'left') return [];
  if (result.kind !== 'answer') return [`no answer (${result.kind}): ${result.detail}`];
  const problems: string[] = [];
  const { status, headers, body } = result;
  const text = body.toString('utf8');
  if (result.ms > boundMs) problems.push(`answered in ${Math.round(result.ms)} ms`);
  if (STACK.test(text)) problems.push('a stack trace in the body');
  // A connection the answer kept open serves the next request.
  const next = result.next;
  if (next && (next.kind !== 'answer' || next.status !== 200 || next.ms > boundMs))
    problems.push(
      `the connection kept open did not serve a /healthz after it: ${next.kind === 'answer' ? `${next.status} in ${Math.round(next.ms)} ms ${next.body.toString('utf8').slice(0, 200)}` : next.detail}`,
    );
  const ok = status >= 200 && status < 300;
  const clientError = status >= 400 && status < 500;
  if (!ok && !clientError && status !== 503) problems.push(`status ${status}`);
  if (status === 503 && headers['retry-after'] === undefined) problems.push('503 without retry-after');
  // A 429 says when to come back, or that no wait helps (request_too_large: larger than a whole limit).
  if (status === 429 && headers['retry-after'] === undefined && headers['x-should-retry'] !== 'false')
    problems.push('429 without retry-after or x-should-retry: false');
  if (ok || request.method === 'HEAD') return problems;
  const families = expectedFamilies(request, status);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    problems.push(`a ${status} body that is not JSON: ${JSON.stringify(text.slice(0, 200))}`);
    return problems;
  }
  const missing = families.map((f) => ENVELOPES[f](json, status));
  if (!missing.includes(undefined))
    problems.push(
      `${status} not in ${families.join(' or ')}'s envelope (${missing.join(' / ')}): ${text.slice(0, 300)}`,
    );
  return problems;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Each family's error JSON; a string says what is missing. */
const ENVELOPES: Readonly<Record<Family, (json: unknown, status: number) => string | undefined>> = {
  openai: (json) => {
    const error = isObject(json) ? json.error : undefined;
    if (!isObject(error)) return 'no error object';
    if (typeof error.message !== 'string' || typeof error.type !== 'string') return 'error.message/type';
    if (isObject(json) && json.type === 'error') return "Anthropic's type: error";
    return undefined;
  },
  anthropic: (json) => {
    if (!isObject(json) || json.type !== 'error') return 'type is not "error"';
    const error = json.error;
    if (!isObject(error) || typeof error.type !== 'string' || typeof error.message !== 'string')
      return 'error.type/message';
    return undefined;
  },
  gemini: (json, status) => {
    const error = isObject(json) ? json.error : undefined;
    if (!isObject(error)) return 'no error object';
    if (error.code !== status) return `error.code ${String(error.code)}`;
    if (typeof error.message !== 'string' || typeof error.status !== 'string') return 'error.message/status';
    return undefined;
  },
};

/** Paths the gateway builds for the fuzz's deployments (base URLs on the relay, Gemini's model `gemini-2.5-flash`). */
const UPSTREAM_PATHS = new Set([
  '/v1/chat/completions',
  '/v1/responses',
  '/v1/completions',
  '/v1/embeddings',
  '/v1/messages',
  '/v1/messages/count_tokens',
  '/v1beta/models/gemini-2.5-flash:generateContent',
  '/v1beta/models/gemini-2.5-flash:streamGenerateContent',
]);
const UPSTREAM_QUERY = new Set(['beta=true', 'alt=sse']);

/** What reached the provider: only paths the gateway builds, its own key, nothing of the caller's (key, query, own headers, betas). */
export function upstreamViolations(
  forwarded: readonly Forwarded[],
  keys: { readonly tenants: readonly string[]; readonly upstream: readonly string[] },
): string[] {
  const problems: string[] = [];
  for (const { url, headers } of forwarded) {
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const query = q < 0 ? [] : url.slice(q + 1).split('&');
    if (!UPSTREAM_PATHS.has(path)) problems.push(`upstream path ${JSON.stringify(path)}`);
    for (const part of query)
      if (!UPSTREAM_QUERY.has(part)) problems.push(`upstream query ${JSON.stringify(url)}`);
    for (const [name, value] of Object.entries(headers)) {
      const values = Array.isArray(value) ? value : [value ?? ''];
      if (values.some((v) => keys.tenants.some((k) => v.includes(k)) || v.includes('FUZZKEY')))
        problems.push(`a caller's key upstream in ${name}`);
      if (
        name.startsWith('x-sluice-') ||
        ['x-padding', 'openai-organization', 'anthropic-beta', 'openai-beta'].includes(name)
      )
        problems.push(`caller header ${name} upstream`);
    }
    const presented = [headers.authorization, headers['x-api-key'], headers['x-goog-api-key']].filter(
      (v) => v !== undefined,
    );
    if (
      presented.length !== 1 ||
      !keys.upstream.some((k) => presented[0] === k || presented[0] === `Bearer ${k}`)
    )
      problems.push(`upstream credentials ${JSON.stringify(presented)}`);
  }
  return problems;
}

/**
 * Gemini API paths: native `/v1beta/models/{m}:{verb}` (also `/v1/`) for
 * `generateContent`, `streamGenerateContent`, `countTokens`, `embedContent`
 * and `batchEmbedContents`, and the OpenAI-compatible paths under
 * `/v1beta/openai/` (chat completions, embeddings, models), matched by the
 * OpenAI suffix rules. Some clients percent-encode the colon.
 *
 * The model name in a native path is written by the caller, so it is held
 * to one segment of safe characters: no `/`, `\`, `%` or dot-only names
 * can make it a path of its own. Paths sent upstream are never the
 * caller's: `geminiNativePath` builds them from the deployment's model.
 */
import type { Endpoint } from '../adapter.js';
import { cleanPath, matchOpenAIPath } from '../openai/endpoints.js';

export type GeminiVerb =
  | 'generateContent'
  | 'streamGenerateContent'
  | 'countTokens'
  | 'embedContent'
  | 'batchEmbedContents';

export type GeminiNativeEndpoint =
  | 'generate_content'
  | 'stream_generate_content'
  | 'count_tokens'
  | 'embed_content'
  | 'batch_embed_contents';

export interface GeminiNativeCall {
  readonly model: string;
  readonly endpoint: GeminiNativeEndpoint;
}

const ENDPOINT_OF: Readonly<Record<GeminiVerb, GeminiNativeEndpoint>> = Object.freeze({
  generateContent: 'generate_content',
  streamGenerateContent: 'stream_generate_content',
  countTokens: 'count_tokens',
  embedContent: 'embed_content',
  batchEmbedContents: 'batch_embed_contents',
});
const VERB_OF: Readonly<Record<GeminiNativeEndpoint, GeminiVerb>> = Object.freeze({
  generate_content: 'generateContent',
  stream_generate_content: 'streamGenerateContent',
  count_tokens: 'countTokens',
  embed_content: 'embedContent',
  batch_embed_contents: 'batchEmbedContents',
});

/** Letters, digits, `.`, `_`, `-`: every Gemini model id and every model group name Sluice accepts. */
const MODEL = '[A-Za-z0-9._-]+';
const VERBS = Object.keys(ENDPOINT_OF).join('|');
const CALL = `/models/(${MODEL})(?::|%3[Aa])(${VERBS})`;
/** At the end of a path, after any base path (endpoint matching for `governor.fetch` and proxies). */
const NATIVE_SUFFIX = new RegExp(`${CALL}$`);
/** The whole path and nothing else (what the gateway accepts from tenants). */
const NATIVE_PATH = new RegExp(`^/(?:v1beta|v1)${CALL}$`);
/** A native verb anywhere in a path, the colon plain or encoded (for telling Gemini's paths apart). */
export const NATIVE_VERB = new RegExp(`(?::|%3a)(?:${VERBS})(?:$|/)`, 'i');

function nativeCall(match: RegExpExecArray | null): GeminiNativeCall | undefined {
  const model = match?.[1];
  const verb = match?.[2] as GeminiVerb | undefined;
  const endpoint = verb === undefined ? undefined : ENDPOINT_OF[verb];
  // `.` and `..` are path segments, not models, whatever follows them.
  if (model === undefined || endpoint === undefined || /^\.+$/.test(model)) return undefined;
  return { model, endpoint };
}

/**
 * A native call whose path is exactly `/v1beta/models/{model}:{verb}` (or
 * `/v1/…`): one model segment, no base path, no trailing slash. The path
 * must come without its query.
 */
export function parseGeminiNativePath(pathname: string): GeminiNativeCall | undefined {
  return nativeCall(NATIVE_PATH.exec(pathname));
}

/** The path a native call goes to upstream: the deployment's model, the endpoint's verb, nothing of the caller's. */
export function geminiNativePath(model: string, endpoint: Endpoint): string | undefined {
  const verb = VERB_OF[endpoint as GeminiNativeEndpoint];
  return verb === undefined ? undefined : `/v1beta/models/${encodeURIComponent(model)}:${verb}`;
}

export function matchGeminiPath(method: string, pathname: string): Endpoint | undefined {
  const verb = typeof method === 'string' ? method.toUpperCase() : '';
  const native = nativeCall(NATIVE_SUFFIX.exec(cleanPath(pathname)));
  if (native) return verb === 'POST' ? native.endpoint : undefined;
  return matchOpenAIPath(verb, pathname);
}

/** The model a native path names (`gemini-2.5-flash` from `/v1beta/models/gemini-2.5-flash:generateContent`). */
export function geminiModelFromPath(pathname: string): string | undefined {
  return nativeCall(NATIVE_SUFFIX.exec(cleanPath(pathname)))?.model;
}

/** Whether an endpoint is one of the native API's (the rest are served by the OpenAI-compatible paths). */
export function isNativeEndpoint(endpoint: Endpoint | undefined): endpoint is GeminiNativeEndpoint {
  return endpoint !== undefined && Object.hasOwn(VERB_OF, endpoint);
}

/** Endpoints served by the OpenAI-compatible paths, which speak OpenAI's formats. */
export function isCompatEndpoint(endpoint: Endpoint | undefined): boolean {
  return !isNativeEndpoint(endpoint);
}

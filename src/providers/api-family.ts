/**
 * The API a caller speaks — OpenAI's, Anthropic's or Gemini's — as one frozen
 * table per family: which paths are which endpoint, where a request names
 * its model, the error envelope every answer Sluice writes itself uses, the
 * header a client reads its request id from, what of the caller's headers
 * and query may travel upstream, and which upstream response headers a
 * caller may see. Every face and the runtime read the family from here;
 * nothing else knows what "Anthropic-style" means.
 *
 * A family is the caller's API, not the provider's: an OpenAI-style call to a
 * Gemini deployment (its compatibility paths) is an OpenAI-family call.
 */
import type { Endpoint, ErrorPayload, ProviderKind, RefusalKind } from './adapter.js';
import { matchAnthropicPath } from './anthropic/endpoints.js';
import { ANTHROPIC_FORWARDING } from './anthropic/forwarding.js';
import { anthropicErrorPayload } from './anthropic/payload.js';
import type { ForwardingRules } from './forwarding.js';
import { geminiModelFromPath, isNativeEndpoint, matchGeminiPath, NATIVE_VERB } from './gemini/endpoints.js';
import { GEMINI_FORWARDING } from './gemini/forwarding.js';
import { geminiErrorPayload } from './gemini/payload.js';
import { cleanPath, matchOpenAIPath } from './openai/endpoints.js';
import { OPENAI_FORWARDING } from './openai/forwarding.js';
import { openAIErrorPayload } from './openai/payload.js';

export type ApiFamily = 'openai' | 'anthropic' | 'gemini';

export interface ApiFamilyTable {
  readonly family: ApiFamily;
  /** How people name it in messages: `OpenAI`, `Anthropic`, `Gemini`. */
  readonly title: string;
  /** The endpoint a method and path are, in this family's paths (undefined: not one of them). */
  endpointOf(method: string, pathname: string): Endpoint | undefined;
  /** The model group a request names: the body's `model`, or (Gemini's native API) the path. */
  modelOf(pathname: string, body: Record<string, unknown> | undefined): string | undefined;
  /**
   * Any error Sluice answers itself, in this family's envelope; `status` is
   * the HTTP status it goes out with (Gemini repeats it as `code`).
   */
  errorPayload(kind: RefusalKind, message: string, status?: number): ErrorPayload;
  /** What a wrong or missing key is told. */
  readonly unauthenticated: string;
  /** The response header this family's SDKs read a request id from (`err.requestID`). */
  readonly requestIdHeader: string;
  /** What of the caller's headers and query may go upstream (see `runtime/forwarding.ts`). */
  readonly forwarding: ForwardingRules;
  /**
   * Upstream response headers a caller may see on a success. Rate-limit
   * headers are not among them: they describe the upstream key, which every
   * tenant shares; a caller gets its own budget instead.
   */
  readonly relayedHeaders: readonly string[];
  /** The same for an upstream error relayed as received (its `retry-after` says when to come back). */
  readonly relayedErrorHeaders: readonly string[];
}

const bodyModel = (_pathname: string, body: Record<string, unknown> | undefined): string | undefined => {
  const model = body?.model;
  return typeof model === 'string' && model.length > 0 ? model : undefined;
};

const RELAYED_ERROR = Object.freeze([
  'content-type',
  'retry-after',
  'retry-after-ms',
  'x-request-id',
  'request-id',
]);

const OPENAI: ApiFamilyTable = Object.freeze({
  family: 'openai',
  title: 'OpenAI',
  endpointOf: matchOpenAIPath,
  modelOf: bodyModel,
  errorPayload: openAIErrorPayload,
  unauthenticated: 'Incorrect API key provided. Use the key your gateway operator gave you.',
  requestIdHeader: 'x-request-id',
  forwarding: OPENAI_FORWARDING,
  relayedHeaders: Object.freeze([
    'content-type',
    'x-request-id',
    'openai-processing-ms',
    'openai-version',
    'cache-control',
  ]),
  relayedErrorHeaders: RELAYED_ERROR,
});

const ANTHROPIC: ApiFamilyTable = Object.freeze({
  family: 'anthropic',
  title: 'Anthropic',
  endpointOf: matchAnthropicPath,
  modelOf: bodyModel,
  errorPayload: anthropicErrorPayload,
  unauthenticated: 'invalid x-api-key',
  requestIdHeader: 'request-id',
  forwarding: ANTHROPIC_FORWARDING,
  relayedHeaders: Object.freeze(['content-type', 'request-id', 'cache-control']),
  relayedErrorHeaders: RELAYED_ERROR,
});

const GEMINI: ApiFamilyTable = Object.freeze({
  family: 'gemini',
  title: 'Gemini',
  endpointOf: (method: string, pathname: string) => {
    const endpoint = matchGeminiPath(method, pathname);
    return isNativeEndpoint(endpoint) ? endpoint : undefined;
  },
  modelOf: (pathname: string) => geminiModelFromPath(pathname),
  errorPayload: (kind: RefusalKind, message: string, status?: number) =>
    geminiErrorPayload(kind, message, status),
  unauthenticated: 'API key not valid. Use the key your gateway operator gave you.',
  requestIdHeader: 'x-request-id',
  forwarding: GEMINI_FORWARDING,
  relayedHeaders: Object.freeze(['content-type', 'cache-control']),
  relayedErrorHeaders: RELAYED_ERROR,
});

export const API_FAMILIES: Readonly<Record<ApiFamily, ApiFamilyTable>> = Object.freeze({
  openai: OPENAI,
  anthropic: ANTHROPIC,
  gemini: GEMINI,
});

export function apiFamily(family: ApiFamily): ApiFamilyTable {
  return API_FAMILIES[family];
}

/**
 * The family of a request path: Gemini's native verbs (`:generateContent`,
 * `:countTokens`, `:embedContent`…), Anthropic's
 * `/messages`, otherwise OpenAI's (whose suffix rules also cover Azure's and
 * the compatible servers' paths).
 */
export function familyOfPath(pathname: string): ApiFamily {
  const path = cleanPath(pathname);
  if (NATIVE_VERB.test(path)) return 'gemini';
  if (path.endsWith('/messages') || path.endsWith('/messages/count_tokens')) return 'anthropic';
  return 'openai';
}

/** Families a provider's deployments can serve (Gemini also has an OpenAI-compatible endpoint). */
export function familiesOf(provider: ProviderKind): readonly ApiFamily[] {
  switch (provider) {
    case 'anthropic':
      return ANTHROPIC_ONLY;
    case 'gemini':
      return GEMINI_AND_OPENAI;
    default:
      return OPENAI_ONLY;
  }
}

const ANTHROPIC_ONLY: readonly ApiFamily[] = Object.freeze(['anthropic']);
const GEMINI_AND_OPENAI: readonly ApiFamily[] = Object.freeze(['gemini', 'openai']);
const OPENAI_ONLY: readonly ApiFamily[] = Object.freeze(['openai']);

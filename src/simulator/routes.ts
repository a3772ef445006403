/**
 * Which flavour and endpoint a request is for. The three providers' paths do
 * not collide except `GET /v1/models`, which answers in Anthropic's format
 * when the request carries Anthropic headers. Azure's OpenAI v1 paths
 * (`/openai/v1/chat/completions`, PROVIDERS.md §2) are OpenAI's behind a
 * prefix: the openai flavour answers them (with `window: sliced` for Azure's
 * limits). So are Gemini's OpenAI-compatible paths (`/v1beta/openai/chat/completions`,
 * where the Gemini adapter sends an OpenAI-style call to a Gemini deployment):
 * answers in OpenAI's format, as Google's endpoint gives them, on the openai
 * flavour's limits and error bodies (Google's own error shapes there are not
 * emulated).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Route } from './exchange.js';
import type { Flavour, FlavourModule } from './flavour.js';
import type { RequestTarget } from './http-io.js';

export type Flavours = Readonly<Record<Flavour, FlavourModule>>;

const GEMINI_PATH =
  /^\/(?:v1beta|v1)\/models\/([^/:]+)(?::(generateContent|streamGenerateContent|countTokens|embedContent|batchEmbedContents))?$/;

const GEMINI_ENDPOINT: Readonly<Record<string, Route['endpoint']>> = Object.freeze({
  generateContent: 'generate',
  streamGenerateContent: 'generate',
  countTokens: 'gemini_count_tokens',
  embedContent: 'gemini_embed',
  batchEmbedContents: 'gemini_batch_embed',
});

const AZURE_PREFIX = '/openai/v1/';
const GEMINI_COMPAT_PREFIX = '/v1beta/openai/';

/** The OpenAI path a prefixed one stands for (Azure's, Gemini's OpenAI-compatible), else the path itself. */
function openAIPathOf(pathname: string): string {
  if (pathname.startsWith(AZURE_PREFIX)) return pathname.slice('/openai'.length);
  if (pathname.startsWith(GEMINI_COMPAT_PREFIX)) return `/v1/${pathname.slice(GEMINI_COMPAT_PREFIX.length)}`;
  return pathname;
}

export function routeOf(
  method: string,
  url: RequestTarget,
  headers: IncomingHttpHeaders,
  flavours: Flavours,
): Route | undefined {
  const path = openAIPathOf(url.pathname);
  const plain = (flavour: Flavour, endpoint: Route['endpoint'], pathModel?: string): Route => ({
    flavour: flavours[flavour],
    endpoint,
    pathModel,
    pathStream: false,
    sse: false,
  });
  if (method === 'POST') {
    switch (path) {
      case '/v1/chat/completions':
        return plain('openai', 'chat');
      case '/v1/responses':
        return plain('openai', 'responses');
      case '/v1/completions':
        return plain('openai', 'completions');
      case '/v1/embeddings':
        return plain('openai', 'embeddings');
      case '/v1/messages':
        return plain('anthropic', 'messages');
      case '/v1/messages/count_tokens':
        return plain('anthropic', 'count_tokens');
    }
    const gemini = GEMINI_PATH.exec(path);
    if (gemini?.[2]) {
      const method = gemini[2];
      return {
        flavour: flavours.gemini,
        endpoint: GEMINI_ENDPOINT[method] ?? 'generate',
        pathModel: decodeURIComponent(gemini[1] as string),
        pathStream: method === 'streamGenerateContent',
        sse: url.searchParams.get('alt') === 'sse',
      };
    }
    return undefined;
  }
  if (method === 'GET') {
    if (path === '/v1/models') {
      const anthropic = headers['anthropic-version'] !== undefined || headers['x-api-key'] !== undefined;
      return plain(anthropic ? 'anthropic' : 'openai', 'models');
    }
    if (path === '/v1beta/models') return plain('gemini', 'models');
    const gemini = GEMINI_PATH.exec(path);
    if (gemini && !gemini[2] && path.startsWith('/v1beta/')) {
      return plain('gemini', 'models', decodeURIComponent(gemini[1] as string));
    }
    if (path.startsWith('/v1/models/')) return plain('openai', 'models', decodeURIComponent(path.slice(11)));
  }
  return undefined;
}

/** The flavour whose error format an unknown path gets, guessed from its headers and prefix. */
export function guessFlavour(url: RequestTarget, headers: IncomingHttpHeaders): Flavour {
  if (url.pathname.startsWith('/v1beta') || headers['x-goog-api-key'] !== undefined) return 'gemini';
  if (headers['x-api-key'] !== undefined || headers['anthropic-version'] !== undefined) return 'anthropic';
  return 'openai';
}

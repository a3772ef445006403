/**
 * The gateway's routes: one small table keyed by `METHOD /path`, so adding
 * an endpoint (the dashboard's admin API, say) is one `router.add(...)`.
 * Exact paths first (a map lookup is the cheapest router there is); the one
 * API with the model in its path, Gemini's native one, is a fallback tried
 * only when no exact path matched.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiFamily } from '../providers/api-family.js';
import {
  type GeminiNativeEndpoint,
  type GeminiVerb,
  NATIVE_VERB,
  parseGeminiNativePath,
} from '../providers/gemini/endpoints.js';
import { refusal } from '../runtime/refusal.js';
import { BATCH_ROUTES, batchRoute } from './batches/batch-routes.js';
import type { GatewayContext } from './context.js';
import { geminiModelRoute, handleGeminiModels } from './gemini-models.js';
import { handleModels, modelRoute } from './models.js';
import { handleProxy, type ProxyRoute } from './proxy.js';
import { sendJson, writeRefusal } from './respond.js';

export type RouteHandler = (ctx: GatewayContext, req: IncomingMessage, res: ServerResponse) => void;

export class Router {
  private readonly table = new Map<string, RouteHandler>();
  private fallback: ((method: string, pathname: string) => RouteHandler | undefined) | undefined;

  add(method: string, path: string, handler: RouteHandler): this {
    this.table.set(`${method} ${path}`, handler);
    return this;
  }

  /** Consulted when no exact path matched (paths with parameters). */
  otherwise(find: (method: string, pathname: string) => RouteHandler | undefined): this {
    this.fallback = find;
    return this;
  }

  find(method: string, pathname: string): RouteHandler | undefined {
    return this.table.get(`${method} ${pathname}`) ?? this.fallback?.(method, pathname);
  }

  routes(): string[] {
    return [...this.table.keys()];
  }
}

export const PROXY_ROUTES: readonly ProxyRoute[] = Object.freeze([
  { path: '/v1/chat/completions', family: 'openai', endpoint: 'chat_completions' },
  { path: '/v1/responses', family: 'openai', endpoint: 'responses' },
  { path: '/v1/completions', family: 'openai', endpoint: 'completions' },
  { path: '/v1/embeddings', family: 'openai', endpoint: 'embeddings' },
  { path: '/v1/messages', family: 'anthropic', endpoint: 'messages' },
  { path: '/v1/messages/count_tokens', family: 'anthropic', endpoint: 'count_tokens' },
]);

/** Each proxied path's family (a path names one API whatever the method or headers). */
const FAMILY_OF_ROUTE: ReadonlyMap<string, ApiFamily> = new Map(PROXY_ROUTES.map((r) => [r.path, r.family]));

/**
 * Paths of Gemini's native API: anything under `/v1beta/` but its
 * OpenAI-compatible `/v1beta/openai/`, and under `/v1/` a model method
 * (`models/{m}:{method}`, the colon maybe percent-encoded) or a tuned model.
 */
const GEMINI_SHAPED = /^\/v1beta\/(?!openai\/)|^\/v1\/(?:models\/[^/]*(?::|%3a)|tunedModels\/)/i;

/**
 * The API family whose error format a request gets before (or without) a
 * route: a proxied path's own family, then the path's shape, then
 * `anthropic-version`, else OpenAI's. (An OpenAI path stays OpenAI's even
 * when a client also sends `anthropic-version`.)
 */
export function familyOfUrl(pathname: string, anthropicHeaders: boolean): ApiFamily {
  const routed = FAMILY_OF_ROUTE.get(pathname);
  if (routed) return routed;
  if (pathname.startsWith('/v1/messages')) return 'anthropic';
  if (GEMINI_SHAPED.test(pathname)) return 'gemini';
  // What the Gemini route refuses as `invalid_path` (a native verb after more than one segment) is Gemini's
  // whatever the method: a 404 or a parser refusal on it must not switch formats.
  if (pathname.startsWith('/v1/models/') && NATIVE_VERB.test(pathname)) return 'gemini';
  return anthropicHeaders ? 'anthropic' : 'openai';
}

/** The family of a request whose head was parsed, from its path and `anthropic-version`. */
export function familyOfRequest(req: IncomingMessage): ApiFamily {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return familyOfUrl(q < 0 ? url : url.slice(0, q), req.headers['anthropic-version'] !== undefined);
}

/** Gemini's native API: `POST /v1beta/models/{model}:{verb}`, one route per verb. */
const GEMINI_ROUTES: Readonly<Record<GeminiNativeEndpoint, ProxyRoute>> = Object.freeze({
  generate_content: geminiProxyRoute('generateContent', 'generate_content'),
  stream_generate_content: geminiProxyRoute('streamGenerateContent', 'stream_generate_content'),
  count_tokens: geminiProxyRoute('countTokens', 'count_tokens'),
  embed_content: geminiProxyRoute('embedContent', 'embed_content'),
  batch_embed_contents: geminiProxyRoute('batchEmbedContents', 'batch_embed_contents'),
});

function geminiProxyRoute(verb: GeminiVerb, endpoint: GeminiNativeEndpoint): ProxyRoute {
  return Object.freeze({ path: `/v1beta/models/{model}:${verb}`, family: 'gemini', endpoint });
}

/**
 * Gemini's native paths carry the model, so only their one exact form is
 * served: `/v1beta/models/{model}:{verb}` (or `/v1/`), one model segment of
 * safe characters. A path that names a native verb in any other form (dot
 * segments, encoded slashes, a second segment) is a 400 in Gemini's
 * envelope and goes nowhere; `GET /v1beta/models/{model}` is the model
 * itself (gemini-models.ts); anything else under these prefixes is left to
 * `notFound`.
 */
function geminiRoute(method: string, pathname: string): RouteHandler | undefined {
  if (!pathname.startsWith('/v1beta/models/') && !pathname.startsWith('/v1/models/')) return undefined;
  if (method === 'GET') return geminiModelRoute(pathname);
  if (method !== 'POST') return undefined;
  const native = parseGeminiNativePath(pathname);
  if (native) {
    const route: ProxyRoute = { ...GEMINI_ROUTES[native.endpoint], model: native.model };
    return (ctx, req, res) => handleProxy(ctx, route, req, res);
  }
  return NATIVE_VERB.test(pathname) ? badGeminiPath : undefined;
}

const badGeminiPath: RouteHandler = (ctx, req, res) =>
  writeRefusal(
    res,
    'gemini',
    refusal(
      'invalid_path',
      "Invalid model path: use /v1beta/models/{model}:{method} (generateContent, streamGenerateContent, countTokens, embedContent or batchEmbedContents) with one model name of letters, digits, '.', '_' and '-'.",
    ),
    { ctx, method: req.method ?? 'POST', path: GEMINI_PATH_FOR_LOG },
  );

/** The log names a refused Gemini path by its form: the caller's own path may be anything. */
const GEMINI_PATH_FOR_LOG = '/v1beta/models/{model}:{verb}';

/**
 * The built-in routes: the proxied APIs, the batch and file APIs, the model list, health and readiness
 * (the dashboard mounts its own). Metrics have their own listener
 * (metrics-listener.ts): they name every tenant, so not on this port.
 */
export function defaultRouter(): Router {
  const router = new Router();
  for (const route of PROXY_ROUTES) {
    router.add('POST', route.path, (ctx, req, res) => handleProxy(ctx, route, req, res));
  }
  // The batch and file API: its handlers answer 404 while the lane is off (`ctx.batches` undefined).
  for (const route of BATCH_ROUTES) router.add(route.method, route.path, route.handler);
  router.otherwise(
    (method, pathname) =>
      modelRoute(method, pathname) ?? batchRoute(method, pathname) ?? geminiRoute(method, pathname),
  );
  router.add('GET', '/v1/models', handleModels);
  router.add('GET', '/v1beta/models', handleGeminiModels);
  router.add('GET', '/healthz', (_ctx, _req, res) => sendJson(res, 200, { status: 'ok' }));
  router.add('GET', '/readyz', handleReady);
  return router;
}

function handleReady(ctx: GatewayContext, _req: IncomingMessage, res: ServerResponse): void {
  const store = ctx.state?.store();
  // A fail-open gateway keeps serving on local shares while Redis is away: it
  // stays ready (a load balancer pulling every instance at once would turn a
  // Redis outage into a full one). Only a refusing (fail-closed) store is not.
  const ready = ctx.ready && !ctx.draining && store?.mode !== 'refusing';
  sendJson(res, ready ? 200 : 503, {
    status: ready ? 'ready' : 'not_ready',
    config: ctx.ready ? 'loaded' : 'loading',
    draining: ctx.draining,
    store: store ?? null,
  });
}

/** 404 for paths no route serves, in the format of the API the path (or headers) suggest. */
export function notFound(
  ctx: GatewayContext,
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
): void {
  const anthropic = req.headers['anthropic-version'] !== undefined;
  writeRefusal(
    res,
    familyOfUrl(pathname, anthropic),
    refusal('not_found', `Unknown request URL: ${req.method} ${pathname}.`),
    { ctx, method: req.method ?? 'GET', path: pathname },
  );
}

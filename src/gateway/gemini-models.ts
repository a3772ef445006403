/**
 * `GET /v1beta/models` and `GET /v1beta/models/{model}` (`models.list` and
 * `models.get` in `@google/genai`): the model groups this tenant may call
 * through Gemini's native API, answered by the gateway itself as Gemini's
 * `Model` resources (an upstream's list would name its models, not the
 * groups clients ask for). The list is one page: a gateway serves a
 * handful of groups, so `pageSize` and `pageToken` have nothing to split
 * and no `nextPageToken` is sent.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { refusal } from '../runtime/refusal.js';
import type { GatewayContext } from './context.js';
import { namesFor } from './models.js';
import { type DirectRequest, writeDirectJson, writeRefusal } from './respond.js';
import type { RouteHandler } from './routes.js';

const ONE_MODEL = /^\/v1beta\/models\/([A-Za-z0-9._-]+)$/;

/**
 * What the gateway serves for every Gemini group; the upstream model decides
 * whether it generates or embeds, as it would if called directly.
 */
const METHODS = Object.freeze([
  'generateContent',
  'streamGenerateContent',
  'countTokens',
  'embedContent',
  'batchEmbedContents',
]);
/** A group no deployment of which speaks Gemini's API: only chat calls reach it, translated. */
const TRANSLATED_METHODS = Object.freeze(['generateContent', 'streamGenerateContent']);

export function handleGeminiModels(ctx: GatewayContext, req: IncomingMessage, res: ServerResponse): void {
  const request: DirectRequest = { ctx, method: 'GET', path: '/v1beta/models' };
  const found = namesFor(ctx, req, res, 'gemini', request);
  if (!found) return;
  const models = found.names.map((id) => geminiModel(ctx, id));
  writeDirectJson(res, { models }, { ...request, tenant: found.tenant });
}

/** The route for `GET /v1beta/models/{model}`, or undefined when the path is not one. */
export function geminiModelRoute(pathname: string): RouteHandler | undefined {
  return ONE_MODEL.test(pathname) ? handleGeminiModel : undefined;
}

function handleGeminiModel(ctx: GatewayContext, req: IncomingMessage, res: ServerResponse): void {
  const url = req.url ?? '';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const request: DirectRequest = { ctx, method: 'GET', path };
  const found = namesFor(ctx, req, res, 'gemini', request);
  if (!found) return;
  const id = ONE_MODEL.exec(path)?.[1] ?? '';
  if (!found.names.includes(id)) {
    const why = refusal(
      'unknown_model',
      `models/${id} is not found for API version v1beta, or is not served here.`,
    );
    writeRefusal(res, 'gemini', why, { ...request, tenant: found.tenant });
    return;
  }
  writeDirectJson(res, geminiModel(ctx, id), { ...request, tenant: found.tenant });
}

function geminiModel(ctx: GatewayContext, id: string) {
  const native = ctx.governor.groups.group(id)?.families.has('gemini') === true;
  return {
    name: `models/${id}`,
    baseModelId: id,
    version: 'sluice',
    displayName: id,
    description: `Model group ${id}, served through Sluice.`,
    supportedGenerationMethods: native ? METHODS : TRANSLATED_METHODS,
  };
}

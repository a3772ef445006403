/**
 * The OpenAI flavour: `Authorization: Bearer` keys, `/v1/chat/completions`,
 * `/v1/responses`, `/v1/completions`, `/v1/embeddings`, `/v1/models`.
 */
import type { SimulatorConfig } from '../../config.js';
import type { CallIds, FlavourModule } from '../../flavour.js';
import { isObject } from '../json.js';
import { parseChat, parseCompletions } from './openai-chat.js';
import { modelsReply, parseEmbeddings } from './openai-embeddings.js';
import { parseResponses } from './openai-responses.js';
import {
  openaiAuthError,
  openaiError,
  openaiFault,
  openaiHeaders,
  openaiInvalid,
  openaiInvalidJson,
  openaiRateLimited,
} from './openai-wire.js';

export function openaiFlavour(config: SimulatorConfig): FlavourModule {
  const organization = config.openai.organization;
  const baseHeaders = (ids: CallIds) => openaiHeaders([], organization, ids);
  return {
    flavour: 'openai',
    keyOf(headers) {
      const auth = headers.authorization;
      // Azure sends its key in `api-key` (PROVIDERS.md §2); Gemini's OpenAI-compatible
      // paths, which this flavour answers, take Google's `x-goog-api-key` as well.
      if (!auth) {
        const other = headers['api-key'] ?? headers['x-goog-api-key'];
        return typeof other === 'string' ? other : undefined;
      }
      const match = /^Bearer\s+(.+)$/i.exec(auth);
      return match?.[1]?.trim() || undefined;
    },
    parse(body, ctx) {
      const headers = baseHeaders(ctx.ids);
      if (ctx.endpoint === 'models') return modelsReply(config, headers, ctx.pathModel);
      if (!isObject(body)) return openaiInvalid('The request body must be a JSON object.', headers);
      switch (ctx.endpoint) {
        case 'chat':
          return parseChat(body, config, headers);
        case 'completions':
          return parseCompletions(body, config, headers);
        case 'responses':
          return parseResponses(body, config, headers);
        default:
          return parseEmbeddings(body, headers);
      }
    },
    ids(ordinal, now) {
      const requestId = `req_${(config.seed >>> 0).toString(16).padStart(8, '0')}${ordinal.toString(16).padStart(24, '0')}`;
      return { ordinal, requestId, created: Math.floor(now / 1000) };
    },
    headers: (views, _now, ids) => openaiHeaders(views, organization, ids),
    rateLimited: (refusal, call, views, _now, ids) =>
      openaiRateLimited(refusal, call.model, organization, openaiHeaders(views, organization, ids)),
    fault: (kind, spec, call, ids) => openaiFault(kind, spec, call.model, organization, baseHeaders(ids)),
    authError: (missing, key, ids) => openaiAuthError(missing, key, baseHeaders(ids)),
    invalidJson: (ids) => openaiInvalidJson(baseHeaders(ids)),
    notFound: (method, path, ids) =>
      openaiError(
        404,
        { message: `Invalid URL (${method} ${path})`, type: 'invalid_request_error' },
        baseHeaders(ids),
      ),
  };
}

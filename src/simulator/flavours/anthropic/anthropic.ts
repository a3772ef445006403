/**
 * The Anthropic flavour: `x-api-key` (or `Authorization: Bearer`) keys,
 * `/v1/messages`, `/v1/messages/count_tokens`, and `/v1/models` when asked
 * with Anthropic headers.
 */
import type { SimulatorConfig } from '../../config.js';
import type { CallIds, FlavourModule } from '../../flavour.js';
import { isObject } from '../json.js';
import { PromptCache } from './anthropic-cache.js';
import { anthropicModels, parseMessages } from './anthropic-messages.js';
import { anthropicError, anthropicFault, anthropicHeaders, anthropicRateLimited } from './anthropic-wire.js';

export function anthropicFlavour(config: SimulatorConfig): FlavourModule {
  const options = {
    organizationId: config.anthropic.organization_id,
    roundRemaining: config.anthropic.round_remaining,
  };
  const cache = new PromptCache(config.anthropic.cache_min_tokens);
  const base = (ids: CallIds) => anthropicHeaders([], 0, ids, options);
  return {
    flavour: 'anthropic',
    keyOf(headers) {
      const key = headers['x-api-key'];
      if (typeof key === 'string' && key) return key;
      const match = /^Bearer\s+(.+)$/i.exec(headers.authorization ?? '');
      return match?.[1]?.trim() || undefined;
    },
    parse(body, ctx) {
      const headers = base(ctx.ids);
      if (ctx.endpoint === 'models') return anthropicModels(headers);
      if (!isObject(body))
        return anthropicError(
          400,
          'invalid_request_error',
          'The request body must be a JSON object.',
          headers,
        );
      return parseMessages(body, ctx.endpoint === 'count_tokens', {
        config,
        cache,
        key: ctx.key,
        now: ctx.now,
        headers,
      });
    },
    ids(ordinal, now) {
      const seed = (config.seed >>> 0).toString(36).padStart(7, '0');
      return {
        ordinal,
        requestId: `req_011CS${seed}${ordinal.toString(36).padStart(13, '0')}`,
        created: Math.floor(now / 1000),
      };
    },
    headers: (views, now, ids) => anthropicHeaders(views, now, ids, options),
    rateLimited: (refusal, _call, views, now, ids) =>
      anthropicRateLimited(refusal, options.organizationId, anthropicHeaders(views, now, ids, options)),
    fault: (kind, spec, _call, ids) => anthropicFault(kind, spec, ids.created * 1000, base(ids)),
    authError: (missing, _key, ids) =>
      anthropicError(
        401,
        'authentication_error',
        missing ? 'x-api-key header is required' : 'invalid x-api-key',
        base(ids),
      ),
    invalidJson: (ids) =>
      anthropicError(
        400,
        'invalid_request_error',
        'There was an error parsing the body of your request: invalid JSON.',
        base(ids),
      ),
    notFound: (_method, _path, ids) => anthropicError(404, 'not_found_error', 'Not Found', base(ids)),
    reset: () => cache.clear(),
  };
}

/**
 * `GET /v1/models`: the model groups this tenant may call, answered by the
 * gateway itself (an upstream's list would name its models, not the groups
 * clients ask for). OpenAI's list format by default; Anthropic's when the
 * request carries `anthropic-version` (what the Anthropic SDK sends).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { presentedKey } from './auth.js';
import type { GatewayContext } from './context.js';
import { sendError, sendJson } from './respond.js';

/** Fixed "created" time of every group (OpenAI's field is required; groups have no creation date). */
const CREATED = 1_735_689_600; // 2025-01-01T00:00:00Z

export function handleModels(ctx: GatewayContext, req: IncomingMessage, res: ServerResponse): void {
  const anthropic = req.headers['anthropic-version'] !== undefined;
  const family = anthropic ? 'anthropic' : 'openai';
  const key = presentedKey(req.headers);
  const tenantId = key === undefined ? undefined : ctx.keys.tenantOf(key);
  if (tenantId === undefined) {
    sendError(
      res,
      family,
      'authentication',
      anthropic ? 'invalid x-api-key' : 'Incorrect API key provided.',
      {
        headers: ['x-should-retry', 'false'],
      },
    );
    return;
  }
  const groups = ctx.governor.groups;
  const tenant = groups.tenants.resolve(tenantId);
  const names = groups
    .allGroups()
    .filter((g) => g.serves(family) && (!tenant.modelGroups || tenant.modelGroups.has(g.name)))
    .map((g) => g.name)
    .sort();
  if (anthropic) {
    sendJson(res, 200, {
      data: names.map((id) => ({
        type: 'model',
        id,
        display_name: id,
        created_at: new Date(CREATED * 1000).toISOString(),
      })),
      has_more: false,
      first_id: names[0] ?? null,
      last_id: names.at(-1) ?? null,
    });
    return;
  }
  sendJson(res, 200, {
    object: 'list',
    data: names.map((id) => ({ id, object: 'model', created: CREATED, owned_by: 'sluice' })),
  });
}

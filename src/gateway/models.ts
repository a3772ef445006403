/**
 * `GET /v1/models` and `GET /v1/models/{id}` (`models.list` and
 * `models.retrieve` in both official SDKs): the model groups this tenant may
 * call, answered by the gateway itself (an upstream's list would name its
 * models, not the groups clients ask for). OpenAI's format by default;
 * Anthropic's when the request carries `anthropic-version` (what the
 * Anthropic SDK sends).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { API_FAMILIES, type ApiFamily } from '../providers/api-family.js';
import { refusal } from '../runtime/refusal.js';
import { mayUse } from '../runtime/tenants.js';
import { presentedKey } from './auth.js';
import type { GatewayContext } from './context.js';
import { type DirectRequest, writeDirectJson, writeRefusal } from './respond.js';

/** Fixed "created" time of every group (OpenAI's field is required; groups have no creation date). */
const CREATED = 1_735_689_600; // 2025-01-01T00:00:00Z
const CREATED_AT = new Date(CREATED * 1000).toISOString();

/**
 * `/v1/models/{id}`: one segment of the characters a group name may have
 * (others, such as Gemini's `models/{m}:{method}`, are not this route).
 */
const ONE_MODEL = /^\/v1\/models\/([A-Za-z0-9._-]+)$/;

export function handleModels(ctx: GatewayContext, req: IncomingMessage, res: ServerResponse): void {
  const family: ApiFamily = req.headers['anthropic-version'] !== undefined ? 'anthropic' : 'openai';
  const request: DirectRequest = { ctx, method: 'GET', path: '/v1/models' };
  const found = namesFor(ctx, req, res, family, request);
  if (!found) return;
  const { names, tenant } = found;
  const list =
    family === 'anthropic'
      ? {
          data: names.map(anthropicModel),
          has_more: false,
          first_id: names[0] ?? null,
          last_id: names.at(-1) ?? null,
        }
      : { object: 'list', data: names.map(openAIModel) };
  writeDirectJson(res, list, { ...request, tenant });
}

/** The route for `GET /v1/models/{id}`, or undefined when the path is not one. */
export function modelRoute(method: string, pathname: string): typeof handleModel | undefined {
  return method === 'GET' && ONE_MODEL.test(pathname) ? handleModel : undefined;
}

function handleModel(ctx: GatewayContext, req: IncomingMessage, res: ServerResponse): void {
  const family: ApiFamily = req.headers['anthropic-version'] !== undefined ? 'anthropic' : 'openai';
  const url = req.url ?? '';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const request: DirectRequest = { ctx, method: 'GET', path };
  const found = namesFor(ctx, req, res, family, request);
  if (!found) return;
  const id = ONE_MODEL.exec(path)?.[1] ?? '';
  if (!found.names.includes(id)) {
    const why = refusal('unknown_model', `The model \`${id}\` does not exist or is not served here.`);
    writeRefusal(res, family, why, { ...request, tenant: found.tenant });
    return;
  }
  writeDirectJson(res, family === 'anthropic' ? anthropicModel(id) : openAIModel(id), {
    ...request,
    tenant: found.tenant,
  });
}

/** The groups the request's tenant may call on this API, or undefined after answering 401. */
export function namesFor(
  ctx: GatewayContext,
  req: IncomingMessage,
  res: ServerResponse,
  family: ApiFamily,
  request: DirectRequest,
): { names: string[]; tenant: string } | undefined {
  const key = presentedKey(req.headers);
  const tenantId = key === undefined ? undefined : ctx.keys.tenantOf(key);
  const groups = ctx.governor.groups;
  const tenant = tenantId === undefined ? undefined : groups.tenants.resolve(tenantId);
  if (tenant === undefined) {
    writeRefusal(res, family, refusal('unauthenticated', API_FAMILIES[family].unauthenticated), request);
    return undefined;
  }
  const names = groups
    .allGroups()
    .filter((g) => g.answers(family) && mayUse(tenant, g.name))
    .map((g) => g.name)
    .sort();
  return { names, tenant: tenant.id };
}

function openAIModel(id: string) {
  return { id, object: 'model', created: CREATED, owned_by: 'sluice' };
}

function anthropicModel(id: string) {
  return { type: 'model', id, display_name: id, created_at: CREATED_AT };
}

/**
 * Anthropic's Message Batches API (docs.anthropic.com/en/api/creating-message-batches
 * and the pages beside it): create, retrieve, list (`before_id`, `after_id`,
 * `limit`), cancel, results (JSONL, once ended), delete (once ended). A
 * tenant sees only its own batches; anyone else's id is a 404.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ENDED_STATUSES, type LineResult } from '../../batches/batch.js';
import { MESSAGES_URL, readAnthropicRequests } from '../../batches/intake/anthropic-requests.js';
import { fileTooLarge } from '../../batches/intake/caps.js';
import { isObject } from '../../batches/intake/intake.js';
import { lineTokens } from '../../batches/intake/line-tokens.js';
import { messageBatchObject } from '../../batches/wire/anthropic-objects.js';
import { anthropicResultLine } from '../../batches/wire/anthropic-results.js';
import { refusal } from '../../runtime/refusal.js';
import type { GatewayContext } from '../context.js';
import { BatchRequest } from './batch-request.js';
import { cancelBatch } from './cancel-batch.js';
import { createBatch, openOwnBatch, progressOf } from './create-batch.js';
import { limitParam, ownPage } from './own-page.js';

const BATCHES = { family: 'anthropic', path: '/v1/messages/batches' } as const;
const ONE_BATCH = { family: 'anthropic', path: '/v1/messages/batches/{id}' } as const;
const CANCEL = { family: 'anthropic', path: '/v1/messages/batches/{id}/cancel' } as const;
const RESULTS = { family: 'anthropic', path: '/v1/messages/batches/{id}/results' } as const;

/** Results lines written per chunk of the response. */
const LINES_PER_CHUNK = 256;

export async function createMessageBatch(
  ctx: GatewayContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const call = BatchRequest.open(ctx, req, res, BATCHES);
  if (!call) return;
  const caps = call.caps();
  const body = await call.jsonBody(caps.maxFileBytes, fileTooLarge(caps));
  if (body === undefined) return;
  const requests = isObject(body) ? body.requests : undefined;
  if (!Array.isArray(requests)) return call.refuse(refusal('invalid_request', 'requests: Field required'));
  const intake = readAnthropicRequests(requests, lineTokens('anthropic'));
  const batch = await createBatch(call, { api: 'anthropic', endpoint: MESSAGES_URL, intake });
  if (batch) call.json(messageBatchObject(batch, await progressOf(call, batch), call.baseUrl()));
}

export async function listMessageBatches(
  ctx: GatewayContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const call = BatchRequest.open(ctx, req, res, BATCHES);
  if (!call) return;
  const query = call.query();
  const limit = limitParam(query, 20, 1000);
  if (limit === undefined)
    return call.refuse(refusal('invalid_request', 'limit: Input should be between 1 and 1000'));
  const store = call.lane.store;
  const page = await ownPage(
    (p) => store.listBatches(call.tenant.id, p),
    (b) => b.api === 'anthropic',
    { after: query.get('after_id') ?? undefined, before: query.get('before_id') ?? undefined, limit },
  );
  const base = call.baseUrl();
  const data = await Promise.all(
    page.data.map(async (b) => messageBatchObject(b, await progressOf(call, b), base)),
  );
  call.json({
    data,
    has_more: page.hasMore,
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
  });
}

export async function retrieveMessageBatch(
  ctx: GatewayContext,
  req: IncomingMessage,
  res: ServerResponse,
  id: string,
): Promise<void> {
  const found = await openOwnBatch(() => BatchRequest.open(ctx, req, res, ONE_BATCH), 'anthropic', id);
  if (!found) return;
  const { call, batch } = found;
  call.json(messageBatchObject(batch, await progressOf(call, batch), call.baseUrl()));
}

/** Anthropic answers a cancel of a batch already ending or ended with the batch as it is. */
export async function cancelMessageBatch(
  ctx: GatewayContext,
  req: IncomingMessage,
  res: ServerResponse,
  id: string,
): Promise<void> {
  req.resume();
  const found = await openOwnBatch(() => BatchRequest.open(ctx, req, res, CANCEL), 'anthropic', id);
  if (!found) return;
  const { call, batch } = found;
  const after = await cancelBatch(call, batch);
  call.json(messageBatchObject(after, await progressOf(call, after), call.baseUrl()));
}

export async function messageBatchResults(
  ctx: GatewayContext,
  req: IncomingMessage,
  res: ServerResponse,
  id: string,
): Promise<void> {
  const found = await openOwnBatch(() => BatchRequest.open(ctx, req, res, RESULTS), 'anthropic', id);
  if (!found) return;
  const { call, batch } = found;
  if (!ENDED_STATUSES.has(batch.status)) {
    return call.refuse(
      refusal(
        'batch_not_ended',
        `Batch ${id} is still processing; its results are available once it has ended.`,
      ),
    );
  }
  const results = await call.lane.store.results(id);
  await call.send('application/binary', jsonlChunks(results));
}

/** The results file, `LINES_PER_CHUNK` lines at a time. */
function* jsonlChunks(results: readonly LineResult[]): Generator<string> {
  for (let start = 0; start < results.length; start += LINES_PER_CHUNK) {
    let chunk = '';
    for (const result of results.slice(start, start + LINES_PER_CHUNK)) chunk += anthropicResultLine(result);
    yield chunk;
  }
}

export async function deleteMessageBatch(
  ctx: GatewayContext,
  req: IncomingMessage,
  res: ServerResponse,
  id: string,
): Promise<void> {
  const found = await openOwnBatch(() => BatchRequest.open(ctx, req, res, ONE_BATCH), 'anthropic', id);
  if (!found) return;
  const { call, batch } = found;
  if (!ENDED_STATUSES.has(batch.status) || !(await call.lane.store.deleteBatch(id))) {
    return call.refuse(
      refusal('batch_not_ended', `Batch ${id} cannot be deleted while it is processing; cancel it first.`),
    );
  }
  call.json({ id, type: 'message_batch_deleted' });
}

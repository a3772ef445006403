/**
 * OpenAI's Batch API (platform.openai.com/docs/api-reference/batch): create
 * from an uploaded `purpose: batch` file, retrieve, list (`after`, `limit`),
 * cancel. A tenant sees only its own batches; anyone else's id is a 404.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tooLarge } from '../../batches/intake/caps.js';
import { isObject } from '../../batches/intake/intake.js';
import { lineTokens } from '../../batches/intake/line-tokens.js';
import { readOpenAIInput } from '../../batches/intake/openai-input.js';
import { openAIBatchObject } from '../../batches/wire/openai-objects.js';
import { refusal } from '../../runtime/refusal.js';
import type { GatewayContext } from '../context.js';
import { BatchRequest } from './batch-request.js';
import { cancelBatch } from './cancel-batch.js';
import { COMPLETION_WINDOW, createBatch, openOwnBatch, progressOf } from './create-batch.js';
import { limitParam, ownPage } from './own-page.js';

const BATCHES = { family: 'openai', path: '/v1/batches' } as const;
const ONE_BATCH = { family: 'openai', path: '/v1/batches/{id}' } as const;
const CANCEL = { family: 'openai', path: '/v1/batches/{id}/cancel' } as const;

/** The endpoints a batch may call (the `endpoint` of a create). */
export const BATCH_ENDPOINTS: readonly string[] = Object.freeze([
  '/v1/chat/completions',
  '/v1/responses',
  '/v1/embeddings',
  '/v1/completions',
]);

const invalid = (message: string) => refusal('invalid_request', message);

export async function createOpenAIBatch(
  ctx: GatewayContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const call = BatchRequest.open(ctx, req, res, BATCHES);
  if (!call) return;
  const maxBytes = ctx.settings.maxBodyBytes;
  const body = await call.jsonBody(
    maxBytes,
    refusal('body_too_large', `Request body too large: the gateway accepts at most ${maxBytes} bytes.`),
  );
  if (body === undefined) return;
  if (!isObject(body)) return call.refuse(invalid('The request body must be a JSON object.'));
  const { input_file_id: fileId, endpoint, completion_window: window, metadata } = body;
  if (typeof fileId !== 'string' || fileId === '')
    return call.refuse(invalid("Missing required parameter: 'input_file_id'."));
  if (typeof endpoint !== 'string' || !BATCH_ENDPOINTS.includes(endpoint)) {
    return call.refuse(
      invalid(
        `Invalid value for 'endpoint': '${String(endpoint)}'. Supported values are: ${BATCH_ENDPOINTS.join(', ')}.`,
      ),
    );
  }
  if (window !== COMPLETION_WINDOW) {
    return call.refuse(
      invalid(`Invalid value for 'completion_window': '${String(window)}'. Supported values are: '24h'.`),
    );
  }
  if (metadata !== undefined && metadata !== null && !isStringMap(metadata)) {
    return call.refuse(invalid("Invalid 'metadata': expected at most 16 string values keyed by strings."));
  }
  const store = call.lane.store;
  const file = await store.file(fileId);
  if (file?.tenant !== call.tenant.id)
    return call.refuse(refusal('file_not_found', `No such File object: ${fileId}`));
  if (file.purpose !== 'batch') {
    return call.refuse(
      refusal(
        'invalid_file',
        `File ${fileId} has purpose '${file.purpose}'; a batch needs a file with purpose 'batch'.`,
      ),
    );
  }
  const caps = call.caps();
  const over = tooLarge(file.bytes, caps);
  if (over) return call.refuse(over);
  const content = await store.fileContent(fileId);
  if (content === undefined) return call.refuse(refusal('file_not_found', `No such File object: ${fileId}`));
  const intake = readOpenAIInput(Buffer.from(content).toString('utf8'), {
    endpoint,
    tokensOf: lineTokens('openai'),
  });
  const batch = await createBatch(call, {
    api: 'openai',
    endpoint,
    intake,
    inputFileId: fileId,
    metadata: (metadata as Record<string, string> | null | undefined) ?? null,
  });
  if (batch) call.json(openAIBatchObject(batch, await progressOf(call, batch)));
}

function isStringMap(value: unknown): value is Record<string, string> {
  if (!isObject(value)) return false;
  const entries = Object.entries(value);
  return (
    entries.length <= 16 &&
    entries.every(([k, v]) => k.length <= 64 && typeof v === 'string' && v.length <= 512)
  );
}

export async function listOpenAIBatches(
  ctx: GatewayContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const call = BatchRequest.open(ctx, req, res, BATCHES);
  if (!call) return;
  const query = call.query();
  const limit = limitParam(query, 20, 100);
  if (limit === undefined)
    return call.refuse(invalid("Invalid 'limit': expected a whole number from 1 to 100."));
  const store = call.lane.store;
  const page = await ownPage(
    (p) => store.listBatches(call.tenant.id, p),
    (b) => b.api === 'openai',
    { after: query.get('after') ?? undefined, limit },
  );
  const data = await Promise.all(page.data.map(async (b) => openAIBatchObject(b, await progressOf(call, b))));
  call.json({
    object: 'list',
    data,
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
    has_more: page.hasMore,
  });
}

export async function retrieveOpenAIBatch(
  ctx: GatewayContext,
  req: IncomingMessage,
  res: ServerResponse,
  id: string,
): Promise<void> {
  const found = await openOwnBatch(() => BatchRequest.open(ctx, req, res, ONE_BATCH), 'openai', id);
  if (!found) return;
  const { call, batch } = found;
  call.json(openAIBatchObject(batch, await progressOf(call, batch)));
}

export async function cancelOpenAIBatch(
  ctx: GatewayContext,
  req: IncomingMessage,
  res: ServerResponse,
  id: string,
): Promise<void> {
  req.resume();
  const found = await openOwnBatch(() => BatchRequest.open(ctx, req, res, CANCEL), 'openai', id);
  if (!found) return;
  const { call, batch } = found;
  const after = await cancelBatch(call, batch);
  if (after.status !== 'cancelling') {
    return call.refuse(
      refusal('batch_not_cancellable', `Cannot cancel a batch with status '${after.status}'.`),
    );
  }
  call.json(openAIBatchObject(after, await progressOf(call, after)));
}

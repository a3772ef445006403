/**
 * The batch and file paths, for the gateway's route table: exact paths,
 * and the ones with an id. `/v1/messages/batches` is its own exact path, so
 * the proxied `/v1/messages` never takes it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { refusal } from '../../runtime/refusal.js';
import type { GatewayContext } from '../context.js';
import { writeRefusal } from '../respond.js';
import {
  cancelMessageBatch,
  createMessageBatch,
  deleteMessageBatch,
  listMessageBatches,
  messageBatchResults,
  retrieveMessageBatch,
} from './anthropic-batches.js';
import {
  cancelOpenAIBatch,
  createOpenAIBatch,
  listOpenAIBatches,
  retrieveOpenAIBatch,
} from './openai-batches.js';
import { deleteFile, fileContent, listFiles, retrieveFile, uploadFile } from './openai-files.js';

type Handler = (ctx: GatewayContext, req: IncomingMessage, res: ServerResponse) => Promise<void>;
type IdHandler = (
  ctx: GatewayContext,
  req: IncomingMessage,
  res: ServerResponse,
  id: string,
) => Promise<void>;
export type BatchRouteHandler = (ctx: GatewayContext, req: IncomingMessage, res: ServerResponse) => void;

export const BATCH_ROUTES: readonly { method: string; path: string; handler: BatchRouteHandler }[] =
  Object.freeze([
    { method: 'POST', path: '/v1/files', handler: run(uploadFile, 'openai') },
    { method: 'GET', path: '/v1/files', handler: run(listFiles, 'openai') },
    { method: 'POST', path: '/v1/batches', handler: run(createOpenAIBatch, 'openai') },
    { method: 'GET', path: '/v1/batches', handler: run(listOpenAIBatches, 'openai') },
    { method: 'POST', path: '/v1/messages/batches', handler: run(createMessageBatch, 'anthropic') },
    { method: 'GET', path: '/v1/messages/batches', handler: run(listMessageBatches, 'anthropic') },
  ]);

/** `{prefix}{id}{suffix}` paths, by method. */
const ID_ROUTES: readonly {
  method: string;
  pattern: RegExp;
  handler: IdHandler;
  family: 'openai' | 'anthropic';
}[] = Object.freeze([
  { method: 'GET', pattern: /^\/v1\/files\/([^/]+)$/, handler: retrieveFile, family: 'openai' },
  { method: 'DELETE', pattern: /^\/v1\/files\/([^/]+)$/, handler: deleteFile, family: 'openai' },
  { method: 'GET', pattern: /^\/v1\/files\/([^/]+)\/content$/, handler: fileContent, family: 'openai' },
  { method: 'GET', pattern: /^\/v1\/batches\/([^/]+)$/, handler: retrieveOpenAIBatch, family: 'openai' },
  {
    method: 'POST',
    pattern: /^\/v1\/batches\/([^/]+)\/cancel$/,
    handler: cancelOpenAIBatch,
    family: 'openai',
  },
  {
    method: 'GET',
    pattern: /^\/v1\/messages\/batches\/([^/]+)$/,
    handler: retrieveMessageBatch,
    family: 'anthropic',
  },
  {
    method: 'DELETE',
    pattern: /^\/v1\/messages\/batches\/([^/]+)$/,
    handler: deleteMessageBatch,
    family: 'anthropic',
  },
  {
    method: 'POST',
    pattern: /^\/v1\/messages\/batches\/([^/]+)\/cancel$/,
    handler: cancelMessageBatch,
    family: 'anthropic',
  },
  {
    method: 'GET',
    pattern: /^\/v1\/messages\/batches\/([^/]+)\/results$/,
    handler: messageBatchResults,
    family: 'anthropic',
  },
]);

/** The handler of a path with an id, or undefined when the path is none of them. */
export function batchRoute(method: string, pathname: string): BatchRouteHandler | undefined {
  for (const route of ID_ROUTES) {
    if (route.method !== method) continue;
    const match = route.pattern.exec(pathname);
    if (!match) continue;
    let id: string;
    try {
      id = decodeURIComponent(match[1] as string);
    } catch {
      return undefined;
    }
    const handler = route.handler;
    return run((ctx, req, res) => handler(ctx, req, res, id), route.family);
  }
  return undefined;
}

/** How soon a caller may try again after the batch store failed (Redis reconnects within about that long). */
const STORE_RETRY_AFTER_MS = 1_000;

/**
 * Runs an async handler; a failure answers in the family's format, never an
 * unhandled rejection. The handlers check their input themselves, so what
 * rejects here is the batch store (Redis away or reconnecting, a disk
 * error): 503 with `Retry-After`, which the SDKs retry on their own. A
 * programming error is a 500 and says nothing about the store.
 */
function run(handler: Handler, family: 'openai' | 'anthropic'): BatchRouteHandler {
  return (ctx, req, res) => {
    handler(ctx, req, res).catch((error: unknown) => {
      ctx.logger.error({ err: error, path: req.url }, 'batch API request failed');
      writeRefusal(res, family, failureRefusal(error), {
        ctx,
        method: req.method ?? 'GET',
        path: req.url ?? '/',
      });
    });
  };
}

function failureRefusal(error: unknown) {
  const bug = error instanceof TypeError || error instanceof RangeError || error instanceof ReferenceError;
  return bug
    ? refusal('internal_error', 'The gateway failed on this batch request.')
    : refusal('store_unavailable', 'The batch store could not be reached; try again shortly.', {
        retryAfterMs: STORE_RETRY_AFTER_MS,
      });
}

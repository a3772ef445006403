/**
 * OpenAI's Files API as batches use it (platform.openai.com/docs/api-reference/files):
 * upload a batch input, list, retrieve, download, delete. A tenant sees only
 * its own files; anyone else's id is a 404, as an unknown one. A batch's
 * output and error files are rendered from its results when downloaded.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FileRecord } from '../../batches/batch.js';
import { fileTooLarge } from '../../batches/intake/caps.js';
import { openAIFileObject } from '../../batches/wire/openai-objects.js';
import { renderOpenAIResultFile } from '../../batches/wire/openai-results.js';
import { refusal } from '../../runtime/refusal.js';
import type { GatewayContext } from '../context.js';
import { BatchRequest } from './batch-request.js';
import { readUpload } from './multipart-upload.js';
import { limitParam, ownPage } from './own-page.js';

const FILES = { family: 'openai', path: '/v1/files' } as const;
const ONE_FILE = { family: 'openai', path: '/v1/files/{id}' } as const;
const CONTENT = { family: 'openai', path: '/v1/files/{id}/content' } as const;

export function newFileId(): string {
  return `file-${randomBytes(12).toString('hex')}`;
}

export async function uploadFile(
  ctx: GatewayContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const call = BatchRequest.open(ctx, req, res, FILES);
  if (!call) return;
  const caps = call.caps();
  const upload = await readUpload(req, caps.maxFileBytes, fileTooLarge(caps));
  if ('code' in upload) {
    if (upload.code === 'file_too_large') res.shouldKeepAlive = false;
    return call.refuse(upload);
  }
  if (upload.purpose !== 'batch') {
    return call.refuse(
      refusal(
        'invalid_file',
        `Invalid value for 'purpose': '${upload.purpose}'. This gateway takes files for batches: purpose 'batch'.`,
      ),
    );
  }
  if (!upload.filename.endsWith('.jsonl')) {
    return call.refuse(refusal('invalid_file', 'Invalid file format for Batch API. Must be .jsonl'));
  }
  const file: FileRecord = {
    id: newFileId(),
    tenant: call.tenant.id,
    purpose: upload.purpose,
    filename: upload.filename,
    bytes: upload.content.length,
    createdAt: call.now(),
  };
  await call.lane.store.putFile(file, upload.content);
  call.json(openAIFileObject(file));
}

export async function listFiles(
  ctx: GatewayContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const call = BatchRequest.open(ctx, req, res, FILES);
  if (!call) return;
  const query = call.query();
  const limit = limitParam(query, 10_000, 10_000);
  if (limit === undefined)
    return call.refuse(
      refusal('invalid_request', "Invalid 'limit': expected a whole number from 1 to 10000."),
    );
  const purpose = query.get('purpose');
  const store = call.lane.store;
  const page = await ownPage(
    (p) => store.listFiles(call.tenant.id, p),
    (f) => purpose === null || f.purpose === purpose,
    { after: query.get('after') ?? undefined, limit },
  );
  call.json({
    object: 'list',
    data: page.data.map(openAIFileObject),
    first_id: page.data[0]?.id ?? null,
    last_id: page.data.at(-1)?.id ?? null,
    has_more: page.hasMore,
  });
}

/** The tenant's file of the id in the path, or undefined after answering 404. */
async function ownFile(call: BatchRequest, id: string): Promise<FileRecord | undefined> {
  const file = await call.lane.store.file(id);
  if (file?.tenant === call.tenant.id) return file;
  call.refuse(refusal('file_not_found', `No such File object: ${id}`));
  return undefined;
}

export async function retrieveFile(
  ctx: GatewayContext,
  req: IncomingMessage,
  res: ServerResponse,
  id: string,
): Promise<void> {
  const call = BatchRequest.open(ctx, req, res, ONE_FILE);
  if (!call) return;
  const file = await ownFile(call, id);
  if (file) call.json(openAIFileObject(file));
}

export async function deleteFile(
  ctx: GatewayContext,
  req: IncomingMessage,
  res: ServerResponse,
  id: string,
): Promise<void> {
  const call = BatchRequest.open(ctx, req, res, ONE_FILE);
  if (!call) return;
  const file = await ownFile(call, id);
  if (!file) return;
  await call.lane.store.deleteFile(id);
  call.json({ id, object: 'file', deleted: true });
}

export async function fileContent(
  ctx: GatewayContext,
  req: IncomingMessage,
  res: ServerResponse,
  id: string,
): Promise<void> {
  const call = BatchRequest.open(ctx, req, res, CONTENT);
  if (!call) return;
  const file = await ownFile(call, id);
  if (!file) return;
  const content = await contentOf(call, file);
  if (content === undefined) return call.refuse(refusal('file_not_found', `No such File object: ${id}`));
  await call.send('application/octet-stream', [content]);
}

/** A file's bytes: stored for uploads, rendered from the batch's results for its output and error files. */
async function contentOf(call: BatchRequest, file: FileRecord): Promise<Uint8Array | undefined> {
  const store = call.lane.store;
  if (file.source === undefined) return store.fileContent(file.id);
  const batch = await store.batch(file.source.batchId);
  if (batch === undefined) return undefined;
  return Buffer.from(renderOpenAIResultFile(batch, await store.results(batch.id), file.source.part));
}

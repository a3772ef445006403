/**
 * Writing what the gateway answers on `node:http`: an `Answer` from the
 * runtime (refusals, errors, answers outside a proxied call such as unknown
 * paths, in the caller's API format — runtime/exchange/answer.ts decides
 * them), and the gateway's own JSON and text (health, readiness).
 */
import type { ServerResponse } from 'node:http';
import type { ApiFamily } from '../providers/api-family.js';
import { type Answer, refusalAnswer } from '../runtime/exchange/answer.js';
import { newRequestId } from '../runtime/exchange/request-id.js';
import type { Refusal } from '../runtime/refusal.js';
import { DEFAULT_MAX_CLIENT_WAIT_MS } from '../runtime/retry-policy.js';
import type { GatewayContext } from './context.js';
import { RequestLog } from './request-log.js';

/** A request the gateway answers itself (not proxied), for its log line. */
export interface DirectRequest {
  readonly ctx: GatewayContext;
  readonly method: string;
  readonly path: string;
  readonly tenant?: string | undefined;
}

/** Writes an answer with a complete body (not a relay: the proxy pumps those). */
export function writeAnswer(res: ServerResponse, answer: Answer): void {
  if (res.headersSent || res.destroyed) return;
  const body = answer.body ?? '';
  const headers = answer.headers;
  headers.push('content-length', String(Buffer.byteLength(body)));
  res.writeHead(answer.status, headers);
  res.end(body);
}

/**
 * A refusal outside a proxied call (unknown path, a model list without a
 * key): its own request id, on the answer and, when the request is known, in
 * a log line of its own.
 */
export function writeRefusal(
  res: ServerResponse,
  family: ApiFamily,
  why: Refusal,
  request?: DirectRequest,
): void {
  writeAnswer(res, directRefusal(family, why, request));
}

/** The answer to a refusal outside a proxied call, logged when the request is known. */
export function directRefusal(family: ApiFamily, why: Refusal, request?: DirectRequest): Answer {
  const id = newRequestId();
  const answer = refusalAnswer(why, {
    family,
    requestId: id,
    maxClientWaitMs: request?.ctx.governor.maxClientWaitMs ?? DEFAULT_MAX_CLIENT_WAIT_MS,
    deploymentHeader: false,
  });
  if (request) logDirect(request, id, answer.status, answer);
  return answer;
}

/** A JSON answer the gateway gives itself (the model list): its request id, and its log line. */
export function writeDirectJson(res: ServerResponse, body: unknown, request: DirectRequest): void {
  const id = newRequestId();
  sendJson(res, 200, body, ['x-sluice-request-id', id]);
  logDirect(request, id, 200, undefined);
}

function logDirect(request: DirectRequest, id: string, status: number, answer: Answer | undefined): void {
  const log = new RequestLog(request.ctx, id, request.method, request.path);
  log.tenant = request.tenant;
  if (answer) log.answered(answer);
  else log.status = status;
  log.write();
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: string[] = []): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  headers.push('content-type', 'application/json', 'content-length', String(Buffer.byteLength(text)));
  res.writeHead(status, headers);
  res.end(text);
}

export function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  contentType = 'text/plain; charset=utf-8',
): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, ['content-type', contentType, 'content-length', String(Buffer.byteLength(text))]);
  res.end(text);
}

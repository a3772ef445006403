/**
 * Writing what the gateway answers on `node:http`: an `Answer` from the
 * runtime (refusals, errors, answers outside a proxied call such as unknown
 * paths, in the caller's API format — runtime/exchange/answer.ts decides
 * them), and the gateway's own JSON and text (health, readiness).
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { ApiFamily } from '../providers/api-family.js';
import { type Answer, refusalAnswer } from '../runtime/exchange/answer.js';
import type { Refusal } from '../runtime/refusal.js';
import { DEFAULT_MAX_CLIENT_WAIT_MS } from '../runtime/retry-policy.js';

/** Writes an answer with a complete body (not a relay: the proxy pumps those). */
export function writeAnswer(res: ServerResponse, answer: Answer): void {
  if (res.headersSent || res.destroyed) return;
  const body = answer.body ?? '';
  const headers = answer.headers;
  headers.push('content-length', String(Buffer.byteLength(body)));
  res.writeHead(answer.status, headers);
  res.end(body);
}

/** A refusal outside a proxied call (unknown path, a model list without a key): its own request id. */
export function writeRefusal(res: ServerResponse, family: ApiFamily, why: Refusal): void {
  const answer = refusalAnswer(why, {
    family,
    requestId: randomUUID(),
    maxClientWaitMs: DEFAULT_MAX_CLIENT_WAIT_MS,
    deploymentHeader: false,
  });
  writeAnswer(res, answer);
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

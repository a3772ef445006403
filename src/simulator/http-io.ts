/** Reading request bodies and writing whole replies with `node:http`, without a framework. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Reply } from './flavour.js';

/** Largest body read (Anthropic's own cap for Messages is 32 MB, PROVIDERS.md §3.3). */
export const MAX_BODY_BYTES = 32 * 1024 * 1024;

export class BodyTooLargeError extends Error {
  readonly code = 'body_too_large';
}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new BodyTooLargeError(`request body over ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      resolve(
        chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks).toString('utf8'),
      );
    });
    req.on('error', reject);
  });
}

export function sendReply(res: ServerResponse, reply: Reply): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(reply.status, { ...reply.headers, 'content-length': Buffer.byteLength(reply.body) });
  res.end(reply.body);
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  sendReply(res, { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

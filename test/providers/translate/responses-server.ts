/**
 * A node:http server on 127.0.0.1 (port 0) answering every POST with one
 * canned body, so the official `openai` SDK can read what a translator
 * wrote; it records each request body it was sent.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';

export interface CannedServer {
  readonly client: OpenAI;
  readonly requests: unknown[];
  /** What the next POST is answered with: a JSON body, or SSE text. */
  answer(body: { json: unknown } | { sse: string }): void;
  close(): Promise<void>;
}

export async function cannedServer(): Promise<CannedServer> {
  let next: { json: unknown } | { sse: string } = { json: {} };
  const requests: unknown[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      if ('json' in next) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(next.json));
      } else {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end(next.sse);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    client: new OpenAI({ apiKey: 'test-key', baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 }),
    requests,
    answer(body) {
      next = body;
    },
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}

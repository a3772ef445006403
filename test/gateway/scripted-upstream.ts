/**
 * A provider stand-in whose answers a test scripts call by call: each
 * request goes to `answer`, which writes the response itself (a status and
 * body, an SSE stream that stops halfway and stays open, …). Requests are
 * counted; open responses are closed with the server.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ScriptedUpstream {
  readonly url: string;
  /** Requests received so far. */
  readonly calls: () => number;
  close(): Promise<void>;
}

export type Answer = (call: { n: number; body: string; req: IncomingMessage; res: ServerResponse }) => void;

export async function startScriptedUpstream(answer: Answer): Promise<ScriptedUpstream> {
  let n = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => answer({ n: n++, body: Buffer.concat(chunks).toString('utf8'), req, res }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls: () => n,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function json(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** An OpenAI chat completion with the given usage. */
export function chatCompletion(usage: { prompt: number; completion: number; cached?: number }) {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1,
    model: 'gpt-x',
    choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
    usage: {
      prompt_tokens: usage.prompt,
      completion_tokens: usage.completion,
      total_tokens: usage.prompt + usage.completion,
      ...(usage.cached !== undefined && { prompt_tokens_details: { cached_tokens: usage.cached } }),
    },
  };
}

/** One chat.completion.chunk SSE event carrying `content`. */
export function chatChunk(content: string): string {
  return `data: ${JSON.stringify({
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'gpt-x',
    choices: [{ index: 0, delta: { content }, finish_reason: null }],
    usage: null,
  })}\n\n`;
}

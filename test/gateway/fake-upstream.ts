/**
 * A provider stand-in that records what reaches it: the raw request line
 * (path and query exactly as sent, no URL normalisation in between) and
 * the headers. It answers every call with a small success in the format
 * the path suggests (Gemini, Anthropic or OpenAI), streamed as SSE when
 * the path or body asks for a stream, so the gateway settles normally.
 */
import { createServer, type IncomingHttpHeaders, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  readonly method: string;
  /** The request target as it arrived on the wire: path and query. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface FakeUpstream {
  readonly url: string;
  readonly received: Received[];
  close(): Promise<void>;
}

/** `status`: answer every call with this error status (and a provider-style error body) instead of a success. */
export async function startFakeUpstream(options: { status?: number } = {}): Promise<FakeUpstream> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const url = req.url ?? '';
      received.push({ method: req.method ?? '', url, headers: req.headers, body });
      const status = options.status ?? 200;
      const { contentType, text } =
        status === 200
          ? answerFor(url, body)
          : {
              contentType: 'application/json',
              text: JSON.stringify({
                error: { message: 'Incorrect API key provided.', type: 'invalid_request_error' },
              }),
            };
      res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function answerFor(url: string, body: string): { contentType: string; text: string } {
  const json = (value: unknown) => ({ contentType: 'application/json', text: JSON.stringify(value) });
  const sse = (value: unknown) => ({
    contentType: 'text/event-stream',
    text: `data: ${JSON.stringify(value)}\n\n`,
  });
  if (url.includes(':generateContent') || url.includes(':streamGenerateContent')) {
    const reply = {
      candidates: [{ content: { role: 'model', parts: [{ text: 'ok' }] }, finishReason: 'STOP' }],
      usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 1, totalTokenCount: 4 },
    };
    return url.includes(':streamGenerateContent') ? sse(reply) : json(reply);
  }
  if (url.includes('/messages')) {
    return json({
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      model: 'claude',
      content: [{ type: 'text', text: 'ok' }],
      stop_reason: 'end_turn',
      usage: { input_tokens: 3, output_tokens: 1 },
    });
  }
  const streamed = /"stream"\s*:\s*true/.test(body);
  const chunk = {
    id: 'c1',
    object: streamed ? 'chat.completion.chunk' : 'chat.completion',
    model: 'gpt',
    choices: [],
    usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
  };
  if (streamed)
    return { contentType: 'text/event-stream', text: `data: ${JSON.stringify(chunk)}\n\ndata: [DONE]\n\n` };
  return json({
    ...chunk,
    choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
  });
}

export interface RawReply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/**
 * One request with the path sent byte for byte: `fetch` would resolve `..`,
 * `%2e%2e` and backslashes itself (WHATWG URL rules) before the gateway saw them.
 */
export function rawRequest(
  base: string,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: string },
): Promise<RawReply> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: hostname,
        port,
        method: options.method ?? 'POST',
        path: options.path,
        headers: {
          'content-type': 'application/json',
          ...(options.body !== undefined && { 'content-length': String(Buffer.byteLength(options.body)) }),
          ...options.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/**
 * A pass-through in front of the simulator that keeps each exchange whole:
 * the path, the request body as the deployment's API received it, and the
 * answer's status and text as that API wrote it (a stream's SSE text
 * included). A translated call can then be checked on both sides: what the
 * caller's SDK saw against what the upstream was sent and reported.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Exchange {
  readonly path: string;
  readonly body: Record<string, unknown>;
  status: number;
  /** The answer's headers as the upstream wrote them. */
  headers: Record<string, string | string[] | undefined>;
  /** The answer's text, complete once the upstream ended it. */
  answer: string;
}

export interface Recorder {
  readonly url: string;
  readonly exchanges: Exchange[];
  close(): Promise<void>;
}

export async function startRecorder(target: string): Promise<Recorder> {
  const exchanges: Exchange[] = [];
  const { hostname, port } = new URL(target);
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const exchange: Exchange = {
        path: req.url ?? '',
        body: raw.length > 0 ? (JSON.parse(raw.toString('utf8')) as Record<string, unknown>) : {},
        status: 0,
        headers: {},
        answer: '',
      };
      exchanges.push(exchange);
      const out = httpRequest(
        { host: hostname, port, method: req.method, path: req.url, headers: req.headers },
        (upstream) => {
          exchange.status = upstream.statusCode ?? 0;
          exchange.headers = upstream.headers;
          res.writeHead(exchange.status, upstream.rawHeaders);
          upstream.on('data', (chunk: Buffer) => {
            exchange.answer += chunk.toString('utf8');
            res.write(chunk);
          });
          upstream.on('end', () => res.end());
          upstream.on('error', () => res.destroy());
        },
      );
      out.on('error', () => res.destroy());
      res.on('close', () => out.destroy());
      out.end(raw);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    exchanges,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

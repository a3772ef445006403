/**
 * A pass-through in front of an upstream (the simulator) that records each
 * request as the provider would receive it: method, the request target
 * exactly as written on the wire, the headers and the body. What the gateway sends a
 * provider can then be checked against what the caller sent it.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Forwarded {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  /** The body as received so far: whole once the request has ended (before the upstream answers). */
  readonly body: string;
}

export interface Relay {
  readonly url: string;
  readonly received: Forwarded[];
  /** Where requests are passed on (set once the upstream is known). */
  target: string;
  close(): Promise<void>;
}

export async function startRelay(): Promise<Relay> {
  const received: Forwarded[] = [];
  const relay = { url: '', received, target: '', close: async () => undefined } as Relay;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    received.push({
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      get body() {
        return Buffer.concat(chunks).toString('utf8');
      },
    });
    const { hostname, port } = new URL(relay.target);
    const out = httpRequest(
      { host: hostname, port, method: req.method, path: req.url, headers: req.headers },
      (upstream) => {
        res.writeHead(upstream.statusCode ?? 502, upstream.rawHeaders);
        upstream.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    res.on('close', () => out.destroy());
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(relay, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

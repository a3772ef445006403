/**
 * A `node:http` request as the runtime reads it (`InboundRequest`): its
 * method, path, headers and the connection's abort signal, and its body,
 * collected within the gateway's size limit and decoded from its
 * content-encoding. The proxy's exchange extends it, so reading a request
 * costs no object of its own.
 */
import type { IncomingMessage } from 'node:http';
import type { InboundRequest } from '../runtime/exchange/inbound.js';
import { connectionSignal } from './client-abort.js';
import { type DecodedBody, decodeRequestBody } from './request-encoding.js';

export abstract class NodeInbound implements InboundRequest {
  /** The decoded body, once read. */
  body: Buffer | undefined;
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(protected readonly req: IncomingMessage) {}

  get method(): string {
    return this.req.method ?? 'POST';
  }

  get url(): string {
    return this.req.url ?? '/';
  }

  get signal(): AbortSignal {
    return connectionSignal(this.req.socket);
  }

  header(name: string): string | undefined {
    const value = this.req.headers[name];
    return typeof value === 'string' ? value : undefined;
  }

  *headers(): Iterable<readonly [string, string]> {
    for (const [name, value] of Object.entries(this.req.headers))
      if (typeof value === 'string') yield [name, value];
  }

  /** Whether the announced length already exceeds `maxBytes` (no need to read it). */
  protected announcedOver(maxBytes: number): boolean {
    return Number(this.req.headers['content-length']) > maxBytes;
  }

  /** Keeps one chunk of the body; false (and nothing kept) once the body passed `maxBytes`. */
  protected collect(chunk: Buffer, maxBytes: number): boolean {
    this.size += chunk.length;
    if (this.size > maxBytes) {
      this.chunks = [];
      return false;
    }
    this.chunks.push(chunk);
    return true;
  }

  /** The body as received, decoded from its content-encoding (within `maxBytes` once decoded). */
  protected decodeCollected(maxBytes: number): DecodedBody {
    const chunks = this.chunks;
    const received = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, this.size);
    this.chunks = [];
    const decoded = decodeRequestBody(received, this.req.headers['content-encoding'], maxBytes);
    if (decoded.ok) this.body = decoded.body;
    return decoded;
  }
}

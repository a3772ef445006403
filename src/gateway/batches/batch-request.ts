/**
 * One request to the batch or file API, as every handler of it begins and
 * ends: the caller's tenant by its key (as the proxy authenticates), the
 * lane, the body within a bound, and the answer — JSON or a refusal in the
 * family's format, each with its request id and log line.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type BatchCaps, batchCaps } from '../../batches/intake/caps.js';
import { API_FAMILIES, type ApiFamily } from '../../providers/api-family.js';
import { newRequestId } from '../../runtime/exchange/request-id.js';
import { type Refusal, refusal } from '../../runtime/refusal.js';
import type { Tenant } from '../../runtime/tenants.js';
import { presentedKey } from '../auth.js';
import type { GatewayContext } from '../context.js';
import { decodeRequestBody } from '../request-encoding.js';
import { RequestLog } from '../request-log.js';
import { type DirectRequest, writeDirectJson, writeRefusal } from '../respond.js';
import type { BatchLaneHandle } from './lane-handle.js';

export class BatchRequest {
  readonly request: DirectRequest;

  private constructor(
    readonly ctx: GatewayContext,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly family: ApiFamily,
    readonly lane: BatchLaneHandle,
    readonly tenant: Tenant,
    /** The route's path pattern (`/v1/batches/{id}`): the log names the route, not the caller's ids. */
    path: string,
  ) {
    this.request = { ctx, method: req.method ?? 'GET', path, tenant: tenant.id };
  }

  /** The request's tenant and lane, or undefined after answering (401; 404 when the lane is off). */
  static open(
    ctx: GatewayContext,
    req: IncomingMessage,
    res: ServerResponse,
    route: { family: ApiFamily; path: string },
  ): BatchRequest | undefined {
    const request: DirectRequest = { ctx, method: req.method ?? 'GET', path: route.path };
    const lane = ctx.batches;
    if (lane === undefined) {
      req.resume();
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const pathname = q < 0 ? url : url.slice(0, q);
      const why = refusal('not_found', `Unknown request URL: ${req.method} ${pathname}.`);
      writeRefusal(res, route.family, why, { ...request, path: pathname });
      return undefined;
    }
    const key = presentedKey(req.headers);
    const id = key === undefined ? undefined : ctx.keys.tenantOf(key);
    const tenant = id === undefined ? undefined : ctx.governor.groups.tenants.resolve(id);
    if (tenant === undefined) {
      req.resume();
      writeRefusal(
        res,
        route.family,
        refusal('unauthenticated', API_FAMILIES[route.family].unauthenticated),
        request,
      );
      return undefined;
    }
    return new BatchRequest(ctx, req, res, route.family, lane, tenant, route.path);
  }

  now(): number {
    return this.ctx.governor.clock.now();
  }

  /** The caps of this tenant's batches: the lane's, tightened by its tier's. */
  caps(): BatchCaps {
    const settings = this.lane.settings;
    const tier = this.tenant.tier === undefined ? undefined : settings.tiers[this.tenant.tier];
    return batchCaps(settings.batches, tier);
  }

  query(): URLSearchParams {
    const url = this.req.url ?? '/';
    const q = url.indexOf('?');
    return new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
  }

  /** Where the caller reached the gateway (Anthropic's `results_url` is followed as given). */
  baseUrl(): string {
    const proto = this.req.headers['x-forwarded-proto'] === 'https' ? 'https' : 'http';
    return `${proto}://${this.req.headers.host ?? '127.0.0.1'}`;
  }

  json(body: unknown): void {
    writeDirectJson(this.res, body, this.request);
  }

  /**
   * A body that is not JSON (a file's bytes, a results file), written chunk
   * by chunk as the client takes it, so a large one never sits whole in the
   * socket's buffer.
   */
  async send(contentType: string, chunks: Iterable<string | Uint8Array>): Promise<void> {
    const { res } = this;
    if (res.headersSent || res.destroyed) return;
    const id = newRequestId();
    res.writeHead(200, [
      'content-type',
      contentType,
      'x-sluice-request-id',
      id,
      API_FAMILIES[this.family].requestIdHeader,
      id,
    ]);
    for (const chunk of chunks) {
      if (res.destroyed) break;
      if (!res.write(chunk)) await drained(res);
    }
    res.end();
    const log = new RequestLog(this.ctx, id, this.request.method, this.request.path);
    log.tenant = this.tenant.id;
    log.status = 200;
    log.write();
  }

  refuse(why: Refusal): void {
    writeRefusal(this.res, this.family, why, this.request);
  }

  /**
   * The JSON body, read within `maxBytes` (then `tooLarge` answers), or
   * undefined after answering.
   */
  async jsonBody(maxBytes: number, tooLarge: Refusal): Promise<unknown> {
    const raw = await readBounded(this.req, maxBytes);
    if (raw === undefined) {
      this.res.shouldKeepAlive = false;
      this.refuse(tooLarge);
      return undefined;
    }
    const decoded = decodeRequestBody(raw, this.req.headers['content-encoding'], maxBytes);
    if (!decoded.ok) {
      this.refuse(decoded.code === 'body_too_large' ? tooLarge : refusal(decoded.code, decoded.message));
      return undefined;
    }
    try {
      return JSON.parse(decoded.body.toString('utf8'));
    } catch {
      this.refuse(refusal('invalid_json', 'The request body is not valid JSON.'));
      return undefined;
    }
  }
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** The whole body, or undefined once it passes `maxBytes` (the rest is discarded). */
function readBounded(req: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length']) > maxBytes) {
      req.resume();
      resolve(undefined);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > maxBytes) {
        over = true;
        chunks.length = 0;
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!over) resolve(Buffer.concat(chunks, size));
    });
    req.on('error', reject);
  });
}

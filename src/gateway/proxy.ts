/**
 * The gateway face: one proxied request as `node:http` plumbing around the
 * runtime's lifecycle (runtime/exchange/):
 *
 * 1. authenticate the tenant by its key, before reading the body;
 * 2. read the body within the size limit and undo its content-encoding;
 * 3. `readCall` turns it into a `Call` (or a refusal), `serveCall` runs it
 *    through the governor (this object is the `Transport`) and hands back
 *    the `Answer`;
 * 4. write the answer; a success's body is pumped from the upstream through
 *    the answer's `Relay` to the client, with backpressure both ways.
 *
 * Nothing here decides a status, a header or an error body: the runtime
 * does, the same way for `governor.fetch`.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Endpoint } from '../providers/adapter.js';
import { API_FAMILIES, type ApiFamily } from '../providers/api-family.js';
import { type Answer, type AnswerOptions, refusalAnswer } from '../runtime/exchange/answer.js';
import type { Transport } from '../runtime/exchange/call.js';
import { readCall } from '../runtime/exchange/inbound.js';
import type { Relay } from '../runtime/exchange/relay.js';
import { serveCall } from '../runtime/exchange/serve.js';
import { type Refusal, refusal } from '../runtime/refusal.js';
import type { UpstreamTarget } from '../runtime/upstream-target.js';
import { presentedKey } from './auth.js';
import { abortConnection } from './client-abort.js';
import type { GatewayContext, InFlight } from './context.js';
import { NodeInbound } from './node-inbound.js';
import { RequestLog } from './request-log.js';
import { writeAnswer } from './respond.js';
import type { BodySink, UpstreamCall } from './transport.js';

export interface ProxyRoute {
  /** The path clients call, e.g. `/v1/chat/completions` (also the log's `path`). */
  readonly path: string;
  readonly family: ApiFamily;
  readonly endpoint: Endpoint;
  /** The model group the path names (Gemini's native API), already checked by the route. */
  readonly model?: string;
}

type Phase = 'body' | 'serving' | 'relaying' | 'done';

export function handleProxy(
  ctx: GatewayContext,
  route: ProxyRoute,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  new ProxyExchange(ctx, route, req, res).start();
}

/** One proxied request: the runtime's `InboundRequest` (NodeInbound) and `Transport`, the relay's sink, drain's `InFlight`. */
class ProxyExchange extends NodeInbound implements Transport<UpstreamCall>, BodySink, InFlight {
  private phase: Phase = 'body';
  private tenant: string | undefined;
  private upstream: UpstreamCall | undefined;
  private relay: Relay | undefined;
  private readonly options: AnswerOptions;
  private readonly log: RequestLog;

  constructor(
    private readonly ctx: GatewayContext,
    private readonly route: ProxyRoute,
    req: IncomingMessage,
    private readonly res: ServerResponse,
  ) {
    super(req);
    const id = randomUUID();
    const settings = ctx.settings;
    this.options = {
      family: route.family,
      requestId: id,
      maxClientWaitMs: ctx.governor.maxClientWaitMs,
      deploymentHeader: settings.deploymentHeader,
    };
    this.log = new RequestLog(ctx, id, req.method ?? 'POST', route.path);
  }

  // --- intake ---

  start(): void {
    const { ctx, req, res } = this;
    ctx.inFlight.add(this);
    // `on`, not `once`: each fires at most once per request or is idempotent, and `once` allocates a wrapper.
    res.on('close', () => this.onClientClose());
    if (ctx.draining) {
      this.refuse(
        refusal('shutting_down', 'The gateway is shutting down; retry against another instance.', {
          retryAfterMs: 1_000,
        }),
      );
      return;
    }
    const key = presentedKey(req.headers);
    this.tenant = key === undefined ? undefined : ctx.keys.tenantOf(key);
    if (this.tenant === undefined) {
      this.refuse(refusal('unauthenticated', unauthenticated(this.route.family)));
      return;
    }
    this.log.tenant = this.tenant;
    if (this.announcedOver(ctx.settings.maxBodyBytes)) {
      this.tooLarge();
      return;
    }
    req.on('data', (chunk: Buffer) => this.onRequestData(chunk));
    req.on('end', () => void this.onRequestEnd());
    req.on('error', () => this.onClientClose());
  }

  private onRequestData(chunk: Buffer): void {
    if (this.phase === 'body' && !this.collect(chunk, this.ctx.settings.maxBodyBytes)) this.tooLarge();
  }

  private tooLarge(): void {
    // The rest of the body is not worth reading: close the connection after the answer.
    this.res.shouldKeepAlive = false;
    const limit = this.ctx.settings.maxBodyBytes;
    this.refuse(
      refusal('body_too_large', `Request body too large: the gateway accepts at most ${limit} bytes.`),
    );
  }

  private async onRequestEnd(): Promise<void> {
    if (this.phase !== 'body') return;
    const decoded = this.decodeCollected(this.ctx.settings.maxBodyBytes);
    if (!decoded.ok) {
      this.refuse(refusal(decoded.code, decoded.message));
      return;
    }
    const governor = this.ctx.governor;
    const read = readCall(this, this.route, {
      id: this.options.requestId,
      tenant: this.tenant as string,
      classes: governor.classes,
      forwarding: 'allow-list',
    });
    if (!read.ok) {
      this.refuse(read.refusal);
      return;
    }
    const call = read.call;
    this.phase = 'serving';
    this.log.call = call;
    const answer = await serveCall(governor, call, this, this.options);
    if (this.isDone()) {
      // The client left while the governor worked: give back what the answer holds.
      answer.relay?.cancel();
      return;
    }
    this.write(answer);
  }

  /** Transport: one attempt upstream. */
  send(target: UpstreamTarget, signal: AbortSignal | undefined): Promise<UpstreamCall> {
    const upstream = this.ctx.pools.send(target);
    this.upstream = upstream;
    if (signal?.aborted) upstream.abort();
    return upstream.started;
  }

  // --- the answer ---

  private refuse(why: Refusal): void {
    if (this.phase === 'done') return;
    this.write(refusalAnswer(why, this.options));
  }

  private write(answer: Answer): void {
    this.log.answered(answer);
    const relay = answer.relay;
    if (!relay || answer.status === 499) {
      if (answer.status !== 499) writeAnswer(this.res, answer);
      this.finish();
      return;
    }
    const headers = answer.headers;
    if (answer.contentLength !== undefined) headers.push('content-length', answer.contentLength);
    this.res.writeHead(answer.status, headers);
    this.relay = relay;
    this.phase = 'relaying';
    this.upstream?.pipeTo(this);
  }

  // --- BodySink: the upstream body, through the relay, to the client ---

  onData(chunk: Buffer): boolean {
    const relay = this.relay;
    if (this.phase !== 'relaying' || !relay) return true;
    const out = relay.push(chunk);
    return out.length === 0 ? true : this.writeOut(out);
  }

  private writeOut(bytes: Uint8Array): boolean {
    const ok = this.res.write(bytes);
    if (!ok) this.res.once('drain', () => this.upstream?.resume());
    return ok;
  }

  onEnd(): void {
    const relay = this.relay;
    if (this.phase !== 'relaying' || !relay) return;
    const rest = relay.end();
    if (rest.length > 0) this.res.write(rest);
    this.res.end();
    this.log.relayed(relay);
    this.finish();
  }

  onError(error: Error): void {
    const relay = this.relay;
    if (this.phase !== 'relaying' || !relay) return;
    // Bytes already went out: nothing can be retried. A translated stream ends with the caller's
    // own error event; a native one is cut, as the upstream cut it.
    const rest = relay.fail(error.message);
    this.log.cutUpstream(error.message, relay);
    this.endRelayed(rest);
    this.finish();
  }

  // --- the end ---

  private onClientClose(): void {
    if (this.phase === 'done' || this.res.writableFinished) return;
    this.log.clientGone();
    abortConnection(this.req.socket);
    this.upstream?.abort();
    if (this.relay) {
      this.relay.fail();
      this.log.relayed(this.relay);
    }
    this.finish();
  }

  /**
   * Drain deadline. Nothing sent yet: 503 with Retry-After in the caller's format (another
   * instance can serve it). A stream under way can only be cut. Either way the governor lets
   * go of the call (the connection's signal) and the reservation is settled.
   */
  cut(reason: string): void {
    if (this.phase === 'done') return;
    this.log.cut = reason;
    if (this.phase !== 'relaying') {
      this.res.shouldKeepAlive = false;
      const message =
        'The gateway is shutting down and could not finish this request in time; retry against another instance.';
      this.refuse(refusal('drain_timeout', message, { retryAfterMs: 1_000 }));
      // Signal first: the aborted attempt is then the caller's leaving, not an upstream failure.
      abortConnection(this.req.socket);
      this.upstream?.abort();
      return;
    }
    const rest = this.relay?.fail('the gateway is shutting down') ?? new Uint8Array(0);
    // Done before the upstream abort, whose error would otherwise be logged as the caller gone.
    this.phase = 'done';
    abortConnection(this.req.socket);
    this.upstream?.abort();
    this.endRelayed(rest);
    this.finish();
  }

  /** Closes a relayed answer: with its last bytes (a translated stream's error event), else cut. */
  private endRelayed(rest: Uint8Array): void {
    if (rest.length > 0) this.res.end(rest);
    else this.res.destroy();
  }

  /** Read through a method: the phase changes while a call awaits the governor. */
  private isDone(): boolean {
    return this.phase === 'done';
  }

  private finish(): void {
    if (this.phase === 'done' && !this.ctx.inFlight.has(this)) return;
    this.phase = 'done';
    this.ctx.inFlight.delete(this);
    this.log.write();
  }
}

function unauthenticated(family: ApiFamily): string {
  return API_FAMILIES[family].unauthenticated;
}

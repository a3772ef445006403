/**
 * One proxied request, from the first byte in to the last byte out:
 *
 * 1. authenticate the tenant by its gateway key (before reading the body);
 * 2. read the body with a size limit and parse the JSON once — admission
 *    needs the model, `stream` and what the tokenizer counts; the raw bytes
 *    are what goes upstream unless the runtime must change them;
 * 3. `governor.execute` admits (or queues, or refuses), routes, sends
 *    through this object (it is the `Transport`), retries and falls back;
 * 4. the outcome is written: a success streams through as it arrives, with
 *    usage tapped and the reservation settled exactly once — at the end, on
 *    an upstream error, or when the client goes away; an upstream error is
 *    relayed as received; a refusal is written in the provider's format.
 *
 * One object per request holds all of this, so the hot path allocates it,
 * the `Call` and a handful of closures, and nothing per chunk but what the
 * usage tap needs.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Cost, Usage } from '../core/cost.js';
import type { Endpoint, ProviderAdapter, UsageTap } from '../providers/adapter.js';
import type { ApiFamily } from '../runtime/api-family.js';
import { type Call, type Outcome, streams, type Transport } from '../runtime/call.js';
import { readControlHeaders } from '../runtime/control-headers.js';
import { forwardableHeaders } from '../runtime/forwarding.js';
import { type Refusal, refusalPayload } from '../runtime/refusal.js';
import type { Settlement } from '../runtime/settlement.js';
import { usageToSettle } from '../runtime/stream/settle-stream.js';
import { UsageChunkFilter } from '../runtime/stream/usage-chunk-filter.js';
import type { TenantBudget } from '../runtime/tenant-budget.js';
import type { UpstreamTarget } from '../runtime/upstream-target.js';
import { StoreUnavailableError } from '../stores/redis/errors.js';
import { presentedKey } from './auth.js';
import { abortConnection, connectionSignal } from './client-abort.js';
import type { GatewayContext, InFlight } from './context.js';
import { budgetFromSnapshots, pushBudgetHeaders } from './headers.js';
import { MAX_JSON_NESTING, nestsDeeperThan } from './json-nesting.js';
import type { RequestLogLine } from './logging.js';
import { decodeRequestBody } from './request-encoding.js';
import { errorAdapter, sendJson } from './respond.js';
import type { BodySink, UpstreamCall } from './transport.js';
import { bodyForUsage } from './usage-body.js';

export interface ProxyRoute {
  /** The path clients call, e.g. `/v1/chat/completions` (also the log's `path`). */
  readonly path: string;
  readonly family: ApiFamily;
  readonly endpoint: Endpoint;
  /** The model group the path names (Gemini's native API), already checked by the route. */
  readonly model?: string;
}

/** Upstream response headers a tenant may see; rate-limit headers describe the upstream key, not the tenant. */
const RELAYED = [
  'content-type',
  'x-request-id',
  'request-id',
  'openai-processing-ms',
  'openai-version',
  'cache-control',
] as const;

/** Non-streamed bodies bigger than this are relayed without reading their usage (the estimate stands). */
const MAX_USAGE_BODY = 8 * 1024 * 1024;

type Phase = 'body' | 'admission' | 'streaming' | 'done';

export function handleProxy(
  ctx: GatewayContext,
  route: ProxyRoute,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  new ProxyExchange(ctx, route, req, res).start();
}

class ProxyExchange implements Transport<UpstreamCall>, BodySink, InFlight {
  private phase: Phase = 'body';
  private readonly startedAt = performance.now();
  private tenantId: string | undefined;
  private chunks: Buffer[] = [];
  private size = 0;
  private call: Call | undefined;
  private upstream: UpstreamCall | undefined;
  private settlement: Settlement | undefined;
  private adapter: ProviderAdapter | undefined;
  private tap: UsageTap | undefined;
  private filter: UsageChunkFilter | undefined;
  private collected: Buffer[] | undefined;
  private collectedSize = 0;
  private usage: Usage | undefined;
  private readonly log: RequestLogLine;

  constructor(
    private readonly ctx: GatewayContext,
    private readonly route: ProxyRoute,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
  ) {
    this.log = {
      method: req.method ?? 'POST',
      path: route.path,
      status: 0,
      tenant: undefined,
      group: undefined,
      deployment: undefined,
      priority: undefined,
      wait_ms: undefined,
      duration_ms: 0,
      input_tokens: undefined,
      output_tokens: undefined,
      retries: 0,
      stream: false,
      refusal: undefined,
      upstream_error: undefined,
      aborted: false,
      cut: undefined,
    };
  }

  start(): void {
    const { ctx, req, res } = this;
    ctx.inFlight.add(this);
    // `on`, not `once`: each of these fires at most once per request or is idempotent, and `once`
    // allocates a wrapper per listener.
    res.on('close', () => this.onClientClose());
    if (ctx.draining) {
      this.refuseEarly(
        503,
        'overloaded',
        'The gateway is shutting down; retry against another instance.',
        'shutting_down',
        1_000,
      );
      return;
    }
    const key = presentedKey(req.headers);
    const tenant = key === undefined ? undefined : ctx.keys.tenantOf(key);
    if (tenant === undefined) {
      const message =
        this.route.family === 'anthropic'
          ? 'invalid x-api-key'
          : this.route.family === 'gemini'
            ? 'API key not valid. Use the key your gateway operator gave you.'
            : 'Incorrect API key provided. Use the key your gateway operator gave you.';
      this.refuseEarly(401, 'authentication', message, 'unauthenticated');
      return;
    }
    this.tenantId = tenant;
    this.log.tenant = tenant;
    const declared = Number(req.headers['content-length']);
    if (declared > ctx.settings.maxBodyBytes) {
      this.tooLarge();
      return;
    }
    req.on('data', (chunk: Buffer) => this.onRequestData(chunk));
    req.on('end', () => void this.onRequestEnd());
    req.on('error', () => this.onClientClose());
  }

  // --- request body ---

  private onRequestData(chunk: Buffer): void {
    if (this.phase !== 'body') return;
    this.size += chunk.length;
    if (this.size > this.ctx.settings.maxBodyBytes) {
      this.chunks = [];
      this.tooLarge();
      return;
    }
    this.chunks.push(chunk);
  }

  private tooLarge(): void {
    // The rest of the body is not worth reading: close the connection after the answer.
    this.res.shouldKeepAlive = false;
    this.refuseEarly(
      413,
      'request_too_large',
      `Request body too large: the gateway accepts at most ${this.ctx.settings.maxBodyBytes} bytes.`,
      'body_too_large',
    );
  }

  private async onRequestEnd(): Promise<void> {
    if (this.phase !== 'body') return;
    const received =
      this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks, this.size);
    this.chunks = [];
    const encoding = this.req.headers['content-encoding'];
    let raw = received;
    if (encoding !== undefined) {
      const decoded = decodeRequestBody(received, encoding, this.ctx.settings.maxBodyBytes);
      if (!decoded.ok) {
        const kind = decoded.status === 413 ? 'request_too_large' : 'invalid_request';
        this.refuseEarly(decoded.status, kind, decoded.message, 'invalid_encoding');
        return;
      }
      raw = decoded.body;
    }
    if (nestsDeeperThan(raw, MAX_JSON_NESTING)) {
      this.refuseEarly(
        400,
        'invalid_request',
        `The request body nests arrays and objects more than ${MAX_JSON_NESTING} levels deep.`,
        'json_too_deep',
      );
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      this.refuseEarly(
        400,
        'invalid_request',
        'We could not parse the JSON body of your request. The body must be a JSON object.',
        'invalid_json',
      );
      return;
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      this.refuseEarly(400, 'invalid_request', 'The request body must be a JSON object.', 'invalid_json');
      return;
    }
    const fields = body as Record<string, unknown>;
    // Gemini's native API names the model in the path; the others in the body.
    const model = this.route.family === 'gemini' ? this.route.model : fields.model;
    if (typeof model !== 'string' || model.length === 0) {
      this.refuseEarly(400, 'invalid_request', 'You must provide a model parameter.', 'missing_model');
      return;
    }
    this.phase = 'admission';
    await this.execute(model, fields, raw);
  }

  // --- governor ---

  private async execute(model: string, body: Record<string, unknown>, raw: Buffer): Promise<void> {
    const { req, route } = this;
    const headers = req.headers;
    // Only what the family's forwarding table can pass on enters the call: never the tenant's key.
    const forwardHeaders: Record<string, string> = {};
    for (const name of forwardableHeaders(route.family)) {
      const value = headers[name];
      if (typeof value === 'string') forwardHeaders[name] = value;
    }
    const control = readControlHeaders((name) => {
      const value = headers[name];
      return typeof value === 'string' ? value : undefined;
    }, this.ctx.governor.classes);
    if (!control.ok) {
      this.refuseEarly(400, 'invalid_request', control.message, control.code);
      return;
    }
    const stream = streams(body, route.endpoint);
    this.log.stream = stream;
    this.log.group = model;
    const call: Call = {
      family: route.family,
      endpoint: route.endpoint,
      method: 'POST',
      path: req.url ?? '/',
      body,
      rawBody: raw,
      stream,
      forwardHeaders,
      forwarding: 'allow-list',
      model,
      tenant: this.tenantId as string,
      priority: control.priority,
      maxWaitMs: control.maxWaitMs,
      signal: connectionSignal(req.socket),
      downgrade: control.downgrade,
    };
    this.call = call;
    let outcome: Outcome<UpstreamCall>;
    try {
      outcome = await this.ctx.governor.execute(call, this);
    } catch (error) {
      this.executeFailed(error);
      return;
    }
    if (this.phase === 'done') {
      // The client left while the governor worked: give back what it holds.
      if (outcome.kind === 'success') {
        outcome.reply.abort();
        void outcome.settlement.settle();
      }
      return;
    }
    switch (outcome.kind) {
      case 'success':
        this.writeSuccess(outcome);
        return;
      case 'upstream_error':
        await this.writeUpstreamError(outcome);
        return;
      case 'refused':
        await this.writeRefusal(outcome.refusal, outcome.budget, outcome.priority);
        return;
    }
  }

  /** Transport: one attempt upstream. */
  send(target: UpstreamTarget, signal: AbortSignal | undefined): Promise<UpstreamCall> {
    const upstream = this.ctx.pools.send(target);
    this.upstream = upstream;
    if (signal?.aborted) upstream.abort();
    return upstream.started;
  }

  private executeFailed(error: unknown): void {
    if (this.phase === 'done') return;
    if (error instanceof StoreUnavailableError) {
      void this.writeRefusal(
        {
          code: 'store_unavailable',
          status: 503,
          message: 'Rate-limit state is unavailable; this gateway refuses calls until it returns.',
          retryAfterMs: error.retryAfterMs,
          shouldRetry: true,
        },
        undefined,
        undefined,
      );
      return;
    }
    this.ctx.logger.error(
      { err: error, tenant: this.tenantId, group: this.log.group },
      'request failed inside the gateway',
    );
    this.refuseEarly(500, 'api_error', 'The gateway failed to handle this request.', 'internal_error');
  }

  // --- success: stream the body through ---

  private writeSuccess(outcome: Extract<Outcome<UpstreamCall>, { kind: 'success' }>): void {
    const { reply, target, settlement } = outcome;
    const call = this.call as Call;
    this.settlement = settlement;
    this.adapter = target.deployment.adapter;
    this.log.deployment = target.deployment.id;
    this.log.priority = outcome.priority;
    this.log.wait_ms = outcome.waitedMs;
    this.log.retries = outcome.attempts - 1;
    this.log.status = reply.status;

    const out: string[] = [];
    const upstreamHeaders = reply.rawHeaders;
    for (const name of RELAYED) {
      const value = upstreamHeaders[name];
      if (typeof value === 'string') out.push(name, value);
    }
    const contentType = upstreamHeaders['content-type'];
    const streamed = call.stream || (typeof contentType === 'string' && contentType.includes('event-stream'));
    if (streamed) {
      this.tap = this.adapter.createUsageTap(call.endpoint);
      if (target.addedStreamUsage) this.filter = new UsageChunkFilter();
    } else {
      const length = upstreamHeaders['content-length'];
      if (typeof length === 'string') out.push('content-length', length);
      // Ungoverned calls (count_tokens) hold no tokens: nothing to read back.
      if (settlement.admitted.request.cost.requests > 0) this.collected = [];
    }
    pushBudgetHeaders(out, outcome.budget);
    if (this.ctx.settings.deploymentHeader) out.push('x-sluice-deployment', target.deployment.id);
    this.res.writeHead(reply.status, out);
    this.phase = 'streaming';
    reply.pipeTo(this);
  }

  onData(chunk: Buffer): boolean {
    if (this.phase !== 'streaming') return true;
    const tap = this.tap;
    if (tap) {
      tap.push(chunk);
      const filter = this.filter;
      if (filter) {
        const out = filter.push(chunk);
        return out.length === 0 ? true : this.write(out);
      }
      return this.write(chunk);
    }
    const collected = this.collected;
    if (collected) {
      this.collectedSize += chunk.length;
      if (this.collectedSize <= MAX_USAGE_BODY) collected.push(chunk);
      else this.collected = undefined;
    }
    return this.write(chunk);
  }

  private write(chunk: Uint8Array): boolean {
    const ok = this.res.write(chunk);
    if (!ok) this.res.once('drain', () => this.upstream?.resume());
    return ok;
  }

  onEnd(): void {
    if (this.phase !== 'streaming') return;
    const rest = this.filter?.end();
    if (rest && rest.length > 0) this.res.write(rest);
    this.res.end();
    // An error event inside a 200 stream (Anthropic `overloaded_error`) reached the client as sent; log it.
    const streamError = this.tap?.error();
    if (streamError) this.log.upstream_error = streamError.kind;
    this.settle(true);
    this.finish();
  }

  onError(error: Error): void {
    if (this.phase !== 'streaming') return;
    // Bytes already went out: nothing can be retried; the client sees a cut stream.
    this.log.upstream_error = error.message;
    this.settle(false);
    this.res.destroy();
    this.finish();
  }

  /** Settles once with the best usage known (`complete`: the body arrived in full). */
  private settle(complete: boolean): void {
    const settlement = this.settlement;
    if (!settlement || settlement.settled) return;
    const estimate: Cost = settlement.admitted.request.cost;
    let usage: Usage | undefined;
    if (this.tap) {
      usage = usageToSettle(this.tap, estimate);
    } else if (complete && this.collected && this.adapter) {
      const collected = this.collected;
      const raw = collected.length === 1 ? (collected[0] as Buffer) : Buffer.concat(collected);
      const body = bodyForUsage(raw);
      usage = body === undefined ? undefined : this.adapter.usageFromBody((this.call as Call).endpoint, body);
    }
    this.usage = usage;
    void settlement.settle(usage);
  }

  // --- upstream errors and refusals ---

  private async writeUpstreamError(
    outcome: Extract<Outcome<UpstreamCall>, { kind: 'upstream_error' }>,
  ): Promise<void> {
    const { reply, error, target } = outcome;
    const deployment = target.deployment;
    this.log.deployment = deployment.id;
    this.log.priority = outcome.priority;
    this.log.retries = outcome.attempts - 1;
    this.log.upstream_error = error.kind;
    // Where and why (an address, a timeout) is the operator's: it goes to the log line, not the answer.
    if (!reply && error.message) this.log.upstream_detail = error.message;
    const headers: string[] = [];
    if (outcome.budget) pushBudgetHeaders(headers, outcome.budget);
    else await this.pushTenantBudget(headers);
    if (this.phase === 'done') return;
    const adapter = deployment.adapter;
    if (!error.retryable) headers.push('x-should-retry', 'false');
    if (this.ctx.settings.deploymentHeader) headers.push('x-sluice-deployment', deployment.id);
    if (!reply) {
      this.sendBadGateway(
        adapter,
        `The upstream of model \`${this.log.group}\` could not be reached.`,
        headers,
      );
      return;
    }
    if (reply.status === 401 || reply.status === 403) {
      // The provider refused the gateway's own credentials: a tenant's retry or new key cannot fix that.
      this.sendBadGateway(
        adapter,
        `The provider refused the gateway's credentials for model \`${this.log.group}\` (HTTP ${reply.status}); tell the gateway operator.`,
        headers,
      );
      return;
    }
    const upstreamHeaders = reply.rawHeaders;
    for (const name of [
      'content-type',
      'retry-after',
      'retry-after-ms',
      'x-request-id',
      'request-id',
    ] as const) {
      const value = upstreamHeaders[name];
      if (typeof value === 'string') headers.push(name, value);
    }
    this.log.status = reply.status;
    if (!this.res.headersSent && !this.res.destroyed) {
      headers.push('content-length', String(Buffer.byteLength(outcome.bodyText)));
      this.res.writeHead(reply.status, headers);
      this.res.end(outcome.bodyText);
    }
    this.finish();
  }

  /** 502 in the client's API format: the upstream failed in a way the client cannot fix by retrying alone. */
  private sendBadGateway(adapter: ProviderAdapter, message: string, headers: string[]): void {
    this.log.status = 502;
    sendJson(
      this.res,
      502,
      adapter.errorPayload('api_error', message, this.route.endpoint, 502).body,
      headers,
    );
    this.finish();
  }

  private async writeRefusal(
    refusal: Refusal,
    budget: TenantBudget | undefined,
    priority: string | undefined,
  ): Promise<void> {
    this.log.priority = priority;
    this.log.refusal = refusal.code;
    if (refusal.status === 499) {
      // The caller went away: nobody reads an answer.
      this.log.status = 499;
      this.log.aborted = true;
      this.finish();
      return;
    }
    const adapter = this.groupAdapter();
    const payload = refusalPayload(refusal, adapter, this.route.endpoint);
    const headers: string[] = [];
    for (const [name, value] of Object.entries(payload.headers)) headers.push(name, value);
    // Both kinds of "not now" must say when to come back, even if the runtime had no estimate.
    if (
      refusal.shouldRetry &&
      payload.headers['retry-after'] === undefined &&
      (payload.status === 429 || payload.status === 503)
    ) {
      headers.push('retry-after', '1');
    }
    if (budget) pushBudgetHeaders(headers, budget);
    else await this.pushTenantBudget(headers);
    if (this.phase === 'done') return;
    this.log.status = payload.status;
    sendJson(this.res, payload.status, payload.body, headers);
    this.finish();
  }

  /** An answer the gateway gives before (or instead of) the governor. */
  private refuseEarly(
    status: number,
    kind: Parameters<ProviderAdapter['errorPayload']>[0],
    message: string,
    code: string,
    retryAfterMs?: number,
  ): void {
    if (this.phase === 'done') return;
    this.phase = 'done';
    this.log.status = status;
    this.log.refusal = code;
    const headers: string[] = ['x-sluice-refusal', code];
    if (retryAfterMs !== undefined) headers.push('retry-after', String(Math.ceil(retryAfterMs / 1000)));
    if (status === 401 || status === 400 || status === 413 || status === 415)
      headers.push('x-should-retry', 'false');
    const payload = errorAdapter(this.route.family).errorPayload(kind, message, this.route.endpoint, status);
    sendJson(this.res, status, payload.body, headers);
    this.finish();
  }

  private groupAdapter(): ProviderAdapter {
    const model = this.call?.model;
    const group = model === undefined ? undefined : this.ctx.governor.groups.group(model);
    return group?.serves(this.route.family) ? group.adapter : errorAdapter(this.route.family);
  }

  /** The tenant's budget read from the store, for answers no admission produced. */
  private async pushTenantBudget(headers: string[]): Promise<void> {
    if (this.tenantId === undefined) return;
    const tenant = this.ctx.governor.groups.tenants.resolve(this.tenantId);
    if (tenant.buckets.length === 0) return;
    try {
      const snapshots = await this.ctx.governor.store.peek(tenant.buckets);
      pushBudgetHeaders(headers, budgetFromSnapshots(tenant, snapshots));
    } catch {
      // No budget headers is better than no answer.
    }
  }

  // --- the end ---

  private onClientClose(): void {
    if (this.phase === 'done') return;
    if (this.res.writableFinished) return;
    this.log.aborted = true;
    if (this.log.status === 0) this.log.status = 499;
    abortConnection(this.req.socket);
    this.upstream?.abort();
    if (this.phase === 'streaming') this.settle(false);
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
    if (this.phase !== 'streaming') {
      this.res.shouldKeepAlive = false;
      this.refuseEarly(
        503,
        'overloaded',
        'The gateway is shutting down and could not finish this request in time; retry against another instance.',
        reason,
        1_000,
      );
      // Signal first: the aborted attempt is then the caller's leaving, not an upstream failure.
      abortConnection(this.req.socket);
      this.upstream?.abort();
      return;
    }
    this.settle(false);
    // Done before the upstream abort, whose error would otherwise be logged as the caller gone.
    this.phase = 'done';
    abortConnection(this.req.socket);
    this.upstream?.abort();
    this.res.destroy();
    this.finish();
  }

  private finish(): void {
    if (this.phase === 'done' && !this.ctx.inFlight.has(this)) return;
    this.phase = 'done';
    this.ctx.inFlight.delete(this);
    const log = this.log;
    log.duration_ms = Math.round((performance.now() - this.startedAt) * 1000) / 1000;
    if (this.usage) {
      log.input_tokens = this.usage.inputTokens;
      log.output_tokens = this.usage.outputTokens;
    }
    // Only declared groups become label values: a client's made-up model names must not grow the metrics.
    const group = log.group !== undefined && this.ctx.governor.groups.group(log.group) ? log.group : '';
    this.ctx.metrics?.recordRequest({ tenant: log.tenant ?? '', group, status: log.status });
    if (this.ctx.settings.logRequests) this.ctx.logger.info(log, 'request');
  }
}

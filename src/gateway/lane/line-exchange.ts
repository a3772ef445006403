/**
 * One batch line as the gateway runs it: the same lifecycle as a proxied
 * request (`readCall` → `serveCall` → the `Answer`), with the line's body
 * in place of a socket's and the answer's body read whole instead of
 * relayed to a client. So a line is admitted, routed, retried, translated,
 * settled, logged and counted exactly like an interactive call of its
 * tenant; only its priority class differs (`background`, or the tenant's
 * own when the lane's minimum share promotes it).
 */
import { randomUUID } from 'node:crypto';
import type { LineAnswer, LineRequest } from '../../batches/drain/line-request.js';
import { type Answer, type AnswerOptions, refusalAnswer } from '../../runtime/exchange/answer.js';
import type { Transport } from '../../runtime/exchange/call.js';
import { type InboundRequest, readCall } from '../../runtime/exchange/inbound.js';
import { serveCall } from '../../runtime/exchange/serve.js';
import { REFUSALS } from '../../runtime/refusal.js';
import type { UpstreamTarget } from '../../runtime/upstream-target.js';
import type { GatewayContext } from '../context.js';
import { RequestLog } from '../request-log.js';
import { PROXY_ROUTES } from '../routes.js';
import type { BodySink, UpstreamCall } from '../transport.js';

/** The control header that names a call's class (runtime/control-headers.ts reads it). */
const PRIORITY_HEADER = 'x-sluice-priority';

/** Longest answer body a line keeps (a batch line's answer is one JSON completion). */
const MAX_LINE_ANSWER_BYTES = 16 * 1024 * 1024;

/** Runs one line through the gateway's governor as its tenant; never throws. */
export function runLine(ctx: GatewayContext, request: LineRequest): Promise<LineAnswer> {
  return new LineExchange(ctx, request).run();
}

class LineExchange implements InboundRequest, Transport<UpstreamCall> {
  readonly method = 'POST';
  readonly url: string;
  readonly body: string;
  readonly signal: AbortSignal | undefined;
  private upstream: UpstreamCall | undefined;
  private readonly options: AnswerOptions;
  private readonly log: RequestLog;

  constructor(
    private readonly ctx: GatewayContext,
    private readonly request: LineRequest,
  ) {
    this.url = request.url;
    this.body = JSON.stringify(request.body);
    this.signal = request.signal;
    const id = randomUUID();
    this.options = {
      family: request.family,
      requestId: id,
      maxClientWaitMs: ctx.governor.maxClientWaitMs,
      deploymentHeader: false,
    };
    this.log = new RequestLog(ctx, id, 'POST', request.url);
    this.log.tenant = request.tenant;
  }

  header(name: string): string | undefined {
    return name === PRIORITY_HEADER ? this.request.priority : undefined;
  }

  *headers(): Iterable<readonly [string, string]> {}

  async run(): Promise<LineAnswer> {
    const route = PROXY_ROUTES.find((r) => r.path === this.request.url && r.family === this.request.family);
    const requestId = this.options.requestId;
    if (!route) {
      return {
        status: 400,
        requestId,
        body: undefined,
        final: true,
        error: unsupportedUrl(this.request.url),
      };
    }
    const read = readCall(this, route, {
      id: requestId,
      tenant: this.request.tenant,
      classes: this.ctx.governor.classes,
      forwarding: 'allow-list',
    });
    const answer = read.ok ? await this.serve(read.call) : refusalAnswer(read.refusal, this.options);
    return this.read(answer);
  }

  private async serve(call: Parameters<typeof serveCall>[1]): Promise<Answer> {
    this.log.call = call;
    return serveCall(this.ctx.governor, call, this, this.options);
  }

  /** Transport: one attempt upstream. */
  send(target: UpstreamTarget, signal: AbortSignal | undefined): Promise<UpstreamCall> {
    const upstream = this.ctx.pools.send(target);
    this.upstream = upstream;
    if (signal?.aborted) upstream.abort();
    return upstream.started;
  }

  /** The answer's body read whole: the relay settles the reservation with the usage it reports. */
  private async read(answer: Answer): Promise<LineAnswer> {
    this.log.answered(answer);
    const requestId = this.options.requestId;
    const refusal = answer.report.refusal;
    const relay = answer.relay;
    if (!relay || !this.upstream) {
      this.log.write();
      return {
        status: answer.status,
        requestId,
        body: parseBody(answer.body),
        refusal,
        retryAfterMs: answer.report.retryAfterMs,
        // Whether running the line again could answer otherwise: a refusal says so itself; an upstream error
        // the governor already retried is final unless it is an overload or a server error.
        final: refusal === undefined ? answer.status < 500 && answer.status !== 429 : REFUSALS[refusal].final,
      };
    }
    const upstream = this.upstream;
    const text = await new Promise<string | Error>((resolve) => {
      const parts: Uint8Array[] = [];
      let size = 0;
      const sink: BodySink = {
        onData(chunk) {
          const out = relay.push(chunk);
          size += out.length;
          if (size <= MAX_LINE_ANSWER_BYTES) parts.push(out);
          return true;
        },
        onEnd() {
          parts.push(relay.end());
          resolve(Buffer.concat(parts).toString('utf8'));
        },
        onError(error) {
          relay.fail(error.message);
          resolve(error);
        },
      };
      upstream.pipeTo(sink);
    });
    if (text instanceof Error) {
      this.log.cutUpstream(text.message, relay);
      this.log.write();
      // The answer was cut after its headers: nothing was delivered, the line may run again.
      return {
        status: 502,
        requestId,
        body: undefined,
        final: false,
        error: { code: 'upstream_cut', message: text.message },
      };
    }
    this.log.relayed(relay);
    this.log.write();
    const usage = relay.usage;
    return {
      status: answer.status,
      requestId,
      body: parseBody(text),
      tokens: usage ? usage.inputTokens + usage.outputTokens : undefined,
      final: true,
    };
  }
}

function parseBody(text: string | undefined): unknown {
  if (text === undefined || text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function unsupportedUrl(url: string): { code: string; message: string } {
  return { code: 'invalid_url', message: `Batch lines cannot call ${url}.` };
}

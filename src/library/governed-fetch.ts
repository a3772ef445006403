/**
 * `governor.fetch`: a drop-in `fetch` for the official `openai` and
 * `@anthropic-ai/sdk` clients (`new OpenAI({ fetch: governor.fetch })`).
 * It reads what admission needs from the request, lets the governor admit,
 * route, send, retry and fall back, taps usage from the response (streams
 * included, without buffering them) and settles. Refusals come back as the
 * provider would send them (status, error JSON, `retry-after`,
 * `x-should-retry: false` when retrying cannot help), so the SDK's own error
 * classes and backoff work unchanged.
 *
 * Requests for models no group declares pass through untouched.
 */
import type { Cost } from '../core/cost.js';
import type { Endpoint, ProviderAdapter } from '../providers/adapter.js';
import { geminiModelFromPath } from '../providers/gemini/endpoints.js';
import { type ApiFamily, familyOfPath } from '../runtime/api-family.js';
import { type Call, type Outcome, streams, type Transport, type UpstreamReply } from '../runtime/call.js';
import { CONTROL_HEADERS, readControlHeaders } from '../runtime/control-headers.js';
import type { Forwarding } from '../runtime/forwarding.js';
import type { Governor } from '../runtime/governor.js';
import { refusalPayload } from '../runtime/refusal.js';
import type { Settlement } from '../runtime/settlement.js';
import { usageToSettle } from '../runtime/stream/settle-stream.js';
import { UsageChunkFilter } from '../runtime/stream/usage-chunk-filter.js';
import type { UpstreamTarget } from '../runtime/upstream-target.js';

export interface GovernedFetchOptions {
  /** The fetch that reaches providers. Default: the global fetch. */
  fetch?: typeof fetch;
  /** Tenant of calls that do not name one (header `x-sluice-tenant`). Default `default`. */
  tenant?: string;
  /** Priority class of calls that do not name one (header `x-sluice-priority`). */
  priority?: string;
  /**
   * What of the app's request besides the body goes upstream. `as-sent`
   * (default): every header (the SDK's key when a deployment has none of
   * its own, `openai-organization`, betas) and the whole query, as plain
   * `fetch` would send them: the app is the one calling. `allow-list`: only
   * what the gateway forwards for its tenants (tracing, API version, betas
   * the deployment's `forwardBetas` allows, Gemini's `alt=sse`); use it
   * when the requests come from code you do not trust with your keys.
   */
  forwarding?: Forwarding;
}

/** Connection-level headers that belong to this hop, not to the upstream call. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'host',
  'accept-encoding',
]);

interface FetchReply extends UpstreamReply {
  readonly response: Response;
}

export function governedFetch(governor: Governor, options: GovernedFetchOptions = {}): typeof fetch {
  const upstreamFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  if (options.priority !== undefined && governor.classes.indexOf(options.priority) === undefined) {
    throw new Error(`unknown priority ${options.priority}: use one of ${governor.classes.names.join(', ')}`);
  }
  const transport: Transport<FetchReply> = {
    async send(target: UpstreamTarget, signal) {
      const response = await upstreamFetch(target.url, {
        method: target.method,
        headers: target.headers,
        body: target.body as RequestInit['body'],
        signal,
      });
      return {
        status: response.status,
        headers: response.headers,
        response,
        text: async (maxBytes) => (await response.text()).slice(0, maxBytes),
        discard: () => void response.body?.cancel().catch(() => undefined),
      };
    },
  };

  const governed = async (input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> => {
    const request = input instanceof Request ? input : undefined;
    const url = new URL(request ? request.url : String(input));
    const method = (init?.method ?? request?.method ?? 'GET').toUpperCase();
    const headers = new Headers(init?.headers ?? request?.headers);
    // A Request's body is read from a clone: an ungoverned call passes the original on untouched.
    const rawBody = await bodyText(init?.body ?? (request?.body ? await request.clone().text() : undefined));
    const family = familyOfPath(url.pathname);
    const body = parseBody(rawBody);
    const model = family === 'gemini' ? geminiModelFromPath(url.pathname) : stringField(body, 'model');
    const group = model === undefined ? undefined : governor.groups.group(model);
    if (!group?.serves(family) || rawBody === null) return upstreamFetch(input, init);
    const endpoint = group.adapter.matchEndpoint(method, url.pathname);
    if (!endpoint) return upstreamFetch(input, init);

    const forwardHeaders: Record<string, string> = {};
    headers.forEach((value, name) => {
      if (!HOP_BY_HOP.has(name) && !CONTROL_HEADERS.includes(name)) forwardHeaders[name] = value;
    });
    const control = readControlHeaders((name) => headers.get(name), governor.classes, options.priority);
    if (!control.ok) return badRequest(group.adapter, endpoint, control.message);
    const call: Call = {
      family,
      endpoint,
      method,
      path: `${url.pathname}${url.search}`,
      body,
      rawBody: rawBody ?? undefined,
      stream: streams(body, endpoint),
      forwardHeaders,
      forwarding: options.forwarding ?? 'as-sent',
      model,
      tenant: headers.get('x-sluice-tenant') ?? options.tenant ?? 'default',
      priority: control.priority,
      maxWaitMs: control.maxWaitMs,
      signal: init?.signal ?? request?.signal ?? undefined,
      downgrade: control.downgrade,
    };
    const outcome = await governor.execute(call, transport);
    return toResponse(outcome, group.adapter, call, family);
  };
  return governed as typeof fetch;
}

/** A 400 in the provider's format that the SDKs raise as their own error and do not retry. */
function badRequest(adapter: ProviderAdapter, endpoint: Endpoint, message: string): Response {
  return Response.json(adapter.errorPayload('invalid_request', message, endpoint).body, {
    status: 400,
    headers: { 'x-should-retry': 'false' },
  });
}

async function toResponse(
  outcome: Outcome<FetchReply>,
  adapter: ProviderAdapter,
  call: Call,
  family: ApiFamily,
): Promise<Response> {
  if (outcome.kind === 'refused') {
    const payload = refusalPayload(
      outcome.refusal,
      adapter,
      family === 'openai' ? 'chat_completions' : call.endpoint,
    );
    return Response.json(payload.body, {
      status: payload.status === 499 ? 408 : payload.status,
      headers: payload.headers,
    });
  }
  if (outcome.kind === 'upstream_error') {
    const headers = copyHeaders(outcome.reply?.headers);
    // The governor already retried as far as its policy and budget allow.
    headers.set('x-should-retry', 'false');
    const status = outcome.reply?.status ?? 502;
    const body = outcome.reply
      ? outcome.bodyText
      : JSON.stringify(
          adapter.errorPayload('api_error', outcome.error.message ?? 'upstream unreachable').body,
        );
    if (!outcome.reply) headers.set('content-type', 'application/json');
    return new Response(body, { status, headers });
  }
  const { reply, settlement, target } = outcome;
  const response = reply.response;
  const deployment = target.deployment;
  const headers = copyHeaders(response.headers);
  const contentType = response.headers.get('content-type') ?? '';
  const streamed = call.stream || contentType.includes('text/event-stream');
  if (!response.body) {
    await settlement.settle();
    return new Response(null, { status: response.status, headers });
  }
  if (streamed) {
    const body = tapStream(response.body, deployment.adapter, call, settlement, target.addedStreamUsage);
    return new Response(body, { status: response.status, headers });
  }
  const bytes = new Uint8Array(await response.arrayBuffer());
  const json = parseBody(new TextDecoder().decode(bytes));
  await settlement.settle(json ? deployment.adapter.usageFromBody(call.endpoint, json) : undefined);
  return new Response(bytes, { status: response.status, headers });
}

function tapStream(
  source: ReadableStream<Uint8Array>,
  adapter: ProviderAdapter,
  call: Call,
  settlement: Settlement,
  stripUsage: boolean,
): ReadableStream<Uint8Array> {
  const tap = adapter.createUsageTap(call.endpoint);
  const filter = stripUsage ? new UsageChunkFilter() : undefined;
  const estimate: Cost = settlement.admitted.request.cost;
  const reader = source.getReader();
  const finish = () => void settlement.settle(usageToSettle(tap, estimate));
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          const rest = filter?.end();
          if (rest?.length) controller.enqueue(rest);
          controller.close();
          finish();
          return;
        }
        tap.push(value);
        const out = filter ? filter.push(value) : value;
        if (out.length) controller.enqueue(out);
      } catch (error) {
        finish();
        controller.error(error);
      }
    },
    cancel(reason) {
      finish();
      return reader.cancel(reason);
    },
  });
}

function copyHeaders(
  source: Headers | { get(name: string): string | null | undefined } | undefined,
): Headers {
  const out = new Headers();
  if (source instanceof Headers) {
    source.forEach((value, name) => {
      if (name !== 'content-length' && name !== 'content-encoding' && name !== 'transfer-encoding')
        out.set(name, value);
    });
  }
  return out;
}

async function bodyText(body: RequestInit['body'] | undefined): Promise<string | null | undefined> {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array || body instanceof ArrayBuffer) return new TextDecoder().decode(body);
  // Streams, forms and blobs are uploads: not governed.
  return null;
}

function parseBody(text: string | null | undefined): Record<string, unknown> | undefined {
  if (!text) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function stringField(body: Record<string, unknown> | undefined, name: string): string | undefined {
  const value = body?.[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * `governor.fetch`: a drop-in `fetch` for the official `openai` and
 * `@anthropic-ai/sdk` clients (`new OpenAI({ fetch: governor.fetch })`), as
 * web `Request`/`Response` plumbing around the runtime's lifecycle: a call
 * to an endpoint Sluice knows is read into a `Call` (`readCall`), served by
 * the governor (`serveCall`), and its `Answer` becomes a `Response`, a
 * success's body streaming through the answer's `Relay`. Statuses, headers
 * and error bodies are the runtime's, the same as the gateway's.
 *
 * Where this face differs from the gateway, by name:
 * - `forwarding` (default `as-sent`): the app owns its calls, so its headers
 *   go upstream as sent; `allow-list` forwards what the gateway does;
 * - a caller that went away gets what `fetch` gives then: a rejection with
 *   the signal's reason (the gateway writes nothing);
 * - calls Sluice does not govern (other paths, upload bodies) go to the
 *   upstream `fetch` untouched, and so do calls for models the config does
 *   not declare when `undeclaredModels` is `pass` (default: refused, naming
 *   the model, so a typo never means "no limit").
 */
import { randomUUID } from 'node:crypto';
import { API_FAMILIES, familyOfPath } from '../providers/api-family.js';
import { type Answer, type AnswerOptions, refusalAnswer } from '../runtime/exchange/answer.js';
import type { Transport } from '../runtime/exchange/call.js';
import { type FetchReply, fetchReply } from '../runtime/exchange/fetch-reply.js';
import { type InboundRequest, readCall } from '../runtime/exchange/inbound.js';
import type { Relay } from '../runtime/exchange/relay.js';
import { serveCall } from '../runtime/exchange/serve.js';
import type { Forwarding } from '../runtime/forwarding.js';
import type { Governor } from '../runtime/governor.js';
import { DEFAULT_TENANT } from '../runtime/tenants.js';

export interface GovernedFetchOptions {
  /** The fetch that reaches providers. Default: the global fetch. */
  fetch?: typeof fetch;
  /** Tenant of calls that do not name one (header `x-sluice-tenant`). Default `default`. */
  tenant?: string;
  /** Priority class of calls that do not name one (header `x-sluice-priority`). */
  priority?: string;
  /**
   * Which of the app's headers and query go upstream: `as-sent` (default:
   * the app owns the call and often the key) or `allow-list` (what the
   * gateway forwards for tenants).
   */
  forwarding?: Forwarding;
  /**
   * Calls for a model no group declares: `refuse` (default, a 404 naming the
   * model) or `pass` (sent upstream ungoverned).
   */
  undeclaredModels?: 'refuse' | 'pass';
}

export function governedFetch(governor: Governor, options: GovernedFetchOptions = {}): typeof fetch {
  const upstreamFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  if (options.priority !== undefined && governor.classes.indexOf(options.priority) === undefined) {
    throw new Error(`unknown priority ${options.priority}: use one of ${governor.classes.names.join(', ')}`);
  }
  const forwarding = options.forwarding ?? 'as-sent';

  const governed = async (input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> => {
    const request = input instanceof Request ? input : undefined;
    const url = new URL(request ? request.url : String(input));
    const method = (init?.method ?? request?.method ?? 'GET').toUpperCase();
    const family = familyOfPath(url.pathname);
    const endpoint = API_FAMILIES[family].endpointOf(method, url.pathname);
    if (!endpoint || endpoint === 'models') return upstreamFetch(input, init);
    // A Request's body is read from a clone: an ungoverned call passes the original on untouched.
    const body = await bodyOf(init?.body ?? (request?.body ? await request.clone().text() : undefined));
    if (body === null) return upstreamFetch(input, init);
    const headers = new Headers(init?.headers ?? request?.headers);
    const signal = init?.signal ?? request?.signal ?? undefined;
    const inbound: InboundRequest = {
      method,
      url: `${url.pathname}${url.search}`,
      header: (name) => headers.get(name) ?? undefined,
      headers: () => headers.entries(),
      body,
      signal,
    };
    const id = randomUUID();
    const answerOptions: AnswerOptions = {
      family,
      requestId: id,
      maxClientWaitMs: governor.maxClientWaitMs,
      deploymentHeader: false,
    };
    const read = readCall(
      inbound,
      { family, endpoint },
      {
        id,
        tenant: headers.get('x-sluice-tenant') ?? options.tenant ?? DEFAULT_TENANT,
        classes: governor.classes,
        forwarding,
        defaultPriority: options.priority,
      },
    );
    if (!read.ok) return toResponse(refusalAnswer(read.refusal, answerOptions), undefined);
    const model = read.call.model;
    if (options.undeclaredModels === 'pass' && (model === undefined || !governor.groups.group(model))) {
      return upstreamFetch(input, init);
    }
    let reply: FetchReply | undefined;
    const transport: Transport<FetchReply> = {
      async send(target, attemptSignal) {
        const response = await upstreamFetch(target.url, {
          method: target.method,
          headers: target.headers,
          body: target.body as RequestInit['body'],
          signal: attemptSignal,
        });
        reply = fetchReply(response);
        return reply;
      },
    };
    const answer = await serveCall(governor, read.call, transport, answerOptions);
    if (answer.status === 499) {
      answer.relay?.cancel();
      throw signal?.reason ?? new DOMException('The operation was aborted.', 'AbortError');
    }
    return toResponse(answer, reply);
  };
  return governed as typeof fetch;
}

/** The answer as a web `Response`; a success's body through its relay. */
async function toResponse(answer: Answer, reply: FetchReply | undefined): Promise<Response> {
  const headers = new Headers();
  for (let i = 0; i < answer.headers.length; i += 2) {
    headers.append(answer.headers[i] as string, answer.headers[i + 1] as string);
  }
  const relay = answer.relay;
  if (!relay || !reply) return new Response(answer.body ?? null, { status: answer.status, headers });
  const source = reply.response.body;
  if (!source) {
    relay.end();
    return new Response(null, { status: answer.status, headers });
  }
  if (!relay.streamed) {
    // Read whole before answering, so the call is settled whether or not the app reads the body.
    try {
      const bytes = new Uint8Array(await reply.response.arrayBuffer());
      const out = relay.push(bytes);
      const rest = relay.end();
      return new Response(rest.length > 0 ? concat(out, rest) : out, { status: answer.status, headers });
    } catch (error) {
      relay.fail();
      throw error;
    }
  }
  const body = relayStream(source, relay);
  // An app that drops the Response without reading or cancelling it would hold the reservation (its
  // lease is renewed while the call is open): once the body is collected, the call is settled as cut.
  abandoned.register(body, relay);
  return new Response(body, { status: answer.status, headers });
}

const abandoned = new FinalizationRegistry<Relay>((relay) => relay.fail());

/** A stream's body, chunk by chunk through the relay, never buffered whole. */
function relayStream(source: ReadableStream<Uint8Array>, relay: Relay): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          const rest = relay.end();
          if (rest.length > 0) controller.enqueue(rest);
          controller.close();
          return;
        }
        const out = relay.push(value);
        if (out.length > 0) controller.enqueue(out);
      } catch (error) {
        // A translated stream ends with the caller's own error event; a native one errors as the upstream's did.
        const rest = relay.fail(error instanceof Error ? error.message : String(error));
        if (rest.length === 0) {
          controller.error(error);
          return;
        }
        controller.enqueue(rest);
        controller.close();
      }
    },
    cancel(reason) {
      relay.fail();
      return reader.cancel(reason);
    },
  });
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** The body as text when it is one; null for uploads (streams, forms, blobs), which are not governed. */
async function bodyOf(
  body: RequestInit['body'] | undefined,
): Promise<string | Uint8Array | null | undefined> {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  return null;
}

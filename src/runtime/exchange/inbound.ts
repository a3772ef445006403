/**
 * A face's request as the runtime reads it (`InboundRequest`), and the one
 * way it becomes a `Call`: the body parsed once (nesting bounded), the model
 * group found where the caller's API puts it, the control headers read, and
 * the caller's headers kept as far as forwarding allows. Whatever is wrong
 * with the request comes back as a typed `Refusal`, answered like any other.
 *
 * Faces differ only in named options: the gateway forwards an allow-list
 * (tenants are not trusted with the gateway's keys), `governor.fetch` what
 * the app sent (`as-sent`, unless the app opts into the allow-list).
 */
import type { PriorityClasses } from '../../core/scheduler/priority.js';
import type { Endpoint } from '../../providers/adapter.js';
import { API_FAMILIES, type ApiFamily } from '../../providers/api-family.js';
import { MAX_JSON_NESTING, nestsDeeperThan } from '../../providers/parse/json-nesting.js';
import { CONTROL_HEADERS, readControlHeaders } from '../control-headers.js';
import { type Forwarding, forwardableHeaders } from '../forwarding.js';
import { type Refusal, refusal } from '../refusal.js';
import { type Call, streams } from './call.js';

export interface InboundRequest {
  readonly method: string;
  /** Path and query as received. */
  readonly url: string;
  /** A request header (lower-case name), undefined when absent. */
  header(name: string): string | undefined;
  /** Every request header (used only when forwarding `as-sent`). */
  headers(): Iterable<readonly [string, string]>;
  /** The body, already decoded from its transfer and content encodings; undefined when none. */
  readonly body: Uint8Array | string | undefined;
  readonly signal: AbortSignal | undefined;
}

/** What the face's routing already knows: the caller's API, the endpoint, a model named by the path. */
export interface CallRoute {
  readonly family: ApiFamily;
  readonly endpoint: Endpoint;
  /** The model group the path names (Gemini's native API), already checked. */
  readonly model?: string | undefined;
}

export interface ReadCallOptions {
  readonly id: string;
  readonly tenant: string;
  readonly classes: PriorityClasses;
  readonly forwarding: Forwarding;
  /** Priority of calls whose headers name none (the library's default). */
  readonly defaultPriority?: string | undefined;
}

/** Headers of this hop, never another's (RFC 9110 §7.6.1), plus what `fetch` sets itself. */
const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'te',
  'upgrade',
  'trailer',
  'proxy-connection',
  'content-length',
  'content-encoding',
  'host',
  'accept-encoding',
  ...CONTROL_HEADERS,
]);

const TEXT = new TextDecoder();

export type ReadCall =
  | { readonly ok: true; readonly call: Call }
  | { readonly ok: false; readonly refusal: Refusal };

export function readCall(inbound: InboundRequest, route: CallRoute, options: ReadCallOptions): ReadCall {
  const raw = inbound.body;
  let body: Record<string, unknown> | undefined;
  if (raw !== undefined && raw.length > 0) {
    const bytes = typeof raw === 'string' ? Buffer.from(raw) : raw;
    if (nestsDeeperThan(bytes, MAX_JSON_NESTING)) {
      return refused(
        'json_too_deep',
        `The request body nests arrays and objects more than ${MAX_JSON_NESTING} levels deep.`,
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(typeof raw === 'string' ? raw : TEXT.decode(raw));
    } catch {
      return refused(
        'invalid_json',
        'We could not parse the JSON body of your request. The body must be a JSON object.',
      );
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      return refused('invalid_json', 'The request body must be a JSON object.');
    }
    body = parsed as Record<string, unknown>;
  } else if (inbound.method === 'POST') {
    return refused('invalid_json', 'The request body must be a JSON object.');
  }
  const q = inbound.url.indexOf('?');
  const pathname = q < 0 ? inbound.url : inbound.url.slice(0, q);
  const model = route.model ?? API_FAMILIES[route.family].modelOf(pathname, body);
  if (model === undefined && inbound.method === 'POST') {
    return refused('missing_model', 'You must provide a model parameter.');
  }
  const control = readControlHeaders(
    (name) => inbound.header(name),
    options.classes,
    options.defaultPriority,
  );
  if (!control.ok) return refused(control.code, control.message);
  const call: Call = {
    id: options.id,
    family: route.family,
    endpoint: route.endpoint,
    method: inbound.method,
    path: inbound.url,
    body,
    rawBody: raw,
    stream: streams(body, route.endpoint),
    model,
    tenant: options.tenant,
    forwardHeaders: forwardHeadersOf(inbound, route.family, options.forwarding),
    forwarding: options.forwarding,
    priority: control.priority,
    maxWaitMs: control.maxWaitMs,
    signal: inbound.signal,
    downgrade: control.downgrade,
    cacheDirective: control.cache,
    idempotencyKey: control.idempotencyKey,
  };
  return { ok: true, call };
}

function refused(code: Refusal['code'], message: string): ReadCall {
  return { ok: false, refusal: refusal(code, message) };
}

/**
 * The caller's headers that may travel on: with the allow-list, only what
 * the family's table can pass (never the caller's key); as sent, all but
 * this hop's own and Sluice's control headers.
 */
function forwardHeadersOf(
  inbound: InboundRequest,
  family: ApiFamily,
  forwarding: Forwarding,
): Record<string, string> {
  // No prototype: a header named `__proto__` is a header like any other.
  const out = Object.create(null) as Record<string, string>;
  if (forwarding === 'allow-list') {
    for (const name of forwardableHeaders(family)) {
      const value = inbound.header(name);
      if (value !== undefined) out[name] = value;
    }
    return out;
  }
  for (const [name, value] of inbound.headers()) {
    if (!HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

/**
 * Where and how an attempt is sent: the deployment's URL for the endpoint
 * and its credentials (both as the deployment's adapter lays them out), the
 * caller's headers and query as far as forwarding allows, and the body —
 * forwarded byte for byte unless something must change (the model name,
 * asking a stream for its usage, or the deployment's service tier).
 */
import type { Endpoint } from '../providers/adapter.js';
import { withServiceTier } from '../providers/service-tier.js';
import { CREDENTIAL_HEADERS } from '../providers/upstream-url.js';
import type { Crossing } from './crossing.js';
import type { Deployment } from './deployment.js';
import type { Call } from './exchange/call.js';
import { forwardedHeaders, upstreamQuery } from './forwarding.js';

export interface UpstreamTarget {
  readonly deployment: Deployment;
  /** The endpoint called upstream (the caller's, unless the call crossed to another API). */
  readonly endpoint: Endpoint;
  /** Set when the call was translated for a deployment of another API family (`crossing.ts`). */
  readonly crossing: Crossing | undefined;
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string | Uint8Array | undefined;
  /** True when Sluice added stream usage the caller did not ask for (strip it on the way back). */
  readonly addedStreamUsage: boolean;
}

/** What of a call decides its upstream request. */
export type CallShape = Pick<
  Call,
  'family' | 'endpoint' | 'method' | 'path' | 'body' | 'rawBody' | 'stream' | 'forwardHeaders' | 'forwarding'
>;

/** Where `call` goes on `deployment`; `crossing`: the call as translated for the deployment's API. */
export function upstreamTarget(
  deployment: Deployment,
  caller: CallShape,
  crossing?: Crossing | undefined,
): UpstreamTarget {
  const call = crossing?.shape ?? caller;
  const config = deployment.config;
  const adapter = deployment.adapter;
  const [pathname = '', callerSearch = ''] = splitQuery(call.path);
  const path = adapter.upstreamPath({
    family: call.family,
    endpoint: call.endpoint,
    pathname,
    model: config.model,
    basePath: deployment.basePath,
  });
  const url = `${deployment.baseUrl}${path}${upstreamQuery(deployment, call, callerSearch)}`;

  let body = call.rawBody;
  let addedStreamUsage = false;
  if (call.body) {
    let changed: Record<string, unknown> | undefined;
    if (call.family !== 'gemini' && typeof call.body.model === 'string' && call.body.model !== config.model) {
      changed = { ...call.body, model: config.model };
    }
    const named = adapter.bodyForModel?.(call.endpoint, changed ?? call.body, config.model);
    if (named) changed = named;
    if (config.serviceTier !== undefined) {
      // The deployment's buckets are its tier's: ask for that tier, unless the caller chose one.
      const tiered = withServiceTier(changed ?? call.body, {
        provider: config.provider,
        endpoint: call.endpoint,
        tier: config.serviceTier,
      });
      if (tiered) changed = tiered;
    }
    if (call.stream && adapter.requestStreamUsage) {
      const withUsage = adapter.requestStreamUsage(call.endpoint, changed ?? call.body);
      if (withUsage) {
        changed = withUsage;
        addedStreamUsage = true;
      }
    }
    if (changed) body = JSON.stringify(changed);
  }

  const own = ownHeadersOf(deployment);
  // Built in one pass, in precedence order, never deleting (a deleted key turns the object into a slow dictionary).
  const headers: Record<string, string> = {};
  const forwarded = forwardedHeaders(deployment, call);
  for (const name in forwarded) {
    if (!own.replaces.has(name)) headers[name] = forwarded[name] as string;
  }
  const fixed = body === undefined ? own.withoutBody : own.withBody;
  for (let i = 0; i < fixed.length; i += 2) headers[fixed[i] as string] = fixed[i + 1] as string;
  return {
    deployment,
    endpoint: call.endpoint,
    crossing,
    method: call.method,
    url,
    headers,
    body,
    addedStreamUsage,
  };
}

/**
 * What a deployment adds to every request, worked out once per deployment
 * config: its own headers, then `content-type` when there is a body, then
 * its key (which wins over any credential header from the caller or the
 * config). Flat `[name, value, …]` lists.
 */
interface OwnHeaders {
  /** Caller headers the deployment's own replace (its headers, its credentials when it has a key). */
  readonly replaces: ReadonlySet<string>;
  readonly withBody: readonly string[];
  readonly withoutBody: readonly string[];
}

const ownHeaders = new WeakMap<Deployment['config'], OwnHeaders>();

function ownHeadersOf(deployment: Deployment): OwnHeaders {
  const config = deployment.config;
  let own = ownHeaders.get(config);
  if (own) return own;
  const credentials = config.apiKey ? new Set(CREDENTIAL_HEADERS) : new Set<string>();
  const configured = Object.entries(config.headers ?? {}).filter(([name]) => !credentials.has(name));
  const auth = config.apiKey ? Object.entries(deployment.adapter.authHeaders(config.apiKey)) : [];
  const flat = (entries: [string, string][]) => entries.flat();
  own = {
    replaces: new Set([...credentials, ...configured.map(([name]) => name)]),
    withBody: flat([
      ...configured.filter(([n]) => n !== 'content-type'),
      ['content-type', 'application/json'],
      ...auth,
    ]),
    withoutBody: flat([...configured, ...auth]),
  };
  ownHeaders.set(config, own);
  return own;
}

function splitQuery(path: string): [string, string] {
  const q = path.indexOf('?');
  return q < 0 ? [path, ''] : [path.slice(0, q), path.slice(q)];
}

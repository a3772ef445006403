/**
 * Where and how an attempt is sent: the deployment's URL for the endpoint
 * and its credentials (both as the deployment's adapter lays them out), the
 * caller's headers and query as far as forwarding allows, and the body —
 * forwarded byte for byte unless something must change (the model name, or
 * asking a stream for its usage).
 */
import { CREDENTIAL_HEADERS } from '../providers/upstream-url.js';
import type { Deployment } from './deployment.js';
import type { Call } from './exchange/call.js';
import { forwardedHeaders, upstreamQuery } from './forwarding.js';

export interface UpstreamTarget {
  readonly deployment: Deployment;
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

export function upstreamTarget(deployment: Deployment, call: CallShape): UpstreamTarget {
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
    if (call.stream && adapter.requestStreamUsage) {
      const withUsage = adapter.requestStreamUsage(call.endpoint, changed ?? call.body);
      if (withUsage) {
        changed = withUsage;
        addedStreamUsage = true;
      }
    }
    if (changed) body = JSON.stringify(changed);
  }

  const headers: Record<string, string> = { ...forwardedHeaders(deployment, call), ...config.headers };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (config.apiKey) {
    for (const name of CREDENTIAL_HEADERS) delete headers[name];
    Object.assign(headers, adapter.authHeaders(config.apiKey));
  }
  return { deployment, method: call.method, url, headers, body, addedStreamUsage };
}

function splitQuery(path: string): [string, string] {
  const q = path.indexOf('?');
  return q < 0 ? [path, ''] : [path.slice(0, q), path.slice(q)];
}

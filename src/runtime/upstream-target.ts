/**
 * Where and how an attempt is sent: the deployment's URL for the endpoint,
 * its credentials, and the body — forwarded byte for byte unless something
 * must change (the model name, or asking a stream for its usage).
 */
import type { Endpoint } from '../providers/adapter.js';
import { geminiNativePath } from '../providers/gemini/endpoints.js';
import type { ApiFamily } from './api-family.js';
import type { Deployment } from './deployment.js';
import { type Forwarding, forwardedHeaders, upstreamQuery } from './forwarding.js';

export interface UpstreamTarget {
  readonly deployment: Deployment;
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string | Uint8Array | undefined;
  /** True when Sluice added stream usage the caller did not ask for (strip it on the way back). */
  readonly addedStreamUsage: boolean;
}

export interface CallShape {
  readonly family: ApiFamily;
  readonly endpoint: Endpoint;
  readonly method: string;
  /** Incoming path and query, e.g. `/v1/chat/completions`, `/v1beta/models/x:generateContent?alt=sse`. */
  readonly path: string;
  readonly body: Record<string, unknown> | undefined;
  readonly rawBody: string | Uint8Array | undefined;
  readonly stream: boolean;
  /** Caller's headers that may go upstream (auth when the deployment has no key of its own, versions, tracing). */
  readonly forwardHeaders: Record<string, string>;
  /** How much of the caller's headers and query go upstream (see `runtime/forwarding.ts`). */
  readonly forwarding: Forwarding;
}

export function upstreamTarget(deployment: Deployment, call: CallShape): UpstreamTarget {
  const config = deployment.config;
  const base = deployment.baseUrl;
  const [pathname = '', callerSearch = ''] = splitQuery(call.path);
  const search = upstreamQuery(deployment, call, callerSearch);
  let url: string;
  const native = call.family === 'gemini' ? geminiNativePath(config.model, call.endpoint) : undefined;
  if (native !== undefined) {
    // Built from the deployment's model and the endpoint alone: nothing of the caller's path
    // (dot segments, encoded slashes, another resource) can reach the provider with our key.
    url = `${base}${native}${search}`;
  } else if (
    config.provider === 'gemini' &&
    pathname.startsWith('/v1/') &&
    !deployment.basePath.endsWith('/openai')
  ) {
    // A Gemini base URL is the API's root (native paths start at /v1beta/models/); its OpenAI-compatible
    // API lives under /v1beta/openai/. Dropping the caller's /v1 alone gave `{root}/chat/completions`.
    url = `${base}/v1beta/openai${pathname.slice(3)}${search}`;
  } else if (call.family === 'anthropic' || config.provider === 'azure') {
    // Anthropic's and Azure's base URLs stop before the API version path.
    url = `${base}${stripPrefix(pathname, deployment.basePath)}${search}`;
  } else {
    // OpenAI-style base URLs end with the version (`…/v1`): drop the caller's `/v1`.
    url = `${base}${pathname.replace(/^\/v1(?=\/)/, '')}${search}`;
  }

  let body = call.rawBody;
  let addedStreamUsage = false;
  if (call.body) {
    let changed: Record<string, unknown> | undefined;
    if (call.family !== 'gemini' && typeof call.body.model === 'string' && call.body.model !== config.model) {
      changed = { ...call.body, model: config.model };
    }
    if (call.stream && deployment.adapter.requestStreamUsage) {
      const withUsage = deployment.adapter.requestStreamUsage(call.endpoint, changed ?? call.body);
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
    for (const name of ['authorization', 'x-api-key', 'api-key', 'x-goog-api-key']) delete headers[name];
    Object.assign(headers, authHeaders(config.provider, config.apiKey));
  }
  return { deployment, method: call.method, url, headers, body, addedStreamUsage };
}

function authHeaders(provider: string, key: string): Record<string, string> {
  switch (provider) {
    case 'anthropic':
      return { 'x-api-key': key };
    case 'azure':
      return { 'api-key': key };
    case 'gemini':
      return { 'x-goog-api-key': key };
    default:
      return { authorization: `Bearer ${key}` };
  }
}

function splitQuery(path: string): [string, string] {
  const q = path.indexOf('?');
  return q < 0 ? [path, ''] : [path.slice(0, q), path.slice(q)];
}

/** Avoids doubling a path prefix the base URL already carries (e.g. base `…/openai`, path `/openai/…`). */
function stripPrefix(pathname: string, basePath: string): string {
  return basePath && pathname.startsWith(`${basePath}/`) ? pathname.slice(basePath.length) : pathname;
}

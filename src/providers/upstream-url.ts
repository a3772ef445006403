/**
 * How each provider lays out its URLs and carries a key: the pieces
 * `ProviderAdapter.upstreamPath` and `authHeaders` are built from. The
 * runtime never decides either itself (runtime/upstream-target.ts asks the
 * deployment's adapter).
 */
import type { Endpoint } from './adapter.js';
import type { ApiFamily } from './api-family.js';
import { geminiNativePath } from './gemini/endpoints.js';

export interface UpstreamPathInput {
  /** The caller's API and endpoint. */
  readonly family: ApiFamily;
  readonly endpoint: Endpoint;
  /** The caller's path, without its query. */
  readonly pathname: string;
  /** The deployment's model (what the provider knows) and its base URL's path. */
  readonly model: string;
  readonly basePath: string;
}

/** OpenAI-style base URLs end with the version (`…/v1`): the caller's `/v1` is dropped. */
export function pathAfterVersionedBase(input: UpstreamPathInput): string {
  return input.pathname.replace(/^\/v1(?=\/)/, '');
}

/**
 * Anthropic's and Azure's base URLs stop before the API's own path: the
 * caller's path goes on as is, without a prefix the base URL already carries
 * (base `…/openai`, path `/openai/…`).
 */
export function pathAfterBase(input: UpstreamPathInput): string {
  const { pathname, basePath } = input;
  return basePath && pathname.startsWith(`${basePath}/`) ? pathname.slice(basePath.length) : pathname;
}

/**
 * Gemini's native calls are built from the deployment's model and the
 * endpoint alone: nothing of the caller's path (dot segments, encoded
 * slashes, another resource) reaches the provider with the deployment's key.
 * Its OpenAI-compatible paths follow OpenAI's rule.
 */
export function geminiPath(input: UpstreamPathInput): string {
  const native = geminiNativePath(input.model, input.endpoint);
  if (native !== undefined) return native;
  // A Gemini base URL is the API's root (native paths start at /v1beta/models/); its OpenAI-compatible
  // API lives under /v1beta/openai/, unless the base URL already points there or the caller named it.
  const { pathname, basePath } = input;
  if (basePath.endsWith('/openai') || !pathname.startsWith('/v1/')) return pathAfterVersionedBase(input);
  return `/v1beta/openai${pathname.slice(3)}`;
}

/** Every header any provider reads a key from: a caller's is dropped when the deployment has its own. */
export const CREDENTIAL_HEADERS: readonly string[] = Object.freeze([
  'authorization',
  'x-api-key',
  'api-key',
  'x-goog-api-key',
]);

export const bearerAuth = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });
export const azureAuth = (key: string): Record<string, string> => ({ 'api-key': key });
export const anthropicAuth = (key: string): Record<string, string> => ({ 'x-api-key': key });
export const geminiAuth = (key: string): Record<string, string> => ({ 'x-goog-api-key': key });

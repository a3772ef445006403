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
  return geminiNativePath(input.model, input.endpoint) ?? pathAfterVersionedBase(input);
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

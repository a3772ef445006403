/**
 * Anthropic's Messages endpoints (PROVIDERS.md §3), matched on the path
 * suffix so proxies with a base path work.
 */
import type { Endpoint } from '../adapter.js';
import { cleanPath } from '../openai/endpoints.js';

export function matchAnthropicPath(method: string, pathname: string): Endpoint | undefined {
  const verb = typeof method === 'string' ? method.toUpperCase() : '';
  const path = cleanPath(pathname);
  if (verb === 'POST') {
    if (path.endsWith('/messages/count_tokens')) return 'count_tokens';
    if (path.endsWith('/messages')) return 'messages';
    return undefined;
  }
  if (verb === 'GET' && /\/models(?:\/[^/]+)?$/.test(path)) return 'models';
  return undefined;
}

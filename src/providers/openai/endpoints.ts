/**
 * Which OpenAI-style endpoint a request path is. Paths are matched on their
 * suffix so base-path prefixes work unchanged: `/v1/chat/completions`,
 * Groq's `/openai/v1/chat/completions`, Gemini's
 * `/v1beta/openai/chat/completions`, Azure's
 * `/openai/deployments/{d}/chat/completions?api-version=…` and
 * `/openai/v1/chat/completions`.
 */
import type { Endpoint } from '../adapter.js';

/** The path without query, fragment and trailing slashes. */
export function cleanPath(pathname: string): string {
  if (typeof pathname !== 'string') return '';
  let end = pathname.length;
  const query = pathname.search(/[?#]/);
  if (query >= 0) end = query;
  while (end > 1 && pathname.charCodeAt(end - 1) === 0x2f) end--;
  return pathname.slice(0, end);
}

export function matchOpenAIPath(method: string, pathname: string): Endpoint | undefined {
  const verb = typeof method === 'string' ? method.toUpperCase() : '';
  const path = cleanPath(pathname);
  if (verb === 'POST') {
    if (path.endsWith('/chat/completions')) return 'chat_completions';
    if (path.endsWith('/completions')) return 'completions';
    if (path.endsWith('/responses')) return 'responses';
    if (path.endsWith('/embeddings')) return 'embeddings';
    return undefined;
  }
  if (verb === 'GET' && /\/models(?:\/[^/]+)?$/.test(path)) return 'models';
  return undefined;
}

/** Azure's deployment name from `/openai/deployments/{d}/…`, which stands in for the model. */
export function azureDeployment(pathname: string): string | undefined {
  const m = /\/deployments\/([^/?#]+)\//.exec(typeof pathname === 'string' ? pathname : '');
  if (!m?.[1]) return undefined;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return m[1];
  }
}

/**
 * An attempt's answer from `fetch` as the runtime reads it (`UpstreamReply`),
 * keeping the web `Response` for whoever relays its body: `governor.fetch`,
 * and Sluice's own calls (the semantic cache's embeddings).
 */
import type { UpstreamReply } from './call.js';

export interface FetchReply extends UpstreamReply {
  readonly response: Response;
}

export function fetchReply(response: Response): FetchReply {
  const cancel = () => void response.body?.cancel().catch(() => undefined);
  return {
    status: response.status,
    headers: response.headers,
    response,
    text: async (maxBytes) => (await response.text()).slice(0, maxBytes),
    discard: cancel,
    abort: cancel,
  };
}

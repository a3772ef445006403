/**
 * Where a native Gemini body names the model besides the path: each
 * request of `:batchEmbedContents` (`requests[].model`), and the
 * `generateContentRequest.model` of a `:countTokens` that counts a whole
 * request. Gemini refuses a body whose model is not the path's, and the
 * path upstream is the deployment's model, so the body names it too
 * (`models/{m}`). Undefined when nothing changes.
 */
import type { Endpoint } from '../adapter.js';
import { arrayField, isRecord, recordField } from '../parse/json-shape.js';

export function geminiBodyForModel(
  endpoint: Endpoint,
  body: Record<string, unknown>,
  model: string,
): Record<string, unknown> | undefined {
  const name = `models/${model}`;
  if (endpoint === 'batch_embed_contents') {
    const requests = arrayField(body, 'requests');
    if (!requests?.some((r) => isRecord(r) && r.model !== undefined && r.model !== name)) return undefined;
    return {
      ...body,
      requests: requests.map((r) => (isRecord(r) && r.model !== undefined ? { ...r, model: name } : r)),
    };
  }
  if (endpoint === 'count_tokens') {
    const request = recordField(body, 'generateContentRequest');
    if (request?.model === undefined || request.model === name) return undefined;
    return { ...body, generateContentRequest: { ...request, model: name } };
  }
  return undefined;
}

/**
 * Anthropic's Message Batches API: create, retrieve, list (`before_id`,
 * `after_id`, `limit`), cancel, results (JSONL at `results_url`), delete.
 * Requests are validated at create (400); a batch that would overflow the
 * queue of requests in processing is refused with 429 `rate_limit_error`.
 */
import type { Reply } from '../flavour.js';
import { jsonReply } from '../flavour.js';
import { anthropicError } from '../flavours/anthropic/anthropic-wire.js';
import { arr, isObject } from '../flavours/json.js';
import type { BatchJob, BatchLine } from './batch-job.js';

const CUSTOM_ID = /^[a-zA-Z0-9_-]{1,64}$/;
export const MAX_BATCH_REQUESTS = 100_000;

/** The requests of `POST /v1/messages/batches`, or the 400 the API answers. */
export function parseRequests(body: unknown): { lines: BatchLine[]; model: string } | Reply {
  const requests = isObject(body) ? arr(body.requests) : undefined;
  if (!requests) return invalid('requests: Field required');
  if (requests.length === 0)
    return invalid('requests: List should have at least 1 item after validation, not 0');
  if (requests.length > MAX_BATCH_REQUESTS) {
    return invalid(
      `requests: List should have at most ${MAX_BATCH_REQUESTS} items after validation, not ${requests.length}`,
    );
  }
  const lines: BatchLine[] = [];
  const seen = new Set<string>();
  for (const [i, r] of requests.entries()) {
    if (!isObject(r)) return invalid(`requests.${i}: Input should be a valid dictionary`);
    if (typeof r.custom_id !== 'string' || !CUSTOM_ID.test(r.custom_id)) {
      return invalid(`requests.${i}.custom_id: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'`);
    }
    if (seen.has(r.custom_id)) {
      return invalid(
        `Duplicate custom_id found in requests: ${r.custom_id}. Each request must have a unique custom_id.`,
      );
    }
    seen.add(r.custom_id);
    if (!isObject(r.params)) return invalid(`requests.${i}.params: Field required`);
    lines.push({ customId: r.custom_id, body: r.params });
  }
  const first = lines[0]?.body;
  return { lines, model: isObject(first) && typeof first.model === 'string' ? first.model : '' };
}

export function messageBatchObject(job: BatchJob, baseUrl: string) {
  const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
  const ended = job.phase === 'ended';
  return {
    id: job.id,
    type: 'message_batch',
    processing_status: ended ? 'ended' : job.phase === 'cancelling' ? 'canceling' : 'in_progress',
    request_counts: {
      processing: ended ? 0 : job.pending,
      succeeded: job.count('succeeded'),
      errored: job.count('errored'),
      canceled: job.count('canceled'),
      expired: job.count('expired'),
    },
    ended_at: iso(job.times.ended),
    created_at: iso(job.times.created),
    expires_at: iso(job.expiresAt),
    archived_at: null,
    cancel_initiated_at: iso(job.times.cancelling),
    results_url: ended ? `${baseUrl}/v1/messages/batches/${job.id}/results` : null,
  };
}

/** The results file: one `{custom_id, result}` line per request. */
export function resultsJsonl(job: BatchJob): string {
  return job.results
    .map((r) => {
      const result =
        r.kind === 'succeeded'
          ? { type: 'succeeded', message: r.body }
          : r.kind === 'errored'
            ? { type: 'errored', error: withRequestId(r.body, r.requestId) }
            : { type: r.kind };
      return `${JSON.stringify({ custom_id: r.customId, result })}\n`;
    })
    .join('');
}

/** An errored result carries the whole error response, with the id of that request. */
function withRequestId(body: unknown, requestId: string): unknown {
  return isObject(body) ? { ...body, request_id: requestId } : body;
}

/** `GET /v1/messages/batches`: newest first; `after_id` pages to older batches, `before_id` to newer. */
export function listMessageBatches(objects: readonly { id: string }[], params: URLSearchParams): Reply {
  const limit = params.has('limit') ? Number(params.get('limit')) : 20;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    return invalid('limit: Input should be between 1 and 1000');
  const afterId = params.get('after_id');
  const beforeId = params.get('before_id');
  let data: { id: string }[];
  let hasMore: boolean;
  if (beforeId !== null) {
    const end = objects.findIndex((o) => o.id === beforeId);
    const stop = end < 0 ? 0 : end;
    data = objects.slice(Math.max(0, stop - limit), stop);
    hasMore = stop - limit > 0;
  } else {
    const start = afterId === null ? 0 : objects.findIndex((o) => o.id === afterId) + 1;
    data = afterId !== null && start === 0 ? [] : objects.slice(start, start + limit);
    hasMore = data.length > 0 && start + data.length < objects.length;
  }
  return jsonReply(200, {
    data,
    has_more: hasMore,
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
  });
}

export function invalid(message: string): Reply {
  return anthropicError(400, 'invalid_request_error', message, {});
}

export function notFound(id: string): Reply {
  return anthropicError(404, 'not_found_error', `No batch found with id '${id}'`, {});
}

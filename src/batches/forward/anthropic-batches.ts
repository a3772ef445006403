/**
 * Anthropic's Message Batches API as a forward target: the lines go in one
 * create (`requests: [{custom_id, params}]`, models rewritten), the batch is
 * polled until `processing_status: ended`, and its `results_url` JSONL is
 * read into line results (`succeeded`, `errored`, `canceled`, `expired`).
 * https://docs.anthropic.com/en/api/creating-message-batches
 *
 * The API keeps no metadata on a batch, so an instance that died between
 * the create and recording its id is found again by what the list shows:
 * created after the submitting mark, the same number of requests, and no
 * other Sluice batch holding it (the earliest such).
 */
import type { Deployment } from '../../runtime/deployment.js';
import type { BatchLine, BatchRecord, LineResult } from '../batch.js';
import type { ForwardTarget } from './forward-target.js';
import type { ProviderBatchClient, ProviderBatchState, SubmittedBatch } from './provider-batch.js';
import { usageTokens } from './provider-batch.js';
import { type FetchLike, isRecord, jsonlRecords, parseJson, sendOk } from './provider-http.js';
import { upstreamBody } from './upstream-body.js';

export function createMessageBatchBody(deployment: Deployment, lines: readonly BatchLine[]) {
  return {
    requests: lines.map((line) => ({ custom_id: line.customId, params: upstreamBody(deployment, line) })),
  };
}

/** A message batch object read as a provider batch state (Anthropic batches skip validation). */
export function anthropicState(body: unknown): ProviderBatchState {
  if (!isRecord(body) || body.processing_status !== 'ended') return { phase: 'running' };
  const counts = isRecord(body.request_counts) ? body.request_counts : {};
  const n = (k: string) => (typeof counts[k] === 'number' ? (counts[k] as number) : 0);
  // An ended message batch has no status of its own: a cancel makes it cancelled, a full window of expiries expired.
  const outcome = body.cancel_initiated_at
    ? 'cancelled'
    : n('expired') > 0 && n('succeeded') + n('errored') === 0
      ? 'expired'
      : 'completed';
  return { phase: 'ended', outcome, errors: [] };
}

/** HTTP statuses of the error types an errored result names (PROVIDERS.md §3.3). */
const ERROR_STATUS: Readonly<Record<string, number>> = Object.freeze({
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
});

export function anthropicResults(
  records: readonly Record<string, unknown>[],
  lines: readonly BatchLine[],
): LineResult[] {
  const byId = new Map(lines.map((l) => [l.customId, l]));
  const out: LineResult[] = [];
  for (const record of records) {
    const line = typeof record.custom_id === 'string' ? byId.get(record.custom_id) : undefined;
    const result = isRecord(record.result) ? record.result : undefined;
    if (!line || !result) continue;
    const base = { index: line.index, customId: line.customId };
    if (result.type === 'succeeded') {
      out.push({
        ...base,
        outcome: 'succeeded',
        status: 200,
        requestId: '',
        body: result.message,
        tokens: usageTokens(result.message),
      });
    } else if (result.type === 'errored') {
      const body = result.error;
      const inner = isRecord(body) && isRecord(body.error) ? body.error : undefined;
      const type = typeof inner?.type === 'string' ? inner.type : 'api_error';
      out.push({
        ...base,
        outcome: 'errored',
        status: ERROR_STATUS[type] ?? 500,
        requestId: isRecord(body) && typeof body.request_id === 'string' ? body.request_id : '',
        body,
      });
    } else if (result.type === 'canceled' || result.type === 'expired') {
      const message =
        result.type === 'canceled'
          ? 'This request was not executed because the batch was cancelled.'
          : 'This request could not be executed before the batch expired.';
      out.push({
        ...base,
        outcome: result.type,
        status: 0,
        requestId: '',
        error: { code: result.type === 'canceled' ? 'batch_cancelled' : 'batch_expired', message },
      });
    }
  }
  return out;
}

export class AnthropicBatchClient implements ProviderBatchClient {
  constructor(
    private readonly target: ForwardTarget,
    private readonly deployment: Deployment,
    private readonly fetchFn: FetchLike,
  ) {}

  async submit(_batch: BatchRecord, lines: readonly BatchLine[]): Promise<SubmittedBatch> {
    const answer = await sendOk(this.fetchFn, this.target, {
      method: 'POST',
      path: '/v1/messages/batches',
      json: createMessageBatchBody(this.deployment, lines),
    });
    const created = parseJson(answer.text);
    if (!isRecord(created) || typeof created.id !== 'string')
      throw new Error('Anthropic batch create answered without an id');
    return { providerBatchId: created.id };
  }

  async find(
    _batch: BatchRecord,
    lines: readonly BatchLine[],
    options: { since: number; taken: ReadonlySet<string> },
  ): Promise<string | undefined> {
    const floor = options.since - 60_000;
    const candidates: { id: string; createdAt: number }[] = [];
    let afterId: string | undefined;
    for (;;) {
      const query = `?limit=100${afterId ? `&after_id=${encodeURIComponent(afterId)}` : ''}`;
      const page = parseJson(
        (await sendOk(this.fetchFn, this.target, { method: 'GET', path: `/v1/messages/batches${query}` }))
          .text,
      );
      const data = isRecord(page) && Array.isArray(page.data) ? page.data.filter(isRecord) : [];
      let older = false;
      for (const b of data) {
        const createdAt = typeof b.created_at === 'string' ? Date.parse(b.created_at) : Number.NaN;
        if (!(createdAt >= floor)) {
          older = true;
          continue;
        }
        const counts = isRecord(b.request_counts) ? b.request_counts : {};
        const total = ['processing', 'succeeded', 'errored', 'canceled', 'expired'].reduce(
          (sum, k) => sum + (typeof counts[k] === 'number' ? (counts[k] as number) : 0),
          0,
        );
        if (typeof b.id === 'string' && total === lines.length && !options.taken.has(b.id)) {
          candidates.push({ id: b.id, createdAt });
        }
      }
      const last = data.at(-1);
      if (older || !isRecord(page) || page.has_more !== true || typeof last?.id !== 'string') break;
      afterId = last.id;
    }
    candidates.sort((a, b) => a.createdAt - b.createdAt);
    return candidates[0]?.id;
  }

  async state(providerBatchId: string): Promise<ProviderBatchState> {
    const answer = await sendOk(this.fetchFn, this.target, {
      method: 'GET',
      path: `/v1/messages/batches/${encodeURIComponent(providerBatchId)}`,
    });
    return anthropicState(parseJson(answer.text));
  }

  async results(providerBatchId: string, lines: readonly BatchLine[]): Promise<LineResult[]> {
    const answer = await sendOk(this.fetchFn, this.target, {
      method: 'GET',
      path: `/v1/messages/batches/${encodeURIComponent(providerBatchId)}/results`,
    });
    return anthropicResults(jsonlRecords(answer.text), lines);
  }

  async cancel(providerBatchId: string): Promise<void> {
    await sendOk(this.fetchFn, this.target, {
      method: 'POST',
      path: `/v1/messages/batches/${encodeURIComponent(providerBatchId)}/cancel`,
    });
  }
}

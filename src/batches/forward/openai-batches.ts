/**
 * OpenAI's Files and Batch APIs as a forward target: the input JSONL is
 * rebuilt from the batch's lines (models rewritten) and uploaded with
 * `purpose: batch`, the batch is created with `metadata.sluice_batch_id`
 * (how an instance finds it again after a crash), and the output and error
 * files are read back into line results by `custom_id`.
 * https://platform.openai.com/docs/api-reference/batch
 */
import type { Deployment } from '../../runtime/deployment.js';
import type { BatchLine, BatchRecord, LineResult } from '../batch.js';
import type { ForwardTarget } from './forward-target.js';
import type { ProviderBatchClient, ProviderBatchState, SubmittedBatch } from './provider-batch.js';
import { usageTokens } from './provider-batch.js';
import { type FetchLike, isRecord, jsonlRecords, parseJson, sendOk } from './provider-http.js';
import { upstreamBody } from './upstream-body.js';

/** The metadata key naming the Sluice batch a provider batch was sent for. */
export const SLUICE_BATCH_KEY = 'sluice_batch_id';

/** The input file's content: one request line per batch line, in order. */
export function inputJsonl(deployment: Deployment, lines: readonly BatchLine[]): string {
  return lines
    .map((line) =>
      JSON.stringify({
        custom_id: line.customId,
        method: 'POST',
        url: line.url,
        body: upstreamBody(deployment, line),
      }),
    )
    .join('\n')
    .concat('\n');
}

export function createBatchBody(batch: BatchRecord, inputFileId: string) {
  return {
    input_file_id: inputFileId,
    endpoint: batch.endpoint,
    completion_window: '24h',
    metadata: { [SLUICE_BATCH_KEY]: batch.id },
  };
}

/** `GET /v1/batches/{id}` read as a provider batch state. */
export function openaiState(body: unknown): ProviderBatchState {
  const status = isRecord(body) ? body.status : undefined;
  if (status === 'validating') return { phase: 'validating' };
  if (status === 'completed' || status === 'expired' || status === 'cancelled' || status === 'failed') {
    const data =
      isRecord(body) && isRecord(body.errors) && Array.isArray(body.errors.data) ? body.errors.data : [];
    const errors = data.filter(isRecord).map((e) => ({
      code: typeof e.code === 'string' ? e.code : 'provider_error',
      message: typeof e.message === 'string' ? e.message : '',
    }));
    return { phase: 'ended', outcome: status, errors };
  }
  return { phase: 'running' };
}

/**
 * Output and error file lines as line results. A line with a `response`
 * ran (its status and body kept, 2xx succeeded); one with only an `error`
 * never ran: `batch_expired` → expired, `batch_cancelled` → canceled,
 * anything else errored.
 */
export function openaiResults(
  records: readonly Record<string, unknown>[],
  lines: readonly BatchLine[],
): LineResult[] {
  const byId = new Map(lines.map((l) => [l.customId, l]));
  const out: LineResult[] = [];
  for (const record of records) {
    const line = typeof record.custom_id === 'string' ? byId.get(record.custom_id) : undefined;
    if (!line) continue;
    const base = { index: line.index, customId: line.customId };
    const response = record.response;
    if (isRecord(response)) {
      const status = typeof response.status_code === 'number' ? response.status_code : 0;
      out.push({
        ...base,
        outcome: status >= 200 && status <= 299 ? 'succeeded' : 'errored',
        status,
        requestId: typeof response.request_id === 'string' ? response.request_id : '',
        body: response.body,
        tokens: usageTokens(response.body),
      });
      continue;
    }
    const error = isRecord(record.error) ? record.error : {};
    const code = typeof error.code === 'string' ? error.code : 'provider_error';
    const message = typeof error.message === 'string' ? error.message : '';
    const outcome =
      code === 'batch_expired' ? 'expired' : code === 'batch_cancelled' ? 'canceled' : 'errored';
    out.push({ ...base, outcome, status: 0, requestId: '', error: { code, message } });
  }
  return out;
}

export class OpenAIBatchClient implements ProviderBatchClient {
  constructor(
    private readonly target: ForwardTarget,
    private readonly deployment: Deployment,
    private readonly fetchFn: FetchLike,
  ) {}

  async submit(batch: BatchRecord, lines: readonly BatchLine[]): Promise<SubmittedBatch> {
    const form = new FormData();
    form.set('purpose', 'batch');
    form.set('file', new Blob([inputJsonl(this.deployment, lines)]), `${batch.id}.jsonl`);
    const file = parseJson(
      (await sendOk(this.fetchFn, this.target, { method: 'POST', path: '/v1/files', form })).text,
    );
    const fileId = isRecord(file) && typeof file.id === 'string' ? file.id : undefined;
    if (!fileId) throw new Error('OpenAI file upload answered without an id');
    const created = parseJson(
      (
        await sendOk(this.fetchFn, this.target, {
          method: 'POST',
          path: '/v1/batches',
          json: createBatchBody(batch, fileId),
        })
      ).text,
    );
    if (!isRecord(created) || typeof created.id !== 'string')
      throw new Error('OpenAI batch create answered without an id');
    return { providerBatchId: created.id, providerFileId: fileId };
  }

  async find(
    batch: BatchRecord,
    _lines: readonly BatchLine[],
    options: { since: number; taken: ReadonlySet<string> },
  ): Promise<string | undefined> {
    // Newest first; pages stop at batches created before the mark (a minute of clock skew allowed).
    const floor = Math.floor((options.since - 60_000) / 1000);
    let after: string | undefined;
    for (;;) {
      const query = `?limit=100${after ? `&after=${encodeURIComponent(after)}` : ''}`;
      const page = parseJson(
        (await sendOk(this.fetchFn, this.target, { method: 'GET', path: `/v1/batches${query}` })).text,
      );
      const data = isRecord(page) && Array.isArray(page.data) ? page.data.filter(isRecord) : [];
      for (const b of data) {
        const id = typeof b.id === 'string' ? b.id : undefined;
        const metadata = isRecord(b.metadata) ? b.metadata : {};
        if (id && metadata[SLUICE_BATCH_KEY] === batch.id && !options.taken.has(id)) return id;
      }
      const last = data.at(-1);
      const older = typeof last?.created_at === 'number' && last.created_at < floor;
      if (!isRecord(page) || page.has_more !== true || older || typeof last?.id !== 'string')
        return undefined;
      after = last.id;
    }
  }

  async state(providerBatchId: string): Promise<ProviderBatchState> {
    const answer = await sendOk(this.fetchFn, this.target, {
      method: 'GET',
      path: `/v1/batches/${encodeURIComponent(providerBatchId)}`,
    });
    return openaiState(parseJson(answer.text));
  }

  async results(providerBatchId: string, lines: readonly BatchLine[]): Promise<LineResult[]> {
    const batch = parseJson(
      (
        await sendOk(this.fetchFn, this.target, {
          method: 'GET',
          path: `/v1/batches/${encodeURIComponent(providerBatchId)}`,
        })
      ).text,
    );
    const records: Record<string, unknown>[] = [];
    for (const key of ['output_file_id', 'error_file_id']) {
      const fileId = isRecord(batch) ? batch[key] : undefined;
      if (typeof fileId !== 'string') continue;
      const content = await sendOk(this.fetchFn, this.target, {
        method: 'GET',
        path: `/v1/files/${encodeURIComponent(fileId)}/content`,
      });
      records.push(...jsonlRecords(content.text));
    }
    return openaiResults(records, lines);
  }

  async cancel(providerBatchId: string): Promise<void> {
    await sendOk(this.fetchFn, this.target, {
      method: 'POST',
      path: `/v1/batches/${encodeURIComponent(providerBatchId)}/cancel`,
    });
  }
}

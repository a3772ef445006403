/**
 * OpenAI's Batch API: `POST /v1/batches`, retrieve, list (`after`/`limit`
 * cursor), cancel. The input file is validated when the batch runs its
 * `validating` step: malformed lines fail the whole batch with `errors`,
 * and a batch over the model's enqueued-token limit fails with
 * `token_limit_exceeded` (the API accepts the create and fails later).
 */
import type { Endpoint, Reply } from '../flavour.js';
import { jsonReply } from '../flavour.js';
import { isObject } from '../flavours/json.js';
import { openaiError } from '../flavours/openai/openai-wire.js';
import { type BatchError, BatchJob, type BatchLine } from './batch-job.js';
import type { OpenAIFiles } from './openai-files.js';

export const OPENAI_BATCH_ENDPOINTS: Readonly<Record<string, Endpoint>> = Object.freeze({
  '/v1/chat/completions': 'chat',
  '/v1/responses': 'responses',
  '/v1/embeddings': 'embeddings',
  '/v1/completions': 'completions',
});

const DAY_MS = 86_400_000;

export interface ParsedInput {
  readonly lines: BatchLine[];
  readonly model: string;
  readonly errors: BatchError[];
}

/** Reads a JSONL input file; every malformed line is reported with its 1-based number. */
export function parseInputFile(text: string, endpoint: string): ParsedInput {
  const lines: BatchLine[] = [];
  const errors: BatchError[] = [];
  const seen = new Set<string>();
  let model = '';
  const rows = text.split('\n');
  for (const [i, row] of rows.entries()) {
    if (row.trim() === '') continue;
    const read = readLine(row, i + 1, { endpoint, seen, model });
    if ('code' in read) {
      errors.push(read);
      continue;
    }
    if (model === '') model = read.model;
    lines.push(read.line);
  }
  if (lines.length === 0 && errors.length === 0) {
    errors.push({ code: 'empty_file', message: 'The batch input file is empty.', param: null, line: null });
  }
  return { lines, model, errors };
}

/** One line of the input file: the request, or why the batch fails validation. */
function readLine(
  row: string,
  line: number,
  ctx: { endpoint: string; seen: Set<string>; model: string },
): { line: BatchLine; model: string } | BatchError {
  const { endpoint, seen, model } = ctx;
  const fail = (code: string, message: string, param: string | null = null): BatchError => ({
    code,
    message,
    param,
    line,
  });
  let value: unknown;
  try {
    value = JSON.parse(row);
  } catch {
    return fail('invalid_json_line', 'This line is not parseable as valid JSON.');
  }
  if (!isObject(value)) return fail('invalid_json_line', 'This line is not a JSON object.');
  const customId = value.custom_id;
  if (typeof customId !== 'string' || customId === '') {
    return fail('missing_required_parameter', 'Missing required parameter: custom_id.', 'custom_id');
  }
  if (seen.has(customId)) {
    return fail(
      'duplicate_custom_id',
      'The custom_id for this request is a duplicate of another request. The custom_id parameter must be unique for each request in a batch.',
      'custom_id',
    );
  }
  seen.add(customId);
  if (value.method !== 'POST')
    return fail('invalid_method', 'The method of every request must be POST.', 'method');
  if (value.url !== endpoint) {
    return fail(
      'mismatched_endpoint',
      `The url of this request does not match the batch endpoint ${endpoint}.`,
      'url',
    );
  }
  if (!isObject(value.body)) return fail('invalid_request', "Missing required parameter: 'body'.", 'body');
  const lineModel = typeof value.body.model === 'string' ? value.body.model : '';
  if (model !== '' && lineModel !== model) {
    return fail('mismatched_model', 'Every request in a batch must use the same model.', 'body.model');
  }
  return { line: { customId, body: value.body }, model: lineModel };
}

const STATUS_TIMES = {
  completed: 'completed_at',
  failed: 'failed_at',
  cancelled: 'cancelled_at',
  expired: 'expired_at',
} as const;

export function batchObject(job: BatchJob, inputFileId: string) {
  const s = (ms: number | undefined) => (ms === undefined ? null : Math.floor(ms / 1000));
  const ended: Record<string, number | null> = {
    completed_at: null,
    failed_at: null,
    expired_at: null,
    cancelled_at: null,
  };
  if (job.outcome) ended[STATUS_TIMES[job.outcome]] = s(job.times.ended);
  return {
    id: job.id,
    object: 'batch',
    endpoint: job.endpoint,
    model: job.model || null,
    errors: job.validationErrors.length > 0 ? { object: 'list', data: job.validationErrors } : null,
    input_file_id: inputFileId,
    completion_window: '24h',
    status: job.outcome ?? job.phase,
    output_file_id: job.outputFileId,
    error_file_id: job.errorFileId,
    created_at: s(job.times.created),
    in_progress_at: s(job.times.inProgress),
    expires_at: s(job.expiresAt),
    finalizing_at: s(job.times.finalizing),
    cancelling_at: s(job.times.cancelling),
    ...ended,
    request_counts: {
      total: job.validationErrors.length > 0 ? 0 : job.lines.length,
      completed: job.count('succeeded'),
      failed: job.count('errored') + job.count('expired'),
    },
    usage: batchUsage(job),
    metadata: job.metadata,
  };
}

/** Token usage summed over the answered lines (chat, completions and embeddings report prompt/completion, responses input/output). */
function batchUsage(job: BatchJob) {
  let input = 0;
  let cached = 0;
  let output = 0;
  let reasoning = 0;
  for (const r of job.results) {
    const usage = isObject(r.body) && isObject(r.body.usage) ? r.body.usage : undefined;
    if (!usage) continue;
    input += num(usage.prompt_tokens ?? usage.input_tokens);
    output += num(usage.completion_tokens ?? usage.output_tokens);
    const inDetails = usage.prompt_tokens_details ?? usage.input_tokens_details;
    const outDetails = usage.completion_tokens_details ?? usage.output_tokens_details;
    cached += isObject(inDetails) ? num(inDetails.cached_tokens) : 0;
    reasoning += isObject(outDetails) ? num(outDetails.reasoning_tokens) : 0;
  }
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: cached },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: reasoning },
    total_tokens: input + output,
  };
}

function num(v: unknown): number {
  return typeof v === 'number' ? v : 0;
}

/** Output and error files of an ended batch: one JSONL line per `custom_id`. */
export function writeResultFiles(job: BatchJob, files: OpenAIFiles, now: number): void {
  const output: string[] = [];
  const errors: string[] = [];
  job.results.forEach((r, i) => {
    const id = `batch_req_${job.id.slice(6)}${i.toString(16).padStart(6, '0')}`;
    if (r.kind === 'succeeded' || r.kind === 'errored') {
      const line = {
        id,
        custom_id: r.customId,
        response: { status_code: r.status, request_id: r.requestId, body: r.body },
        error: null,
      };
      (r.kind === 'succeeded' ? output : errors).push(JSON.stringify(line));
      return;
    }
    const error =
      r.kind === 'expired'
        ? {
            code: 'batch_expired',
            message: 'This request could not be executed before the completion window expired.',
          }
        : {
            code: 'batch_cancelled',
            message: 'This request was not executed because the batch was cancelled.',
          };
    errors.push(JSON.stringify({ id, custom_id: r.customId, response: null, error }));
  });
  const write = (lines: string[], name: string) =>
    lines.length === 0
      ? null
      : files.add(job.key, {
          filename: `${job.id}_${name}.jsonl`,
          purpose: 'batch_output',
          content: Buffer.from(`${lines.join('\n')}\n`),
          now,
        }).id;
  job.outputFileId = write(output, 'output');
  job.errorFileId = write(errors, 'error');
}

/** `POST /v1/batches`: the job to queue, or the 400/404 the API answers at once. */
export function createBatch(
  body: unknown,
  ctx: {
    key: string;
    now: number;
    id: string;
    files: OpenAIFiles;
    tokensOf: (lines: readonly BatchLine[], endpoint: Endpoint) => number;
  },
): { job: BatchJob; inputFileId: string } | Reply {
  if (!isObject(body)) return invalid('The request body must be a JSON object.', null);
  const { input_file_id: fileId, endpoint, completion_window: window, metadata } = body;
  if (typeof fileId !== 'string')
    return invalid("Missing required parameter: 'input_file_id'.", 'input_file_id');
  if (typeof endpoint !== 'string' || !(endpoint in OPENAI_BATCH_ENDPOINTS)) {
    return invalid(
      `Invalid value for 'endpoint': '${String(endpoint)}'. Supported values are: ${Object.keys(OPENAI_BATCH_ENDPOINTS).join(', ')}.`,
      'endpoint',
    );
  }
  if (window !== '24h')
    return invalid(
      `Invalid value for 'completion_window': '${String(window)}'. Supported values are: '24h'.`,
      'completion_window',
    );
  const file = ctx.files.get(ctx.key, fileId);
  if (!file)
    return openaiError(
      404,
      { message: `No such File object: ${fileId}`, type: 'invalid_request_error', param: 'input_file_id' },
      {},
    );
  if (file.purpose !== 'batch')
    return invalid(
      `File ${fileId} has purpose '${file.purpose}'; a batch needs purpose 'batch'.`,
      'input_file_id',
    );
  const input = parseInputFile(file.content.toString('utf8'), endpoint);
  const job = new BatchJob({
    id: ctx.id,
    provider: 'openai',
    key: ctx.key,
    model: input.model,
    endpoint,
    lines: input.lines,
    inputTokens:
      input.errors.length > 0 ? 0 : ctx.tokensOf(input.lines, OPENAI_BATCH_ENDPOINTS[endpoint] as Endpoint),
    createdAt: ctx.now,
    expiresAt: ctx.now + DAY_MS,
    validationErrors: input.errors,
    metadata: isObject(metadata) ? (metadata as Record<string, string>) : null,
  });
  return { job, inputFileId: fileId };
}

/** `GET /v1/batches`: newest first, `after` = the last id of the previous page. */
export function listBatches(
  objects: readonly { id: string }[],
  after: string | null,
  limitParam: string | null,
): Reply {
  const limit = limitParam === null ? 20 : Number(limitParam);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    return invalid(
      `Invalid 'limit': integer below minimum value or above maximum value (1 to 100).`,
      'limit',
    );
  }
  const start = after === null ? 0 : objects.findIndex((o) => o.id === after) + 1;
  const data = start === 0 && after !== null ? [] : objects.slice(start, start + limit);
  return jsonReply(200, {
    object: 'list',
    data,
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
    has_more: start + data.length < objects.length && data.length > 0,
  });
}

export function noSuchBatch(id: string): Reply {
  return openaiError(
    404,
    { message: `No batch found with id '${id}'.`, type: 'invalid_request_error', param: null },
    {},
  );
}

export function invalid(message: string, param: string | null): Reply {
  return openaiError(400, { message, type: 'invalid_request_error', param }, {});
}

/**
 * A batch's results as OpenAI's output and error files
 * (platform.openai.com/docs/guides/batch, "Retrieve the results"): JSONL,
 * one line per `custom_id`. The output file holds the succeeded lines; the
 * error file every other one — an answer that was an error (its `response`
 * carries it, `error` is null), and lines with no answer at all (malformed,
 * canceled, expired: `response` null, `error` says why). Pure; the files
 * are rendered from the stored results whenever they are read.
 */
import { createHash } from 'node:crypto';
import type { BatchRecord, LineResult } from '../batch.js';

export type ResultPart = 'output' | 'error';

/** What a line that never got an answer says when its result names no reason. */
const NO_ANSWER: Readonly<Record<LineResult['outcome'], { code: string; message: string }>> = Object.freeze({
  succeeded: { code: 'internal_error', message: 'The request has no recorded answer.' },
  errored: { code: 'invalid_request', message: 'The request could not be processed.' },
  canceled: {
    code: 'batch_cancelled',
    message: 'This request was not executed because the batch was cancelled.',
  },
  expired: {
    code: 'batch_expired',
    message: 'This request could not be executed before the completion window expired.',
  },
});

export function partOf(result: LineResult): ResultPart {
  return result.outcome === 'succeeded' ? 'output' : 'error';
}

/** `batch_req_…`: stable for a line, so downloading a file twice gives the same bytes. */
export function batchRequestId(batchId: string, index: number): string {
  return `batch_req_${createHash('sha256').update(`${batchId}\n${index}`).digest('hex').slice(0, 32)}`;
}

export function openAIResultLine(batch: BatchRecord, result: LineResult) {
  const answered = result.body !== undefined;
  return {
    id: batchRequestId(batch.id, result.index),
    custom_id: result.customId,
    response: answered
      ? { status_code: result.status, request_id: result.requestId, body: result.body }
      : null,
    error: answered ? null : (result.error ?? NO_ANSWER[result.outcome]),
  };
}

/** The output or error file of `batch`: its lines of that part, in line order. */
export function renderOpenAIResultFile(
  batch: BatchRecord,
  results: readonly LineResult[],
  part: ResultPart,
): string {
  let text = '';
  for (const result of results) {
    if (partOf(result) === part) text += `${JSON.stringify(openAIResultLine(batch, result))}\n`;
  }
  return text;
}

/**
 * The background lane's records in OpenAI's wire shapes: the `file` object
 * of the Files API and the `batch` object of the Batch API
 * (platform.openai.com/docs/api-reference/files/object,
 * …/batch/object). Pure: times are Unix seconds, absent ones `null`.
 */

import type { BatchRecord, BatchStatus, FileRecord } from '../batch.js';
import { requestCounts } from '../batch.js';
import { type BatchStanding, paceObject } from '../progress-tracker.js';

const seconds = (ms: number | undefined): number | null => (ms === undefined ? null : Math.floor(ms / 1000));

export function openAIFileObject(file: FileRecord) {
  return {
    id: file.id,
    object: 'file' as const,
    bytes: file.bytes,
    created_at: Math.floor(file.createdAt / 1000),
    filename: file.filename,
    purpose: file.purpose,
    status: 'processed' as const,
    status_details: null,
    expires_at: seconds(file.expiresAt),
  };
}

/** Each status's own `*_at` field; `validating` has none (it is `created_at`). */
const TIME_FIELDS: Readonly<Partial<Record<BatchStatus, string>>> = Object.freeze({
  in_progress: 'in_progress_at',
  finalizing: 'finalizing_at',
  completed: 'completed_at',
  failed: 'failed_at',
  expired: 'expired_at',
  cancelling: 'cancelling_at',
  cancelled: 'cancelled_at',
});

export function openAIBatchObject(batch: BatchRecord, progress: BatchStanding) {
  const times: Record<string, number | null> = {};
  for (const [status, field] of Object.entries(TIME_FIELDS)) {
    times[field] = seconds(batch.times[status as BatchStatus]);
  }
  const errors = batch.errors ?? [];
  return {
    id: batch.id,
    object: 'batch' as const,
    endpoint: batch.endpoint,
    model: batch.model || null,
    errors:
      errors.length === 0
        ? null
        : {
            object: 'list' as const,
            data: errors.map((e) => ({ code: e.code, message: e.message, param: null, line: null })),
          },
    input_file_id: batch.inputFileId ?? '',
    completion_window: batch.completionWindow,
    status: batch.status,
    output_file_id: batch.outputFileId ?? null,
    error_file_id: batch.errorFileId ?? null,
    created_at: Math.floor(batch.createdAt / 1000),
    expires_at: seconds(batch.expiresAt),
    in_progress_at: times.in_progress_at ?? null,
    finalizing_at: times.finalizing_at ?? null,
    completed_at: times.completed_at ?? null,
    failed_at: times.failed_at ?? null,
    expired_at: times.expired_at ?? null,
    cancelling_at: times.cancelling_at ?? null,
    cancelled_at: times.cancelled_at ?? null,
    request_counts: requestCounts(progress),
    metadata: batch.metadata ?? null,
    // Sluice's own: how fast the batch moves and when it should be done (SDKs keep unknown fields).
    sluice_progress: paceObject(progress),
  };
}

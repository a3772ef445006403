/**
 * The background lane's batches in Anthropic's wire shape, the
 * `message_batch` object (docs.anthropic.com/en/api/retrieving-message-batches):
 * ISO 8601 times, `processing_status` folded from the lane's statuses, and
 * `results_url` once the batch has ended. Pure.
 */

import { type BatchRecord, ENDED_STATUSES, linesDone } from '../batch.js';
import { type BatchStanding, paceObject } from '../progress-tracker.js';

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

/** `validating`/`in_progress`/`finalizing` are all `in_progress`; every end is `ended`. */
export function processingStatus(batch: BatchRecord): 'in_progress' | 'canceling' | 'ended' {
  if (ENDED_STATUSES.has(batch.status)) return 'ended';
  return batch.status === 'cancelling' ? 'canceling' : 'in_progress';
}

/** When the batch ended: the time of whichever end status it reached. */
export function endedAt(batch: BatchRecord): number | undefined {
  return ENDED_STATUSES.has(batch.status) ? batch.times[batch.status] : undefined;
}

/** `baseUrl`: where the caller reached the gateway (the SDK downloads results from `results_url` as given). */
export function messageBatchObject(batch: BatchRecord, progress: BatchStanding, baseUrl: string) {
  const status = processingStatus(batch);
  const ended = status === 'ended';
  return {
    id: batch.id,
    type: 'message_batch' as const,
    processing_status: status,
    request_counts: {
      processing: ended ? 0 : Math.max(0, progress.total - linesDone(progress)),
      succeeded: progress.succeeded,
      errored: progress.errored,
      canceled: progress.canceled,
      expired: progress.expired,
    },
    ended_at: iso(endedAt(batch)),
    created_at: iso(batch.createdAt) as string,
    expires_at: iso(batch.expiresAt) as string,
    archived_at: null,
    cancel_initiated_at: iso(batch.times.cancelling),
    results_url: ended ? `${baseUrl}/v1/messages/batches/${encodeURIComponent(batch.id)}/results` : null,
    // Sluice's own: how fast the batch moves and when it should be done (SDKs keep unknown fields).
    sluice_progress: paceObject(progress),
  };
}

/**
 * The background lane as the API, `/metrics` and the dashboard show it: per
 * active batch, where it stands and how fast it moves.
 */
import type { BatchApi, BatchMode, BatchStatus } from './batch.js';
import type { EnqueuedReading } from './forward/enqueued-tokens.js';

export interface BatchView {
  readonly id: string;
  readonly tenant: string;
  readonly api: BatchApi;
  readonly mode: BatchMode;
  readonly model: string;
  readonly status: BatchStatus;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly total: number;
  readonly succeeded: number;
  readonly errored: number;
  readonly canceled: number;
  readonly expired: number;
  /** Lines answered per minute over the last minute, every instance's lines included. */
  readonly linesPerMinute: number;
  /** When the remaining lines should be answered at that pace; undefined while the batch does not move. */
  readonly expectedCompletionAt: number | undefined;
  /** Forward mode: why the batch is not at the provider yet (its enqueued-token limit, its tenant's budget). */
  readonly waiting?: { readonly code: string; readonly message: string } | undefined;
}

export interface LaneSnapshot {
  readonly at: number;
  /** Batches not ended, any tenant. */
  readonly batches: readonly BatchView[];
  /** Lines this instance is running now. */
  readonly inFlight: number;
  /** Forward mode: per deployment, input tokens of its batches queued at the provider, and the limit in force. */
  readonly enqueued?: readonly EnqueuedReading[] | undefined;
}

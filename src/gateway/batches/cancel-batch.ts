/**
 * Cancelling a batch, whichever API asks: only one still validating or in
 * progress moves to `cancelling` (two instances may race; the store lets
 * one win); the lane then ends its unrun lines as canceled. A batch already
 * cancelling stays so; one finalizing or ended cannot be cancelled.
 */
import type { BatchRecord, BatchStatus } from '../../batches/batch.js';
import type { BatchRequest } from './batch-request.js';

const CANCELLABLE: readonly BatchStatus[] = ['validating', 'in_progress'];

/** The batch after the request: `cancelling` (now or already), or as it was when it could not be. */
export async function cancelBatch(call: BatchRequest, batch: BatchRecord): Promise<BatchRecord> {
  const store = call.lane.store;
  const now = call.now();
  const moved = await store.transition(batch.id, CANCELLABLE, (b) => ({
    ...b,
    status: 'cancelling',
    times: { ...b.times, cancelling: now },
  }));
  if (moved) {
    call.lane.wake();
    return moved;
  }
  return (await store.batch(batch.id)) ?? batch;
}

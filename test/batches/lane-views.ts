/**
 * Test kit for what shows the background lane (`/metrics`, the dashboard):
 * a batch's view as the lane's snapshot has it, and a lane that only
 * answers `snapshot()` with whatever the test gives it.
 */
import type { BatchLane } from '../../src/batches/batch-lane.js';
import type { BatchView, LaneSnapshot } from '../../src/batches/lane-snapshot.js';

/** An `in_progress` drain batch of 100 lines, none answered, not moving; `at` is when it was read. */
export function batchView(at: number, over: Partial<BatchView> & { id: string }): BatchView {
  return {
    tenant: 'acme',
    api: 'openai',
    mode: 'drain',
    model: 'gpt',
    status: 'in_progress',
    createdAt: at - 600_000,
    expiresAt: at + 86_400_000,
    total: 100,
    succeeded: 0,
    errored: 0,
    canceled: 0,
    expired: 0,
    linesPerMinute: 0,
    expectedCompletionAt: undefined,
    ...over,
  };
}

/** A lane whose snapshot is what `read` returns at each call (the gateway reads only that). */
export function fixedLane(read: () => LaneSnapshot | Promise<LaneSnapshot>): BatchLane {
  return { snapshot: async () => read() } as unknown as BatchLane;
}

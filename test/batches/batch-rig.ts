/**
 * A gateway with the background lane on, its store the in-memory fake and
 * no runner: tests play the runner's part (results, finalize) on the store.
 */

import type { BatchRecord, FileRecord, LineResult } from '../../src/batches/batch.js';
import { ManualClock } from '../../src/core/clock.js';
import { type BatchLaneHandle, laneSettings } from '../../src/gateway/batches/lane-handle.js';
import type { GatewayConfigInput } from '../../src/gateway/config/schema.js';
import { baseConfig, type Rig, startRig } from '../gateway/helpers.js';
import { FakeBatchStore } from './fake-batch-store.js';

export interface BatchRig extends Rig {
  readonly store: FakeBatchStore;
  readonly clock: ManualClock;
  /** How often the routes woke the lane. */
  wakes(): number;
  /** What the runner does when a batch ends: results written, status `completed`, output and error files. */
  finalize(batchId: string, results: readonly LineResult[]): Promise<BatchRecord>;
}

export async function startBatchRig(
  overrides: (simUrl: string) => Partial<GatewayConfigInput> = () => ({}),
): Promise<BatchRig> {
  const clock = new ManualClock();
  const rig = await startRig({
    clock,
    config: (simUrl) => ({ ...baseConfig(simUrl), batches: {}, ...overrides(simUrl) }),
  });
  const store = new FakeBatchStore();
  const settings = laneSettings(rig.gateway.config);
  if (!settings) throw new Error('the lane is off in this config');
  let wakes = 0;
  const lane: BatchLaneHandle = { store, settings, wake: () => void wakes++ };
  rig.gateway.context.batches = lane;
  return {
    ...rig,
    store,
    clock,
    wakes: () => wakes,
    async finalize(batchId, results) {
      for (const r of results) await store.complete(batchId, r);
      const now = clock.now();
      const batch = (await store.batch(batchId)) as BatchRecord;
      const file = (part: 'output' | 'error'): FileRecord => ({
        id: `file-${part}-${batchId}`,
        tenant: batch.tenant,
        purpose: 'batch_output',
        filename: `${batchId}_${part}.jsonl`,
        bytes: 0,
        createdAt: now,
        source: { batchId, part },
      });
      const output = file('output');
      const error = file('error');
      await store.putFile(output, new Uint8Array());
      await store.putFile(error, new Uint8Array());
      const done = await store.transition(batchId, ['validating', 'in_progress', 'finalizing'], (b) => ({
        ...b,
        status: 'completed',
        times: { ...b.times, in_progress: b.times.in_progress ?? now, finalizing: now, completed: now },
        outputFileId: b.api === 'openai' ? output.id : undefined,
        errorFileId: b.api === 'openai' ? error.id : undefined,
      }));
      if (!done) throw new Error(`batch ${batchId} could not be finalized`);
      return done;
    },
  };
}

/**
 * How a batch ends, whoever ran it (drain or forward) and whichever
 * instance gets there first. Every step can be repeated after a crash:
 * lines without a result end as `canceled`/`expired` only if they still
 * have none, the output and error files have ids derived from the batch's
 * (written again, they are the same files), and the status moves by
 * compare-and-set, so of two instances ending one batch one moves it.
 *
 * - all lines answered: `in_progress` → `finalizing` → `completed`;
 * - cancelled: `cancelling` → `cancelled` (lines not answered: `canceled`);
 * - past `expires_at`: → `expired` (lines not answered: `expired`).
 */
import type { BatchRecord, BatchStatus, FileRecord, LineResult } from './batch.js';
import type { BatchStore } from './batch-store.js';

/** The size of a batch's output or error file as its API renders it (undefined: the API has no files). */
export type ResultFileSize = (
  batch: BatchRecord,
  results: readonly LineResult[],
  part: 'output' | 'error',
) => number | undefined;

export interface FinalizeDeps {
  readonly store: BatchStore;
  readonly fileSize: ResultFileSize;
}

export type BatchEnd = 'completed' | 'cancelled' | 'expired';

/** The statuses a batch may end from, per end. */
const ENDS_FROM: Readonly<Record<BatchEnd, readonly BatchStatus[]>> = Object.freeze({
  completed: ['in_progress', 'finalizing'],
  cancelled: ['cancelling'],
  expired: ['validating', 'in_progress', 'finalizing', 'cancelling'],
});

/** Ends the batch as `end`; returns the ended record, or undefined when it had already moved on. */
export async function endBatch(
  deps: FinalizeDeps,
  batch: BatchRecord,
  end: BatchEnd,
  now: number,
): Promise<BatchRecord | undefined> {
  const { store } = deps;
  let current: BatchRecord | undefined = batch;
  if (end === 'completed' && batch.status === 'in_progress') {
    current = await store.transition(batch.id, ['in_progress'], (b) => ({
      ...b,
      status: 'finalizing',
      times: { ...b.times, finalizing: now },
    }));
    if (!current) return undefined;
  }
  if (end !== 'completed')
    await store.endRemaining(batch.id, end === 'cancelled' ? 'canceled' : 'expired', now);
  const results = await store.results(batch.id);
  const files = {
    output: await writeResultFile(deps, current, results, 'output', now),
    error: await writeResultFile(deps, current, results, 'error', now),
  };
  return store.transition(batch.id, ENDS_FROM[end], (b) => ({
    ...b,
    status: end,
    times: { ...b.times, [end]: now },
    outputFileId: files.output,
    errorFileId: files.error,
  }));
}

/** The id of a batch's output or error file: derived, so writing it twice is writing it once. */
export function resultFileId(batchId: string, part: 'output' | 'error'): string {
  return `file-${part}-${batchId}`;
}

async function writeResultFile(
  deps: FinalizeDeps,
  batch: BatchRecord,
  results: readonly LineResult[],
  part: 'output' | 'error',
  now: number,
): Promise<string | undefined> {
  const bytes = deps.fileSize(batch, results, part);
  // No file for an API without files, nor an error file when no line failed (OpenAI leaves it null).
  if (bytes === undefined || bytes === 0) return undefined;
  const file: FileRecord = {
    id: resultFileId(batch.id, part),
    tenant: batch.tenant,
    purpose: 'batch_output',
    filename: `${batch.id}_${part}.jsonl`,
    bytes,
    createdAt: now,
    source: { batchId: batch.id, part },
  };
  await deps.store.putFile(file, new Uint8Array(0));
  return file.id;
}

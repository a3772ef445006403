/**
 * The background lane on the dashboard: the lane's snapshot shaped into the
 * page's rows (the same split of lines as `sluice_batch_lines`), and the
 * rows of several workers merged into one per batch.
 */
import type { LaneSnapshot } from '../batches/lane-snapshot.js';
import { batchLineStates } from '../gateway/batch-metrics.js';
import type { BatchesSection, BatchRow } from './wire.js';

/** What the dashboard read of the lane: off, or on with its snapshot (undefined when it could not be read). */
export type LaneReading =
  | { readonly on: false }
  | { readonly on: true; readonly snapshot: LaneSnapshot | undefined };

export function batchesSection(lane: LaneReading, now: number): BatchesSection | null {
  if (!lane.on) return null;
  const snapshot = lane.snapshot;
  if (!snapshot) return { available: false, inFlight: 0, rows: [] };
  const rows = snapshot.batches.map((b): BatchRow => {
    const { done, failed, remaining } = batchLineStates(b);
    return {
      id: b.id,
      tenant: b.tenant,
      api: b.api,
      mode: b.mode,
      model: b.model,
      status: b.status,
      createdAt: b.createdAt,
      total: b.total,
      done,
      failed,
      remaining,
      linesPerMinute: Math.round(b.linesPerMinute * 10) / 10,
      expectedCompletionInMs:
        b.expectedCompletionAt === undefined ? null : Math.max(0, Math.round(b.expectedCompletionAt - now)),
      waiting: b.waiting?.message ?? null,
    };
  });
  return { available: true, inFlight: snapshot.inFlight, rows: rows.sort(oldestFirst) };
}

/**
 * Every worker reads the batches from the one store a moment apart, and
 * counts only grow: per batch the largest counts are the freshest, and the
 * pace and expected completion are those of the reading that saw the most
 * lines answered. Lines in flight are each worker's own and sum.
 */
export function mergeBatches(all: readonly (BatchesSection | null)[]): BatchesSection | null {
  const on = all.filter((s): s is BatchesSection => s !== null);
  if (on.length === 0) return null;
  const byId = new Map<string, BatchRow[]>();
  for (const section of on)
    for (const row of section.rows) {
      const list = byId.get(row.id);
      if (list) list.push(row);
      else byId.set(row.id, [row]);
    }
  const rows = [...byId.values()].map(mergeRow);
  return {
    available: on.some((s) => s.available),
    inFlight: on.reduce((n, s) => n + s.inFlight, 0),
    rows: rows.sort(oldestFirst),
  };
}

function mergeRow(rows: readonly BatchRow[]): BatchRow {
  const answered = (r: BatchRow) => r.done + r.failed;
  const freshest = rows.reduce((best, r) => (answered(r) > answered(best) ? r : best));
  const total = Math.max(...rows.map((r) => r.total));
  const done = Math.max(...rows.map((r) => r.done));
  const failed = Math.max(...rows.map((r) => r.failed));
  return {
    ...freshest,
    total,
    done,
    failed,
    remaining: Math.max(0, total - done - failed),
  };
}

function oldestFirst(a: BatchRow, b: BatchRow): number {
  return a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * The dashboard's long views (issue 21): the recorded history
 * (`src/history/`) of the last hour, day or week, downsampled to a chart's
 * worth of points — per minute for an hour, per 15 minutes for a day, per
 * hour for a week. Counts add up within a step; a utilization is the step's
 * highest peak (a bucket that touched 100 % for one minute of the hour did
 * touch it). Pure, so it is tested without a gateway.
 */
import type { Dimension } from '../core/cost.js';
import type { Window } from '../core/limit.js';
import type { History } from '../history/history-read.js';
import { MINUTE_MS } from '../history/minute-records.js';
import { limitNameOf } from '../runtime/limits.js';
import type { HistoryRange, HistoryView, Line } from './wire.js';

export const HISTORY_RANGES: Readonly<Record<HistoryRange, { spanMs: number; stepMs: number }>> =
  Object.freeze({
    '1h': { spanMs: 3_600_000, stepMs: MINUTE_MS },
    '24h': { spanMs: 86_400_000, stepMs: 15 * MINUTE_MS },
    '7d': { spanMs: 7 * 86_400_000, stepMs: 3_600_000 },
  });

export function isHistoryRange(value: string | null): value is HistoryRange {
  return value !== null && Object.hasOwn(HISTORY_RANGES, value);
}

/** The span a range reads, ending with the last whole minute before `now` (the one in progress is not written yet). */
export function historySpan(range: HistoryRange, now: number): { from: number; to: number } {
  const { spanMs, stepMs } = HISTORY_RANGES[range];
  const to = Math.floor(now / stepMs) * stepMs + stepMs;
  return { from: to - spanMs, to };
}

export function historyView(history: History, range: HistoryRange, now: number): HistoryView {
  const { stepMs } = HISTORY_RANGES[range];
  const { from, to } = historySpan(range, now);
  const steps = Math.round((to - from) / stepMs);
  const t = Array.from({ length: steps }, (_, i) => from + i * stepMs);
  const stepOf = (minute: number) => Math.floor((minute * MINUTE_MS - from) / stepMs);
  const sums = () => new Array<number | null>(steps).fill(null);
  const add = (line: (number | null)[], i: number, v: number) => {
    if (i < 0 || i >= steps) return;
    line[i] = (line[i] ?? 0) + v;
  };
  const max = (line: (number | null)[], i: number, v: number) => {
    if (i < 0 || i >= steps) return;
    line[i] = Math.max(line[i] ?? 0, v);
  };
  return {
    range,
    stepMs,
    from,
    to,
    t,
    buckets: history.buckets.map((b) => {
      const admitted = sums();
      const refused = sums();
      const peak = sums();
      for (const m of b.minutes) {
        const i = stepOf(m.minute);
        add(admitted, i, m.admitted);
        add(refused, i, m.refused);
        max(peak, i, m.peak);
      }
      const name = limitNameOf(b.dimension as Dimension, (b.per || undefined) as Window | undefined);
      return {
        key: b.key,
        scope: b.scope,
        owner: b.owner,
        limitName: name ?? b.dimension,
        limit: b.minutes.at(-1)?.limit ?? 0,
        admitted: admitted as Line,
        refused: refused as Line,
        peak: peak as Line,
      };
    }),
    tenants: history.tenants.map((s) => {
      const requests = sums();
      const refused = sums();
      const costUsd = sums();
      for (const m of s.minutes) {
        const i = stepOf(m.minute);
        add(requests, i, m.requests);
        add(refused, i, m.refused);
        add(costUsd, i, m.costUsd);
      }
      return { tenant: s.tenant, group: s.group, requests, refused, costUsd };
    }),
  };
}

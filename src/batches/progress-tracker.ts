/**
 * How fast each batch moves and when it should be done: lines answered per
 * minute over the last minute, from the store's counts (cluster-wide with
 * Redis: every instance's lines count), and the expected completion at that
 * pace. The pace is what the lane really gets, so it already says how much
 * headroom interactive traffic leaves; a batch that has not moved for a
 * minute has no expected completion (undefined), rather than a made-up one.
 */
import type { BatchProgress } from './batch.js';
import { linesDone } from './batch.js';

/** The pace is measured over this window. */
const WINDOW_MS = 60_000;

interface Sample {
  readonly at: number;
  readonly done: number;
}

export interface BatchPace {
  /** Lines answered per minute over the last minute (0 before a second sample). */
  readonly linesPerMinute: number;
  /** When the remaining lines should be answered at that pace; undefined when not moving. */
  readonly expectedCompletionAt: number | undefined;
}

export class ProgressTracker {
  private readonly samples = new Map<string, Sample[]>();

  /** Records where a batch stands at `now` and returns its pace. */
  observe(batchId: string, progress: BatchProgress, now: number): BatchPace {
    const done = linesDone(progress);
    let list = this.samples.get(batchId);
    if (!list) {
      list = [];
      this.samples.set(batchId, list);
    }
    const last = list[list.length - 1];
    if (!last || last.at < now) list.push({ at: now, done });
    // Keep one sample older than the window, so the pace spans the whole window once it can.
    while (list.length > 2 && (list[1] as Sample).at <= now - WINDOW_MS) list.shift();
    const first = list[0] as Sample;
    const span = now - first.at;
    if (span <= 0) return { linesPerMinute: 0, expectedCompletionAt: undefined };
    const perMs = (done - first.done) / span;
    const remaining = progress.total - done;
    return {
      linesPerMinute: perMs * 60_000,
      expectedCompletionAt: remaining === 0 ? now : perMs > 0 ? now + remaining / perMs : undefined,
    };
  }

  /** Forgets batches no longer active. */
  keepOnly(active: ReadonlySet<string>): void {
    for (const id of this.samples.keys()) if (!active.has(id)) this.samples.delete(id);
  }
}

/** A batch's counts with its pace, when the lane measured one (the API shows both). */
export type BatchStanding = BatchProgress & Partial<BatchPace>;

/** The pace as an API object carries it (`sluice_progress`): seconds like the rest of the object, null when unknown. */
export function paceObject(standing: BatchStanding) {
  const at = standing.expectedCompletionAt;
  return {
    lines_per_minute:
      standing.linesPerMinute === undefined ? null : Math.round(standing.linesPerMinute * 10) / 10,
    expected_completion_at: at === undefined ? null : Math.ceil(at / 1000),
  };
}

/**
 * A run as series over time, for charts: served tokens per minute (a sliding
 * window) against the limit, queue depth per priority class, refusals and
 * upstream 429s per second.
 */
import type { RequestRecord } from '../record.js';
import type { RunResult } from '../runner.js';
import { PRIORITY_CLASSES } from '../scenario.js';

export interface Series {
  readonly name: string;
  readonly points: readonly (readonly [number, number])[];
}

export interface Timeline {
  readonly throughput: Series[];
  readonly queue: Series[];
  /** True when queue depth is the target's own queue; false when it is requests in flight. */
  readonly queueKnown: boolean;
  readonly refusals: Series[];
}

const STEP_MS = 1_000;
const WINDOW_MS = 5_000;

export function timelineOf(run: RunResult): Timeline {
  const end = Math.ceil(run.endedAt / STEP_MS) * STEP_MS;
  const times: number[] = [];
  for (let t = 0; t <= end; t += STEP_MS) times.push(t);
  const served = run.records.filter((r) => r.outcome === 'served' && r.endedAt !== undefined);

  const throughput: Series = {
    name: 'served tokens/min',
    points: times.map((t) => {
      const from = Math.max(0, t - WINDOW_MS);
      let tokens = 0;
      for (const r of served) {
        const at = r.endedAt as number;
        if (at > from && at <= t) tokens += r.inputTokens + r.outputTokens;
      }
      return [t, t > from ? (tokens * 60_000) / (t - from) : 0] as const;
    }),
  };

  const queueKnown = run.records.some((r) => r.waits.length > 0);
  const queue: Series[] = queueKnown
    ? PRIORITY_CLASSES.filter((c) => run.records.some((r) => r.plan.priority === c)).map((c) => ({
        name: c,
        points: times.map((t) => [t, queuedAt(run.records, c, t)] as const),
      }))
    : [{ name: 'in flight', points: run.samples.map((s) => [s.t, s.inFlight] as const) }];

  const perSecond = (select: (r: RequestRecord) => boolean): Series['points'] =>
    times
      .slice(1)
      .map((t) => [t, run.records.filter((r) => select(r) && inStep(r.endedAt, t)).length] as const);
  const refusals: Series[] = [
    { name: 'refused', points: perSecond((r) => r.outcome === 'refused') },
    { name: 'failed', points: perSecond((r) => r.outcome === 'failed') },
  ];
  const upstream = run.samples.filter((s) => s.provider !== undefined);
  if (upstream.length > 1) {
    refusals.push({
      name: 'upstream 429',
      points: upstream.slice(1).map((s, i) => {
        const prev = upstream[i] as (typeof upstream)[number];
        const dt = Math.max(1, s.t - prev.t) / 1_000;
        return [s.t, ((s.provider?.rejected ?? 0) - (prev.provider?.rejected ?? 0)) / dt] as const;
      }),
    });
  }
  return { throughput: [throughput], queue, queueKnown, refusals };
}

function inStep(at: number | undefined, t: number): boolean {
  return at !== undefined && at > t - STEP_MS && at <= t;
}

function queuedAt(records: readonly RequestRecord[], priority: string, t: number): number {
  let n = 0;
  for (const r of records) {
    if (r.plan.priority !== priority) continue;
    for (const w of r.waits) if (w.start <= t && t < w.end) n++;
  }
  return n;
}

/**
 * The page's copy of the time series: replaced by a stream's first event,
 * extended by the points each later event appends, trimmed to the window.
 * Pure (no DOM), so it is tested in Node.
 */
import type { Line, Series } from '../wire.js';

type Lines = Record<string, (number | null)[]>;

export interface SeriesData {
  resolutionMs: number;
  smoothingMs: number;
  countWindowMs: number;
  t: number[];
  requests: (number | null)[];
  inputTokens: (number | null)[];
  outputTokens: (number | null)[];
  cacheReadTokens: (number | null)[];
  limits: {
    requests: (number | null)[];
    inputTokens: (number | null)[];
    outputTokens: (number | null)[];
    tokens: (number | null)[];
  };
  queue: Lines;
  waitP50Ms: Lines;
  waitP99Ms: Lines;
  upstream429: (number | null)[];
  refusals: Lines;
  /** Per deployment and line (`deploymentLineKey`). */
  deployments: Lines;
}

export class SeriesBuffer {
  private data: SeriesData | undefined;

  get current(): SeriesData | undefined {
    return this.data;
  }

  /** Applies one event's series; `now` and `windowMs` bound what is kept. */
  apply(mode: 'replace' | 'append', series: Series, now: number, windowMs: number): SeriesData {
    const data = this.data;
    if (mode === 'replace' || !data) {
      this.data = copy(series);
    } else {
      const last = data.t.at(-1) ?? Number.NEGATIVE_INFINITY;
      // Keep only points after the last one held (a repeated event must not duplicate points).
      const keep = series.t.map((t, i) => (t > last ? i : -1)).filter((i) => i >= 0);
      if (keep.length > 0) {
        const pick = (line: Line) => keep.map((i) => line[i] ?? null);
        const held = data.t.length;
        data.t.push(...keep.map((i) => series.t[i] as number));
        data.requests.push(...pick(series.requests));
        data.inputTokens.push(...pick(series.inputTokens));
        data.outputTokens.push(...pick(series.outputTokens));
        data.cacheReadTokens.push(...pick(series.cacheReadTokens));
        data.limits.requests.push(...pick(series.limits.requests));
        data.limits.inputTokens.push(...pick(series.limits.inputTokens));
        data.limits.outputTokens.push(...pick(series.limits.outputTokens));
        data.limits.tokens.push(...pick(series.limits.tokens));
        data.upstream429.push(...pick(series.upstream429));
        extend(data.queue, series.queue, held, keep, null);
        extend(data.waitP50Ms, series.waitP50Ms, held, keep, null);
        extend(data.waitP99Ms, series.waitP99Ms, held, keep, null);
        // The server lists a refusal code only when it has counts: absent means none.
        extend(data.refusals, series.refusals, held, keep, 0);
        // A limit missing from an event is one not declared then: a gap, not a zero.
        extend(data.deployments, series.deployments, held, keep, null);
      }
    }
    const kept = this.data as SeriesData;
    trim(kept, now - windowMs);
    return kept;
  }
}

function copy(series: Series): SeriesData {
  const line = (l: Line) => [...l];
  const lines = (r: Readonly<Record<string, Line>>) =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, line(v)]));
  return {
    resolutionMs: series.resolutionMs,
    smoothingMs: series.smoothingMs,
    countWindowMs: series.countWindowMs,
    t: [...series.t],
    requests: line(series.requests),
    inputTokens: line(series.inputTokens),
    outputTokens: line(series.outputTokens),
    cacheReadTokens: line(series.cacheReadTokens),
    limits: {
      requests: line(series.limits.requests),
      inputTokens: line(series.limits.inputTokens),
      outputTokens: line(series.limits.outputTokens),
      tokens: line(series.limits.tokens),
    },
    queue: lines(series.queue),
    waitP50Ms: lines(series.waitP50Ms),
    waitP99Ms: lines(series.waitP99Ms),
    upstream429: line(series.upstream429),
    refusals: lines(series.refusals),
    deployments: lines(series.deployments),
  };
}

/** Appends the kept points of keyed lines; a key new in this event is back-filled, a missing one filled. */
function extend(
  into: Lines,
  from: Readonly<Record<string, Line>>,
  held: number,
  keep: readonly number[],
  missing: number | null,
): void {
  for (const key of new Set([...Object.keys(into), ...Object.keys(from)])) {
    const target = into[key] ?? new Array<number | null>(held).fill(missing);
    into[key] = target;
    const source = from[key];
    for (const i of keep) target.push(source ? (source[i] ?? null) : missing);
  }
}

function trim(data: SeriesData, oldest: number): void {
  let drop = 0;
  while (drop < data.t.length && (data.t[drop] as number) < oldest) drop++;
  if (drop === 0) return;
  const cut = <T>(l: T[]) => l.splice(0, drop);
  cut(data.t);
  for (const l of [
    data.requests,
    data.inputTokens,
    data.outputTokens,
    data.cacheReadTokens,
    data.upstream429,
  ])
    cut(l);
  for (const l of Object.values(data.limits)) cut(l);
  for (const group of [data.queue, data.waitP50Ms, data.waitP99Ms, data.refusals, data.deployments])
    for (const l of Object.values(group)) cut(l);
}

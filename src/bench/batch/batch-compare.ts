/**
 * A batch scenario's comparison: the same interactive arrivals run twice on
 * fresh providers and gateways, without the batch and with it. Per run: the
 * interactive calls' queue wait inside the gateway (its request log's
 * `wait_ms`, not client latency, which also holds the provider's service
 * time and the machine's noise), the batch's lines per minute, and the share
 * of the provider's limit used by both together (the simulator's own
 * counters). Every figure is taken over one window, the with-run's, in both
 * runs: from the batch's first answered line (before that the lane waits
 * for the bucket to refill above its headroom) to the end of the arrivals
 * or of the batch, whichever comes first;
 * the waits are those of the interactive calls sent in it.
 */
import { waitOf } from '../record.js';
import type { RunResult, Sample } from '../runner.js';
import type { Scenario } from '../scenario.js';
import { type Percentiles, percentiles } from '../stats.js';
import type { RunSummary } from '../summary.js';
import type { BatchProgressSample } from './batch-load.js';

export interface BatchRunFigures {
  /** Queue wait inside the gateway of the interactive calls sent in the window. */
  readonly waitMs: Percentiles;
  /** Lines answered (completed or failed) per minute over the window; undefined without a batch. */
  readonly linesPerMin: number | undefined;
  /** Where the batch stood when the run ended. */
  readonly batch:
    | { readonly completed: number; readonly failed: number; readonly total: number; readonly status: string }
    | undefined;
  /** Tokens (or calls, on an RPM-only provider) the provider served in the window ÷ its limit over the window. */
  readonly ofLimit: number | undefined;
  /** The interactive calls' part of that. */
  readonly interactiveOfLimit: number | undefined;
  /** Upstream 429s over the whole run (the provider's own count). */
  readonly upstream429: number | undefined;
}

export interface BatchComparison {
  readonly scenario: string;
  readonly windowMs: readonly [number, number];
  readonly limit: { readonly dimension: 'tpm' | 'rpm'; readonly perMin: number };
  readonly without: BatchRunFigures;
  readonly with: BatchRunFigures;
  /** with ÷ without, for the interactive wait (undefined where without is 0). */
  readonly ratio: { readonly p50: number | undefined; readonly p99: number | undefined };
}

export interface BatchRun {
  readonly summary: RunSummary;
  readonly run: RunResult;
  readonly progress?: readonly BatchProgressSample[];
}

/**
 * The window: from the batch's first answered line to the end of arrivals,
 * or to its last line when it ended sooner (after that the interactive calls
 * are alone again); the whole run when it never started.
 */
export function batchWindow(withBatch: BatchRun): [number, number] {
  const arrivalsEnd = withBatch.run.arrivalsEndedAt;
  const first = withBatch.progress?.find((p) => p.completed + p.failed > 0);
  const done = withBatch.progress?.find((p) => p.total > 0 && p.completed + p.failed >= p.total);
  const to = done && done.t < arrivalsEnd ? done.t : arrivalsEnd;
  const from = first && first.t < to ? first.t : 0;
  return [from, to];
}

function limitOf(scenario: Scenario): BatchComparison['limit'] {
  const { tpm, rpm } = scenario.provider.limits;
  return tpm !== undefined ? { dimension: 'tpm', perMin: tpm } : { dimension: 'rpm', perMin: rpm as number };
}

/** The provider's counter (tokens or admitted calls, summed over its keys) in a sample. */
function served(sample: Sample, dimension: 'tpm' | 'rpm'): number | undefined {
  const keys = sample.provider?.perKey;
  if (!keys) return undefined;
  return Object.values(keys).reduce((sum, k) => sum + (dimension === 'tpm' ? k.tokens : k.admitted), 0);
}

/** The first sample at or after `from` and the last at or before `to`. */
function bounds<T extends { t: number }>(samples: readonly T[], [from, to]: readonly [number, number]) {
  const a = samples.find((s) => s.t >= from);
  const b = [...samples].reverse().find((s) => s.t <= to);
  return a && b && b.t > a.t ? { a, b, minutes: (b.t - a.t) / 60_000 } : undefined;
}

/** Tokens (or calls) of the interactive records served in the window, from their own usage. */
function interactiveServed(
  run: RunResult,
  window: readonly [number, number],
  dimension: 'tpm' | 'rpm',
): number {
  const [from, to] = window;
  return run.records
    .filter((r) => r.outcome === 'served' && r.endedAt !== undefined && r.endedAt >= from && r.endedAt <= to)
    .reduce((sum, r) => sum + (dimension === 'tpm' ? (r.inputTokens ?? 0) + (r.outputTokens ?? 0) : 1), 0);
}

export function batchRunFigures(
  scenario: Scenario,
  run: BatchRun,
  window: readonly [number, number],
): BatchRunFigures {
  const limit = limitOf(scenario);
  const provider = bounds(run.run.samples, window);
  const servedA = provider && served(provider.a, limit.dimension);
  const servedB = provider && served(provider.b, limit.dimension);
  const ofLimit =
    provider && servedA !== undefined && servedB !== undefined
      ? (servedB - servedA) / (limit.perMin * provider.minutes)
      : undefined;
  const minutes = (window[1] - window[0]) / 60_000;
  const progress = run.progress ? bounds(run.progress, window) : undefined;
  const last = run.progress?.[run.progress.length - 1];
  return {
    waitMs: percentiles(
      run.run.records
        .filter((r) => r.firedAt >= window[0] && r.firedAt <= window[1])
        .map(waitOf)
        .filter((w): w is number => w !== undefined),
    ),
    linesPerMin: progress
      ? (progress.b.completed + progress.b.failed - progress.a.completed - progress.a.failed) /
        progress.minutes
      : undefined,
    batch: last && { completed: last.completed, failed: last.failed, total: last.total, status: last.status },
    ofLimit,
    interactiveOfLimit:
      minutes > 0
        ? interactiveServed(run.run, window, limit.dimension) / (limit.perMin * minutes)
        : undefined,
    upstream429: run.summary.upstream.rateLimited,
  };
}

export function compareBatchRuns(
  scenario: Scenario,
  without: BatchRun,
  withBatch: BatchRun,
): BatchComparison {
  const windowMs = batchWindow(withBatch);
  const a = batchRunFigures(scenario, without, windowMs);
  const b = batchRunFigures(scenario, withBatch, windowMs);
  const ratio = (x: number | undefined, y: number | undefined) => (x !== undefined && y ? x / y : undefined);
  return {
    scenario: scenario.name,
    windowMs,
    limit: limitOf(scenario),
    without: a,
    with: b,
    ratio: { p50: ratio(b.waitMs.p50, a.waitMs.p50), p99: ratio(b.waitMs.p99, a.waitMs.p99) },
  };
}

const ms = (v: number | undefined) => (v === undefined ? '–' : `${Math.round(v)} ms`);
const pct = (v: number | undefined) => (v === undefined ? '–' : `${(v * 100).toFixed(1)} %`);
const times = (v: number | undefined) => (v === undefined ? '–' : `${v.toFixed(2)}×`);

/** The comparison as a small table, printed after the runs. */
export function batchComparisonReport(c: BatchComparison): string {
  const rows: [string, string, string, string][] = [
    ['interactive wait p50', ms(c.without.waitMs.p50), ms(c.with.waitMs.p50), times(c.ratio.p50)],
    ['interactive wait p99', ms(c.without.waitMs.p99), ms(c.with.waitMs.p99), times(c.ratio.p99)],
    ['interactive calls in the window', String(c.without.waitMs.count), String(c.with.waitMs.count), ''],
    [
      'batch lines per minute',
      '–',
      c.with.linesPerMin === undefined ? '–' : c.with.linesPerMin.toFixed(0),
      '',
    ],
    [
      'batch at the end',
      '–',
      c.with.batch
        ? `${c.with.batch.completed + c.with.batch.failed}/${c.with.batch.total} ${c.with.batch.status}`
        : '–',
      '',
    ],
    [
      `interactive share of ${c.limit.dimension.toUpperCase()}`,
      pct(c.without.interactiveOfLimit),
      pct(c.with.interactiveOfLimit),
      '',
    ],
    [`total share of ${c.limit.dimension.toUpperCase()}`, pct(c.without.ofLimit), pct(c.with.ofLimit), ''],
    ['upstream 429s', String(c.without.upstream429 ?? '–'), String(c.with.upstream429 ?? '–'), ''],
  ];
  const head: [string, string, string, string] = ['', 'without batch', 'with batch', 'with ÷ without'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  const line = (r: readonly string[]) =>
    r.map((v, i) => (i === 0 ? v.padEnd(widths[i] ?? 0) : v.padStart(widths[i] ?? 0))).join('  ');
  const window = `window ${(c.windowMs[0] / 1_000).toFixed(1)}–${(c.windowMs[1] / 1_000).toFixed(1)} s (from the batch's first answered line to the end of arrivals or of the batch)`;
  return [
    `${c.scenario}: interactive traffic without and with a batch; ${window}`,
    line(head),
    ...rows.map(line),
  ].join('\n');
}

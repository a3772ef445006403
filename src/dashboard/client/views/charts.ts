/**
 * The last 15 minutes: requests and tokens per minute against the
 * deployments' limits, queue depth and admission waits per priority class,
 * upstream 429s against the refusals Sluice returned, and prompt-cache reads
 * once a provider reports them.
 */
import type { DashboardSnapshot } from '../../wire.js';
import { byId } from '../dom.js';
import { axisMs, compact } from '../format.js';
import type { SeriesData } from '../series-buffer.js';
import { type AxisStyle, type LineSpec, TimeChart } from './time-chart.js';

const CLASS_COLORS = ['#c2255c', '#e8590c', '#1c7ed6', '#868e96', '#2f9e44', '#7048e8', '#0c8599'];
const CODE_COLORS = ['#f08c00', '#7048e8', '#0c8599', '#c2255c', '#5c940d', '#862e9c', '#1864ab', '#495057'];
const LIMIT = '#495057';

const charts = new Map<string, TimeChart>();

function chart(id: string, axis: AxisStyle = { label: compact }): TimeChart {
  let c = charts.get(id);
  if (!c) {
    c = new TimeChart(byId(id), axis);
    charts.set(id, c);
  }
  return c;
}

export function renderCharts(snapshot: DashboardSnapshot, series: SeriesData): void {
  const t = series.t;
  const present = (values: readonly (number | null)[]) => values.some((v) => v !== null);
  const limit = (label: string, values: readonly (number | null)[], color = LIMIT): LineSpec[] =>
    present(values) ? [{ label, color, values, dashed: true }] : [];

  chart('chart-requests').update(t, [
    { label: 'admitted', color: '#1c7ed6', values: series.requests },
    ...limit('limit (Σ rpm)', series.limits.requests),
  ]);

  const total = series.inputTokens.map((v, i) => (v === null ? null : v + (series.outputTokens[i] ?? 0)));
  chart('chart-tokens').update(t, [
    { label: 'input', color: '#1c7ed6', values: series.inputTokens },
    { label: 'output', color: '#2f9e44', values: series.outputTokens },
    ...(present(series.limits.tokens)
      ? [{ label: 'in + out', color: '#7048e8', values: total, width: 1 }]
      : []),
    ...limit('limit (Σ itpm)', series.limits.inputTokens, '#4dabf7'),
    ...limit('limit (Σ otpm)', series.limits.outputTokens, '#69db7c'),
    ...limit('limit (Σ tpm)', series.limits.tokens),
  ]);

  const classes = snapshot.priorities;
  chart('chart-queue', { label: compact, integer: true }).update(
    t,
    classes.map((name, i) => ({ label: name, color: classColor(i), values: series.queue[name] ?? [] })),
  );

  chart('chart-waits', { label: axisMs }).update(
    t,
    classes.flatMap((name, i) => [
      { label: `${name} p50`, color: classColor(i), values: series.waitP50Ms[name] ?? [] },
      { label: `${name} p99`, color: classColor(i), values: series.waitP99Ms[name] ?? [], dashed: true },
    ]),
  );

  chart('chart-errors').update(t, [
    { label: 'upstream 429', color: '#e03131', values: series.upstream429, width: 2 },
    ...Object.keys(series.refusals)
      .sort()
      .map((code, i) => ({
        label: `refused: ${code.replaceAll('_', ' ')}`,
        color: CODE_COLORS[i % CODE_COLORS.length] as string,
        values: series.refusals[code] ?? [],
      })),
  ]);

  // Sluice has no response cache; providers' prompt caches are worth a chart only once one reports reads.
  const cache = byId('chart-cache');
  cache.hidden = !snapshot.cacheReported;
  if (snapshot.cacheReported) {
    chart('chart-cache').update(t, [
      { label: 'prompt-cache reads', color: '#0c8599', values: series.cacheReadTokens },
    ]);
  }
}

function classColor(i: number): string {
  return CLASS_COLORS[i % CLASS_COLORS.length] as string;
}

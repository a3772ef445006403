/**
 * The last 15 minutes. Counts (calls, tokens, 429s, refusals) are what the
 * trailing 60 s held: the window a per-minute limit counts, so 5 refusals
 * read 5. All traffic together, without a limit line (a sum of deployments'
 * limits is a rate no call can reach: a call goes to one deployment); then
 * one pair of charts per deployment against its own limits, with a marker
 * where its provider's headers changed a limit. Queue depth and admission
 * waits per priority class, upstream 429s against the refusals Sluice
 * returned, and prompt-cache reads once a provider reports them.
 */
import { type DashboardSnapshot, type DeploymentLine, deploymentLineKey } from '../../wire.js';
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
    { label: 'admitted, all deployments', color: '#1c7ed6', values: series.requests },
  ]);
  chart('chart-tokens').update(t, [
    { label: 'input', color: '#1c7ed6', values: series.inputTokens },
    { label: 'output', color: '#2f9e44', values: series.outputTokens },
  ]);
  renderDeploymentCharts(snapshot, series, limit);

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

type LimitLine = (label: string, values: readonly (number | null)[], color?: string) => LineSpec[];

/** `requests / min` or tokens of one deployment, against its own limits, with its limit changes marked. */
function renderDeploymentCharts(snapshot: DashboardSnapshot, series: SeriesData, limit: LimitLine): void {
  const host = byId('deployment-charts');
  const lines = series.deployments;
  const of = (id: string, line: DeploymentLine) => lines[deploymentLineKey(id, line)] ?? [];
  const margin = snapshot.deployments.length > 0 ? keptBack(snapshot) : '';
  for (const d of snapshot.deployments) {
    const markers = snapshot.limitChanges
      .filter((c) => c.deployment === d.id)
      .map((c) => ({
        at: c.at,
        label: `${c.name} ${c.from === null ? 'learned' : `${compact(c.from)} →`} ${compact(c.to)}`,
      }));
    const requestMarkers = markers.filter((m) => m.label.startsWith('rpm'));
    deploymentChart(host, d.id, 'requests', `${d.id} · requests / min (${d.group})`).update(
      series.t,
      [
        { label: 'admitted', color: '#1c7ed6', values: of(d.id, 'requests') },
        ...limit(`rpm limit${margin}`, of(d.id, 'rpm')),
      ],
      requestMarkers,
    );
    const input = of(d.id, 'inputTokens');
    const output = of(d.id, 'outputTokens');
    const total = input.map((v, i) => (v === null ? null : v + (output[i] ?? 0)));
    const tpm = of(d.id, 'tpm');
    deploymentChart(host, d.id, 'tokens', `${d.id} · tokens / min`).update(
      series.t,
      [
        { label: 'input', color: '#1c7ed6', values: input },
        { label: 'output', color: '#2f9e44', values: output },
        ...(tpm.some((v) => v !== null)
          ? [{ label: 'in + out', color: '#7048e8', values: total, width: 1 }]
          : []),
        ...limit('itpm limit', of(d.id, 'itpm'), '#4dabf7'),
        ...limit('otpm limit', of(d.id, 'otpm'), '#69db7c'),
        ...limit('tpm limit', tpm),
      ],
      markers.filter((m) => !m.label.startsWith('rpm')),
    );
  }
}

/** The safety margin, said once where limit lines are drawn: the margin holds back bursts, not the rate. */
function keptBack(snapshot: DashboardSnapshot): string {
  const b = snapshot.buckets.find((x) => x.scope === 'deployment' && x.limit > 0);
  if (!b) return '';
  const pct = Math.round((1 - b.capacity / b.limit) * 100);
  return pct > 0 ? ` (bursts to ${100 - pct} %: ${pct} % kept back)` : '';
}

/** The chart of one deployment's requests or tokens, created the first time it is drawn. */
function deploymentChart(
  host: HTMLElement,
  id: string,
  what: 'requests' | 'tokens',
  caption: string,
): TimeChart {
  const key = `deployment-${id}-${what}`;
  let c = charts.get(key);
  if (!c) {
    const figure = document.createElement('figure');
    figure.className = 'chart';
    figure.dataset.deployment = id;
    figure.dataset.chart = what;
    const title = document.createElement('figcaption');
    title.textContent = caption;
    const plot = document.createElement('div');
    plot.className = 'chart-plot';
    figure.append(title, plot);
    host.append(figure);
    c = new TimeChart(figure, { label: compact });
    charts.set(key, c);
  }
  return c;
}

function classColor(i: number): string {
  return CLASS_COLORS[i % CLASS_COLORS.length] as string;
}

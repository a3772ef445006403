/**
 * The trends panel's range: live (the last 15 minutes from the stream) or
 * the recorded last hour, day or week (`GET /admin/v1/history`). A long
 * view shows each deployment and pool limit's highest utilization per
 * point against full, the calls admitted and refused, and each tenant's
 * spend; it is fetched when chosen and again every minute while shown.
 */
import type { HistoryRange, HistoryView } from '../../wire.js';
import { byId } from '../dom.js';
import { compact } from '../format.js';
import { type LineSpec, TimeChart } from './time-chart.js';

const COLORS = ['#1c7ed6', '#e8590c', '#2f9e44', '#7048e8', '#c2255c', '#0c8599', '#f08c00', '#5c940d'];
const REFRESH_MS = 60_000;
const STEP_WORDS: Readonly<Record<HistoryRange, string>> = { '1h': 'minute', '24h': '15 min', '7d': 'hour' };

const charts = new Map<string, TimeChart>();
let range: HistoryRange | 'live' = 'live';
let refresh: number | undefined;

function chart(id: string, label: (v: number) => string = compact): TimeChart {
  let c = charts.get(id);
  if (!c) {
    c = new TimeChart(byId(id), { label });
    charts.set(id, c);
  }
  return c;
}

/** Wires the range buttons; `key` gives the admin key in force. */
export function setUpHistoryRange(key: () => string | undefined): void {
  for (const button of document.querySelectorAll<HTMLButtonElement>('[data-range]')) {
    button.addEventListener('click', () => {
      range = (button.dataset.range as HistoryRange | 'live' | undefined) ?? 'live';
      for (const b of document.querySelectorAll<HTMLButtonElement>('[data-range]'))
        b.setAttribute('aria-pressed', String(b === button));
      byId('live-trends').hidden = range !== 'live';
      byId('history-trends').hidden = range === 'live';
      window.clearInterval(refresh);
      if (range === 'live') return;
      void load(key);
      refresh = window.setInterval(() => void load(key), REFRESH_MS);
    });
  }
}

async function load(key: () => string | undefined): Promise<void> {
  const wanted = range;
  const admin = key();
  if (wanted === 'live' || !admin) return;
  const note = byId('history-note');
  try {
    const res = await fetch(`/admin/v1/history?range=${wanted}`, {
      headers: { authorization: `Bearer ${admin}` },
      cache: 'no-store',
    });
    const body = (await res.json()) as HistoryView | { error: { message: string } };
    if (range !== wanted) return; // another range was chosen meanwhile
    if ('error' in body) {
      note.textContent = body.error.message;
      return;
    }
    renderHistory(body);
  } catch (error) {
    note.textContent = `The history could not be read: ${error instanceof Error ? error.message : String(error)}`;
  }
}

export function renderHistory(view: HistoryView): void {
  const step = STEP_WORDS[view.range];
  const limits = view.buckets.filter((b) => b.scope !== 'tenant');
  byId('history-note').textContent =
    limits.length === 0 && view.tenants.length === 0
      ? 'Nothing was recorded in this range yet (a minute is written once it ends).'
      : `one point per ${step}; utilization is each point's highest minute`;
  byId('history-trends').dataset.points = String(view.t.length);
  const color = (i: number) => COLORS[i % COLORS.length] as string;

  const full: LineSpec = { label: 'full', color: '#495057', values: view.t.map(() => 100), dashed: true };
  chart('history-utilization', (v) => `${Math.round(v)} %`).update(view.t, [
    ...limits.map((b, i) => ({
      label: `${b.owner} ${b.limitName}`,
      color: color(i),
      values: b.peak.map((p) => (p === null ? null : Math.round(p * 1_000) / 10)),
    })),
    full,
  ]);

  const sum = (lines: readonly (readonly (number | null)[])[]) =>
    view.t.map((_, i) => {
      let total: number | null = null;
      for (const line of lines) {
        const v = line[i] ?? null;
        if (v !== null) total = (total ?? 0) + v;
      }
      return total;
    });
  chart('history-calls').update(view.t, [
    { label: `served / ${step}`, color: '#1c7ed6', values: sum(view.tenants.map((t) => t.requests)) },
    { label: `refused / ${step}`, color: '#e03131', values: sum(view.tenants.map((t) => t.refused)) },
  ]);

  const byTenant = new Map<string, (number | null)[][]>();
  for (const t of view.tenants) byTenant.set(t.tenant, [...(byTenant.get(t.tenant) ?? []), [...t.costUsd]]);
  chart('history-spend', (v) => `$${v < 10 ? v.toFixed(2) : Math.round(v)}`).update(
    view.t,
    [...byTenant].map(([tenant, lines], i) => ({ label: tenant, color: color(i), values: sum(lines) })),
  );
}

/**
 * Every limit at a glance: one row per bucket, grouped by scope
 * (deployments, pools, tenants), with a utilization bar marked at the warn
 * and act thresholds, what is left, when it is full again, and the alert
 * state (the same rule as `sluice_bucket_alert_state`) as the row's colour.
 */
import type { BucketRow, BucketScope, DashboardSnapshot } from '../../wire.js';
import { byId, h, setText, syncKeyed } from '../dom.js';
import { compact, duration, limitName, percent } from '../format.js';

const SCOPES: readonly { scope: BucketScope; title: string; empty: string }[] = [
  { scope: 'deployment', title: 'Deployments', empty: 'No deployment declares or has learned a limit yet.' },
  { scope: 'pool', title: 'Pools', empty: '' },
  { scope: 'tenant', title: 'Tenants (tier limits)', empty: '' },
];

export function renderBuckets(snapshot: DashboardSnapshot): void {
  const root = byId('buckets');
  const groups = SCOPES.map((s) => ({
    ...s,
    rows: snapshot.buckets.filter((b) => b.scope === s.scope),
  })).filter((g) => g.rows.length > 0 || g.empty !== '');
  syncKeyed(
    root,
    groups,
    (g) => g.scope,
    (g) =>
      h(
        'section',
        { class: 'bucket-group' },
        h('h3', {}, g.title),
        h('p', { class: 'empty' }),
        h('div', { class: 'bucket-list' }),
      ),
    (el, g) => {
      const empty = el.querySelector('.empty') as HTMLElement;
      setText(empty, g.rows.length === 0 ? g.empty : '');
      empty.hidden = g.rows.length > 0;
      syncKeyed(
        el.querySelector('.bucket-list') as HTMLElement,
        g.rows,
        (b) => b.key,
        createRow,
        (row, b) => updateRow(row, b, snapshot.thresholds),
      );
    },
  );
  const alerting = snapshot.buckets.filter((b) => b.alert !== 'ok').length;
  setText(
    byId('buckets-summary'),
    alerting === 0 ? 'all below the warn threshold' : `${alerting} over a threshold`,
  );
}

function createRow(): HTMLElement {
  return h(
    'div',
    { class: 'bucket' },
    h(
      'div',
      { class: 'bucket-head' },
      h('span', { class: 'bucket-owner' }),
      h('span', { class: 'bucket-limit' }),
      h('span', { class: 'badge' }),
    ),
    h(
      'div',
      { class: 'bar', role: 'meter', 'aria-valuemin': 0, 'aria-valuemax': 100 },
      h('div', { class: 'fill' }),
      h('i', { class: 'mark mark-warn' }),
      h('i', { class: 'mark mark-act' }),
    ),
    h(
      'div',
      { class: 'bucket-foot' },
      h('span', { class: 'util' }),
      h('span', { class: 'remaining' }),
      h('span', { class: 'reset' }),
    ),
  );
}

function updateRow(row: HTMLElement, b: BucketRow, thresholds: DashboardSnapshot['thresholds']): void {
  row.className = `bucket alert-${b.alert}`;
  row.dataset.alert = b.alert;
  row.dataset.utilization = String(b.utilization);
  const q = <T extends Element>(selector: string) => row.querySelector(selector) as T;
  setText(q('.bucket-owner'), b.tier ? `${b.owner} · ${b.tier}` : b.owner);
  setText(q('.bucket-limit'), `${limitName(b.dimension, b.window)} ≤ ${compact(b.limit)}`);
  setText(q('.badge'), b.alert);
  const bar = q<HTMLElement>('.bar');
  const shown = Math.min(1, Math.max(0, b.utilization));
  bar.setAttribute('aria-valuenow', String(Math.round(b.utilization * 100)));
  bar.setAttribute(
    'aria-label',
    `${limitName(b.dimension, b.window)} of ${b.owner}: ${percent(b.utilization)} used`,
  );
  q<HTMLElement>('.fill').style.width = `${shown * 100}%`;
  q<HTMLElement>('.mark-warn').style.left = `${thresholds.warn * 100}%`;
  q<HTMLElement>('.mark-act').style.left = `${thresholds.act * 100}%`;
  setText(q('.util'), percent(b.utilization));
  // The usable capacity is the limit less the safety margin: say so where both numbers show.
  const keptBack = b.limit > 0 ? Math.round((1 - b.capacity / b.limit) * 100) : 0;
  setText(
    q('.remaining'),
    keptBack > 0
      ? `${compact(b.remaining)} of ${compact(b.capacity)} usable left (${keptBack} % of ${compact(b.limit)} kept back)`
      : `${compact(b.remaining)} of ${compact(b.capacity)} left`,
  );
  setText(
    q('.reset'),
    b.pausedForMs > 0
      ? `paused ${duration(b.pausedForMs)} (provider 429)`
      : b.resetInMs > 0
        ? `full in ${duration(b.resetInMs)}`
        : 'full',
  );
}

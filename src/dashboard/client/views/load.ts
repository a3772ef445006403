/**
 * Load and mitigation (issue 20): one row per model group with its load
 * level as callers see it in `x-sluice-load` (the badge), what holds it up
 * (the busiest bucket, or the queue), the busiest utilization and the
 * longest wait, then each mitigation action its configuration names: on or
 * off, and how many calls it changed since start.
 */
import type { DashboardSnapshot, LoadRow } from '../../wire.js';
import { byId, h, setText, setValue, syncKeyed } from '../dom.js';
import { count, percent, wait } from '../format.js';

const ACTION_NAMES: Readonly<Record<string, string>> = {
  downgrade: 'downgrade',
  clamp_max_tokens: 'clamp max tokens',
  pause: 'pause',
  tighten: 'tighten budgets',
};

export function renderLoad(snapshot: DashboardSnapshot): void {
  const rows = snapshot.load;
  const table = byId<HTMLTableElement>('load');
  const body = table.tBodies[0] ?? table.appendChild(h('tbody'));
  syncKeyed(body, rows, (r) => r.group, createRow, updateRow);
  const mitigating = rows.filter((r) => r.mitigating).length;
  const loaded = rows.filter((r) => r.level !== 'ok').length;
  setText(
    byId('load-summary'),
    loaded === 0
      ? 'every group ok'
      : `${count(loaded)} group${loaded === 1 ? '' : 's'} under load · ${count(mitigating)} mitigating`,
  );
}

function createRow(): HTMLTableRowElement {
  return h(
    'tr',
    {},
    h('td', { 'data-col': 'group' }),
    h('td', { 'data-col': 'level' }, h('span', { class: 'badge' })),
    h('td', { 'data-col': 'cause' }, h('code')),
    h('td', { 'data-col': 'utilization', class: 'num' }),
    h('td', { 'data-col': 'queue', class: 'num' }),
    h('td', { 'data-col': 'mitigation' }),
    h('td', { 'data-col': 'paused', class: 'num' }),
  );
}

function updateRow(tr: HTMLTableRowElement, r: LoadRow): void {
  const [group, level, cause, utilization, queue, mitigation, paused] = Array.from(tr.cells);
  tr.className = `alert-${r.level}`;
  tr.dataset.level = r.level;
  if (group) setText(group, r.group);
  if (level) setText(level.firstElementChild as HTMLElement, r.level);
  if (cause) setText(cause.firstElementChild as HTMLElement, r.cause ?? '');
  if (utilization) setValue(utilization, r.utilization, percent(r.utilization));
  if (queue) setValue(queue, r.queueWaitMs, wait(r.queueWaitMs));
  if (mitigation) {
    const text =
      r.actions.length === 0
        ? 'none configured'
        : r.actions
            .map(
              (a) => `${ACTION_NAMES[a.action] ?? a.action} ${a.on ? 'on' : 'off'} · ${count(a.calls)} calls`,
            )
            .join(', ');
    setText(mitigation, text);
    mitigation.classList.toggle('mitigating', r.mitigating);
  }
  if (paused) setValue(paused, r.paused, count(r.paused));
}

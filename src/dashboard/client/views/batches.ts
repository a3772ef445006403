/**
 * The background lane (issue 19): one row per active batch with its lines
 * succeeded, failed and remaining as a bar over its total (the split of
 * `sluice_batch_lines`), how many lines it answered over the last minute,
 * and when it should be done at that pace, which is the headroom
 * interactive traffic leaves it. The panel is hidden while the lane is off.
 */
import type { BatchesSection, BatchRow, DashboardSnapshot } from '../../wire.js';
import { byId, h, setText, setValue, syncKeyed } from '../dom.js';
import { clockTime, compact, count, fromNow } from '../format.js';

export function renderBatches(snapshot: DashboardSnapshot): void {
  const lane = snapshot.batches;
  byId('batches-panel').hidden = lane === null;
  if (lane === null) return;
  const table = byId<HTMLTableElement>('batches');
  const body = table.tBodies[0] ?? table.appendChild(h('tbody'));
  syncKeyed(
    body,
    lane.rows,
    (r) => r.id,
    createRow,
    (tr, r) => updateRow(tr, r, snapshot.now),
  );
  const empty = byId('batches-empty');
  empty.hidden = lane.rows.length > 0;
  setText(
    empty,
    lane.available ? 'No batches running.' : 'The batches could not be read (their store does not answer).',
  );
  setText(byId('batches-summary'), summary(lane));
}

function summary(lane: BatchesSection): string {
  const active = lane.rows.length;
  return `${count(active)} active · ${count(lane.inFlight)} lines in flight`;
}

function createRow(): HTMLTableRowElement {
  return h(
    'tr',
    {},
    h('td', { 'data-col': 'id' }, h('code')),
    h('td', { 'data-col': 'tenant' }),
    h('td', { 'data-col': 'mode' }),
    h('td', { 'data-col': 'status' }),
    h(
      'td',
      { 'data-col': 'progress' },
      h(
        'div',
        { class: 'batch-bar', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100 },
        h('div', { class: 'done' }),
        h('div', { class: 'failed' }),
      ),
      h('small'),
    ),
    h('td', { 'data-col': 'lines-per-minute', class: 'num' }),
    h('td', { 'data-col': 'expected', class: 'num' }),
  );
}

function updateRow(tr: HTMLTableRowElement, r: BatchRow, now: number): void {
  const [id, tenant, mode, status, progress, pace, expected] = Array.from(tr.cells);
  if (id) setText(id.firstElementChild as HTMLElement, r.id);
  if (tenant) setText(tenant, r.tenant);
  if (mode) setText(mode, r.mode);
  if (status) {
    const words = r.status.replace('_', ' ');
    setText(status, r.waiting === null ? words : `${words} · waiting`);
    status.title = r.waiting ?? '';
  }
  if (progress) {
    progress.dataset.total = String(r.total);
    progress.dataset.done = String(r.done);
    progress.dataset.failed = String(r.failed);
    progress.dataset.remaining = String(r.remaining);
    const share = (n: number) => (r.total > 0 ? Math.min(1, n / r.total) : 0);
    const bar = progress.querySelector('.batch-bar') as HTMLElement;
    (bar.querySelector('.done') as HTMLElement).style.width = `${share(r.done) * 100}%`;
    (bar.querySelector('.failed') as HTMLElement).style.width = `${share(r.failed) * 100}%`;
    const text = `${count(r.done)} done · ${count(r.failed)} failed · ${count(r.remaining)} left of ${count(r.total)}`;
    bar.setAttribute('aria-valuenow', String(Math.round(share(r.done + r.failed) * 100)));
    bar.setAttribute('aria-label', `${r.id}: ${text}`);
    setText(progress.querySelector('small') as HTMLElement, text);
  }
  if (pace) setValue(pace, r.linesPerMinute, compact(r.linesPerMinute));
  if (expected) {
    const ms = r.expectedCompletionInMs;
    setValue(expected, ms, fromNow(ms));
    expected.title = ms === null ? 'not moving over the last minute' : `at ${clockTime(now + ms, false)}`;
  }
}
